/// Direct depthwise convolution (groups = C = O): one kh×kw filter per channel plane. Also the
/// fixed-kernel smoothing used by TI (a Gaussian applied to every channel of a gradient).
enum Depthwise {
    /// y[n,c] = b[c] + Σ_ij w[c,i,j] · x[n, c, oy·s−p+i, ox·s−p+j] (overwrites y).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (px, pw, pb, py) = (UncheckedBox(x), UncheckedBox(w), UncheckedBox(bias), UncheckedBox(y))
        let planes = g.batch * g.inChannels
        Parallel.forRanges(planes, grain: 4) { range in
            for plane in range {
                let c = plane % g.inChannels
                let out = py.value + plane * g.outPlane
                out.update(repeating: pb.value?[c] ?? 0, count: g.outPlane)
                visit(g, filter: pw.value + c * g.kernelHeight * g.kernelWidth) { ki, kj, weight, oy, lo, hi in
                    let src = px.value + plane * g.inPlane + (oy * g.stride - g.padding + ki) * g.width
                    let dst = out + oy * g.outWidth
                    let off = kj - g.padding
                    if g.stride == 1 {
                        for ox in lo..<hi { dst[ox] += weight * src[ox + off] }
                    } else {
                        for ox in lo..<hi { dst[ox] += weight * src[ox * g.stride + off] }
                    }
                }
            }
        }
    }

    /// dx[n,c] += the adjoint of `forward` applied to dy[n,c].
    static func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (pdy, pw, pdx) = (UncheckedBox(dy), UncheckedBox(w), UncheckedBox(dx))
        Parallel.forRanges(g.batch * g.inChannels, grain: 4) { range in
            for plane in range {
                let c = plane % g.inChannels
                visit(g, filter: pw.value + c * g.kernelHeight * g.kernelWidth) { ki, kj, weight, oy, lo, hi in
                    let dst = pdx.value + plane * g.inPlane + (oy * g.stride - g.padding + ki) * g.width
                    let src = pdy.value + plane * g.outPlane + oy * g.outWidth
                    let off = kj - g.padding
                    for ox in lo..<hi { dst[ox * g.stride + off] += weight * src[ox] }
                }
            }
        }
    }

    /// dw[c,i,j] += Σ_n,oy,ox dy[n,c,oy,ox] · x[n,c,…]; db[c] += Σ dy[n,c]. Split over channels.
    static func backwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                               _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>?,
                               _ g: ConvGeometry) {
        let (pdy, px, pdw, pdb) = (UncheckedBox(dy), UncheckedBox(x), UncheckedBox(dw), UncheckedBox(db))
        let kk = g.kernelHeight * g.kernelWidth
        Parallel.forRanges(g.inChannels) { channels in
            for c in channels {
                for n in 0..<g.batch {
                    let plane = n * g.inChannels + c
                    let grad = pdy.value + plane * g.outPlane
                    if let db = pdb.value {
                        var s: Float = 0
                        for p in 0..<g.outPlane { s += grad[p] }
                        db[c] += s
                    }
                    for ki in 0..<g.kernelHeight {
                        for kj in 0..<g.kernelWidth {
                            var s: Float = 0
                            let (lo, hi) = columns(g, kj)
                            for oy in 0..<g.outHeight {
                                let iy = oy * g.stride - g.padding + ki
                                if iy < 0 || iy >= g.height { continue }
                                let src = px.value + plane * g.inPlane + iy * g.width + kj - g.padding
                                let gr = grad + oy * g.outWidth
                                for ox in lo..<hi { s += gr[ox] * src[ox * g.stride] }
                            }
                            pdw.value[c * kk + ki * g.kernelWidth + kj] += s
                        }
                    }
                }
            }
        }
    }

    /// Output columns ox whose input column ox·s − p + kj lies inside the image.
    @inline(__always)
    static func columns(_ g: ConvGeometry, _ kj: Int) -> (Int, Int) {
        let lo = Swift.max(0, (g.padding - kj + g.stride - 1) / g.stride)
        let hi = Swift.min(g.outWidth, Swift.max(lo, (g.width + g.padding - kj + g.stride - 1) / g.stride))
        return (lo, hi)
    }

    /// Calls `body(ki, kj, weight, oy, lo, hi)` for every filter tap and output row whose input
    /// row is inside the image, with the valid output column range.
    @inline(__always)
    private static func visit(_ g: ConvGeometry, filter: UnsafePointer<Float>,
                              _ body: (Int, Int, Float, Int, Int, Int) -> Void) {
        for ki in 0..<g.kernelHeight {
            for kj in 0..<g.kernelWidth {
                let weight = filter[ki * g.kernelWidth + kj]
                let (lo, hi) = columns(g, kj)
                for oy in 0..<g.outHeight {
                    let iy = oy * g.stride - g.padding + ki
                    if iy >= 0 && iy < g.height { body(ki, kj, weight, oy, lo, hi) }
                }
            }
        }
    }
}
