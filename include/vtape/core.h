/* vtape core: context, tensors, parameters, the tape, noise, threads.
 * (vtape.h opens with the memory model, the error model and a complete example.)
 *
 * A vt_ctx owns every tensor and tape node of one step in an arena; vt_ctx_reset()
 * drops them all in O(1). Parameters live outside the arena in a vt_store.
 * Ops never abort on misuse: they set a sticky error on the context (read it with
 * vt_ctx_error) and return a "poison" tensor that later ops pass through. */
#ifndef VTAPE_CORE_H
#define VTAPE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "vtape/checked.h"
#include "vtape/error.h"
#include "vtape/names.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_MAX_DIMS 4

enum {
    VT_REQUIRES_GRAD = 1u << 0, /* backward accumulates into grad */
    VT_PARAM         = 1u << 1, /* lives in a vt_store, survives vt_ctx_reset */
    VT_POISON        = 1u << 2, /* result of a failed op */
    VT_EXTERNAL      = 1u << 3, /* memory owned by the caller (vt_tensor_wrap) */
};

/* float32, contiguous, row-major. Ops see it as rows x cols where rows is the
 * product of all dims but the last. Every dim is >= 1 and the product of all of them
 * is at most VT_MAX_NUMEL (checked.h), so rows, cols and any index fit an int. */
typedef struct vt_tensor {
    float *data;
    float *grad;            /* NULL until a gradient reaches it */
    int ndim;
    int shape[VT_MAX_DIMS];
    uint32_t flags;
    uint64_t gen;           /* context generation it was made in (0: persistent) */
    const char *name;       /* parameters only */
} vt_tensor;

typedef struct vt_ctx vt_ctx;
typedef struct vt_store vt_store;

/* ---- shape helpers ---- */
static inline int vt_cols(const vt_tensor *t) { return t->shape[t->ndim - 1]; }
static inline int vt_rows(const vt_tensor *t) {
    int r = 1;
    for (int i = 0; i < t->ndim - 1; i++) r *= t->shape[i];
    return r;
}
static inline size_t vt_numel(const vt_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}
static inline int vt_needs_grad(const vt_tensor *t) {
    return t && (t->flags & VT_REQUIRES_GRAD);
}

/* ---- context ---- */
typedef struct vt_ctx_opts {
    size_t arena_bytes;  /* initial arena size; it grows to fit (0: 1 MiB) */
    int threads;         /* vtape's own element-wise threads (0 or 1: none) */
    uint64_t seed;       /* noise seed */
    int anomaly;         /* anomaly mode from the start (see vt_set_anomaly) */
} vt_ctx_opts;

vt_ctx *vt_ctx_new(const vt_ctx_opts *opts);   /* opts may be NULL */
void vt_ctx_free(vt_ctx *ctx);
/* Drop every tensor and node recorded since the last reset; clears the error and
 * advances the noise step. No heap traffic once the arena has grown to fit. */
void vt_ctx_reset(vt_ctx *ctx);
const char *vt_ctx_error(const vt_ctx *ctx);   /* NULL when all is well */
void vt_ctx_clear_error(vt_ctx *ctx);
/* Set the sticky error (first one wins); returns a poison tensor for convenience.
 * Every function taking a context accepts NULL: it then returns a shared poison
 * tensor (or NULL, 0, −1) and does nothing, since there is no context to report in. */
