/// Stride-1 convolution as a sum of shifted GEMMs, with no im2col matrix.
///
/// With the input zero-padded to Hp×Wp and the output computed on a grid Wp wide (the last
/// kw−1 columns of each row are thrown away), tap (i, j) of the filter reads the padded input at
/// the constant offset i·Wp + j, so
///   Y[o, q] = Σ_{i,j} Σ_c W[o, c, i, j] · Xp[c, q + i·Wp + j],   q = oy·Wp + ox,
/// is kh·kw GEMMs [O, C] × [C, q-range] whose B operand is the padded image itself (row stride
/// Hp·Wp). This skips writing and re-reading a C·kh·kw-row matrix, which costs more than the
/// product itself on small feature maps. Used for stride 1, groups 1, and enough input channels
/// for K = C to feed the GEMM well.
enum ShiftedConv {
    /// Whether this geometry takes the shifted path.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && g.groups == 1 && g.inChannels >= 16 && g.kernelHeight > 1
    }

    /// Per-tap weights Wt[i, j, o, c] = W[o, c, i, j].
    static func tapMajor(_ w: UnsafePointer<Float>, _ g: ConvGeometry) -> UnsafeMutablePointer<Float> {
        let (o, c, kk) = (g.outChannels, g.inChannels, g.kernelHeight * g.kernelWidth)
        let t = UnsafeMutablePointer<Float>.allocate(capacity: o * c * kk)
        for oi in 0..<o { for ci in 0..<c { for k in 0..<kk { t[(k * o + oi) * c + ci] = w[(oi * c + ci) * kk + k] } } }
        return t
    }

    struct Sizes {
        let hp, wp, span, ldy: Int
        init(_ g: ConvGeometry) {
            hp = g.height + 2 * g.padding; wp = g.width + 2 * g.padding
            span = (g.outHeight - 1) * wp + g.outWidth   // q-range every tap can read in bounds
            ldy = g.outHeight * wp
        }
    }

    /// Copies image x [C, H, W] into the zero-bordered buffer xp [C, Hp, Wp] (border already 0).
    static func pad(_ x: UnsafePointer<Float>, into xp: UnsafeMutablePointer<Float>, _ g: ConvGeometry, _ s: Sizes) {
        for c in 0..<g.inChannels {
            for r in 0..<g.height {
                let src = x + (c * g.height + r) * g.width
                let dst = xp + (c * s.hp + r + g.padding) * s.wp + g.padding
                for k in 0..<g.width { dst[k] = src[k] }
            }
        }
    }

    /// y = W ⋆ x + b for the whole batch (overwrites y), images split across threads.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let s = Sizes(g)
        let taps = tapMajor(w, g)
        defer { taps.deallocate() }
        let (px, pt, pb, py) = (UncheckedBox(x), UncheckedBox(UnsafePointer(taps)), UncheckedBox(bias), UncheckedBox(y))
        let parallelGemm = Parallel.chunkCount(g.batch) == 1
        Parallel.forRanges(g.batch) { images in
            let padded = g.inChannels * s.hp * s.wp
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: padded + g.outChannels * s.ldy)
            defer { scratch.deallocate() }
            let (xp, yf) = (scratch, scratch + padded)
            if g.padding > 0 { xp.initialize(repeating: 0, count: padded) }
            for n in images {
                let xn = px.value + n * g.inChannels * g.inPlane
                let src: UnsafePointer<Float>
                if g.padding > 0 { pad(xn, into: xp, g, s); src = UnsafePointer(xp) } else { src = xn }
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let k = i * g.kernelWidth + j
                        BLAS.sgemm(transA: false, transB: false, m: g.outChannels, n: s.span, k: g.inChannels,
                                   a: pt.value + k * g.outChannels * g.inChannels, lda: g.inChannels,
                                   b: src + i * s.wp + j, ldb: s.hp * s.wp, beta: k == 0 ? 0 : 1,
                                   c: yf, ldc: s.ldy, parallel: parallelGemm)
                    }
                }
                for o in 0..<g.outChannels {
                    let b = pb.value?[o] ?? 0
                    let dst = py.value + (n * g.outChannels + o) * g.outPlane
                    for oy in 0..<g.outHeight {
                        let row = yf + o * s.ldy + oy * s.wp, out = dst + oy * g.outWidth
                        for ox in 0..<g.outWidth { out[ox] = row[ox] + b }
                    }
                }
            }
        }
    }

    /// dW += Σ_n Σ_q dY[o, q] · Xp[c, q + i·Wp + j]; partial sums per thread, added at the end.
    static func backwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                               _ dw: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let s = Sizes(g)
        let (o, c, kk) = (g.outChannels, g.inChannels, g.kernelHeight * g.kernelWidth)
        let chunks = Parallel.chunkCount(g.batch)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * o * c * kk)
        partial.initialize(repeating: 0, count: chunks * o * c * kk)
        defer { partial.deallocate() }
        let (px, pdy, pp) = (UncheckedBox(x), UncheckedBox(dy), UncheckedBox(partial))
        Parallel.forChunks(g.batch, chunks: chunks) { chunk, images in
            let padded = c * s.hp * s.wp
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: padded + o * s.ldy)
            defer { scratch.deallocate() }
            let (xp, gf) = (scratch, scratch + padded)
            scratch.initialize(repeating: 0, count: padded + o * s.ldy)   // borders and dropped columns stay 0
            let mine = pp.value + chunk * o * c * kk
            for n in images {
                let xn = px.value + n * c * g.inPlane
                let src: UnsafePointer<Float>
                if g.padding > 0 { pad(xn, into: xp, g, s); src = UnsafePointer(xp) } else { src = xn }
                for oi in 0..<o {
                    let from = pdy.value + (n * o + oi) * g.outPlane
                    for oy in 0..<g.outHeight {
                        let row = gf + oi * s.ldy + oy * s.wp, grad = from + oy * g.outWidth
                        for ox in 0..<g.outWidth { row[ox] = grad[ox] }
                    }
                }
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let k = i * g.kernelWidth + j
                        BLAS.sgemm(transA: false, transB: true, m: o, n: c, k: s.span,
                                   a: gf, lda: s.ldy, b: src + i * s.wp + j, ldb: s.hp * s.wp, beta: 1,
                                   c: mine + k * o * c, ldc: c, parallel: chunks == 1)
                    }
                }
            }
        }
        for chunk in 0..<chunks {
            let src = partial + chunk * o * c * kk
            for oi in 0..<o { for ci in 0..<c { for k in 0..<kk { dw[(oi * c + ci) * kk + k] += src[(k * o + oi) * c + ci] } } }
        }
    }
}
