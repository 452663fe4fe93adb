/// Direct depthwise convolution (groups = C = O): one kh×kw filter per channel plane. Also the
/// fixed-kernel smoothing used by TI (a Gaussian applied to every channel of a gradient).
///
/// Each plane is first copied into a zero-padded buffer, so the inner loops run over whole output
/// rows without bounds tests (and vectorise for stride 1).
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
    /// padded-plane buffer per thread.
    @inline(__always)
    static func forPlanes(_ count: Int, _ g: ConvGeometry, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let p = Padded(g)
        Parallel.forRanges(count, grain: 4) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: p.count)
            scratch.initialize(repeating: 0, count: p.count)
            defer { scratch.deallocate() }
            body(range, scratch)
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
                let filter = pw.value + c * kh * kw
                let b = pb.value?[c] ?? 0
                for oy in 0..<g.outHeight {
                    let dst = py.value + plane * g.outPlane + oy * g.outWidth
                    for ox in 0..<g.outWidth { dst[ox] = b }
                    for i in 0..<kh {
                        let row = buf + (oy * s + i) * p.wp
                        for j in 0..<kw {
                            let wt = filter[i * kw + j], src = row + j
                            if s == 1 {
                                for ox in 0..<g.outWidth { dst[ox] += wt * src[ox] }
                            } else {
                                for ox in 0..<g.outWidth { dst[ox] += wt * src[ox * s] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dx[n,c] = the adjoint of `forward` applied to dy[n,c] (adds into dx).
    static func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
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
                    for col in 0..<g.width { d[col] += src[col] }
                }
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
