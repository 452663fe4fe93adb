import FeintCore
import Foundation
import Testing

@Suite("Known values")
struct KnownValueTests {
    @Test func convolutionByHand() {
        // 1×1×3×3 input 1…9, one 2×2 filter [[1, 0], [0, −1]], bias 0.5: y = x[i,j] − x[i+1,j+1] + 0.5.
        let x = Variable(Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init)))
        let w = Variable(Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1]))
        let y = conv2d(x, weight: w, bias: Variable(Tensor(shape: [1], scalars: [0.5])))
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.value.scalars == [-3.5, -3.5, -3.5, -3.5])
        // Padding 1, stride 2: windows at (−1,−1), (−1,1), (1,−1), (1,1).
        let z = conv2d(x, weight: w, stride: 2, padding: 1)
        #expect(z.value.scalars == [-1, -3, -7, -4])
    }

    @Test func shiftedPathMatchesDirectSum() {
        // 16 channels, padding 1: the shifted-GEMM kernel against a direct six-loop sum.
        let (n, c, h, w, o) = (2, 16, 5, 4, 3)
        let x = random([n, c, h, w]), wt = random([o, c, 3, 3], seed: 2), b = random([o], seed: 3)
        let y = conv2d(Variable(x), weight: Variable(wt), bias: Variable(b), padding: 1).value
        for i in 0..<n { for oc in 0..<o { for r in 0..<h { for q in 0..<w {
            var s = Double(b[oc])
            for ci in 0..<c { for ki in 0..<3 { for kj in 0..<3 {
                let (yy, xx) = (r + ki - 1, q + kj - 1)
                if yy >= 0 && yy < h && xx >= 0 && xx < w { s += Double(x[i, ci, yy, xx]) * Double(wt[oc, ci, ki, kj]) }
            } } }
            #expect(abs(Double(y[i, oc, r, q]) - s) < 1e-4)
        } } } }
    }

    @Test func pooling() {
        let x = Variable(Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init)))
        #expect(maxPool2d(x, kernel: 2).value.scalars == [5, 7, 13, 15])
        #expect(avgPool2d(x, kernel: 2).value.scalars == [2.5, 4.5, 10.5, 12.5])
        #expect(globalAvgPool2d(x).value.scalars == [7.5])
        // Zero padding counts in the average (PyTorch's count_include_pad=True).
        let expected: [Float] = [10, 18, 42, 50].map { $0 / 9 }
        let padded = avgPool2d(x, kernel: 3, stride: 3, padding: 1).value.scalars
        #expect(zip(padded, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// Packs per-head q, k, v [B, H, T, d] into timm's fused layout [B, T, (q|k|v) × H × d].
    func pack(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor {
        let (b, h, t, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        var out = Tensor(zeros: [b, t, 3 * h * d])
        for (s, x) in [q, k, v].enumerated() {
            for i in 0..<b { for hh in 0..<h { for tt in 0..<t { for j in 0..<d {
                out[i, tt, (s * h + hh) * d + j] = x[i, hh, tt, j]
            } } } }
        }
        return out
    }

    @Test func attentionWithEqualScoresAverages() {
        // Zero queries give equal scores: every output row is the mean of the values.
        let v = random([1, 2, 4, 3])
        let r = multiheadAttention(qkv: Variable(pack(Tensor(zeros: [1, 2, 4, 3]), random([1, 2, 4, 3], seed: 5), v)), heads: 2)
        for h in 0..<2 { for t in 0..<4 { for d in 0..<3 {
            let m = (0..<4).map { v[0, h, $0, d] }.reduce(0, +) / 4
            #expect(abs(r.output.value[0, t, h * 3 + d] - m) < 1e-6)
            #expect(abs(r.weights[0, h, t, d] - 0.25) < 1e-6)
        } } }
    }

    @Test func attentionMatchesFormula() {
        let (q, k, v) = (random([1, 2, 3, 2], seed: 1), random([1, 2, 3, 2], seed: 2), random([1, 2, 3, 2], seed: 3))
        let out = multiheadAttention(qkv: Variable(pack(q, k, v)), heads: 2).output.value
        for h in 0..<2 { for t in 0..<3 {
            let scores = (0..<3).map { j in (q[0, h, t, 0] * k[0, h, j, 0] + q[0, h, t, 1] * k[0, h, j, 1]) / Float(2).squareRoot() }
            let e = scores.map { Foundation.exp($0) }, z = e.reduce(0, +)
            for d in 0..<2 {
                let expected = (0..<3).map { e[$0] / z * v[0, h, $0, d] }.reduce(0, +)
                #expect(abs(out[0, t, h * 2 + d] - expected) < 1e-5)
            }
        } }
    }

    @Test func batchNormTrainingAndEvaluation() {
        let x = random([8, 2, 3, 3], low: 0, high: 4)
        var mean = Tensor(zeros: [2]), variance = Tensor(repeating: 1, shape: [2])
        let gamma = Variable(Tensor(repeating: 1, shape: [2])), beta = Variable(Tensor(zeros: [2]))
        let y = batchNorm(Variable(x), weight: gamma, bias: beta, runningMean: &mean, runningVar: &variance, training: true).value
        for c in 0..<2 {
            var vals: [Double] = []
            for n in 0..<8 { for i in 0..<9 { vals.append(Double(y.scalars[(n * 2 + c) * 9 + i])) } }
            let m = vals.reduce(0, +) / 72, v = vals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 72
            #expect(abs(m) < 1e-5 && abs(v - 1) < 1e-3)
            var xs: [Double] = []
            for n in 0..<8 { for i in 0..<9 { xs.append(Double(x.scalars[(n * 2 + c) * 9 + i])) } }
            let xm = xs.reduce(0, +) / 72, xv = xs.map { ($0 - xm) * ($0 - xm) }.reduce(0, +) / 71
            let runningMean = Double(mean[c]), runningVar = Double(variance[c])
            #expect(abs(runningMean - 0.1 * xm) < 1e-5)               // momentum 0.1 from 0
            #expect(abs(runningVar - (0.9 + 0.1 * xv)) < 1e-4)        // unbiased variance
        }
        // Evaluation: y = (x − running mean)/√(running var + ε).
        var m2 = Tensor(shape: [2], scalars: [1, 2]), v2 = Tensor(shape: [2], scalars: [4, 9])
        let e = batchNorm(Variable(x), weight: gamma, bias: beta, runningMean: &m2, runningVar: &v2, training: false).value
        let normalized: Float = (x[0, 1, 0, 0] - 2) / Float(9 + 1e-5).squareRoot()
        #expect(abs(e[0, 1, 0, 0] - normalized) < 1e-6)
        #expect(m2.scalars == [1, 2])
    }

    @Test func lossesAndSoftmax() {
        let zeros = Variable(Tensor(zeros: [2, 4]))
        #expect(abs(crossEntropy(zeros, labels: [0, 3]).value.scalar - Foundation.log(4)) < 1e-6)
        let z = Variable(Tensor(shape: [2, 3], scalars: [1, 5, 2, 0, -1, 3]))
        #expect(marginLoss(z, labels: [1, 0], reduction: .none).value.scalars == [-3, 3])
        let p = softmax(Variable(random([3, 5], low: -20, high: 20))).value
        for r in 0..<3 { #expect(abs((0..<5).map { p[r, $0] }.reduce(0, +) - 1) < 1e-6) }
        // Label smoothing s: loss = (1 − s)·CE(y) + s·mean_j CE(j).
        let ls = crossEntropy(z, labels: [1, 0], labelSmoothing: 0.2, reduction: .none).value
        let plain = (0..<3).map { crossEntropy(z, labels: [$0, $0], reduction: .none).value }
        let uniformPart: Float = (plain[0][0] + plain[1][0] + plain[2][0]) / 3
        let smoothed: Float = 0.8 * plain[1][0] + 0.2 * uniformPart
        #expect(abs(ls[0] - smoothed) < 1e-5)
        // Against PyTorch's cross_entropy(label_smoothing=0.2) for z = (1, 5, 2), y = 1.
        #expect(abs(ls[0] - 0.532_550_6) < 1e-5)
    }

    @Test func fastMathAccuracy() {
        var worstExp = 0.0, worstErf = 0.0
        for i in -8000...8000 {
            let x = Double(i) / 1000
            let e = Double(FastMath.exp(Float(x * 10)))
            worstExp = max(worstExp, abs(e - Foundation.exp(Double(Float(x * 10)))) / Foundation.exp(Double(Float(x * 10))))
            worstErf = max(worstErf, abs(Double(FastMath.erf(Float(x))) - Foundation.erf(Double(Float(x)))))
        }
        #expect(worstExp < 5e-7)
        #expect(worstErf < 2e-6)
    }

    @Test func bilinearMatchesPyTorchConvention() {
        // align_corners=False: 2 → 4 samples at source −0.25 (clamped to 0), 0.25, 0.75, 1.25 (→ 1).
        let x = Variable(Tensor(shape: [1, 1, 1, 2], scalars: [0, 4]))
        #expect(resizeBilinear(x, height: 1, width: 4).value.scalars == [0, 1, 3, 4])
    }

    @Test func smoothingKeepsConstantsInside() {
        let x = Tensor(repeating: 2, shape: [1, 2, 5, 5])
        let k = Tensor(repeating: 1.0 / 9, shape: [3, 3])
        let y = x.smoothed(by: k)
        #expect(abs(y[0, 1, 2, 2] - 2) < 1e-6)
        #expect(abs(y[0, 0, 0, 0] - 8.0 / 9) < 1e-6)   // corner: 4 of 9 taps inside
    }
}

