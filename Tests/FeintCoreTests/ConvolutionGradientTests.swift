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

    /// The depthwise kernel against the general GEMM path on the same filters as a block-diagonal
    /// full convolution: outputs and input gradients, on rows long enough for the SIMD loops
    /// (13 and 19 wide: full 8-lanes plus a scalar tail).
    @Test(arguments: [(13, 1, 1), (13, 2, 1), (19, 1, 0), (19, 2, 0), (19, 1, 2)])
    func depthwiseMatchesTheGeneralPath(width: Int, stride: Int, padding: Int) {
        let c = 3
        let x = random([2, c, width - 2, width], seed: 4), w = random([c, 1, 3, 3], seed: 5)
        var full = Tensor(zeros: [c, c, 3, 3])
        for ch in 0..<c { for k in 0..<9 { full.scalars[(ch * c + ch) * 9 + k] = w.scalars[ch * 9 + k] } }
        func run(_ weight: Tensor, groups: Int) -> (Tensor, Tensor) {
            let input = Variable(x, requiresGrad: true)
            let y = conv2d(input, weight: Variable(weight), stride: stride, padding: padding, groups: groups)
            let r = random(y.shape, seed: 6)
            return (y.value, sum(y * Variable(r)).gradients(wrt: [input])[0])
        }
        let (yd, gd) = run(w, groups: c), (yf, gf) = run(full, groups: 1)
        #expect(yd.shape == yf.shape && zip(yd.scalars, yf.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(gd.scalars, gf.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func batchesSplitAcrossThreadsMatchOneAtATime() {
        // Enough images for several blocks per thread; the result must equal per-image runs.
        let x = random([9, 16, 6, 6]), w = Variable(random([8, 16, 3, 3], seed: 2))
        let whole = conv2d(Variable(x), weight: w, padding: 1).value
        for n in 0..<9 {
            let one = conv2d(Variable(Tensor(shape: [1, 16, 6, 6], scalars: Array(x.scalars[(n * 576)..<((n + 1) * 576)]))),
                             weight: w, padding: 1).value
            let part = Array(whole.scalars[(n * 288)..<((n + 1) * 288)])
            #expect(zip(one.scalars, part).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func pooling() {
        checkGradients([spread([2, 3, 6, 6])], step: 1e-3) { maxPool2d($0[0], kernel: 2) }
        checkGradients([spread([2, 2, 7, 7])], step: 1e-3) { maxPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
        checkGradients([random([2, 3, 6, 6])]) { avgPool2d($0[0], kernel: 2) }
        checkGradients([random([2, 2, 5, 5])]) { avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) }
        checkGradients([random([2, 3, 4, 5])]) { globalAvgPool2d($0[0]) }
    }
}
