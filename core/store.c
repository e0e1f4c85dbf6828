/* The parameter store: values, gradients and optimizer slots, each one contiguous
 * block, so an optimizer step is one streaming pass and zeroing grads one memset. */
#include "core/internal.h"
#include "core/simd.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VT_STORE_SLOTS 4

struct vt_store {
    vt_tensor **params;       /* headers are stable; their data/grad follow the blocks */
    size_t *offsets;
    int count, max;
    size_t numel, cap;        /* floats used / allocated per block */
    float *values, *grads;
    float *slots[VT_STORE_SLOTS];
};

vt_store *vt_store_new(void) { return calloc(1, sizeof(vt_store)); }

void vt_store_free(vt_store *s) {
    if (!s) return;
    for (int i = 0; i < s->count; i++) {
        free((char *)s->params[i]->name);
        free(s->params[i]);
    }
    free(s->params);
    free(s->offsets);
    vt_heap_free(s->values);
    vt_heap_free(s->grads);
    for (int k = 0; k < VT_STORE_SLOTS; k++) vt_heap_free(s->slots[k]);
    free(s);
}

static void repoint(vt_store *s) {
    for (int i = 0; i < s->count; i++) {
        s->params[i]->data = s->values + s->offsets[i];
        s->params[i]->grad = s->grads + s->offsets[i];
    }
}

/* Grow every block to hold `need` floats, keeping contents. */
static int grow(vt_store *s, size_t need) {
    if (need <= s->cap) return 0;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(float)) return -1;
        cap *= 2;
    }
    float **blocks[2 + VT_STORE_SLOTS] = {&s->values, &s->grads};
    for (int k = 0; k < VT_STORE_SLOTS; k++) blocks[2 + k] = &s->slots[k];
    for (int b = 0; b < 2 + VT_STORE_SLOTS; b++) {
        if (b >= 2 && !*blocks[b]) continue;   /* slots appear on first use */
        float *nb = vt_heap_alloc(cap * sizeof(float));
        if (!nb) return -1;
        memset(nb, 0, cap * sizeof(float));
        if (*blocks[b]) memcpy(nb, *blocks[b], s->numel * sizeof(float));
        vt_heap_free(*blocks[b]);
        *blocks[b] = nb;
    }
    s->cap = cap;
    repoint(s);
    return 0;
}

/* The element count of a new parameter `name` of this shape, or 0 with err filled
 * (no name, a duplicate, bad dims, or more than VT_MAX_NUMEL elements). */
static size_t checked_param_numel(const vt_store *s, const char *name, int ndim,
                                  const int *shape, vt_error *err) {
    if (!name || !*name)
        return vt_error_set(err, VT_EARG, "vt_store_param: a parameter needs a name"), 0;
    if (vt_store_find(s, name))
        return vt_error_set(err, VT_EARG, "vt_store_param: duplicate name '%s'", name), 0;
    if (ndim < 1 || ndim > VT_MAX_DIMS || !shape)
        return vt_error_set(err, VT_EARG, "vt_store_param: '%s' has %d dims (1..%d)", name,
                            ndim, VT_MAX_DIMS), 0;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 1)
            return vt_error_set(err, VT_EARG, "vt_store_param: '%s' dim %d is %d", name, i,
                                shape[i]), 0;
    size_t n = vt_shape_numel(ndim, shape);
    if (n == 0)
        vt_error_set(err, VT_ETOOBIG, "vt_store_param: '%s' has more than %zu elements", name,
                     VT_MAX_NUMEL);
    return n;
}

/* Room for one more parameter header; 0, or -1 when out of memory. */
static int reserve_slot(vt_store *s) {
    if (s->count < s->max) return 0;
    int m = s->max ? 2 * s->max : 16;
    vt_tensor **np = realloc(s->params, (size_t)m * sizeof *np);
    if (!np) return -1;
    s->params = np;
    size_t *no = realloc(s->offsets, (size_t)m * sizeof *no);
    if (!no) return -1;
    s->offsets = no;
    s->max = m;
    return 0;
}

vt_tensor *vt_store_param(vt_store *s, const char *name, int ndim, const int *shape,
                          vt_error *err) {
    if (!s) return vt_error_set(err, VT_EARG, "vt_store_param: no store given"), NULL;
    size_t n = checked_param_numel(s, name, ndim, shape, err);
    if (n == 0) return NULL;
    if (reserve_slot(s) != 0)
        return vt_error_set(err, VT_ENOMEM, "vt_store_param: out of memory"), NULL;
    /* Start each parameter on a 16-float boundary so rows stay vector aligned. */
    size_t off = (s->numel + 15) / 16 * 16, end;
    if (!vt_size_add(off, n, &end))
        return vt_error_set(err, VT_ETOOBIG, "vt_store_param: store size overflows"), NULL;
    vt_tensor *t = calloc(1, sizeof *t);
    char *nm = malloc(strlen(name) + 1);
    if (!t || !nm || grow(s, end) != 0) {
        free(t);
        free(nm);
        vt_error_set(err, VT_ENOMEM, "vt_store_param: out of memory for '%s'", name);
        return NULL;
    }
    strcpy(nm, name);
    *t = (vt_tensor){.name = nm, .ndim = ndim, .flags = VT_REQUIRES_GRAD | VT_PARAM, .gen = 0};
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    s->params[s->count] = t;
    s->offsets[s->count] = off;
    s->count++;
    s->numel = end;
    repoint(s);
    return t;
}

vt_tensor *vt_store_find(const vt_store *s, const char *name) {
    if (!s || !name) return NULL;
    for (int i = 0; i < s->count; i++)
        if (strcmp(s->params[i]->name, name) == 0) return s->params[i];
    return NULL;
}

int vt_store_count(const vt_store *s) { return s ? s->count : 0; }
vt_tensor *vt_store_get(const vt_store *s, int i) {
    return s && i >= 0 && i < s->count ? s->params[i] : NULL;
}
size_t vt_store_numel(const vt_store *s) { return s ? s->numel : 0; }
float *vt_store_values(vt_store *s) { return s ? s->values : NULL; }
float *vt_store_grads(vt_store *s) { return s ? s->grads : NULL; }

float *vt_store_slot(vt_store *s, int slot) {
    if (!s || slot < 0 || slot >= VT_STORE_SLOTS) return NULL;
    if (!s->slots[slot] && s->cap) {
        s->slots[slot] = vt_heap_alloc(s->cap * sizeof(float));
        if (s->slots[slot]) memset(s->slots[slot], 0, s->cap * sizeof(float));
    }
    return s->slots[slot];
}

/* An exponent of all ones is NaN or ±inf; OR-ing integer flags keeps the loop free of
 * float reductions, so it vectorizes (a float sum would run one add at a time). */
VT_WIDE_LOOP static int all_finite(const float *x, size_t n) {
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return bad == 0;
}

int vt_store_grads_finite(const vt_store *s) {
    return s && (!s->grads || all_finite(s->grads, s->numel));   /* no block yet: all zero */
}

void vt_store_zero_grad(vt_store *s) {
    if (s && s->grads) memset(s->grads, 0, s->numel * sizeof(float));
}

