// Multi-head scaled dot-product attention as one op with a hand-written pullback.

/// Output of `scaledDotProductAttention`: the attended values and the attention weights
/// (kept for attention rollout and inspection; not differentiable).
public struct AttentionResult {
    /// softmax(Q·Kᵀ/√d)·V: [B, H, T, d].
    public let output: Variable
    /// softmax(Q·Kᵀ/√d): [B, H, T, T]; each row sums to 1.
    public let weights: Tensor
}

/// Multi-head attention core. q, k, v: [B, H, T, d] (heads already split).
///   S = Q·Kᵀ/√d, P = softmax(S) (rows), O = P·V.
/// Pullback: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K/√d, dK = dSᵀ·Q/√d.
/// The B·H small products run as a batch of GEMMs split across threads.
public func scaledDotProductAttention(query q: Variable, key k: Variable, value v: Variable) -> AttentionResult {
    precondition(q.value.rank == 4, "attention: query must be [B, H, T, d], got \(q.shape)")
    precondition(k.shape == q.shape && v.shape == q.shape,
                 "attention: query \(q.shape), key \(k.shape) and value \(v.shape) must have the same shape")
    let (b, h, t, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let heads = b * h, scale = 1 / Float(d).squareRoot()
    func gemm(_ x: Tensor, _ y: Tensor, tA: Bool, tB: Bool, m: Int, n: Int, kk: Int, alpha: Float = 1, shape: [Int]) -> Tensor {
        Tensor(shape: shape) { out in
            x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
                BLAS.sgemmBatched(batch: heads, transA: tA, transB: tB, m: m, n: n, k: kk, alpha: alpha,
                                  a: xp.baseAddress!, lda: tA ? m : kk, strideA: x.count / heads,
                                  b: yp.baseAddress!, ldb: tB ? kk : n, strideB: y.count / heads,
                                  c: out.baseAddress!, ldc: n, strideC: m * n)
            } }
        }
    }
    var probs = gemm(q.value, k.value, tA: false, tB: true, m: t, n: t, kk: d, alpha: scale, shape: [b, h, t, t])
    let scores = probs
    probs = Tensor(shape: scores.shape) { out in forEachRow(scores, out, softmaxRow) }
    let p = probs
    let out = gemm(p, v.value, tA: false, tB: false, m: t, n: d, kk: t, shape: q.shape)
    let result = Variable.record(out, parents: [q, k, v]) { g in
        if v.needsGrad { v.accumulate(gemm(p, g, tA: true, tB: false, m: t, n: d, kk: t, shape: v.shape)) }
        guard q.needsGrad || k.needsGrad else { return }
        let dP = gemm(g, v.value, tA: false, tB: true, m: t, n: t, kk: d, shape: p.shape)
        let dS = softmaxBackward(y: p, g: dP)
        if q.needsGrad { q.accumulate(gemm(dS, k.value, tA: false, tB: false, m: t, n: d, kk: t, alpha: scale, shape: q.shape)) }
        if k.needsGrad { k.accumulate(gemm(dS, q.value, tA: true, tB: false, m: t, n: d, kk: t, alpha: scale, shape: k.shape)) }
    }
    return AttentionResult(output: result, weights: p)
}
