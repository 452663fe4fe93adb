import CBLAS

/// GEMM through CBLAS, row-major. OpenBLAS runs single-threaded inside Feint; large products are
/// split across `Parallel.threads` by rows (or columns) of C, each part one `cblas_sgemm` call.
public enum BLAS {
    /// Runs once before the first BLAS call: OpenBLAS's own threads off (Feint parallelises), and
    /// glibc told to serve large blocks from its heap rather than fresh mmap'd pages, so the
    /// scratch buffers an attack loop frees and re-allocates each step do not page-fault anew.
    static let singleThreaded: Void = {
        feint_blas_set_threads(1)
        feint_keep_large_allocations()
    }()

    /// The BLAS kernel in use (OpenBLAS's `openblas_get_corename()`, or "Accelerate").
    public static var coreName: String { String(cString: feint_blas_corename()) }

    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major with leading dimensions.
    /// With `parallel`, splits the product across threads when it is large enough to pay off.
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        let flops = 2 * m * n * k
        let parts = parallel && flops >= 1 << 20 ? Parallel.threads : 1
        if parts <= 1 {
            call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else if m >= n {
            // Split rows of C (rows of op(A)).
            let (pa, pc) = (UncheckedBox(a), UncheckedBox(c))
            Parallel.forRanges(m, grain: 16) { r in
                let aPart = transA ? pa.value + r.lowerBound : pa.value + r.lowerBound * lda
                call(transA, transB, r.count, n, k, alpha, aPart, lda, b, ldb, beta,
                     pc.value + r.lowerBound * ldc, ldc)
            }
        } else {
            // Split columns of C (columns of op(B)).
            let (pb, pc) = (UncheckedBox(b), UncheckedBox(c))
            Parallel.forRanges(n, grain: 16) { r in
                let bPart = transB ? pb.value + r.lowerBound * ldb : pb.value + r.lowerBound
                call(transA, transB, m, r.count, k, alpha, a, lda, bPart, ldb, beta,
                     pc.value + r.lowerBound, ldc)
            }
        }
    }

    /// A batch of independent GEMMs with fixed strides between operands, split across threads
    /// by batch entry (each entry one single-threaded `cblas_sgemm`).
    @inlinable
    public static func sgemmBatched(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        let (pa, pb, pc) = (UncheckedBox(a), UncheckedBox(b), UncheckedBox(c))
        let grain = Swift.max(1, (1 << 16) / Swift.max(1, 2 * m * n * k))
        Parallel.forRanges(batch, grain: grain) { r in
            for i in r {
                call(transA, transB, m, n, k, alpha, pa.value + i * strideA, lda,
                     pb.value + i * strideB, ldb, beta, pc.value + i * strideC, ldc)
            }
        }
    }

    /// A batch of GEMMs whose operands sit at arbitrary offsets: `offsets(i)` gives the element
    /// offsets of A, B and C for entry i (attention heads inside packed [B, T, 3, H, d] rows).
    @inlinable
    public static func sgemmBatched(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        offsets: (Int) -> (a: Int, b: Int, c: Int)
    ) {
        let (pa, pb, pc) = (UncheckedBox(a), UncheckedBox(b), UncheckedBox(c))
        let grain = Swift.max(1, (1 << 16) / Swift.max(1, 2 * m * n * k))
        Parallel.forRanges(batch, grain: grain) { r in
            for i in r {
                let o = offsets(i)
                call(transA, transB, m, n, k, alpha, pa.value + o.a, lda, pb.value + o.b, ldb, beta, pc.value + o.c, ldc)
            }
        }
    }

    @usableFromInline
    static func call(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
