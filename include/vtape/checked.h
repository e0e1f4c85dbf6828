/* Checked size arithmetic for every size derived from user or file input.
 *
 * A product or sum that does not fit its type must never wrap into a small, valid
 * looking size: these return 0 and leave *out alone on overflow, 1 when the result
 * fits. Tensors are limited to VT_MAX_NUMEL elements, so a row count, a column count
 * and any index below numel fit an int, and numel · sizeof(float) fits a size_t. */
#ifndef VTAPE_CHECKED_H
#define VTAPE_CHECKED_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Most elements one tensor or parameter may hold (2^31 − 1, 8 GiB of float32). */
#define VT_MAX_NUMEL ((size_t)INT_MAX)

static inline int vt_size_mul(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

static inline int vt_size_add(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* a · b for non-negative ints; 0 when either is negative or the product passes INT_MAX. */
static inline int vt_int_mul(int a, int b, int *out) {
    if (a < 0 || b < 0) return 0;
    if (a != 0 && b > INT_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* Elements of a shape (ndim dims, each >= 1) when the product is at most VT_MAX_NUMEL;
 * 0 for a bad or overflowing shape. */
static inline size_t vt_shape_numel(int ndim, const int *shape) {
    if (!shape || ndim < 1) return 0;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1 || !vt_size_mul(n, (size_t)shape[i], &n) || n > VT_MAX_NUMEL)
            return 0;
    }
    return n;
}

#ifdef __cplusplus
}
#endif
#endif
