/* Adam and AdamW as torch.optim.Adam / AdamW (amsgrad off):
 *   AdamW: p *= 1 - lr * wd                      (decoupled decay, before the update)
 *   Adam:  g = grad + wd * p                     (L2 term in the gradient)
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2      (store slots 0 and 1)
 *   p -= lr * mhat / (sqrt(vhat) + eps),  mhat = m / (1 - b1^t), vhat = v / (1 - b2^t)
 * The bias corrections are folded into two per-step scalars, as PyTorch does:
 * lr * mhat / (sqrt(vhat) + eps) = (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps). */
#include "optim/internal.h"
#include "core/simd.h"
#include <math.h>

typedef struct adam_coef {
    float l2, decay;                  /* Adam: l2 = wd, decay = 1; AdamW: 0, 1 - lr wd */
    float b1, b2, one_minus_b1, one_minus_b2, eps;
    float step_size, inv_sqrt_bc2;    /* lr / bc1, 1 / sqrt(bc2) */
} adam_coef;

VT_INLINE void adam_element(adam_coef c, float *restrict p, float *restrict g,
                                float *restrict m, float *restrict v, size_t i, int zero) {
    float pv = p[i];
    float gi = g[i] + c.l2 * pv;
    if (zero) g[i] = 0.0f;
    float mi = c.b1 * m[i] + c.one_minus_b1 * gi;
    float vi = c.b2 * v[i] + c.one_minus_b2 * gi * gi;
    mi = fabsf(mi) < VT_MOMENT_FLUSH ? 0.0f : mi;   /* see VT_MOMENT_FLUSH */
    vi = vi < VT_MOMENT_FLUSH ? 0.0f : vi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pv * c.decay - c.step_size * mi / (sqrtf(vi) * c.inv_sqrt_bc2 + c.eps);
}

/* restrict parameters (not locals) are what tells GCC the blocks do not overlap;
 * `zero` is a constant at each call below, so each copy has no branch. */
VT_INLINE void adam_loop(adam_coef c, size_t n, float *restrict p, float *restrict g,
                             float *restrict m, float *restrict v, int zero) {
    size_t i = 0;
    for (; i + VT_OPTIM_BLOCK <= n; i += VT_OPTIM_BLOCK)
        for (size_t k = i; k < i + VT_OPTIM_BLOCK; k++) adam_element(c, p, g, m, v, k, zero);
    for (; i < n; i++) adam_element(c, p, g, m, v, i, zero);
}

/* Adam is memory-bound (7 of its 8 streams go to memory), so zeroing the gradient in
 * the same pass saves the separate vt_store_zero_grad pass over it. */
VT_WIDE_LOOP static void adam_range(adam_coef c, size_t n, float *restrict p, float *restrict g,
                                    float *restrict m, float *restrict v) {
    adam_loop(c, n, p, g, m, v, 0);
}
VT_WIDE_LOOP static void adam_range_zero(adam_coef c, size_t n, float *restrict p,
                                         float *restrict g, float *restrict m, float *restrict v) {
    adam_loop(c, n, p, g, m, v, 1);
}

typedef struct adam_job {
    adam_coef c;
    float *p, *m, *v, *g;
    int zero;
} adam_job;

static void adam_chunk(void *arg, size_t b, size_t e) {
    const adam_job *j = arg;
    if (j->zero) adam_range_zero(j->c, e - b, j->p + b, j->g + b, j->m + b, j->v + b);
    else adam_range(j->c, e - b, j->p + b, j->g + b, j->m + b, j->v + b);
}

/* Elements per parallel chunk: a multiple of VT_OPTIM_BLOCK, 448 KiB of traffic. */
#define ADAM_GRAIN 16384

int vt_adam_update(vt_optim *opt, float lr, int zero_grad, vt_error *err) {
    size_t n = vt_store_numel(opt->store);
    if (n == 0) return 0;
    float *m = vt_store_slot(opt->store, 0), *v = vt_store_slot(opt->store, 1);
    if (!m || !v) return vt_error_set(err, VT_ENOMEM, "vt_optim_step: out of memory for Adam moments");

    const vt_optim_config *cfg = &opt->cfg;
    const int decoupled = cfg->kind == VT_ADAMW;
    /* In double: b2^t stays close to 1 for many steps, where float would lose it. */
    const double bc1 = 1.0 - pow(cfg->beta1, (double)opt->t);
    const double bc2 = 1.0 - pow(cfg->beta2, (double)opt->t);
    const adam_coef c = {
        .l2 = decoupled ? 0.0f : cfg->weight_decay,
        .decay = decoupled ? (float)(1.0 - (double)lr * cfg->weight_decay) : 1.0f,
        .b1 = cfg->beta1,
        .b2 = cfg->beta2,
        .one_minus_b1 = 1.0f - cfg->beta1,
        .one_minus_b2 = 1.0f - cfg->beta2,
        .eps = cfg->eps,
        .step_size = (float)(lr / bc1),
        .inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2)),
    };
    adam_job j = {c, vt_store_values(opt->store), m, v, vt_store_grads(opt->store), zero_grad};
    if (opt->ctx) vt_parallel_for(opt->ctx, n, ADAM_GRAIN, adam_chunk, &j);
    else adam_chunk(&j, 0, n);
    return 0;
}
