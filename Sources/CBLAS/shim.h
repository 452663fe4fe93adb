// CBLAS for Feint: OpenBLAS on Linux (pkg-config `openblas`, Debian `libopenblas-dev`),
// Accelerate on macOS. Also exposes OpenBLAS's thread and kernel queries where available.
#ifdef __APPLE__
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
static inline void feint_blas_set_threads(int n) { (void)n; }
static inline const char *feint_blas_corename(void) { return "Accelerate"; }
static inline int feint_blas_threads(void) { return 0; }
#else
#include <cblas.h>
static inline void feint_blas_set_threads(int n) { openblas_set_num_threads(n); }
static inline const char *feint_blas_corename(void) { return openblas_get_corename(); }
static inline int feint_blas_threads(void) { return openblas_get_num_threads(); }
#endif

#if defined(__GLIBC__)
#include <malloc.h>
// Serve allocations up to 32 MiB (glibc's ceiling) from the heap and never trim it, so buffers freed by one step
// of an attack or training loop are reused by the next without new page faults.
static inline void feint_keep_large_allocations(void) {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, -1);
}
#else
static inline void feint_keep_large_allocations(void) {}
#endif
