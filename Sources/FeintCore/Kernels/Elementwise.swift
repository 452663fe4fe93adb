/// Elementwise loops written with explicit 8-lane SIMD: LLVM leaves the plain scalar versions of
/// these (a compare feeding a select) unvectorised.
enum Elementwise {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self) }

    /// Elements per thread below which an elementwise loop is not worth splitting.
    static let grain = 1 << 16

    /// Runs `body(offset, count)` over 0..<n in per-thread pieces that are multiples of 8.
    @inline(__always)
    static func split(_ n: Int, _ body: (Int, Int) -> Void) {
        let blocks = (n + 7) / 8
        Parallel.forRanges(blocks, grain: grain / 8) { r in
            let start = r.lowerBound * 8
            body(start, Swift.min(n, r.upperBound * 8) - start)
        }
    }

    /// y = max(x, 0), split across threads.
    static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let (px, py) = (UncheckedBox(x), UncheckedBox(y))
        split(n) { o, c in reluSerial(px.value + o, py.value + o, c) }
    }

    @inline(__always)
    static func reluSerial(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let zero = SIMD8<Float>()
        while i + 8 <= n {
            let v = load(x + i)
            store(v.replacing(with: zero, where: v .< zero), y + i)
            i += 8
        }
        while i < n { y[i] = x[i] > 0 ? x[i] : 0; i += 1 }
    }

    /// out = g where y > 0, else 0 (ReLU's pullback from its output), split across threads.
    static func passWherePositive(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                  _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let (pg, py, po) = (UncheckedBox(g), UncheckedBox(y), UncheckedBox(out))
        split(n) { o, c in passWherePositiveSerial(pg.value + o, py.value + o, po.value + o, c) }
    }

    @inline(__always)
    static func passWherePositiveSerial(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                        _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let zero = SIMD8<Float>()
        while i + 8 <= n {
            store(load(g + i).replacing(with: zero, where: load(y + i) .<= zero), out + i)
            i += 8
        }
        while i < n { out[i] = y[i] > 0 ? g[i] : 0; i += 1 }
    }
}
