/* Validation splits and value ranges of datasets. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

int vt_dataset_split(vt_dataset *ds, vt_dataset *val, double fraction, uint64_t seed,
                     vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!ds || !val || !ds->pixels)
        return vt_error_set(err, VT_EARG, "vt_dataset_split: NULL or empty dataset");
    memset(val, 0, sizeof *val);
    size_t n = ds->n, dim = (size_t)ds->dim;
    double want = fraction * (double)n;
    size_t n_val = !(fraction > 0 && fraction < 1) ? 0 : (size_t)llround(want);
    if (n_val < 1 || n_val >= n)
        return vt_error_set(err, VT_EARG, "validation fraction %g of %zu examples: expected a "
                            "fraction in (0, 1) leaving at least one example on each side",
                            fraction, n);
    uint8_t *pick = calloc(n, 1);
    size_t *order = malloc(n * sizeof *order);
    val->pixels = malloc(n_val * dim * sizeof *val->pixels);
    val->labels = ds->labels ? malloc(n_val) : NULL;
    if (!pick || !order || !val->pixels || (ds->labels && !val->labels)) {
        free(pick);
        free(order);
        vt_dataset_free(val);
        return vt_error_set(err, VT_ENOMEM, "validation split: out of memory");
    }
    /* The first n_val places of a seeded Fisher–Yates shuffle pick the examples. */
    uint64_t s = vt_stream_key(seed, 0x5911, 0, 0);
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 0; i < n_val; i++) {
        size_t j = i + (size_t)(vt_splitmix64(&s) % (n - i));   /* bias < n / 2^64 */
        size_t t = order[i];
        order[i] = order[j], order[j] = t;
        pick[order[i]] = 1;
    }
    size_t kept = 0, moved = 0;
    for (size_t i = 0; i < n; i++) {
        size_t dst = pick[i] ? moved++ : kept++;
        vt_dataset *to = pick[i] ? val : ds;   /* ds rows move down, never over unread ones */
        memmove(to->pixels + dst * dim, ds->pixels + i * dim, dim * sizeof *ds->pixels);
        if (ds->labels) to->labels[dst] = ds->labels[i];
    }
    free(pick);
    free(order);
    val->n = n_val, val->dim = ds->dim, val->height = ds->height, val->width = ds->width;
    val->n_classes = ds->n_classes;
    vt_dataset_truncate(ds, n - n_val);
    return VT_OK;
}

int vt_dataset_range(const vt_dataset *ds, float *lo, float *hi) {
    float a = INFINITY, b = -INFINITY;
    size_t total = ds && ds->pixels ? ds->n * (size_t)ds->dim : 0;
    for (size_t i = 0; i < total; i++) {
        a = fminf(a, ds->pixels[i]);
        b = fmaxf(b, ds->pixels[i]);
    }
    if (lo) *lo = a;
    if (hi) *hi = b;
    return total > 0 && a >= 0 && b <= 1;
}