vt_tensor *vt_fail(vt_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* No-grad mode: ops record nothing (evaluation). Returns the previous mode. */
int vt_set_grad_enabled(vt_ctx *ctx, int enabled);
int vt_grad_enabled(const vt_ctx *ctx);
/* Frozen-parameter mode: ops recorded while it is on treat parameters — tensors that
 * outlive the step (a store's, vt_leaf_new's) — as constants, while gradients still
 * flow through every other input. A function of the latent samples with the weights
 * held fixed is what "sticking the landing" and DReG score log q with when a factor
 * depends on other samples, and what PIWAE's guide-side view of the model is
 * (elbo.h). Returns the previous mode; vt_ctx_reset turns it off. */
int vt_set_params_frozen(vt_ctx *ctx, int frozen);
/* Anomaly mode, for finding where a NaN or infinity is born: every op's output and,
 * in vt_backward, every gradient a backward produces is checked, and the first
 * non-finite value sets the context error naming the op, its shapes, the element and
 * the scope (below). Costs one pass over each tensor. Returns the previous mode. */
int vt_set_anomaly(vt_ctx *ctx, int enabled);
/* Label the ops that follow (e.g. "KL(z)", "reconstruction") so anomaly messages say
 * which term of a model they belong to; NULL clears it. The string must outlive the
 * step. Returns the previous label; vt_ctx_reset clears it. */
const char *vt_ctx_set_scope(vt_ctx *ctx, const char *label);
size_t vt_ctx_arena_used(const vt_ctx *ctx);
size_t vt_ctx_arena_capacity(const vt_ctx *ctx);
int vt_ctx_threads(const vt_ctx *ctx);
size_t vt_ctx_tape_len(const vt_ctx *ctx);

/* ---- tensors in the arena ---- */
vt_tensor *vt_tensor_new(vt_ctx *ctx, int ndim, const int *shape);   /* uninitialised */
vt_tensor *vt_zeros(vt_ctx *ctx, int ndim, const int *shape);
vt_tensor *vt_mat(vt_ctx *ctx, int rows, int cols);                  /* uninitialised */
vt_tensor *vt_from_data(vt_ctx *ctx, int ndim, const int *shape, const float *data);
vt_tensor *vt_scalar(vt_ctx *ctx, float v);
/* A tensor header in the arena over caller memory (no copy, no gradient). */
vt_tensor *vt_tensor_wrap(vt_ctx *ctx, int ndim, const int *shape, float *data);
/* Mark a leaf as taking a gradient (for inputs to gradient checks). */
vt_tensor *vt_requires_grad(vt_tensor *t);
/* NULL, poison and stale (from before a reset) tensors set an error naming `op`.
 * Returns 1 when t may be used. */
int vt_check(vt_ctx *ctx, const char *op, const vt_tensor *t);
/* "B x D" style text for error messages; buf must hold 48 bytes. */
const char *vt_shape_str(const vt_tensor *t, char *buf);

/* ---- parameters ---- */
vt_store *vt_store_new(void);
void vt_store_free(vt_store *s);
/* A named persistent parameter (values zero). Its value, gradient and optimizer
 * moments each sit in one contiguous block of the store. Returns NULL with err filled
 * (err may be NULL) on a duplicate name, a bad shape or no memory. */
vt_tensor *vt_store_param(vt_store *s, const char *name, int ndim, const int *shape,
                          vt_error *err);
vt_tensor *vt_store_find(const vt_store *s, const char *name);
int vt_store_count(const vt_store *s);
vt_tensor *vt_store_get(const vt_store *s, int i);
size_t vt_store_numel(const vt_store *s);
float *vt_store_values(vt_store *s);      /* all values, contiguous */
float *vt_store_grads(vt_store *s);       /* all gradients, contiguous */
/* n_slots extra contiguous blocks of numel floats (optimizer moments), zeroed on first use. */
float *vt_store_slot(vt_store *s, int slot);
void vt_store_zero_grad(vt_store *s);
/* 1 when every gradient is finite (no NaN, no ±inf), 0 otherwise (or for NULL): the
 * check to make before an optimizer step, so that a NaN never reaches the values. One
 * vectorized pass over the gradients. */
int vt_store_grads_finite(const vt_store *s);

/* ---- the tape ----
 * A node is {backward, out, in[], aux}. An op computes out, then records a node if
 * any input needs a gradient. backward reads out->grad and adds into in[i]->grad
 * (get it with vt_grad, which allocates a zeroed buffer on first use). */
typedef struct vt_node vt_node;
typedef void (*vt_backward_fn)(vt_ctx *ctx, vt_node *node);
struct vt_node {
    vt_backward_fn backward;
    const char *op;
    vt_tensor *out;
    void *aux;                 /* op-specific data, in the arena */
    vt_node *prev;
    const char *scope;         /* vt_ctx_set_scope label when recorded, or NULL */
    int n_in;
    vt_tensor *in[];
};

/* Output tensor for an op: marks it as needing a gradient when any input does and
 * gradients are enabled. */
vt_tensor *vt_op_output(vt_ctx *ctx, int ndim, const int *shape, int n_in,
                        vt_tensor *const *in);
/* Record a node for `out` when it needs a gradient; aux_bytes of zeroed scratch are
 * returned in node->aux. Returns NULL when nothing was recorded. */
vt_node *vt_record(vt_ctx *ctx, const char *op, vt_tensor *out, vt_backward_fn backward,
                   int n_in, vt_tensor *const *in, size_t aux_bytes);
/* Gradient buffer of t (zeroed on first use); NULL when t takes no gradient. */
float *vt_grad(vt_ctx *ctx, vt_tensor *t);
/* Reverse pass from `loss`. gout is the upstream gradient (same numel as loss); it
 * may be NULL only for a one-element loss. Returns 0, or -1 with the error set. */
int vt_backward(vt_ctx *ctx, vt_tensor *loss, const float *gout);

/* Scratch memory from the arena, valid until the next reset (64-byte aligned). NULL
 * with the context error set when the size cannot be had (including sizes near
 * SIZE_MAX, which are never rounded into small blocks). */
void *vt_arena_alloc(vt_ctx *ctx, size_t bytes);

/* ---- noise: counter-based (Philox4x32-10), keyed by (seed, step, stream) ----
 * Element i of draw `stream` at step s is a pure function of (seed, s, stream, i), so
 * it does not depend on thread count or on how a batch is split. */
void vt_philox_normal(uint64_t seed, uint64_t step, uint64_t stream, uint64_t offset,
                      size_t n, float *out);
void vt_philox_uniform(uint64_t seed, uint64_t step, uint64_t stream, uint64_t offset,
                       size_t n, float *out);   /* in [0, 1) */
/* N(0, I) noise as a constant tensor; each call in a step takes the next stream. */
vt_tensor *vt_randn(vt_ctx *ctx, int rows, int cols);
/* Uniform [0, 1) noise, likewise: component picks, Bernoulli draws. */
vt_tensor *vt_randu(vt_ctx *ctx, int rows, int cols);
uint64_t vt_ctx_step(const vt_ctx *ctx);
void vt_ctx_set_step(vt_ctx *ctx, uint64_t step);
uint64_t vt_ctx_seed(const vt_ctx *ctx);

/* ---- threads ----
 * Split [0, n) into fixed chunks of `grain` and run fn on each. The chunking does not
 * depend on the thread count, so per-chunk results are identical for any count. Called
 * from inside a chunk (fn calling an op, vt_grad or vt_parallel_for again), it runs
 * its chunks inline on that thread. */
typedef void (*vt_range_fn)(void *arg, size_t begin, size_t end);
void vt_parallel_for(vt_ctx *ctx, size_t n, size_t grain, vt_range_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif
