/* Inverse autoregressive flow (Kingma et al. 2016) with MADE steps (Germain et al.
 * 2015). The masks make output i of a step depend only on inputs earlier in the step's
 * order, so ∂f/∂z is triangular with diagonal σ and log|det| = Σ log σ. Each step is
 * the affine form z' = σ ⊙ z + m, with σ = sigmoid(s + 2)/sigmoid(2) bounded in
 * (0, 1.14) for stability, and the MADE's output layer starts at zero: the flow starts
 * as the identity (log|det| = 0), so a model with it starts as the diagonal-Gaussian
 * VAE and training moves the flow only where that pays. The IAF paper's gated form
 * σ z + (1 − σ) m with σ = sigmoid(s) cannot be the identity at any finite s; started
 * at σ(1) it shrank z by 0.73 per step and trailed the VAE by 2.7 nats after 10 epochs
 * (docs/results.md). */
#include "dist/flow.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* −log sigmoid(2): the shift that makes a step's scale exactly 1 at s = 0. */
#define IAF_LOG_SIGMOID_2 0.126928011042972627f

/* Degree of input/output i (1..Z) in the step's order. */
static int degree(int i, int Z, int reversed) { return reversed ? Z - i : i + 1; }

static int make_mask(vt_tensor *t, int rows, int cols) {
    t->data = calloc((size_t)rows * cols, sizeof(float));
    *t = (vt_tensor){.data = t->data, .ndim = 2, .shape = {rows, cols}};
    return t->data ? 0 : -1;
}

