// Multi-head scaled dot-product attention as one op with a hand-written pullback.

/// Output of `multiheadAttention`: the attended values and the attention weights (kept for
/// attention rollout and inspection; not differentiable).
public struct AttentionResult {
    /// softmax(Q·Kᵀ/√d)·V with heads merged back: [B, T, H·d].
    public let output: Variable
    /// softmax(Q·Kᵀ/√d): [B, H, T, T]; each row sums to 1.
    public let weights: Tensor
}

/// Multi-head attention core on packed projections. `qkv`: [B, T, 3·H·d], each row laid out
/// (q | k | v) × heads × d as timm's fused `qkv` linear produces it.
///   S = Q·Kᵀ/√d, P = softmax(S) (rows), O = P·V,  per batch entry and head.
/// Pullback: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K/√d, dK = dSᵀ·Q/√d.
/// Heads are read and written in place inside the packed rows (GEMM leading dimension 3·H·d),
/// so no permute or slice copies are made; the B·H small products run split across threads.
/// `weightGradientScale` γ multiplies dP (so dQ and dK, not dV): γ = 1 is the exact gradient;
/// γ < 1 is the attention-gradient scaling of TGR-style transfer attacks (NAMEA's GSO).
public func multiheadAttention(qkv: Variable, heads: Int, weightGradientScale: Float = 1) -> AttentionResult {
    precondition(qkv.value.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                 "attention: qkv must be [B, T, 3·heads·d] with \(heads) heads, got \(qkv.shape)")
    let (b, t, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let d = width / heads, scale = 1 / Float(d).squareRoot()
    let ld = 3 * width
    // Element offsets of head (i / heads, i % heads) in the packed input, and in [B, H, T, T].
    func q(_ i: Int) -> Int { (i / heads) * t * ld + (i % heads) * d }
    func o(_ i: Int) -> Int { (i / heads) * t * width + (i % heads) * d }
    func square(_ i: Int) -> Int { i * t * t }
    let pairs = b * heads
    func gemm(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
              tA: Bool, tB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
              lda: Int, ldb: Int, ldc: Int, _ offsets: @escaping (Int) -> (a: Int, b: Int, c: Int)) {
        BLAS.sgemmBatched(batch: pairs, transA: tA, transB: tB, m: m, n: n, k: k, alpha: alpha,
                          a: x, lda: lda, b: y, ldb: ldb, c: out, ldc: ldc, offsets: offsets)
    }
    let scores = Tensor(shape: [b, heads, t, t]) { s in
        qkv.value.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            gemm(base, base, s.baseAddress!, tA: false, tB: true, m: t, n: t, k: d, alpha: scale,
                 lda: ld, ldb: ld, ldc: t) { (q($0), q($0) + width, square($0)) }
        }
    }
    let probs = Tensor(shape: scores.shape) { out in forEachRow(scores, out, softmaxRow) }
    let y = Tensor(shape: [b, t, width]) { out in
        probs.withUnsafeBufferPointer { pp in qkv.value.withUnsafeBufferPointer { p in
            gemm(pp.baseAddress!, p.baseAddress!, out.baseAddress!, tA: false, tB: false, m: t, n: d, k: t,
                 lda: t, ldb: ld, ldc: width) { (square($0), q($0) + 2 * width, o($0)) }
        } }
    }
    let result = Variable.record(y, parents: [qkv]) { g in
        var dqkv = Tensor(zeros: qkv.shape)
        let dP = Tensor(shape: probs.shape) { out in
            g.withUnsafeBufferPointer { gp in qkv.value.withUnsafeBufferPointer { p in
                gemm(gp.baseAddress!, p.baseAddress!, out.baseAddress!, tA: false, tB: true, m: t, n: t, k: d,
                     lda: width, ldb: ld, ldc: t) { (o($0), q($0) + 2 * width, square($0)) }
            } }
        }
        let dS = softmaxBackward(y: probs, g: weightGradientScale == 1 ? dP : dP * weightGradientScale)
        dqkv.withUnsafeMutableBufferPointer { dp in
            let dbase = dp.baseAddress!
            qkv.value.withUnsafeBufferPointer { p in
                let base = p.baseAddress!
                g.withUnsafeBufferPointer { gp in probs.withUnsafeBufferPointer { pp in
                    // dV = Pᵀ·dO
                    gemm(pp.baseAddress!, gp.baseAddress!, dbase, tA: true, tB: false, m: t, n: d, k: t,
                         lda: t, ldb: width, ldc: ld) { (square($0), o($0), q($0) + 2 * width) }
                } }
                dS.withUnsafeBufferPointer { sp in
                    // dQ = dS·K/√d, dK = dSᵀ·Q/√d
                    gemm(sp.baseAddress!, base, dbase, tA: false, tB: false, m: t, n: d, k: t, alpha: scale,
                         lda: t, ldb: ld, ldc: ld) { (square($0), q($0) + width, q($0)) }
                    gemm(sp.baseAddress!, base, dbase, tA: true, tB: false, m: t, n: d, k: t, alpha: scale,
                         lda: t, ldb: ld, ldc: ld) { (square($0), q($0), q($0) + width) }
                }
            }
        }
        qkv.accumulate(dqkv)
    }
    return AttentionResult(output: result, weights: probs)
}
