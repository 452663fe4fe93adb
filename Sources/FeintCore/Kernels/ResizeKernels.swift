/// Bilinear resizing of NCHW planes with PyTorch's `align_corners=False` convention:
/// source coordinate = (dst + 0.5)·(in/out) − 0.5, clamped at 0; no antialiasing.
enum ResizeKernels {
    /// Interpolation taps along one axis: lower index, upper index, weight of the upper one.
    struct Taps { var lo: [Int]; var hi: [Int]; var frac: [Float] }

    static func taps(input: Int, output: Int) -> Taps {
        var t = Taps(lo: [], hi: [], frac: [])
        let scale = Double(input) / Double(output)
        for o in 0..<output {
            let src = Swift.max(0, (Double(o) + 0.5) * scale - 0.5)
            let lo = Swift.min(Int(src), input - 1)
            t.lo.append(lo)
            t.hi.append(Swift.min(lo + 1, input - 1))
            t.frac.append(Float(src - Double(lo)))
        }
        return t
    }

    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int,
                        inH: Int, inW: Int, outH: Int, outW: Int) {
        let (ty, tx) = (taps(input: inH, output: outH), taps(input: inW, output: outW))
        let (px, py) = (UncheckedBox(x), UncheckedBox(y))
        Parallel.forRanges(planes, grain: 8) { range in
            for p in range {
                let src = px.value + p * inH * inW, dst = py.value + p * outH * outW
                for oy in 0..<outH {
                    let (r0, r1, fy) = (src + ty.lo[oy] * inW, src + ty.hi[oy] * inW, ty.frac[oy])
                    for ox in 0..<outW {
                        let (a, b, fx) = (tx.lo[ox], tx.hi[ox], tx.frac[ox])
                        let top = r0[a] + (r0[b] - r0[a]) * fx
                        let bottom = r1[a] + (r1[b] - r1[a]) * fx
                        dst[oy * outW + ox] = top + (bottom - top) * fy
                    }
                }
            }
        }
    }

    /// dx += the adjoint of `forward` applied to dy.
    static func backward(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, planes: Int,
                         inH: Int, inW: Int, outH: Int, outW: Int) {
        let (ty, tx) = (taps(input: inH, output: outH), taps(input: inW, output: outW))
        let (pdy, pdx) = (UncheckedBox(dy), UncheckedBox(dx))
        Parallel.forRanges(planes, grain: 8) { range in
            for p in range {
                let d = pdx.value + p * inH * inW, g = pdy.value + p * outH * outW
                for oy in 0..<outH {
                    let (r0, r1, fy) = (d + ty.lo[oy] * inW, d + ty.hi[oy] * inW, ty.frac[oy])
                    for ox in 0..<outW {
                        let (a, b, fx) = (tx.lo[ox], tx.hi[ox], tx.frac[ox])
                        let v = g[oy * outW + ox]
                        r0[a] += v * (1 - fy) * (1 - fx); r0[b] += v * (1 - fy) * fx
                        r1[a] += v * fy * (1 - fx); r1[b] += v * fy * fx
                    }
                }
            }
        }
    }
}

/// Constant padding of the two spatial axes of NCHW planes, and its adjoint (cropping).
enum PadKernels {
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int,
                        h: Int, w: Int, top: Int, bottom: Int, left: Int, right: Int, value: Float) {
        let (oh, ow) = (h + top + bottom, w + left + right)
        for p in 0..<planes {
            let src = x + p * h * w, dst = y + p * oh * ow
            dst.update(repeating: value, count: oh * ow)
            for r in 0..<h { (dst + (r + top) * ow + left).update(from: src + r * w, count: w) }
        }
    }

    static func backward(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, planes: Int,
                         h: Int, w: Int, top: Int, bottom: Int, left: Int, right: Int) {
        let (oh, ow) = (h + top + bottom, w + left + right)
        for p in 0..<planes {
            let src = dy + p * oh * ow, dst = dx + p * h * w
            for r in 0..<h {
                let s = src + (r + top) * ow + left, d = dst + r * w
                for c in 0..<w { d[c] += s[c] }
            }
        }
    }
}
