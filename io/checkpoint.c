/* Checkpoint writing: one buffer (header, payload, CRC) written atomically. The
 * layout is in io/checkpoint_format.h. */
#include "vtape/checkpoint.h"
#include "vtape/io.h"
#include "io/checkpoint_format.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- writing: a growable little-endian buffer ---- */
typedef struct { unsigned char *p; size_t n, cap; int oom; } wbuf;

static void put(wbuf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_u32(wbuf *b, uint32_t v) {
    unsigned char c[4] = {v, v >> 8, v >> 16, v >> 24};
    put(b, c, 4);
}
static void put_u64(wbuf *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}
static void put_floats(wbuf *b, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {   /* explicit LE, whatever the host */
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_u32(b, u);
    }
}

uint32_t vt_ckpt_crc(const unsigned char *p, size_t n) {
    /* zlib's crc32 takes uInt lengths: fold the payload in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n; off += 1u << 30) {
        size_t m = n - off < (1u << 30) ? n - off : (1u << 30);
        crc = crc32(crc, p + off, (uInt)m);
    }
    return (uint32_t)crc;
}

/* The first parameter (or moment) holding a NaN or infinity, or -1. */
static int first_nonfinite(vt_store *store, const float *block, size_t *at) {
    const float *base = vt_store_values(store);
    for (int i = 0; i < vt_store_count(store); i++) {
        vt_tensor *t = vt_store_get(store, i);
        const float *x = block + (t->data - base);
        float acc = 0.0f;
        size_t n = vt_numel(t);
        for (size_t j = 0; j < n; j++) acc += x[j] * 0.0f;   /* NaN iff one is not finite */
        if (acc != 0.0f)
            for (size_t j = 0; j < n; j++)
                if (!isfinite(x[j])) { *at = j; return i; }
    }
    return -1;
}

/* A state with a NaN or infinity is never written: the last good file stays. */
static int refuse_nonfinite(const char *path, vt_store *store, const int *slots, int n_slots,
                            vt_error *err) {
    for (int s = -1; s < n_slots; s++) {
        const float *block = s < 0 ? vt_store_values(store) : vt_store_slot(store, slots[s]);
        size_t at = 0;
        int i = block ? first_nonfinite(store, block, &at) : -1;
        if (i >= 0)
            return vt_error_set(err, VT_ENONFINITE, "checkpoint %s: not written: %s of '%s' "
                                "holds a non-finite value at element %zu", path,
                                s < 0 ? "the value" : "an optimizer moment",
                                vt_store_get(store, i)->name, at);
    }
    return 0;
}

static void put_text(wbuf *b, const char *text) {
    size_t n = text ? strlen(text) : 0;
    put_u32(b, (uint32_t)n);
    put(b, text ? text : "", n);
}

static void put_payload(wbuf *b, const char *config, const char *notes, vt_store *store,
                        const vt_optim *opt, const vt_train_state *st, const int *slots,
                        int n_slots) {
    put_text(b, config);
    put_text(b, notes);
    put_u64(b, st->step); put_u64(b, st->epoch); put_u64(b, st->seed); put_u64(b, st->noise_step);
    put_u32(b, (uint32_t)n_slots);
    put_u64(b, (uint64_t)(opt ? vt_optim_get_step(opt) : 0));
    put_u32(b, opt ? (uint32_t)vt_optim_get_config(opt)->kind : 0);
    int np = vt_store_count(store);
    put_u32(b, (uint32_t)np);
    for (int i = 0; i < np; i++) {
        vt_tensor *t = vt_store_get(store, i);
        put_text(b, t->name);
        put_u32(b, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) put_u32(b, (uint32_t)t->shape[d]);
    }
    const float *base = vt_store_values(store);
    for (int s = -1; s < n_slots; s++) {
        const float *block = s < 0 ? base : vt_store_slot(store, slots[s]);
        for (int i = 0; i < np; i++) {
            vt_tensor *t = vt_store_get(store, i);
            put_floats(b, block + (t->data - base), vt_numel(t));
        }
    }
}

int vt_checkpoint_save_notes(const char *path, const char *config, const char *notes,
                             vt_store *store, const vt_optim *opt, const vt_train_state *state,
                             vt_error *err) {
    if (!path || !store) return vt_error_set(err, VT_EARG, "checkpoint: path and store are required");
    if ((config && strlen(config) >= VT_CKPT_MAX_TEXT) || (notes && strlen(notes) >= VT_CKPT_MAX_TEXT))
        return vt_error_set(err, VT_ETOOBIG, "checkpoint %s: config or notes of 1 MiB or more", path);
    vt_train_state st = state ? *state : (vt_train_state){0};
    int slots[VT_OPTIM_MAX_SLOTS], n_slots = opt ? vt_optim_state_slots(opt, slots) : 0;
    int rc = refuse_nonfinite(path, store, slots, n_slots, err);
    if (rc != 0) return rc;
    wbuf b = {0};
    put(&b, VT_CKPT_MAGIC, 8);
    put_u32(&b, VT_CHECKPOINT_VERSION);
    put_u64(&b, 0);   /* the payload length, filled in below */
    put_payload(&b, config, notes, store, opt, &st, slots, n_slots);
    if (!b.oom) {
        size_t len = b.n - VT_CKPT_HEAD;
        for (int i = 0; i < 8; i++) b.p[12 + i] = (unsigned char)((uint64_t)len >> (8 * i));
        put_u32(&b, vt_ckpt_crc(b.p + VT_CKPT_HEAD, len));
    }
    if (b.oom) rc = vt_error_set(err, VT_ENOMEM, "checkpoint %s: out of memory", path);
    else rc = vt_atomic_write(path, b.p, b.n, err);
    free(b.p);
    return rc;
}

int vt_checkpoint_save(const char *path, const char *config, vt_store *store,
                       const vt_optim *opt, const vt_train_state *state, vt_error *err) {
    return vt_checkpoint_save_notes(path, config, NULL, store, opt, state, err);
}
