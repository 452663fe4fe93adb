import FeintCore
import Testing

/// A convolution case: input shape, output channels, kernel, stride, padding, groups.
struct ConvCase: CustomTestStringConvertible, Sendable {
    var input: [Int], out: Int, kernel: Int, stride = 1, padding = 0, groups = 1
    var testDescription: String { "x\(input) o\(out) k\(kernel) s\(stride) p\(padding) g\(groups)" }
}

@Suite("Gradients: convolution and pooling")
struct ConvolutionGradientTests {
    static let cases: [ConvCase] = [
        ConvCase(input: [2, 3, 6, 6], out: 4, kernel: 3),                          // im2col path
        ConvCase(input: [2, 3, 7, 6], out: 4, kernel: 3, stride: 2, padding: 1),   // strided
        ConvCase(input: [2, 16, 5, 5], out: 3, kernel: 3, padding: 1),             // shifted-GEMM path
        ConvCase(input: [3, 16, 6, 5], out: 5, kernel: 3),                         // shifted, no padding
        ConvCase(input: [2, 4, 5, 5], out: 6, kernel: 3, padding: 1, groups: 2),   // grouped
        ConvCase(input: [2, 4, 6, 6], out: 4, kernel: 3, padding: 1, groups: 4),   // depthwise
        ConvCase(input: [2, 4, 7, 7], out: 4, kernel: 3, stride: 2, padding: 1, groups: 4),
        ConvCase(input: [2, 3, 4, 4], out: 5, kernel: 1),                          // pointwise
        ConvCase(input: [2, 2, 8, 8], out: 3, kernel: 4, stride: 4),               // patch embedding
        // O ≥ 16: the input gradient runs the shifted-GEMM forward on the flipped filters
        // (transposed padding k − 1 − p = 1, 2 and 2), the hot path of every CNN in the zoo.
        ConvCase(input: [2, 16, 5, 5], out: 16, kernel: 3, padding: 1),
        ConvCase(input: [2, 16, 6, 6], out: 16, kernel: 3),
        ConvCase(input: [1, 16, 7, 7], out: 16, kernel: 5, padding: 2),
        ConvCase(input: [2, 2, 4, 4], out: 3, kernel: 2, padding: 2),              // stride 1, padding ≥ kernel: col2im
        ConvCase(input: [2, 3, 5, 13], out: 3, kernel: 3, padding: 1, groups: 3),  // depthwise, 8-lane rows
    ]

    @Test(arguments: cases)
    func conv2dGradients(c: ConvCase) {
        let x = random(c.input, seed: 1)
        let w = random([c.out, c.input[1] / c.groups, c.kernel, c.kernel], seed: 2)
        let b = random([c.out], seed: 3)
        checkGradients([x, w, b]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding, groups: c.groups)
        }
    }

    /// A non-square kernel (1×3, 3×2) at stride 1 and 2: its input gradient takes the general path.
    @Test(arguments: [(1, 3, 1, 0), (3, 2, 1, 1), (3, 2, 2, 1)])
    func nonSquareKernels(kh: Int, kw: Int, stride: Int, padding: Int) {
        checkGradients([random([2, 2, 5, 6], seed: 1), random([3, 2, kh, kw], seed: 2), random([3], seed: 3)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding)
        }
    }

    /// The depthwise kernel against the general GEMM path on the same filters as a block-diagonal
    /// full convolution: outputs and input gradients, on rows long enough for the SIMD loops
    /// (13 and 19 wide: full 8-lanes plus a scalar tail).
    @Test(arguments: [(13, 1, 1), (13, 2, 1), (19, 1, 0), (19, 2, 0), (19, 1, 2)])
    func depthwiseMatchesTheGeneralPath(width: Int, stride: Int, padding: Int) {
        let c = 3
        let x = random([2, c, width - 2, width], seed: 4), w = random([c, 1, 3, 3], seed: 5)
        var full = Tensor(zeros: [c, c, 3, 3])
        for ch in 0..<c { for k in 0..<9 { full.scalars[(ch * c + ch) * 9 + k] = w.scalars[ch * 9 + k] } }
        let b = random([c], seed: 7)
        func run(_ weight: Tensor, groups: Int) -> (y: Tensor, dx: Tensor, dw: Tensor, db: Tensor) {
            let (input, filters, bias) = (Variable(x, requiresGrad: true), Variable(weight, requiresGrad: true), Variable(b, requiresGrad: true))
            let y = conv2d(input, weight: filters, bias: bias, stride: stride, padding: padding, groups: groups)
            let r = random(y.shape, seed: 6)
            let g = sum(y * Variable(r)).gradients(wrt: [input, filters, bias])
            return (y.value, g[0], g[1], g[2])
        }
        let d = run(w, groups: c), f = run(full, groups: 1)
        #expect(d.y.shape == f.y.shape && zip(d.y.scalars, f.y.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(d.dx.scalars, f.dx.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(d.db.scalars, f.db.scalars).allSatisfy { abs($0 - $1) < 1e-3 })
        // The depthwise filter gradient is the block diagonal of the full one.
        for ch in 0..<c {
            for k in 0..<9 { #expect(abs(d.dw.scalars[ch * 9 + k] - f.dw.scalars[(ch * c + ch) * 9 + k]) < 1e-3) }
        }
    }

    /// A batch split across threads (several chunks when `Parallel.threads` ≥ 2) and into blocks
    /// of images must give each image's output and input gradient as a run on that image alone,
    /// and the filter and bias gradients as the sum over the images (the per-thread partial
    /// buffers). Shifted-GEMM (16 → 8 channels) and im2col (3 → 8, strided) paths.
    @Test(arguments: [(16, 1, 1), (3, 2, 1)])
    func batchesSplitAcrossThreadsMatchOneAtATime(channels: Int, stride: Int, padding: Int) {
        let n = 9, plane = 6 * 6 * channels
        let x = random([n, channels, 6, 6]), w = random([8, channels, 3, 3], seed: 2), b = random([8], seed: 3)
        func run(_ images: Tensor) -> (y: Tensor, dx: Tensor, dw: Tensor, db: Tensor) {
            let (input, filters, bias) = (Variable(images, requiresGrad: true), Variable(w, requiresGrad: true), Variable(b, requiresGrad: true))
            let y = conv2d(input, weight: filters, bias: bias, stride: stride, padding: padding)
            let g = sum(y * y).gradients(wrt: [input, filters, bias])
            return (y.value, g[0], g[1], g[2])
        }
        let whole = run(x)
        var dw = Tensor(zeros: w.shape), db = Tensor(zeros: b.shape)
        let out = whole.y.count / n
        for i in 0..<n {
            let one = run(Tensor(shape: [1, channels, 6, 6], scalars: Array(x.scalars[(i * plane)..<((i + 1) * plane)])))
            #expect(zip(one.y.scalars, whole.y.scalars[(i * out)..<((i + 1) * out)]).allSatisfy { abs($0 - $1) < 1e-5 })
            #expect(zip(one.dx.scalars, whole.dx.scalars[(i * plane)..<((i + 1) * plane)]).allSatisfy { abs($0 - $1) < 1e-4 })
            dw = dw + one.dw; db = db + one.db
        }
        #expect(zip(dw.scalars, whole.dw.scalars).allSatisfy { abs($0 - $1) < 1e-3 * max(1, abs($1)) })
        #expect(zip(db.scalars, whole.db.scalars).allSatisfy { abs($0 - $1) < 1e-3 * max(1, abs($1)) })
    }

    /// A kernel larger than the padded input is refused (it would read past the padded plane).
    @Test func kernelLargerThanThePaddedInputIsRefused() async {
        await #expect(processExitsWith: .failure) {
            _ = conv2d(Variable(Tensor(zeros: [1, 4, 2, 2])), weight: Variable(Tensor(zeros: [4, 1, 3, 3])), stride: 2, groups: 4)
        }
        await #expect(processExitsWith: .failure) { _ = maxPool2d(Variable(Tensor(zeros: [1, 1, 2, 2])), kernel: 3, stride: 2) }
    }

    /// A NaN in a window is the window's maximum (as PyTorch), so blow-ups are not hidden.
    @Test func maxPoolingPropagatesNaN() {
        for kernel in [2, 3] {
            var x = random([1, 1, 6, 6])
            x.scalars[7] = .nan
            let y = maxPool2d(Variable(x), kernel: kernel, stride: kernel).value
            #expect(y.scalars[0].isNaN && y.scalars.dropFirst().allSatisfy { !$0.isNaN })
        }
        var t = random([2, 3])
        t.scalars[4] = .nan
        #expect(t.maxAbs().isNaN && t.rowMaxAbs()[1].isNaN && !t.rowMaxAbs()[0].isNaN)
    }

    @Test func pooling() {
        checkGradients([spread([2, 3, 6, 6])], step: 1e-3) { maxPool2d($0[0], kernel: 2) }
        checkGradients([spread([2, 2, 7, 7])], step: 1e-3) { maxPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
        checkGradients([random([2, 3, 6, 6])]) { avgPool2d($0[0], kernel: 2) }
        checkGradients([random([2, 2, 5, 5])]) { avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
        checkGradients([random([2, 3, 4, 5])]) { globalAvgPool2d($0[0]) }
    }
}
