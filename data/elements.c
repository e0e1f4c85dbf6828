/* Elements of IDX and NPY files in their stored types and byte orders, read as
 * doubles, then checked and narrowed into the dataset's floats or labels. */
#include <math.h>
#include <string.h>

#include "data_internal.h"

static uint64_t load_uint(const uint8_t *p, int size, int big_endian) {
    uint64_t v = 0;
    for (int k = 0; k < size; k++) {
        int byte = big_endian ? k : size - 1 - k;   /* most significant first */
        v = v << 8 | p[byte];
    }
    return v;
}

double vt_elem_at(const vt_elems *e, size_t i) {
    uint64_t bits = load_uint(e->data + i * (size_t)e->size, e->size, e->big_endian);
    switch (e->kind) {
    case 'u':
        return (double)bits;
    case 'i': {
        int shift = 64 - 8 * e->size;   /* sign-extend from size bytes */
        return (double)((int64_t)(bits << shift) >> shift);
    }
    default:
        if (e->size == 4) {
            uint32_t b32 = (uint32_t)bits;
            float f;
            memcpy(&f, &b32, sizeof f);
            return f;
        } else {
            double d;
            memcpy(&d, &bits, sizeof d);
            return d;
        }
    }
}

size_t vt_elems_to_float(const vt_elems *e, float divisor, float *out) {
    for (size_t i = 0; i < e->count; i++) {
        double v = vt_elem_at(e, i) / divisor;
        if (!isfinite(v) || fabs(v) > 3.4028234663852886e38) return i;
        out[i] = (float)v;
    }
    return e->count;
}

size_t vt_elems_to_labels(const vt_elems *e, uint8_t *out) {
    for (size_t i = 0; i < e->count; i++) {
        double v = vt_elem_at(e, i);
        if (!(v >= 0 && v < VT_DATA_MAX_CLASSES) || v != floor(v)) return i;
        out[i] = (uint8_t)v;
    }
    return e->count;
}
