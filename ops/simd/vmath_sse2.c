/* SLEEF array loops for sse2 (4 lanes); compiled with that ISA enabled. */
#include <immintrin.h>
#include <sleef.h>
#include "ops/vmath.h"

#define VT_W 4
#define VT_LOAD _mm_loadu_ps
#define VT_STORE _mm_storeu_ps
#define VT_SLEEF(name) Sleef_##name##f4_u10sse2
#define VT_FN(name) vt_v##name##_sse2

void vt_vexp_sse2(size_t n, const float *x, float *y);
void vt_vlog_sse2(size_t n, const float *x, float *y);
void vt_vlog1p_sse2(size_t n, const float *x, float *y);
void vt_vtanh_sse2(size_t n, const float *x, float *y);

#include "ops/simd/vmath_impl.h"
