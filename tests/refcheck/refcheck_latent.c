/* The reference checker's calls for the ops and densities the latent models added:
 * stop-gradient, per-row gradient scaling and straight-through; the relaxed (concrete)
 * draws, densities, decoder values and discrete KLs; the planar flow's steps; the IAF's
 * MADE; the continuous Bernoulli; linear + relu in one op. Cases in
 * tests/reference/extra_ops.txt (tests/reference/gen_extra_ops.py). */
#include "refcheck_ops.h"

#include "vtape/dist.h"
#include "vtape/flows.h"
#include "vtape/ops.h"
#include "vtape/stopgrad.h"

/* stop(a) ⊙ b: d/db = a, and a gets no gradient through the stopped factor */
static vt_tensor *call_detach_mul(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_mul(ctx, vt_detach(ctx, a[0]), a[1]);
}
static vt_tensor *call_scale_grad_rows(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_scale_grad_rows(ctx, a[0], a[1]);
}
static vt_tensor *call_straight_through(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_straight_through(ctx, a[0], a[1]);
}
static vt_tensor *call_linear_relu(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_linear_relu(ctx, a[0], a[1], a[2]);
}

/* A relaxed family from the attributes: categories (1: binary) and tau. */
static vt_dist *relaxed(vt_ctx *ctx, vt_tensor *logits, op_call *oc) {
    int C;
    float tau;
    if (!rc_attr_int(oc, "categories", &C) || !rc_attr_float(oc, "tau", &tau)) return NULL;
    return C == 1 ? vt_binary_concrete(ctx, logits, tau, 0) : vt_concrete(ctx, logits, C, tau, 0);
}
static vt_tensor *call_concrete_log_prob(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    vt_dist *d = relaxed(ctx, a[0], oc);
    return d ? vt_dist_log_prob(ctx, d, a[1]) : NULL;
}
static vt_tensor *call_concrete_kl(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    vt_dist *q = relaxed(ctx, a[0], oc), *p = relaxed(ctx, a[1], oc);
    return q && p ? vt_kl(ctx, q, p) : NULL;
}
static vt_tensor *call_concrete_relax(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    int C;
    float tau;
    if (!rc_attr_int(oc, "categories", &C) || !rc_attr_float(oc, "tau", &tau)) return NULL;
    return vt_concrete_relax(ctx, a[0], a[1], C, tau);
}
static vt_tensor *call_relaxed_onehot(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    int C, st;
    if (!rc_attr_int(oc, "categories", &C) || !rc_attr_int(oc, "st", &st)) return NULL;
    return vt_relaxed_onehot(ctx, a[0], C, st);
}

static vt_tensor *planar(vt_ctx *ctx, vt_tensor *const *a, op_call *oc, int want_log_det) {
    int depth;
    vt_tensor *log_det;
    if (!rc_attr_int(oc, "depth", &depth)) return NULL;
    vt_tensor *z = vt_planar_transform(ctx, a[0], a[1], depth, &log_det);
    return want_log_det ? log_det : z;
}
static vt_tensor *call_planar_transform(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    return planar(ctx, a, oc, 0);
}
static vt_tensor *call_planar_log_det(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    return planar(ctx, a, oc, 1);
}

/* A MADE over the case's tensors (masks are constants). The tape keeps pointers to its
 * masks until the backward pass, so it lives in the arena, as a model's lives in it. */
static vt_tensor *made(vt_ctx *ctx, vt_tensor *const *a, int want_gate) {
    vt_made *m = vt_arena_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    *m = (vt_made){.dim = vt_cols(a[0]), .hidden = vt_cols(a[1]), .w1 = a[1], .b1 = a[2],
                   .wm = a[3], .bm = a[4], .ws = a[5], .bs = a[6], .mask1 = *a[7], .mask2 = *a[8]};
    vt_tensor *mean, *gate;
    vt_made_forward(ctx, m, a[0], NULL, &mean, &gate);   /* no context */
    return want_gate ? gate : mean;
}
/* The same with a context h: args z, h, w1, wc, b1, wm, bm, ws, bs, mask1, mask2. */
static vt_tensor *made_context(vt_ctx *ctx, vt_tensor *const *a, int want_gate) {
    vt_made *m = vt_arena_alloc(ctx, sizeof *m);
    if (!m) return NULL;
    *m = (vt_made){.dim = vt_cols(a[0]), .hidden = vt_cols(a[2]), .context = vt_cols(a[1]),
                   .w1 = a[2], .wc = a[3], .b1 = a[4], .wm = a[5], .bm = a[6], .ws = a[7],
                   .bs = a[8], .mask1 = *a[9], .mask2 = *a[10]};
    vt_tensor *mean, *gate;
    vt_made_forward(ctx, m, a[0], a[1], &mean, &gate);
    return want_gate ? gate : mean;
}
static vt_tensor *call_made_context_mean(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return made_context(ctx, a, 0);
}
static vt_tensor *call_made_context_gate(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return made_context(ctx, a, 1);
}
static vt_tensor *call_made_mean(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return made(ctx, a, 0);
}
static vt_tensor *call_made_gate(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return made(ctx, a, 1);
}

static vt_tensor *call_cont_bernoulli_log_norm(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_cont_bernoulli_log_norm(ctx, a[0]);
}
static vt_tensor *call_cont_bernoulli_log_prob(vt_ctx *ctx, vt_tensor *const *a, op_call *oc) {
    (void)oc; return vt_dist_log_prob(ctx, vt_cont_bernoulli_logits(ctx, a[0]), a[1]);
}

#define MADE_ARGS {"z", "w1", "b1", "wm", "bm", "ws", "bs", "mask1", "mask2"}
#define MADE_CONTEXT_ARGS {"z", "h", "w1", "wc", "b1", "wm", "bm", "ws", "bs", "mask1", "mask2"}
const op_entry rc_latent_ops[] = {
    {"detach_mul", call_detach_mul, {"a", "b"}},
    {"scale_grad_rows", call_scale_grad_rows, {"x", "scale"}},
    {"straight_through", call_straight_through, {"hard", "soft"}},
    {"linear_relu", call_linear_relu, {"x", "w", "b?"}},
    {"concrete_log_prob", call_concrete_log_prob, {"logits", "value"}},
    {"concrete_kl", call_concrete_kl, {"logits_q", "logits_p"}},
    {"concrete_relax", call_concrete_relax, {"logits", "noise"}},
    {"relaxed_onehot", call_relaxed_onehot, {"z"}},
    {"planar_transform", call_planar_transform, {"z0", "params"}},
    {"planar_log_det", call_planar_log_det, {"z0", "params"}},
    {"made_mean", call_made_mean, MADE_ARGS},
    {"made_gate", call_made_gate, MADE_ARGS},
    {"made_context_mean", call_made_context_mean, MADE_CONTEXT_ARGS},
    {"made_context_gate", call_made_context_gate, MADE_CONTEXT_ARGS},
    {"cont_bernoulli_log_norm", call_cont_bernoulli_log_norm, {"x"}},
    {"cont_bernoulli_log_prob", call_cont_bernoulli_log_prob, {"logits", "x"}},
};
const size_t rc_n_latent_ops = sizeof rc_latent_ops / sizeof rc_latent_ops[0];
