/* SLEEF array loops for avx2 (8 lanes); compiled with that ISA enabled. */
#include <immintrin.h>
#include <sleef.h>
#include "ops/vmath.h"

#define VT_W 8
#define VT_LOAD _mm256_loadu_ps
#define VT_STORE _mm256_storeu_ps
#define VT_SLEEF(name) Sleef_##name##f8_u10avx2
#define VT_FN(name) vt_v##name##_avx2

void vt_vexp_avx2(size_t n, const float *x, float *y);
void vt_vlog_avx2(size_t n, const float *x, float *y);
void vt_vlog1p_avx2(size_t n, const float *x, float *y);
void vt_vtanh_avx2(size_t n, const float *x, float *y);

#include "ops/simd/vmath_impl.h"
