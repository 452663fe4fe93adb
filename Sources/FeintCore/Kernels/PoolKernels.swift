/// Max and average pooling over NCHW planes (square window, stride, zero padding), split across
/// threads by plane. Max pooling records the argmax of each window for its backward pass.
enum PoolKernels {
    /// y = max over each window; argmax[i] = flat index within the input plane (−1: all padding).
    static func maxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ argmax: UnsafeMutablePointer<Int32>, _ g: ConvGeometry) {
        if g.kernelHeight == 2 && g.kernelWidth == 2 && g.stride == 2 && g.padding == 0 {
            return maxForward2x2(x, y, argmax, g)
        }
        let (px, py, pa) = (UncheckedBox(x), UncheckedBox(y), UncheckedBox(argmax))
        Parallel.forRanges(g.batch * g.inChannels, grain: 8) { range in
            for plane in range {
                let src = px.value + plane * g.inPlane
                let dst = py.value + plane * g.outPlane, arg = pa.value + plane * g.outPlane
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var best = -Float.infinity, where_: Int32 = -1
                        for i in 0..<g.kernelHeight {
                            let iy = oy * g.stride - g.padding + i
                            if iy < 0 || iy >= g.height { continue }
                            for j in 0..<g.kernelWidth {
                                let ix = ox * g.stride - g.padding + j
                                if ix < 0 || ix >= g.width { continue }
                                let v = src[iy * g.width + ix]
                                if v > best || v.isNaN || where_ < 0 { best = v; where_ = Int32(iy * g.width + ix) }
                            }
                        }
                        dst[oy * g.outWidth + ox] = where_ < 0 ? 0 : best
                        arg[oy * g.outWidth + ox] = where_
                    }
                }
            }
        }
    }

    /// The common 2×2, stride 2 case without bounds checks per tap.
    private static func maxForward2x2(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                      _ argmax: UnsafeMutablePointer<Int32>, _ g: ConvGeometry) {
        let (px, py, pa) = (UncheckedBox(x), UncheckedBox(y), UncheckedBox(argmax))
        let (w, ow) = (g.width, g.outWidth)
        Parallel.forRanges(g.batch * g.inChannels, grain: 8) { range in
            for plane in range {
                let src = px.value + plane * g.inPlane
                let dst = py.value + plane * g.outPlane, arg = pa.value + plane * g.outPlane
                for oy in 0..<g.outHeight {
                    let top = 2 * oy * w
                    for ox in 0..<ow {
                        var at = top + 2 * ox
                        var best = src[at]
                        if src[at + 1] > best || src[at + 1].isNaN { best = src[at + 1]; at = top + 2 * ox + 1 }
                        if src[top + w + 2 * ox] > best || src[top + w + 2 * ox].isNaN { best = src[top + w + 2 * ox]; at = top + w + 2 * ox }
                        if src[top + w + 2 * ox + 1] > best || src[top + w + 2 * ox + 1].isNaN { best = src[top + w + 2 * ox + 1]; at = top + w + 2 * ox + 1 }
                        dst[oy * ow + ox] = best
                        arg[oy * ow + ox] = Int32(at)
                    }
                }
            }
        }
    }

    /// dx[argmax] += dy.
    static func maxBackward(_ dy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
                            _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (pdy, pa, pdx) = (UncheckedBox(dy), UncheckedBox(argmax), UncheckedBox(dx))
        Parallel.forRanges(g.batch * g.inChannels, grain: 8) { range in
            for plane in range {
                let d = pdx.value + plane * g.inPlane
                for o in 0..<g.outPlane {
                    let a = pa.value[plane * g.outPlane + o]
                    if a >= 0 { d[Int(a)] += pdy.value[plane * g.outPlane + o] }
                }
            }
        }
    }

    /// y = mean over each window, padding counted as zeros (PyTorch's count_include_pad=True).
    static func avgForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (px, py) = (UncheckedBox(x), UncheckedBox(y))
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        Parallel.forRanges(g.batch * g.inChannels, grain: 8) { range in
            for plane in range {
                let src = px.value + plane * g.inPlane, dst = py.value + plane * g.outPlane
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var s: Float = 0
                        forWindow(g, oy, ox) { s += src[$0] }
                        dst[oy * g.outWidth + ox] = s * scale
                    }
                }
            }
        }
    }

    /// dx += dy / (kh·kw) spread over each window.
    static func avgBackward(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (pdy, pdx) = (UncheckedBox(dy), UncheckedBox(dx))
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        Parallel.forRanges(g.batch * g.inChannels, grain: 8) { range in
            for plane in range {
                let d = pdx.value + plane * g.inPlane, src = pdy.value + plane * g.outPlane
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        let v = src[oy * g.outWidth + ox] * scale
                        forWindow(g, oy, ox) { d[$0] += v }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func forWindow(_ g: ConvGeometry, _ oy: Int, _ ox: Int, _ body: (Int) -> Void) {
        for i in 0..<g.kernelHeight {
            let iy = oy * g.stride - g.padding + i
            if iy < 0 || iy >= g.height { continue }
            for j in 0..<g.kernelWidth {
                let ix = ox * g.stride - g.padding + j
                if ix >= 0 && ix < g.width { body(iy * g.width + ix) }
            }
        }
    }
}
