/* Run-time choice of the SLEEF array loops: the widest ISA the CPU supports, or
 * plain libm where vtape is built for a non-x86 machine. */
#include "ops/vmath.h"
#include <math.h>

typedef void (*vt_array_fn)(size_t, const float *, float *);

#if defined(VT_HAVE_X86_SIMD)
#define DECLARE_ISA(isa)                                                   \
    void vt_vexp_##isa(size_t, const float *, float *);                    \
    void vt_vlog_##isa(size_t, const float *, float *);                    \
    void vt_vlog1p_##isa(size_t, const float *, float *);                  \
    void vt_vtanh_##isa(size_t, const float *, float *);
DECLARE_ISA(sse2)
DECLARE_ISA(avx2)
DECLARE_ISA(avx512f)

static int isa_level(void) {
    static int level = -1;   /* racy but idempotent: every thread computes the same */
    if (level < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) level = 2;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
        else level = 0;
    }
    return level;
}

#define DISPATCH(fn)                                                          \
    void vt_v##fn(size_t n, const float *x, float *y) {                      \
        static const vt_array_fn impl[3] = {vt_v##fn##_sse2, vt_v##fn##_avx2, \
                                            vt_v##fn##_avx512f};             \
        impl[isa_level()](n, x, y);                                          \
    }
DISPATCH(exp)
DISPATCH(log)
DISPATCH(log1p)
DISPATCH(tanh)

const char *vt_vmath_isa(void) {
    static const char *names[3] = {"sse2", "avx2", "avx512f"};
    return names[isa_level()];
}
#else
#define SCALAR(fn, f)                                                  \
    void vt_v##fn(size_t n, const float *x, float *y) {               \
        for (size_t i = 0; i < n; i++) y[i] = f(x[i]);                \
    }
SCALAR(exp, expf)
SCALAR(log, logf)
SCALAR(log1p, log1pf)
SCALAR(tanh, tanhf)
const char *vt_vmath_isa(void) { return "scalar"; }
#endif
