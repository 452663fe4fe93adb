/// Plain (non-recorded) arithmetic on tensors, with broadcasting. Attacks use these for their
/// updates and projections; optimizers for parameter updates.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { Broadcast.binary(a, b, "add") { $0 + $1 } }
    public static func - (a: Tensor, b: Tensor) -> Tensor { Broadcast.binary(a, b, "subtract") { $0 - $1 } }
    public static func * (a: Tensor, b: Tensor) -> Tensor { Broadcast.binary(a, b, "multiply") { $0 * $1 } }
    public static func / (a: Tensor, b: Tensor) -> Tensor { Broadcast.binary(a, b, "divide") { $0 / $1 } }

    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    public static func - (a: Tensor, s: Float) -> Tensor { a.map { $0 - s } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    public static func * (s: Float, a: Tensor) -> Tensor { a.map { $0 * s } }
    public static func / (a: Tensor, s: Float) -> Tensor { a.map { $0 / s } }
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// In-place a += b (same shape).
    public static func += (a: inout Tensor, b: Tensor) {
        precondition(a.shape == b.shape, "+=: shapes \(a.shape) and \(b.shape) differ")
        a.withUnsafeMutableBufferPointer { x in
            b.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] += y[i] } }
        }
    }

    /// In-place a += s·b (same shape): the BLAS axpy.
    public mutating func addScaled(_ b: Tensor, by s: Float) {
        precondition(shape == b.shape, "addScaled: shapes \(shape) and \(b.shape) differ")
        withUnsafeMutableBufferPointer { x in
            b.withUnsafeBufferPointer { y in for i in 0..<x.count { x[i] += s * y[i] } }
        }
    }

    /// Elementwise transform.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in for i in 0..<out.count { out[i] = f(x[i]) } }
        }
    }

    /// Elementwise combination of two tensors of the same shape.
    @inlinable
    public func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipMap: shapes \(shape) and \(other.shape) differ")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in
                other.withUnsafeBufferPointer { y in for i in 0..<out.count { out[i] = f(x[i], y[i]) } }
            }
        }
    }

    /// Elementwise clamp to [low, high].
    public func clamped(_ low: Float, _ high: Float) -> Tensor { map { Swift.min(Swift.max($0, low), high) } }

    /// Elementwise clamp to [low, high] with per-element bounds.
    public func clamped(low: Tensor, high: Tensor) -> Tensor {
        precondition(low.shape == shape && high.shape == shape,
                     "clamped: bounds \(low.shape), \(high.shape) differ from \(shape)")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in low.withUnsafeBufferPointer { l in high.withUnsafeBufferPointer { h in
                for i in 0..<out.count { out[i] = Swift.min(Swift.max(x[i], l[i]), h[i]) }
            } } }
        }
    }

    /// Sign of each element (0 for 0).
    public func sign() -> Tensor { map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Float {
        withUnsafeBufferPointer { x in Float(x.reduce(0.0) { $0 + Double($1) }) }
    }

    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : sum() / Float(count) }

    /// Largest absolute element.
    public func maxAbs() -> Float { scalars.reduce(0) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, Swift.abs($1)) } }

    /// Index of the largest element along the last axis, one per row (ties: first).
    public func argmaxLastAxis() -> [Int] {
        precondition(rank >= 1 && shape.last! > 0, "argmax: needs a non-empty last axis, shape \(shape)")
        let n = shape.last!
        return withUnsafeBufferPointer { x in
            (0..<(count / n)).map { r in
                var best = 0
                for j in 1..<n where x[r * n + j] > x[r * n + best] { best = j }
                return best
            }
        }
    }

    /// Per-sample (axis 0) L2 norms.
    public func rowNorms() -> [Float] {
        let n = shape.first ?? 1, d = count / Swift.max(n, 1)
        return withUnsafeBufferPointer { x in
            (0..<n).map { r in
                var s: Double = 0
                for j in 0..<d { s += Double(x[r * d + j]) * Double(x[r * d + j]) }
                return Float(s.squareRoot())
            }
        }
    }

    /// Per-sample (axis 0) largest absolute values.
    public func rowMaxAbs() -> [Float] {
        let n = shape.first ?? 1, d = count / Swift.max(n, 1)
        return withUnsafeBufferPointer { x in
            (0..<n).map { r in (0..<d).reduce(Float(0)) { $0.isNaN || x[r * d + $1].isNaN ? .nan : Swift.max($0, Swift.abs(x[r * d + $1])) } }
        }
    }
}
