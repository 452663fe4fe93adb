// Pointwise nonlinearities.

/// max(x, 0). The pullback passes the gradient where the output is positive.
public func relu(_ x: Variable) -> Variable {
    let y = Tensor(shape: x.shape) { out in
        x.value.withUnsafeBufferPointer { xp in
            Elementwise.relu(xp.baseAddress!, out.baseAddress!, out.count)
        }
    }
    return Variable.record(y, parents: [x]) { g in
        x.accumulate(Tensor(shape: x.shape) { out in
            g.withUnsafeBufferPointer { gp in y.withUnsafeBufferPointer { yp in
                Elementwise.passWherePositive(gp.baseAddress!, yp.baseAddress!, out.baseAddress!, out.count)
            } }
        })
    }
}

/// GELU, exact (erf) form: x·Φ(x) = ½·x·(1 + erf(x/√2)).
/// d/dx = Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π). Uses `FastMath.erf` (abs. error < 1e-6).
public func gelu(_ x: Variable) -> Variable {
    let y = Tensor(shape: x.shape) { out in
        x.value.withUnsafeBufferPointer { xp in
            let (src, dst) = (UncheckedBox(xp.baseAddress!), UncheckedBox(out.baseAddress!))
            Elementwise.split(out.count) { o, c in
                let (xv, yv) = (src.value + o, dst.value + o)
                for i in 0..<c { yv[i] = 0.5 * xv[i] * (1 + FastMath.erf(xv[i] * 0.707_106_78)) }
            }
        }
    }
    return Variable.record(y, parents: [x]) { g in
        x.accumulate(Tensor(shape: x.shape) { out in
            x.value.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in
                let (src, grad, dst) = (UncheckedBox(xp.baseAddress!), UncheckedBox(gp.baseAddress!), UncheckedBox(out.baseAddress!))
                Elementwise.split(out.count) { o, c in
                    let (xv, gv, dv) = (src.value + o, grad.value + o, dst.value + o)
                    for i in 0..<c {
                        let v = xv[i]
                        let cdf = 0.5 * (1 + FastMath.erf(v * 0.707_106_78))
                        let pdf = 0.398_942_28 * FastMath.exp(-0.5 * v * v)
                        dv[i] = gv[i] * (cdf + v * pdf)
                    }
                }
            } }
        })
    }
}

/// Elementwise clamp to [low, high]. The gradient is 1 on the closed interval [low, high] and 0
/// outside, as PyTorch's `clamp`.
public func clamp(_ x: Variable, min low: Float, max high: Float) -> Variable {
    precondition(low <= high, "clamp: min \(low) > max \(high)")
    return Variable.record(x.value.clamped(low, high), parents: [x]) { g in
        x.accumulate(g.zipMap(x.value) { $1 >= low && $1 <= high ? $0 : 0 })
    }
}

/// Dropout (inverted): in training, zeroes each element with probability p and scales the rest
/// by 1/(1−p); the identity otherwise.
public func dropout(_ x: Variable, probability p: Float, training: Bool, generator: inout RandomGenerator) -> Variable {
    precondition(p >= 0 && p < 1, "dropout: probability \(p) must be in [0, 1)")
    guard training && p > 0 else { return x }
    let scale = 1 / (1 - p)
    let mask = Tensor(shape: x.shape) { m in for i in 0..<m.count { m[i] = generator.nextUnitFloat() < p ? 0 : scale } }
    return Variable.record(x.value * mask, parents: [x]) { g in x.accumulate(g * mask) }
}
