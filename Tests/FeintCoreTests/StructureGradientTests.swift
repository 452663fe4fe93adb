import FeintCore
import Testing

@Suite("Gradients: shape ops, products, attention")
struct StructureGradientTests {
    @Test func shapeOps() {
        let x = random([2, 3, 4])
        checkGradients([x]) { reshape($0[0], [6, -1]) }
        checkGradients([x]) { flatten($0[0]) }
        checkGradients([x]) { permute($0[0], [2, 0, 1]) }
        checkGradients([x]) { transpose($0[0], 0, 2) }
        checkGradients([x]) { slice($0[0], axis: 1, 1..<3) }
        checkGradients([x]) { gather($0[0], indices: [3, 0, 3], axis: 2) }
        checkGradients([random([1, 3, 1])]) { expand($0[0], to: [2, 3, 4]) }
        checkGradients([x, random([2, 2, 4], seed: 3)]) { concat([$0[0], $0[1]], axis: 1) }
        checkGradients([x, random([2, 3, 1], seed: 3)]) { concat([$0[1], $0[0]], axis: -1) }
    }

    @Test func linearLayer() {
        checkGradients([random([5, 4]), random([3, 4], seed: 2), random([3], seed: 3)]) {
            linear($0[0], weight: $0[1], bias: $0[2])
        }
        checkGradients([random([2, 5, 4]), random([3, 4], seed: 2)]) { linear($0[0], weight: $0[1], bias: nil) }
    }

    @Test func matrixProducts() {
        checkGradients([random([2, 3, 4]), random([2, 4, 5], seed: 2)]) { matmul($0[0], $0[1]) }
        checkGradients([random([2, 3, 4]), random([4, 5], seed: 2)]) { matmul($0[0], $0[1]) }
        checkGradients([random([3, 4]), random([4, 2], seed: 2)]) { matmul($0[0], $0[1]) }
    }

    @Test func attention() {
        checkGradients([random([2, 5, 3 * 2 * 3], low: -2, high: 2)]) { multiheadAttention(qkv: $0[0], heads: 2).output }
        checkGradients([random([1, 4, 3 * 3 * 2], low: -2, high: 2)]) { multiheadAttention(qkv: $0[0], heads: 3).output }
        // T = 9 tokens, d = 9: the 8-lane loops of the softmax and dot products.
        checkGradients([random([1, 9, 3 * 9], low: -1, high: 1)]) { multiheadAttention(qkv: $0[0], heads: 1).output }
    }

    /// A product big enough for the GEMM to be split across threads (2mnk ≥ 2²⁰) and a bias
    /// gradient summed in several chunks, against sums in Double.
    @Test func largeLinearMatchesDoubleSums() {
        let (n, k, m) = (256, 96, 80)
        let x = Variable(random([n, k], seed: 1), requiresGrad: true)
        let w = Variable(random([m, k], seed: 2), requiresGrad: true), b = Variable(random([m], seed: 3), requiresGrad: true)
        let r = random([n, m], seed: 4)
        let y = linear(x, weight: w, bias: b)
        let g = sum(y * Variable(r)).gradients(wrt: [x, w, b])
        let (xs, ws, rs) = (x.value.scalars, w.value.scalars, r.scalars)
        var worst: Float = 0
        for i in 0..<n {
            for j in 0..<m {
                var s = Double(b.value.scalars[j])
                for t in 0..<k { s += Double(xs[i * k + t]) * Double(ws[j * k + t]) }
                worst = max(worst, abs(Float(s) - y.value.scalars[i * m + j]))
            }
        }
        for i in 0..<n {                      // dx = r·W
            for t in 0..<k {
                var s = 0.0
                for j in 0..<m { s += Double(rs[i * m + j]) * Double(ws[j * k + t]) }
                worst = max(worst, abs(Float(s) - g[0].scalars[i * k + t]))
            }
        }
        for j in 0..<m {                      // dW = rᵀ·x, db = Σ_i r
            for t in 0..<k {
                var s = 0.0
                for i in 0..<n { s += Double(rs[i * m + j]) * Double(xs[i * k + t]) }
                worst = max(worst, abs(Float(s) - g[1].scalars[j * k + t]) / 10)
            }
            let s = (0..<n).reduce(0.0) { $0 + Double(rs[$1 * m + j]) }
            worst = max(worst, abs(Float(s) - g[2].scalars[j]) / 10)
        }
        #expect(worst < 1e-4, "largest error \(worst)")
    }

    @Test func attentionWeightGradientScaleScalesQueriesAndKeysOnly() {
        // B 2, T 5, 2 heads of d 3: each qkv row is (q | k | v) × 2 × 3 = 18 values.
        let (x, w) = (random([2, 5, 18], low: -2, high: 2), random([2, 5, 6], seed: 7))
        func gradient(_ gamma: Float) -> Tensor {
            let qkv = Variable(x, requiresGrad: true)
            let out = multiheadAttention(qkv: qkv, heads: 2, weightGradientScale: gamma).output
            return sum(out * Variable(w)).gradients(wrt: [qkv])[0]
        }
        let (exact, scaled) = (gradient(1), gradient(0.5))
        #expect(exact.maxAbs() > 0.01)
        for i in 0..<exact.count {
            let expected = i % 18 < 12 ? 0.5 * exact.scalars[i] : exact.scalars[i]   // q, k scaled; v exact
            #expect(abs(scaled.scalars[i] - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    @Test func layerNormalisation() {
        checkGradients([random([3, 4, 6]), random([6], seed: 2, low: 0.5, high: 1.5), random([6], seed: 3)]) {
            layerNorm($0[0], weight: $0[1], bias: $0[2])
        }
        checkGradients([random([3, 19]), random([19], seed: 2, low: 0.5, high: 1.5), random([19], seed: 3)]) {
            layerNorm($0[0], weight: $0[1], bias: $0[2])   // 8-lane sums and dot products
        }
    }

    @Test(arguments: [true, false])
    func batchNormalisation(training: Bool) {
        let mean = random([3], seed: 7), variance = random([3], seed: 8, low: 0.5, high: 2)
        checkGradients([random([4, 3, 2, 3]), random([3], seed: 2, low: 0.5, high: 1.5), random([3], seed: 3)]) {
            var m = mean, v = variance
            return batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: &m, runningVar: &v, training: training)
        }
        let (m2, v2) = (random([2], seed: 7), random([2], seed: 8, low: 0.5, high: 2))
        checkGradients([random([3, 2, 3, 5]), random([2], seed: 2, low: 0.5, high: 1.5), random([2], seed: 3)]) {
            var m = m2, v = v2   // planes of 15: the 8-lane loops
            return batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: &m, runningVar: &v, training: training)
        }
    }

    @Test func resizingAndPadding() {
        let x = random([2, 2, 5, 4])
        checkGradients([x]) { resizeBilinear($0[0], height: 8, width: 7) }
        checkGradients([x]) { resizeBilinear($0[0], height: 3, width: 3) }
        checkGradients([x]) { pad($0[0], top: 1, bottom: 2, left: 0, right: 3, value: 0.5) }
    }
}
