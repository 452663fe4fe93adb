/// Direct depthwise convolution (groups = C = O): one kh×kw filter per channel plane. Also the
/// fixed-kernel smoothing used by TI (a Gaussian applied to every channel of a gradient).
///
/// Each plane is first copied into a zero-padded buffer, so the inner loops run over whole output
/// rows without bounds tests; for stride 1 eight outputs are computed at once, all taps summed in
/// registers (`correlate`). The input gradient at stride 1 is itself such a correlation, of the
/// padded output gradient with the flipped filter.
enum Depthwise {
    /// Padded-plane sizes.
    struct Padded {
        let hp, wp: Int
        init(_ g: ConvGeometry) { hp = g.height + 2 * g.padding; wp = g.width + 2 * g.padding }
        var count: Int { hp * wp }
    }

    /// Copies plane `src` [H, W] into `dst` [Hp, Wp] (whose border is zero).
    @inline(__always)
    static func pad(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ g: ConvGeometry, _ p: Padded) {
        for r in 0..<g.height {
            let s = src + r * g.width, d = dst + (r + g.padding) * p.wp + g.padding
            for c in 0..<g.width { d[c] = s[c] }
        }
    }

    /// Runs `body(planes, scratch)` over plane ranges split across threads, with a zeroed
    /// buffer of `scratch` floats (default: one padded plane) per thread.
    @inline(__always)
    static func forPlanes(_ count: Int, _ g: ConvGeometry, scratch size: Int? = nil,
                          _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let n = size ?? Padded(g).count
        Parallel.forRanges(count, grain: 4) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
            scratch.initialize(repeating: 0, count: n)
            defer { scratch.deallocate() }
            body(range, scratch)
        }
    }

    /// out[oy, ox] = b + Σ_ij f[i, j] · src[(oy·s + i)·ld + ox·s + j] for an oh × ow output (row
    /// stride ow): one plane correlated with one kh × kw filter. Stride 1 runs eight outputs at a
    /// time with every tap accumulated in registers; the tail and other strides run one at a time.
    @inline(__always)
    static func correlate(_ src: UnsafePointer<Float>, ld: Int, _ f: UnsafePointer<Float>, _ kh: Int, _ kw: Int,
                          bias b: Float, stride s: Int, into out: UnsafeMutablePointer<Float>, _ oh: Int, _ ow: Int) {
        for oy in 0..<oh {
            let dst = out + oy * ow, top = src + oy * s * ld
            var ox = 0
            if s == 1 {
                while ox + 8 <= ow {
                    var acc = SIMD8<Float>(repeating: b)
                    for i in 0..<kh {
                        let row = top + i * ld + ox
                        for j in 0..<kw { acc += SIMD8(repeating: f[i * kw + j]) * Elementwise.load(row + j) }
                    }
                    Elementwise.store(acc, dst + ox)
                    ox += 8
                }
            }
            while ox < ow {
                var acc = b
                for i in 0..<kh {
                    let row = top + i * ld + ox * s
                    for j in 0..<kw { acc += f[i * kw + j] * row[j] }
                }
                dst[ox] = acc
                ox += 1
            }
        }
    }

    /// y[n,c] = b[c] + Σ_ij w[c,i,j] · x[n, c, oy·s−p+i, ox·s−p+j] (overwrites y).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (px, pw, pb, py) = (UncheckedBox(x), UncheckedBox(w), UncheckedBox(bias), UncheckedBox(y))
        let p = Padded(g), (kh, kw, s) = (g.kernelHeight, g.kernelWidth, g.stride)
        forPlanes(g.batch * g.inChannels, g) { planes, buf in
            for plane in planes {
                let c = plane % g.inChannels
                pad(px.value + plane * g.inPlane, buf, g, p)
                correlate(buf, ld: p.wp, pw.value + c * kh * kw, kh, kw, bias: pb.value?[c] ?? 0, stride: s,
                          into: py.value + plane * g.outPlane, g.outHeight, g.outWidth)
            }
        }
    }

    /// dx[n,c] = the adjoint of `forward` applied to dy[n,c] (overwrites dx).
    static func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        if g.stride == 1 { return backwardDataStride1(dy, w, dx, g) }
        let (pdy, pw, pdx) = (UncheckedBox(dy), UncheckedBox(w), UncheckedBox(dx))
        let p = Padded(g), (kh, kw, s) = (g.kernelHeight, g.kernelWidth, g.stride)
        forPlanes(g.batch * g.inChannels, g) { planes, buf in
            for plane in planes {
                let c = plane % g.inChannels
                buf.update(repeating: 0, count: p.count)
                let filter = pw.value + c * kh * kw
                for oy in 0..<g.outHeight {
                    let grad = pdy.value + plane * g.outPlane + oy * g.outWidth
                    for i in 0..<kh {
                        let row = buf + (oy * s + i) * p.wp
                        for j in 0..<kw {
                            let wt = filter[i * kw + j], dst = row + j
                            if s == 1 {
                                for ox in 0..<g.outWidth { dst[ox] += wt * grad[ox] }
                            } else {
                                for ox in 0..<g.outWidth { dst[ox * s] += wt * grad[ox] }
                            }
                        }
                    }
                }
                let out = pdx.value + plane * g.inPlane
                for r in 0..<g.height {
                    let src = buf + (r + g.padding) * p.wp + g.padding, d = out + r * g.width
                    for col in 0..<g.width { d[col] = src[col] }
                }
            }
        }
    }

    /// Stride 1: with dy zero-padded by kh−1 rows and kw−1 columns on every side into dyp,
    ///   dx[y, x] = Σ_ij w[kh−1−i, kw−1−j] · dyp[y + p + i, x + p + j],
    /// a forward correlation with the flipped filter (no scatter, no second pass over dx).
    static func backwardDataStride1(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                    _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let (rows, ld) = (g.outHeight + 2 * (kh - 1), g.outWidth + 2 * (kw - 1))
        let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.inChannels * kh * kw)
        defer { flipped.deallocate() }
        for c in 0..<g.inChannels {
            for k in 0..<(kh * kw) { flipped[c * kh * kw + k] = w[c * kh * kw + kh * kw - 1 - k] }
        }
        let (pdy, pf, pdx) = (UncheckedBox(dy), UncheckedBox(UnsafePointer(flipped)), UncheckedBox(dx))
        forPlanes(g.batch * g.inChannels, g, scratch: rows * ld) { planes, dyp in
            for plane in planes {
                let c = plane % g.inChannels
                for r in 0..<g.outHeight {
                    (dyp + (r + kh - 1) * ld + kw - 1).update(from: pdy.value + plane * g.outPlane + r * g.outWidth, count: g.outWidth)
                }
                correlate(dyp + g.padding * ld + g.padding, ld: ld, pf.value + c * kh * kw, kh, kw, bias: 0, stride: 1,
                          into: pdx.value + plane * g.inPlane, g.height, g.width)
            }
        }
    }

    /// dw[c,i,j] += Σ_n,oy,ox dy[n,c,oy,ox] · x[n,c,…]; db[c] += Σ dy[n,c]. Split over channels.
    static func backwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                               _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>?,
                               _ g: ConvGeometry) {
        let (pdy, px, pdw, pdb) = (UncheckedBox(dy), UncheckedBox(x), UncheckedBox(dw), UncheckedBox(db))
        let p = Padded(g), (kh, kw, s) = (g.kernelHeight, g.kernelWidth, g.stride)
        forPlanes(g.inChannels, g) { channels, buf in
            for c in channels {
                for n in 0..<g.batch {
                    let plane = n * g.inChannels + c
                    let grad = pdy.value + plane * g.outPlane
                    if let db = pdb.value { db[c] += FastMath.sum(grad, g.outPlane) }
                    pad(px.value + plane * g.inPlane, buf, g, p)
                    for i in 0..<kh {
                        for j in 0..<kw {
                            var acc: Float = 0
                            for oy in 0..<g.outHeight {
                                let src = buf + (oy * s + i) * p.wp + j, gr = grad + oy * g.outWidth
                                if s == 1 {
                                    acc += FastMath.dot(gr, src, g.outWidth)
                                } else {
                                    for ox in 0..<g.outWidth { acc += gr[ox] * src[ox * s] }
                                }
                            }
                            pdw.value[c * kh * kw + i * kw + j] += acc
                        }
                    }
                }
            }
        }
    }
}
