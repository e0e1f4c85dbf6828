/* Vector math over float arrays through SLEEF (1-ULP "u10" functions), picking the
 * widest instruction set this CPU has at run time. Private to ops/. */
#ifndef VT_OPS_VMATH_H
#define VT_OPS_VMATH_H
#include <stddef.h>

void vt_vexp(size_t n, const float *x, float *y);
void vt_vlog(size_t n, const float *x, float *y);
void vt_vlog1p(size_t n, const float *x, float *y);
void vt_vtanh(size_t n, const float *x, float *y);
const char *vt_vmath_isa(void);   /* "avx512f", "avx2", "sse2" or "scalar" */

#endif
