/// Vectorisable single-precision exp and erf. The compiler turns loops over these into SIMD code,
/// which libm's scalar `expf`/`erff` calls prevent; softmax and GELU spend most of their time here.
public enum FastMath {
    /// e^x with a relative error below 2e-7 on [−87, 88] (Cephes `expf`: x = n·ln2 + r with
    /// |r| ≤ ln2/2, a degree-6 polynomial for e^r, 2^n built in the exponent bits). Clamped outside
    /// that range. n is rounded with the 1.5·2²³ trick, so the whole function is plain float and
    /// integer arithmetic that SSE2 vectorises (no floor, no conversions).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87.3), 88.0)
        let shifted = x * 1.442_695_04 + 12_582_912        // 1.5·2²³: rounds to the nearest integer
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // The low mantissa bits of `shifted` hold n; n + 127 shifted into the exponent field is 2^n.
        let twoN = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return p * twoN
    }

    /// Σ p[0..<n], eight lanes at a time (float reductions are not vectorised automatically).
    @inlinable @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(), i = 0
        while i + 8 <= n { acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self); i += 8 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ a[i]·b[i], eight lanes at a time.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(), i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ (p[i] − c)², eight lanes at a time: the second pass of a two-pass variance.
    @inlinable @inline(__always)
    public static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, from c: Float) -> Float {
        var acc = SIMD8<Float>(), i = 0
        let center = SIMD8<Float>(repeating: c)
        while i + 8 <= n {
            let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self) - center
            acc += d * d
            i += 8
        }
        var s = acc.sum()
        while i < n { let d = p[i] - c; s += d * d; i += 1 }
        return s
    }

    /// max p[0..<n] (n ≥ 1), eight lanes at a time.
    @inlinable @inline(__always)
    public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = p[0], i = 0
        if n >= 8 {
            var acc = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            i = 8
            while i + 8 <= n {
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                acc.replace(with: v, where: acc .< v)
                i += 8
            }
            m = acc[0]
            for lane in 1..<8 { m = Swift.max(m, acc[lane]) }
        }
        while i < n { m = Swift.max(m, p[i]); i += 1 }
        return m
    }

    /// erf(x) with an absolute error below 1e-6: a rational approximation x·P(x²)/Q(x²) on
    /// [−4, 4] (the minimax fit used by Eigen and XLA for float), ±1 outside.
    @inlinable @inline(__always)
    public static func erf(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -4), 4)
        let x2 = x * x
        var p: Float = -2.726_142_258_013_06e-10
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        var q: Float = -1.456_607_184_649_96e-05
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return x * p / q
    }
}
