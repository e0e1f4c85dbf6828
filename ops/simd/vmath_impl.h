/* One instruction set's array loops; included by vmath_<isa>.c with the macros:
 * VT_W (lanes), VT_VEC, VT_LOAD, VT_STORE, VT_SLEEF(name) → the SLEEF symbol,
 * VT_FN(name) → this file's function name. */
#include <string.h>

#define VT_DEFINE_ARRAY_FN(name)                                                      \
    void VT_FN(name)(size_t n, const float *x, float *y) {                            \
        size_t i = 0;                                                                 \
        for (; i + VT_W <= n; i += VT_W) VT_STORE(y + i, VT_SLEEF(name)(VT_LOAD(x + i))); \
        if (i < n) { /* tail through a padded buffer: no out-of-bounds loads */        \
            float tx[VT_W] = {0}, ty[VT_W];                                           \
            memcpy(tx, x + i, (n - i) * sizeof(float));                               \
            VT_STORE(ty, VT_SLEEF(name)(VT_LOAD(tx)));                                \
            memcpy(y + i, ty, (n - i) * sizeof(float));                               \
        }                                                                             \
    }

VT_DEFINE_ARRAY_FN(exp)
VT_DEFINE_ARRAY_FN(log)
VT_DEFINE_ARRAY_FN(log1p)
VT_DEFINE_ARRAY_FN(tanh)