static vt_tensor *param(vt_store *s, const char *name, const char *part, int r, int c,
                        float bound, uint64_t seed, vt_error *err) {
    char full[128];
    snprintf(full, sizeof full, "%s.%s", name, part);
    vt_tensor *t = vt_store_param(s, full, 2, (int[]){r, c}, err);
    if (!t || bound == 0) return t;
    uint64_t h = 1469598103934665603ull;   /* FNV-1a of the name: its own stream */
    for (const char *p = full; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    vt_philox_uniform(seed, 0, h, 0, vt_numel(t), t->data);
    for (size_t i = 0; i < vt_numel(t); i++) t->data[i] = bound * (2.0f * t->data[i] - 1.0f);
    return t;
}

int vt_made_init(vt_made *m, vt_store *s, const char *name, int dim, int context, int hidden,
                 int reversed, uint64_t seed, vt_error *err) {
    memset(m, 0, sizeof *m);
    if (dim < 2 || hidden < 1 || context < 0)
        return vt_error_set(err, VT_EARG, "vt_made_init: %s: latent %d (need >= 2), context %d "
                            "(need >= 0), hidden %d (need >= 1)", name, dim, context, hidden);
    m->dim = dim;
    m->hidden = hidden;
    m->context = context;
    float b1 = 1.0f / sqrtf((float)(dim + context));
    m->w1 = param(s, name, "W1", dim, hidden, b1, seed, err);
    if (m->w1 && context > 0) {
        m->wc = param(s, name, "Wc", context, hidden, b1, seed, err);
        if (!m->wc) m->w1 = NULL;
    }
    m->b1 = m->w1 ? param(s, name, "b1", 1, hidden, b1, seed, err) : NULL;
    /* the outputs start at zero: m = 0, s = 0, so each step starts as the identity */
    m->wm = m->b1 ? param(s, name, "Wm", hidden, dim, 0, seed, err) : NULL;
    m->bm = m->wm ? param(s, name, "bm", 1, dim, 0, seed, err) : NULL;
    m->ws = m->bm ? param(s, name, "Ws", hidden, dim, 0, seed, err) : NULL;
    m->bs = m->ws ? param(s, name, "bs", 1, dim, 0, seed, err) : NULL;
    if (!m->bs || make_mask(&m->mask1, dim, hidden) || make_mask(&m->mask2, hidden, dim)) {
        vt_made_free(m);
        if (!err || err->code == VT_OK) vt_error_set(err, VT_ENOMEM, "vt_made_init: out of memory");
        return -1;
    }
    for (int j = 0; j < hidden; j++) {
        int dh = 1 + j % (dim - 1);   /* hidden degrees 1..Z−1 */
        for (int i = 0; i < dim; i++) {
            int di = degree(i, dim, reversed);
            m->mask1.data[(size_t)i * hidden + j] = dh >= di ? 1.0f : 0.0f;
            m->mask2.data[(size_t)j * dim + i] = di > dh ? 1.0f : 0.0f;
        }
    }
    return 0;
}

void vt_made_free(vt_made *m) {
    if (!m) return;
    free(m->mask1.data);
    free(m->mask2.data);
    memset(m, 0, sizeof *m);
}

/* A MADE that was never built, or a context that does not match it: an error, never a
 * read through NULL (vt_iaf checks the same before its first step). */
static int made_args_ok(vt_ctx *ctx, const vt_made *m, vt_tensor *z, vt_tensor *h) {
    const char *op = "vt_made_forward";
    if (!m || !m->w1 || !m->mask1.data) {
        vt_fail(ctx, "%s: the MADE is NULL or not initialised", op);
        return 0;
    }
    if (!vt_check(ctx, op, z) || (h && !vt_check(ctx, op, h))) return 0;
    if ((m->context > 0) != (h != NULL) || (h && (vt_cols(h) != m->context ||
                                                  vt_rows(h) != vt_rows(z)))) {
        char a[48], b[48];
        vt_fail(ctx, "%s: z %s with context h %s; this MADE takes %d context columns (need "
                "h with z's rows%s)", op, vt_shape_str(z, a), h ? vt_shape_str(h, b) : "NULL",
                m->context, m->context ? "" : ", i.e. NULL");
        return 0;
    }
    return 1;
}

void vt_made_forward(vt_ctx *ctx, const vt_made *m, vt_tensor *z, vt_tensor *context,
                     vt_tensor **mean, vt_tensor **gate) {
    if (!mean || !gate) {
        vt_fail(ctx, "vt_made_forward: NULL output");
        return;
    }
    if (!made_args_ok(ctx, m, z, context)) {
        *mean = *gate = vt_fail(ctx, "vt_made_forward: bad arguments");
        return;
    }
    vt_tensor *k1 = (vt_tensor *)&m->mask1, *k2 = (vt_tensor *)&m->mask2;
    vt_tensor *pre = vt_linear(ctx, z, vt_mul(ctx, m->w1, k1), m->b1);
    if (m->context > 0) pre = vt_add(ctx, pre, vt_matmul(ctx, context, m->wc));
    vt_tensor *h = vt_relu(ctx, pre);
    *mean = vt_linear(ctx, h, vt_mul(ctx, m->wm, k2), m->bm);
    *gate = vt_linear(ctx, h, vt_mul(ctx, m->ws, k2), m->bs);
}

static vt_tensor *iaf_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_flow_aux *a = d->user;
    const vt_made *made = a->steps;
    vt_tensor *z = vt_flow_base_sample(ctx, d, k);
    vt_tensor *h = a->context && k > 1 ? vt_repeat_rows(ctx, a->context, k) : a->context;
    for (int l = 0; l < a->depth; l++) {
        vt_tensor *m, *s;
        vt_made_forward(ctx, &made[l], z, h, &m, &s);
        /* log σ = log sigmoid(s + 2) − log sigmoid(2): σ = 1 at s = 0, below 1.14 always */
        vt_tensor *log_sig = vt_add_scalar(ctx, vt_log_sigmoid(ctx, vt_add_scalar(ctx, s, 2.0f)),
                                           IAF_LOG_SIGMOID_2);
        z = vt_add(ctx, m, vt_mul(ctx, vt_exp(ctx, log_sig), z));   /* σ z + m */
        a->log_q = vt_sub(ctx, a->log_q, vt_sum_rows(ctx, log_sig));
    }
    return d->sample = z;
}

const vt_dist_ops vt_iaf_ops = {"iaf", iaf_rsample, vt_flow_log_prob};

vt_dist *vt_iaf(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *h,
                const vt_made *made, int depth) {
    const char *op = "vt_iaf";
    vt_dist *d = vt_flow_new(ctx, op, &vt_iaf_ops, mu, logsig, depth, made);
    if (d->ops != &vt_iaf_ops) return d;
    if (h && !vt_check(ctx, op, h)) return vt_dist_poison(ctx);
    for (int l = 0; l < depth; l++) {
        if (!made || made[l].dim != d->dim) {
            vt_fail(ctx, "%s: step %d's MADE is for %d latents, the base has %d", op, l,
                    made ? made[l].dim : 0, d->dim);
            return vt_dist_poison(ctx);
        }
        int C = made[l].context;
        if ((C > 0) != (h != NULL) || (h && (vt_cols(h) != C || vt_rows(h) != d->rows))) {
            char s[48];
            vt_fail(ctx, "%s: step %d's MADE takes a context of %d columns; h is %s (need %d "
                    "x %d%s)", op, l, C, h ? vt_shape_str(h, s) : "NULL", d->rows, C,
                    C ? "" : ", i.e. NULL");
            return vt_dist_poison(ctx);
        }
    }
    ((vt_flow_aux *)d->user)->context = h;
    return d;
}
