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
