import FeintCore
import Testing

/// Finite-difference gradient check. The scalar probed is L = Σ r ⊙ f(x…) with a fixed random r
/// (so every output element matters). Analytic gradients come from the tape; the numeric ones
/// from central differences (f(x + h) − f(x − h)) / 2h, with L accumulated in Double.
/// Passes when ‖analytic − numeric‖ ≤ tolerance · max(‖numeric‖, 1e-3) per input, and every
/// element is within 5e-3 + 5·tolerance·|numeric| (so that an error confined to a few elements
/// of a large input shows, with its index). Each input's gradient is also requested alone (the
/// attacks' path: input only, weights not wanted), which must give the same values and leave the
/// other inputs' `grad` untouched.
func checkGradients(_ inputs: [Tensor], step h: Float = 1e-2, tolerance: Double = 1e-2,
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Variable]) -> Variable) {
    let probe: Tensor = {
        let out = f(inputs.map { Variable($0) }).value
        var rng = RandomGenerator(seed: 99)
        return rng.uniform(shape: out.shape, low: -1, high: 1)
    }()
    func loss(_ xs: [Tensor]) -> Double {
        let y = f(xs.map { Variable($0) }).value
        var s = 0.0
        for i in 0..<y.count { s += Double(y.scalars[i]) * Double(probe.scalars[i]) }
        return s
    }
    let leaves = inputs.map { Variable($0, requiresGrad: true) }
    let analytic = f(leaves).gradients(wrt: leaves, seed: probe)
    for (k, x) in inputs.enumerated() {
        var numeric = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            var plus = inputs, minus = inputs
            plus[k].scalars[i] += h
            minus[k].scalars[i] -= h
            numeric[i] = (loss(plus) - loss(minus)) / (2 * Double(h))
        }
        var diff = 0.0, norm = 0.0
        for i in 0..<x.count {
            let d = Double(analytic[k].scalars[i]) - numeric[i]
            diff += d * d; norm += numeric[i] * numeric[i]
        }
        let rel = diff.squareRoot() / max(norm.squareRoot(), 1e-3)
        #expect(rel <= tolerance, "input \(k) \(x.shape): relative gradient error \(rel)", sourceLocation: sourceLocation)
        let worst = (0..<x.count).max {
            abs(Double(analytic[k].scalars[$0]) - numeric[$0]) - 5 * tolerance * abs(numeric[$0])
                < abs(Double(analytic[k].scalars[$1]) - numeric[$1]) - 5 * tolerance * abs(numeric[$1])
        }
        if let i = worst {
            let (a, n) = (Double(analytic[k].scalars[i]), numeric[i])
            #expect(abs(a - n) <= 5e-3 + 5 * tolerance * abs(n),
                    "input \(k) \(x.shape): element \(i) analytic \(a), numeric \(n)", sourceLocation: sourceLocation)
        }
        let fresh = inputs.map { Variable($0, requiresGrad: true) }
        let alone = f(fresh).gradients(wrt: [fresh[k]], seed: probe)[0]
        let scale = max(1, Double(analytic[k].maxAbs()))
        let gap = zip(alone.scalars, analytic[k].scalars).map { Double(abs($0 - $1)) }.max() ?? 0
        #expect(gap <= 1e-5 * scale, "input \(k) \(x.shape): requested alone, its gradient differs by \(gap)",
                sourceLocation: sourceLocation)
        #expect(fresh.allSatisfy { $0.grad == nil }, "input \(k): requesting it alone left a grad behind", sourceLocation: sourceLocation)
    }
}

/// Seeded random tensor in [low, high).
func random(_ shape: [Int], seed: UInt64 = 1, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return rng.uniform(shape: shape, low: low, high: high)
}

/// Values spread away from each other (no ties, no values near 0): for max and ReLU checks,
/// whose derivatives jump at ties and at 0.
func spread(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    let n = shape.reduce(1, *)
    var rng = RandomGenerator(seed: seed)
    let order = rng.permutation(n)
    return Tensor(shape: shape, scalars: order.map { (Float($0) - Float(n) / 2 + 0.25) * 0.1 })
}
