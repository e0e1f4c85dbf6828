/* Mini-batches: a per-epoch shuffled order, and copies of each batch's rows into the
 * caller's buffers with the chosen binarization. Every random stream is keyed by
 * (seed, purpose, epoch, batch), never by what ran before, so any epoch or batch can be
 * reproduced on its own. All memory is allocated in vt_batcher_new. */
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"
#include "core/simd.h"
#include <stdint.h>

static const char *const binarize_names[] = {"none", "static", "dynamic", "threshold"};
const vt_names vt_binarize_names = VT_NAMES(binarize_names);

enum { STREAM_SHUFFLE = 1, STREAM_STATIC = 2, STREAM_DYNAMIC = 3 };

struct vt_batcher {
    const vt_dataset *ds;
    vt_batcher_opts opts;
    size_t *order;       /* this epoch's example order */
    uint8_t *bits;       /* VT_BIN_STATIC: the one sample of the whole set, n * dim */
    size_t n_batches;
    size_t next_batch;
    uint64_t epoch;
    vt_ctx *ctx;         /* vt_batcher_set_ctx: whose threads fill the rows, or NULL */
};

/* Uniform in [0, bound) without modulo bias: reject the few values of the top,
 * incomplete copy of [0, bound). */
static uint64_t uniform_below(uint64_t *state, uint64_t bound) {
    uint64_t threshold = -bound % bound; /* 2^64 mod bound */
    for (;;) {
        uint64_t r = vt_splitmix64(state);
        if (r >= threshold) return r % bound;
    }
}

vt_batcher *vt_batcher_new(const vt_dataset *ds, const vt_batcher_opts *opts,
                           vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!ds || !opts || !ds->pixels || ds->n == 0 || ds->dim <= 0) {
        vt_error_set(err, VT_EARG, "vt_batcher_new: %s",
                     !ds || !opts ? "NULL dataset or options" : "empty dataset");
        return NULL;
    }
    size_t bs = opts->batch_size;
    if (bs == 0 || (opts->drop_last && bs > ds->n) || opts->binarize < VT_BIN_NONE ||
        opts->binarize > VT_BIN_THRESHOLD) {
        vt_error_set(err, VT_EARG,
                     "vt_batcher_new: batch size %zu, %zu examples, drop_last %d, binarize %d: "
                     "expected batch size >= 1 (and <= examples with drop_last) and a "
                     "vt_binarize mode", bs, ds->n, opts->drop_last, (int)opts->binarize);
        return NULL;
    }
    vt_batcher *b = calloc(1, sizeof *b);
    if (b) b->order = malloc(ds->n * sizeof *b->order);
    if (b && b->order && opts->binarize == VT_BIN_STATIC)
        b->bits = malloc(ds->n * (size_t)ds->dim);
    if (!b || !b->order || (opts->binarize == VT_BIN_STATIC && !b->bits)) {
        vt_batcher_free(b);
        vt_error_set(err, VT_ENOMEM, "vt_batcher_new: out of memory for %zu examples",
                     ds->n);
        return NULL;
    }
    b->ds = ds;
    b->opts = *opts;
    b->n_batches = opts->drop_last ? ds->n / bs : (ds->n + bs - 1) / bs;
    if (b->bits) {
        uint64_t s = vt_stream_key(opts->seed, STREAM_STATIC, 0, 0);
        for (size_t i = 0; i < ds->n * (size_t)ds->dim; i++)
            b->bits[i] = vt_uniform01(&s) < ds->pixels[i];
    }
    vt_batcher_start_epoch(b, 0);
    return b;
}

void vt_batcher_free(vt_batcher *b) {
    if (!b) return;
    free(b->order);
    free(b->bits);
    free(b);
}

