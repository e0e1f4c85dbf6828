/* SLEEF array loops for avx512f (16 lanes); compiled with that ISA enabled. */
#include <immintrin.h>
#include <sleef.h>
#include "ops/vmath.h"

#define VT_W 16
#define VT_LOAD _mm512_loadu_ps
#define VT_STORE _mm512_storeu_ps
#define VT_SLEEF(name) Sleef_##name##f16_u10avx512f
#define VT_FN(name) vt_v##name##_avx512f

void vt_vexp_avx512f(size_t n, const float *x, float *y);
void vt_vlog_avx512f(size_t n, const float *x, float *y);
void vt_vlog1p_avx512f(size_t n, const float *x, float *y);
void vt_vtanh_avx512f(size_t n, const float *x, float *y);

#include "ops/simd/vmath_impl.h"
