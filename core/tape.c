/* The tape: nodes in record order, walked backwards by one generic vt_backward. */
#include "core/internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Whether input t passes a gradient on: it takes one, and it is not a parameter (a
 * persistent tensor, generation 0) while parameters are frozen. */
static int passes_grad(const vt_ctx *ctx, const vt_tensor *t) {
    return vt_needs_grad(t) && !(ctx->params_frozen && t->gen == 0);
}

vt_tensor *vt_op_output(vt_ctx *ctx, int ndim, const int *shape, int n_in,
                        vt_tensor *const *in) {
    if (!ctx) return vt_null_ctx_poison();
    vt_tensor *out = vt_tensor_new(ctx, ndim, shape);
    if (out->flags & VT_POISON) return out;
    if (ctx->grad_enabled)
        for (int i = 0; i < n_in; i++)
            if (in && passes_grad(ctx, in[i])) {
                out->flags |= VT_REQUIRES_GRAD;
                break;
            }
    return out;
}

/* Frozen parameters: 1 when some input other than a parameter passes a gradient, else
 * out takes none (it was marked by an op that checked its inputs itself) and 0. */
static int unfreeze_inputs(vt_ctx *ctx, vt_tensor *out, int n_in, vt_tensor *const *in) {
    for (int i = 0; i < n_in; i++)
        if (passes_grad(ctx, in[i])) return 1;
    out->flags &= ~(uint32_t)VT_REQUIRES_GRAD;
    return 0;
}

/* Frozen parameters: the node sees each parameter input through a header over the same
 * data that takes no gradient, so every op's backward (which asks vt_grad for each
 * input) leaves the parameter alone with no change to the op. */
static void freeze_node_inputs(vt_ctx *ctx, vt_node *node) {
    for (int i = 0; i < node->n_in; i++) {
        vt_tensor *t = node->in[i];
        if (!vt_needs_grad(t) || passes_grad(ctx, t)) continue;
        vt_tensor *c = vt_arena_alloc(ctx, sizeof *c);
        if (!c) return;   /* the context error is set */
        *c = *t;
        c->flags &= ~(uint32_t)VT_REQUIRES_GRAD;
        c->grad = NULL;
        node->in[i] = c;
    }
}

vt_node *vt_record(vt_ctx *ctx, const char *op, vt_tensor *out, vt_backward_fn backward,
                   int n_in, vt_tensor *const *in, size_t aux_bytes) {
    if (!ctx || !out || (out->flags & VT_POISON)) return NULL;
    /* Every op records after computing its output: the one place to check it. */
    if (ctx->anomaly && !vt_anomaly_check_forward(ctx, op ? op : "op", out)) return NULL;
    if (!(out->flags & VT_REQUIRES_GRAD) || !ctx->grad_enabled) return NULL;
    if (!backward || n_in < 0 || (n_in > 0 && !in)) {
        vt_fail(ctx, "vt_record(%s): needs a backward function and n_in >= 0 inputs", op);
        return NULL;
    }
    if (ctx->params_frozen && !unfreeze_inputs(ctx, out, n_in, in)) return NULL;
    vt_node *node = vt_arena_alloc(ctx, sizeof *node + (size_t)n_in * sizeof(vt_tensor *));
    if (!node) return NULL;
    node->scope = ctx->scope;
    node->backward = backward;
    node->op = op;
    node->out = out;
    node->n_in = n_in;
    for (int i = 0; i < n_in; i++) node->in[i] = in[i];
    if (ctx->params_frozen) freeze_node_inputs(ctx, node);
    node->aux = NULL;
    if (aux_bytes) {
        node->aux = vt_arena_alloc(ctx, aux_bytes);
        if (!node->aux) return NULL;
        memset(node->aux, 0, aux_bytes);
    }
    node->prev = ctx->tape_tail;
    ctx->tape_tail = node;
    ctx->tape_len++;
    return node;
}

static void zero_range(void *arg, size_t b, size_t e) {
    memset((float *)arg + b, 0, (e - b) * sizeof(float));
}

float *vt_grad(vt_ctx *ctx, vt_tensor *t) {
    if (!ctx || !vt_needs_grad(t)) return NULL;
    if (!t->grad) {
        size_t n = vt_numel(t);
        t->grad = vt_arena_alloc(ctx, n * sizeof(float));
        if (!t->grad) return NULL;
        /* A decoder's output gradient is 400 KB at batch 128: zeroed on the pool. */
        vt_parallel_for(ctx, n, 65536, zero_range, t->grad);
    }
    return t->grad;
}

/* A non-finite loss would only spread NaN through every gradient: refuse it, naming
 * the earliest op on the tape whose output is non-finite (where it was born). */
static int loss_is_finite(vt_ctx *ctx, const vt_tensor *loss) {
    size_t n = vt_numel(loss);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(loss->data[i])) goto bad;
    return 1;
bad:;
    const vt_node *first = NULL;
    for (const vt_node *node = ctx->tape_tail; node; node = node->prev)
        for (size_t i = 0, m = vt_numel(node->out); i < m; i++)
            if (!isfinite(node->out->data[i])) {
                first = node;
                break;
            }
    if (first && ctx->anomaly) {
        const char *prev = ctx->scope;
        ctx->scope = first->scope;
        vt_anomaly_check_forward(ctx, first->op, first->out);
        ctx->scope = prev;
    } else {
        char where[160] = "";
        if (first)
            snprintf(where, sizeof where, "; the first non-finite output on the tape is %s's%s%s",
                     first->op, first->scope ? " in " : "", first->scope ? first->scope : "");
        vt_fail(ctx, "vt_backward: the loss is %s%s (vt_set_anomaly names the op and term "
                     "where it starts)", isnan(loss->data[0]) ? "NaN" : "non-finite", where);
    }
    return 0;
}

int vt_backward(vt_ctx *ctx, vt_tensor *loss, const float *gout) {
    if (!ctx) return -1;
    if (ctx->has_error) return -1;
    if (!vt_check(ctx, "vt_backward", loss)) return -1;
    if (!vt_needs_grad(loss)) {
        vt_fail(ctx, "vt_backward: the loss does not depend on anything that takes a "
                     "gradient (or it was computed with gradients disabled)");
        return -1;
    }
    size_t n = vt_numel(loss);
    if (!gout && n != 1) {
        char s[48];
        vt_fail(ctx, "vt_backward: loss has shape %s (%zu elements); a non-scalar loss "
                     "needs an upstream gradient", vt_shape_str(loss, s), n);
        return -1;
    }
    if (!loss_is_finite(ctx, loss)) return -1;
    float *g = vt_grad(ctx, loss);
    if (!g) return -1;
    for (size_t i = 0; i < n; i++) g[i] += gout ? gout[i] : 1.0f;

    for (vt_node *node = ctx->tape_tail; node; node = node->prev) {
        vt_tensor *out = node->out;
        if (!out->grad) continue;   /* nothing downstream of the loss reached it */
        node->backward(ctx, node);
        if (ctx->has_error) return -1;
        if (ctx->anomaly && !vt_anomaly_check_backward(ctx, node)) return -1;
        /* Every consumer of `out` sits later on the tape, so its gradient is complete
         * and now spent; dropping it lets a second backward start clean. */
        if (!(out->flags & VT_PARAM) && out->gen != 0) out->grad = NULL;
    }
    return 0;
}
