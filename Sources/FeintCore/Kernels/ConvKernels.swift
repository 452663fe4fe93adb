/// 2-D convolution kernels on CBLAS. Weights are `[O, C/groups, kh, kw]` (PyTorch layout).
///
/// Every pass is one large GEMM per block of images: the im2col matrices of `imagesPerBlock`
/// images sit side by side, so the product has (images × output pixels) columns instead of one
/// image's few hundred, which is what keeps the BLAS kernel near its peak on small feature maps.
/// The batch is split across threads, each thread running its own blocks with a single-threaded
/// GEMM. For stride 1 the input gradient is itself a convolution (of the padded output gradient
/// with the flipped, transposed filters), so it also runs as a forward GEMM with K = O·kh·kw
/// rather than a K = O product followed by a col2im scatter. Depthwise runs a direct kernel.
enum ConvKernels {
    /// y[n] = W ⋆ x[n] + b. x: [N, C, H, W]; y: [N, O, OH, OW] (overwritten).
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        if g.isDepthwise { return Depthwise.forward(x, w, bias, y, g) }
        if ShiftedConv.applies(g) { return ShiftedConv.forward(x, w, bias, y, g) }
        let (px, pw, pb, py) = (UncheckedBox(x), UncheckedBox(w), UncheckedBox(bias), UncheckedBox(y))
        let og = g.outChannels / g.groups
        forBlocks(g) { _, images, cols, out, parallelGemm in
            let nb = images.count, ld = nb * g.outPlane
            for (i, n) in images.enumerated() {
                Im2Col.unfold(px.value + n * g.inChannels * g.inPlane, cols + i * g.outPlane, g, ld: ld)
            }
            for grp in 0..<g.groups {
                BLAS.sgemm(transA: false, transB: false, m: og, n: ld, k: g.patchSize,
                           a: pw.value + grp * og * g.patchSize, lda: g.patchSize,
                           b: cols + grp * g.patchSize * ld, ldb: ld,
                           c: out + grp * og * ld, ldc: ld, parallel: parallelGemm)
            }
            // out[o, i·P + p] → y[n, o, p] (+ bias).
            for (i, n) in images.enumerated() {
                for o in 0..<g.outChannels {
                    let src = out + o * ld + i * g.outPlane, dst = py.value + (n * g.outChannels + o) * g.outPlane
                    let b = pb.value?[o] ?? 0
                    for p in 0..<g.outPlane { dst[p] = src[p] + b }
                }
            }
        }
    }

    /// dx = ∂(W ⋆ x)/∂x applied to dy (overwrites dx).
    static func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let count = g.batch * g.inChannels * g.inPlane
        if g.isDepthwise { return Depthwise.backwardData(dy, w, dx, g) }
        if g.stride == 1 && g.groups == 1 && g.kernelHeight == g.kernelWidth && g.padding < g.kernelHeight {
            // dx = conv(dy, W′, padding k−1−p) with W′[c, o, i, j] = W[o, c, kh−1−i, kw−1−j]
            // (one padding for both axes: square kernels; others take the general path).
            let (kh, kw) = (g.kernelHeight, g.kernelWidth)
            let flipped = UnsafeMutablePointer<Float>.allocate(capacity: g.outChannels * g.patchSize)
            defer { flipped.deallocate() }
            for o in 0..<g.outChannels {
                for c in 0..<g.inChannels {
                    for i in 0..<kh {
                        for j in 0..<kw {
                            flipped[((c * g.outChannels + o) * kh + i) * kw + j] = w[((o * g.inChannels + c) * kh + kh - 1 - i) * kw + kw - 1 - j]
                        }
                    }
                }
            }
            let transposed = ConvGeometry(batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                                          outChannels: g.inChannels, kernelHeight: kh, kernelWidth: kw,
                                          stride: 1, padding: kh - 1 - g.padding)
            return forward(dy, flipped, nil, dx, transposed)
        }
        // General case: dcols = Wᵀ·dy per group, then col2im.
        dx.update(repeating: 0, count: count)
        let (pdy, pw, pdx) = (UncheckedBox(dy), UncheckedBox(w), UncheckedBox(dx))
        let og = g.outChannels / g.groups
        forBlocks(g) { _, images, cols, gathered, parallelGemm in
            let nb = images.count, ld = nb * g.outPlane
            gather(pdy.value, images, into: gathered, g)
            for grp in 0..<g.groups {
                BLAS.sgemm(transA: true, transB: false, m: g.patchSize, n: ld, k: og,
                           a: pw.value + grp * og * g.patchSize, lda: g.patchSize,
                           b: gathered + grp * og * ld, ldb: ld,
                           c: cols + grp * g.patchSize * ld, ldc: ld, parallel: parallelGemm)
            }
            for (i, n) in images.enumerated() {
                Im2Col.fold(cols + i * g.outPlane, pdx.value + n * g.inChannels * g.inPlane, g, ld: ld)
            }
        }
    }

    /// dW += Σ_n dy[n] · im2col(x[n])ᵀ and db += Σ_{n,p} dy[n, o, p]. Each thread sums its
    /// images into a private buffer; the buffers are added at the end.
    static func backwardWeight(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                               _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>?,
                               _ g: ConvGeometry) {
        if g.isDepthwise { return Depthwise.backwardWeight(dy, x, dw, db, g) }
        if let db { biasGradient(dy, db, g) }
        if ShiftedConv.applies(g) { return ShiftedConv.backwardWeight(dy, x, dw, g) }
        let og = g.outChannels / g.groups
        let wCount = g.outChannels * g.patchSize
        let chunks = Parallel.chunkCount(g.batch)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount)
        partial.initialize(repeating: 0, count: chunks * wCount)
        defer { partial.deallocate() }
        let (pdy, px, pp) = (UncheckedBox(dy), UncheckedBox(x), UncheckedBox(partial))
        forBlocks(g, chunks: chunks) { chunk, images, cols, gathered, parallelGemm in
            let nb = images.count, ld = nb * g.outPlane
            let mine = pp.value + chunk * wCount
            for (i, n) in images.enumerated() {
                Im2Col.unfold(px.value + n * g.inChannels * g.inPlane, cols + i * g.outPlane, g, ld: ld)
            }
            gather(pdy.value, images, into: gathered, g)
            for grp in 0..<g.groups {
                BLAS.sgemm(transA: false, transB: true, m: og, n: g.patchSize, k: ld,
                           a: gathered + grp * og * ld, lda: ld,
                           b: cols + grp * g.patchSize * ld, ldb: ld, beta: 1,
                           c: mine + grp * og * g.patchSize, ldc: g.patchSize, parallel: parallelGemm)
            }
        }
        for chunk in 0..<chunks {
            let src = partial + chunk * wCount
            for i in 0..<wCount { dw[i] += src[i] }
        }
    }

    /// db[o] += Σ_{n,p} dy[n, o, p], split across threads by channel.
    private static func biasGradient(_ dy: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (pdy, pdb) = (UncheckedBox(dy), UncheckedBox(db))
        Parallel.forRanges(g.outChannels) { channels in
            for o in channels {
                var s: Float = 0
                for n in 0..<g.batch { s += FastMath.sum(pdy.value + (n * g.outChannels + o) * g.outPlane, g.outPlane) }
                pdb.value[o] += s
            }
        }
    }

    /// Copies dy[n, o, p] for the block's images into gathered[o, i·P + p].
    private static func gather(_ dy: UnsafePointer<Float>, _ images: Range<Int>,
                               into gathered: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let ld = images.count * g.outPlane
        for (i, n) in images.enumerated() {
            for o in 0..<g.outChannels {
                (gathered + o * ld + i * g.outPlane).update(from: dy + (n * g.outChannels + o) * g.outPlane, count: g.outPlane)
            }
        }
    }

    /// Target number of GEMM columns (images × output pixels) per block.
    static let columnsPerBlock = 2048

    /// Splits the batch across threads, and each thread's share into blocks of images whose
    /// im2col matrices fill about `columnsPerBlock` columns. `body(chunk, images, cols, out,
    /// parallelGemm)` gets the thread's chunk index (as `Parallel.forChunks`) and scratch for the block's im2col matrix [groups·patch, nb·P] and its product
    /// [O, nb·P]; `parallelGemm` is true when one block is all the work (then the GEMM is split).
    private static func forBlocks(_ g: ConvGeometry, chunks: Int? = nil,
                                  _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Bool) -> Void) {
        let perBlock = Swift.max(1, Swift.min(g.batch, columnsPerBlock / Swift.max(g.outPlane, 1)))
        let chunks = chunks ?? Parallel.chunkCount(g.batch)
        let single = chunks <= 1
        func run(_ chunk: Int, _ share: Range<Int>) {
            let colCount = g.groups * g.patchSize * perBlock * g.outPlane
            let outCount = g.outChannels * perBlock * g.outPlane
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: colCount + outCount)
            defer { scratch.deallocate() }
            var start = share.lowerBound
            while start < share.upperBound {
                let end = Swift.min(share.upperBound, start + perBlock)
                body(chunk, start..<end, scratch, scratch + colCount, single)
                start = end
            }
        }
        if single { run(0, 0..<g.batch) } else { Parallel.forChunks(g.batch, chunks: chunks) { run($0, $1) } }
    }
}
