/// Vectorisable single-precision exp and erf. The compiler turns loops over these into SIMD code,
/// which libm's scalar `expf`/`erff` calls prevent; softmax and GELU spend most of their time here.
public enum FastMath {
    /// e^x with a relative error below 2e-7 on [−87, 88] (Cephes `expf`: x = n·ln2 + r,
    /// degree-6 polynomial for e^r, 2^n built from the exponent bits). Clamped outside that range.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87.3), 88.0)
        let n = (x * 1.442_695_04 + 0.5).rounded(.down)
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        return p * Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
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
