import FeintCore
import Testing

@Suite("Gradients: arithmetic, reductions, activations")
struct ElementwiseGradientTests {
    @Test(arguments: [([2, 3], [2, 3]), ([2, 3, 4], [3, 1]), ([4], [2, 3, 4]), ([1, 3, 1, 2], [2, 1, 5, 1])])
    func broadcastingArithmetic(a: [Int], b: [Int]) {
        let x = random(a, seed: 1), y = random(b, seed: 2, low: 0.5, high: 2)
        checkGradients([x, y]) { $0[0] + $0[1] }
        checkGradients([x, y]) { $0[0] - $0[1] }
        checkGradients([x, y]) { $0[0] * $0[1] }
        checkGradients([x, y]) { $0[0] / $0[1] }
    }

    @Test func scalarArithmetic() {
        let x = random([3, 4])
        checkGradients([x]) { ($0[0] + 2) * 3 - 1 }
        checkGradients([x]) { -$0[0] / 4 }
    }

    @Test func reductions() {
        let x = random([2, 3, 4])
        checkGradients([x]) { sum($0[0]) }
        checkGradients([x]) { mean($0[0]) }
        checkGradients([x]) { sum($0[0], axes: [1]) }
        checkGradients([x]) { mean($0[0], axes: [0, 2], keepingDims: true) }
        checkGradients([x]) { sum($0[0], axes: [-1]) }
    }

    @Test func activations() {
        checkGradients([spread([3, 5])], step: 1e-3) { relu($0[0]) }
        checkGradients([random([3, 5], low: -3, high: 3)]) { gelu($0[0]) }
        checkGradients([spread([3, 5])], step: 1e-3) { clamp($0[0], min: -0.45, max: 0.35) }
    }

    @Test func dropoutUsesOneMaskPerCall() {
        let x = random([4, 6])
        checkGradients([x]) { v in
            var g = RandomGenerator(seed: 5)
            return dropout(v[0], probability: 0.3, training: true, generator: &g)
        }
    }

    /// The `Dropout` layer: identity in evaluation; in training, each element zeroed with
    /// probability p and the rest scaled by 1/(1 − p), a new mask per call.
    @Test func dropoutLayer() {
        let layer = Dropout(0.25, seed: 3)
        let x = Variable(Tensor(repeating: 2, shape: [4000]))
        #expect(layer(x).value == x.value)
        layer.setTraining(true)
        let (a, b) = (layer(x).value, layer(x).value)
        let kept = a.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 2 / 0.75) < 1e-5 })
        #expect(abs(Double(kept.count) / 4000 - 0.75) < 0.03 && a != b)
    }

    @Test func softmaxFamily() {
        let x = random([3, 7], low: -3, high: 3)
        checkGradients([x]) { softmax($0[0]) }
        checkGradients([x]) { logSoftmax($0[0]) }
        checkGradients([random([2, 3, 4])]) { softmax($0[0]) }
        // Rows of 19: the 8-lane max/sum/dot loops and their scalar tail.
        let long = random([2, 19], low: -3, high: 3)
        checkGradients([long]) { softmax($0[0]) }
        checkGradients([long]) { logSoftmax($0[0]) }
    }

    @Test(arguments: [Reduction.mean, .sum, .none])
    func losses(reduction: Reduction) {
        let z = random([4, 5], low: -2, high: 2)
        let labels = [0, 3, 4, 1]
        checkGradients([z]) { crossEntropy($0[0], labels: labels, reduction: reduction) }
        checkGradients([z]) { crossEntropy($0[0], labels: labels, labelSmoothing: 0.1, reduction: reduction) }
        checkGradients([spread([4, 5])], step: 1e-3) { marginLoss($0[0], labels: labels, reduction: reduction) }
    }
}
