/* Inverse autoregressive flow (Kingma et al. 2016) with MADE steps (Germain et al.
 * 2015). The masks make output i of a step depend only on inputs earlier in the step's
 * order, so ∂f/∂z is triangular with diagonal σ and log|det| = Σ log σ. */
#include "dist/flow.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int vt_made_init(vt_made *m, vt_store *s, const char *name, int dim, int hidden, int reversed,
                 uint64_t seed, vt_error *err) {
    memset(m, 0, sizeof *m);
    if (dim < 2 || hidden < 1)
        return vt_error_set(err, VT_EARG, "vt_made_init: %s: latent %d (need >= 2), hidden %d",
                            name, dim, hidden);
    m->dim = dim;
    m->hidden = hidden;
    float b1 = 1.0f / sqrtf((float)dim), b2 = 1.0f / sqrtf((float)hidden);
    m->w1 = param(s, name, "W1", dim, hidden, b1, seed, err);
    m->b1 = m->w1 ? param(s, name, "b1", 1, hidden, b1, seed, err) : NULL;
    m->wm = m->b1 ? param(s, name, "Wm", hidden, dim, b2, seed, err) : NULL;
    m->bm = m->wm ? param(s, name, "bm", 1, dim, 0, seed, err) : NULL;
    m->ws = m->bm ? param(s, name, "Ws", hidden, dim, b2, seed, err) : NULL;
    m->bs = m->ws ? param(s, name, "bs", 1, dim, 0, seed, err) : NULL;
    if (!m->bs || make_mask(&m->mask1, dim, hidden) || make_mask(&m->mask2, hidden, dim)) {
        vt_made_free(m);
        if (!err || err->code == VT_OK) vt_error_set(err, VT_ENOMEM, "vt_made_init: out of memory");
        return -1;
    }
    /* the gate starts open towards the identity: σ(1) ≈ 0.73 keeps most of z */
    for (int j = 0; j < dim; j++) m->bs->data[j] = 1.0f;
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

void vt_made_forward(vt_ctx *ctx, const vt_made *m, vt_tensor *z, vt_tensor **mean,
                     vt_tensor **gate) {
    vt_tensor *k1 = (vt_tensor *)&m->mask1, *k2 = (vt_tensor *)&m->mask2;
    vt_tensor *h = vt_relu(ctx, vt_linear(ctx, z, vt_mul(ctx, m->w1, k1), m->b1));
    *mean = vt_linear(ctx, h, vt_mul(ctx, m->wm, k2), m->bm);
    *gate = vt_linear(ctx, h, vt_mul(ctx, m->ws, k2), m->bs);
}

static vt_tensor *iaf_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_flow_aux *a = d->user;
    const vt_made *made = a->steps;
    vt_tensor *z = vt_flow_base_sample(ctx, d, k);
    for (int l = 0; l < a->depth; l++) {
        vt_tensor *m, *s;
        vt_made_forward(ctx, &made[l], z, &m, &s);
        vt_tensor *sig = vt_sigmoid(ctx, s);
        z = vt_add(ctx, m, vt_mul(ctx, sig, vt_sub(ctx, z, m)));   /* σ z + (1 − σ) m */
        a->log_q = vt_sub(ctx, a->log_q, vt_sum_rows(ctx, vt_log_sigmoid(ctx, s)));
    }
    return d->sample = z;
}

const vt_dist_ops vt_iaf_ops = {"iaf", iaf_rsample, vt_flow_log_prob};

vt_dist *vt_iaf(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, const vt_made *made, int depth) {
    const char *op = "vt_iaf";
    vt_dist *d = vt_flow_new(ctx, op, &vt_iaf_ops, mu, logsig, depth, made);
    if (d->ops != &vt_iaf_ops) return d;
    for (int l = 0; l < depth; l++)
        if (!made || made[l].dim != d->dim) {
            vt_fail(ctx, "%s: step %d's MADE is for %d latents, the base has %d", op, l,
                    made ? made[l].dim : 0, d->dim);
            return vt_dist_poison(ctx);
        }
    return d;
}
