// Dense layers and matrix products, through GEMM.

/// y = x·Wᵀ + b over the last axis. x: [..., in]; weight: [out, in]; bias: [out] → [..., out].
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    precondition(weight.value.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
    let (outF, inF) = (weight.shape[0], weight.shape[1])
    precondition(x.value.rank >= 1 && x.shape.last == inF,
                 "linear: input \(x.shape) has \(x.shape.last ?? 0) features, weight \(weight.shape) expects \(inF)")
    if let bias { precondition(bias.shape == [outF], "linear: bias \(bias.shape) should be [\(outF)]") }
    let rows = x.value.count / max(inF, 1)
    let outShape = Array(x.shape.dropLast()) + [outF]
    let y = Tensor(shape: outShape) { out in
        x.value.withUnsafeBufferPointer { xp in weight.value.withUnsafeBufferPointer { wp in
            BLAS.sgemm(transA: false, transB: true, m: rows, n: outF, k: inF, a: xp.baseAddress!, lda: inF,
                       b: wp.baseAddress!, ldb: inF, c: out.baseAddress!, ldc: outF)
        } }
        if let bias {
            bias.value.withUnsafeBufferPointer { b in
                for r in 0..<rows { for j in 0..<outF { out[r * outF + j] += b[j] } }
            }
        }
    }
    return Variable.record(y, parents: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        g.withUnsafeBufferPointer { gp in
            if x.needsGrad {
                x.accumulate(Tensor(shape: x.shape) { dx in
                    weight.value.withUnsafeBufferPointer { wp in
                        BLAS.sgemm(transA: false, transB: false, m: rows, n: inF, k: outF, a: gp.baseAddress!, lda: outF,
                                   b: wp.baseAddress!, ldb: inF, c: dx.baseAddress!, ldc: inF)
                    }
                })
            }
            if weight.needsGrad {
                weight.accumulate(Tensor(shape: weight.shape) { dw in
                    x.value.withUnsafeBufferPointer { xp in
                        BLAS.sgemm(transA: true, transB: false, m: outF, n: inF, k: rows, a: gp.baseAddress!, lda: outF,
                                   b: xp.baseAddress!, ldb: inF, c: dw.baseAddress!, ldc: inF)
                    }
                })
            }
            if let bias, bias.needsGrad { bias.accumulate(Reduce.columnSums(g, rows: rows, columns: outF)) }
        }
    }
}

/// Batched matrix product: a [..., M, K] · b [..., K, N] → [..., M, N]. The leading axes of a
/// and b must match, or b may be a single [K, N] matrix shared by every batch entry.
public func matmul(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.value.rank >= 2 && b.value.rank >= 2, "matmul: operands need rank ≥ 2, got \(a.shape) and \(b.shape)")
    let (m, k) = (a.shape[a.value.rank - 2], a.shape[a.value.rank - 1])
    let (k2, n) = (b.shape[b.value.rank - 2], b.shape[b.value.rank - 1])
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    precondition(k == k2 && (batchB.isEmpty || batchB == batchA),
                 "matmul: \(a.shape) and \(b.shape) do not chain (inner extents \(k) vs \(k2), batches \(batchA) vs \(batchB))")
    let batch = batchA.reduce(1, *), strideB = batchB.isEmpty ? 0 : k * n
    func product(_ x: Tensor, _ y: Tensor, tA: Bool, tB: Bool, m: Int, n: Int, k: Int,
                 sx: Int, sy: Int, shape: [Int]) -> Tensor {
        Tensor(shape: shape) { out in
            x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
                BLAS.sgemmBatched(batch: batch, transA: tA, transB: tB, m: m, n: n, k: k,
                                  a: xp.baseAddress!, lda: tA ? m : k, strideA: sx, b: yp.baseAddress!, ldb: tB ? k : n,
                                  strideB: sy, c: out.baseAddress!, ldc: n, strideC: m * n)
            } }
        }
    }
    let y = product(a.value, b.value, tA: false, tB: false, m: m, n: n, k: k, sx: m * k, sy: strideB, shape: batchA + [m, n])
    return Variable.record(y, parents: [a, b]) { g in
        if a.needsGrad {   // dA = dC · Bᵀ
            a.accumulate(product(g, b.value, tA: false, tB: true, m: m, n: k, k: n, sx: m * n, sy: strideB, shape: a.shape))
        }
        if b.needsGrad {   // dB = Aᵀ · dC, summed over the batch when B is shared
            let db = product(a.value, g, tA: true, tB: false, m: k, n: n, k: m, sx: m * k, sy: m * n, shape: batchA + [k, n])
            b.accumulate(batchB.isEmpty ? Broadcast.sum(db, toShape: b.shape) : db)
        }
    }
}