void vt_batcher_start_epoch(vt_batcher *b, uint64_t epoch) {
    size_t n = b->ds->n;
    b->epoch = epoch;
    b->next_batch = 0;
    /* Start from the identity each time so the order depends on (seed, epoch) only. */
    for (size_t i = 0; i < n; i++) b->order[i] = i;
    if (b->opts.in_order) return;
    uint64_t s = vt_stream_key(b->opts.seed, STREAM_SHUFFLE, epoch, 0);
    for (size_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
        size_t j = (size_t)uniform_below(&s, (uint64_t)i + 1);
        size_t t = b->order[i];
        b->order[i] = b->order[j];
        b->order[j] = t;
    }
}

/* out[k] = [u_k < p[k]], u_k the k-th draw of the splitmix64 stream at state s (the
 * state after k + 1 steps is s + (k + 1)·golden, so draws are independent of each
 * other and the loop vectorizes; the values are those of k calls to vt_uniform01). */
VT_WIDE_LOOP static void bernoulli_row(uint64_t s, const float *restrict p, float *restrict out,
                                       size_t dim) {
    for (size_t k = 0; k < dim; k++) {
        uint64_t z = vt_mix64(s + (uint64_t)(k + 1) * VT_GOLDEN64);
        out[k] = (float)(int32_t)(z >> 40) * 0x1p-24f < p[k] ? 1.0f : 0.0f;
    }
}

typedef struct {
    const vt_batcher *b;
    float *x;
    size_t start;   /* the batch's first position in the epoch's order */
    uint64_t s;     /* the dynamic binarization's stream at the batch's first row */
} fill_job;

/* Rows [r0, r1) of the batch. Row r's draws start at s + r dim golden, wherever the
 * rows are split, so the bits are those of one pass. */
static void fill_rows(void *arg, size_t r0, size_t r1) {
    const fill_job *j = arg;
    const vt_batcher *b = j->b;
    const vt_dataset *ds = b->ds;
    size_t dim = (size_t)ds->dim;
    for (size_t r = r0; r < r1; r++) {
        size_t ex = b->order[j->start + r];
        const float *p = ds->pixels + ex * dim;
        float *out = j->x + r * dim;
        switch (b->opts.binarize) {
        case VT_BIN_NONE:
            memcpy(out, p, dim * sizeof *out);
            break;
        case VT_BIN_STATIC:
            for (size_t k = 0; k < dim; k++) out[k] = b->bits[ex * dim + k];
            break;
        case VT_BIN_DYNAMIC:
            bernoulli_row(j->s + (uint64_t)(r * dim) * VT_GOLDEN64, p, out, dim);
            break;
        case VT_BIN_THRESHOLD:
            for (size_t k = 0; k < dim; k++) out[k] = p[k] > 0.5f;
            break;
        }
    }
}

size_t vt_batcher_next(vt_batcher *b, float *x, uint8_t *labels) {
    if (!b || b->next_batch >= b->n_batches) return 0;
    const vt_dataset *ds = b->ds;
    size_t batch = b->next_batch++;
    size_t start = batch * b->opts.batch_size;
    size_t rows = ds->n - start < b->opts.batch_size ? ds->n - start : b->opts.batch_size;
    if (labels && ds->labels)
        for (size_t r = 0; r < rows; r++) labels[r] = ds->labels[b->order[start + r]];
    if (x) {
        fill_job j = {b, x, start, vt_stream_key(b->opts.seed, STREAM_DYNAMIC, b->epoch, batch)};
        vt_parallel_for(b->ctx, rows, 8, fill_rows, &j);
    }
    return rows;
}

void vt_batcher_set_ctx(vt_batcher *b, vt_ctx *ctx) {
    if (b) b->ctx = ctx;
}

size_t vt_batcher_batches_per_epoch(const vt_batcher *b) { return b->n_batches; }
size_t vt_batcher_batch_size(const vt_batcher *b) { return b->opts.batch_size; }

void vt_one_hot(const uint8_t *labels, size_t n, int n_classes, float *out) {
    memset(out, 0, n * (size_t)n_classes * sizeof *out);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < n_classes) out[i * (size_t)n_classes + labels[i]] = 1.0f;
}
