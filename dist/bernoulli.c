/* The Bernoulli family with logits: log p(x) = −BCE-with-logits, computed stably as
 * Σ_j max(l,0) − x l + log1p(e^{−|l|}), and its dist (hard 0/1 samples). */
#include "dist/internal.h"
#include "ops/vmath.h"
#include <math.h>

#define BLK 256

/* ---- BCE with logits: Σ_j max(l,0) − x l + log1p(exp(−|l|)); sign −1 gives log p ---- */
typedef struct { float sign; } bce_aux;
typedef struct {
    const float *l, *x, *g;
    float *out;
    int C, Rx;
    float sign;
} bce_job;

static void bce_fwd_rows(void *arg, size_t r0, size_t r1) {
    const bce_job *j = arg;
    float e[BLK];
    for (size_t r = r0; r < r1; r++) {
        const float *l = j->l + r * j->C, *x = j->x + (r % j->Rx) * j->C;
        double acc = 0;
        for (int b = 0; b < j->C; b += BLK) {
            int m = j->C - b < BLK ? j->C - b : BLK;
            for (int i = 0; i < m; i++) e[i] = -fabsf(l[b + i]);
            vt_vexp(m, e, e);
            vt_vlog1p(m, e, e);
            float s = 0;
            for (int i = 0; i < m; i++) s += (l[b + i] > 0 ? l[b + i] : 0) - x[b + i] * l[b + i] + e[i];
            acc += s;
        }
        j->out[r] = j->sign * (float)acc;
    }
}

/* d/dl = sigmoid(l) − x */
static void bce_bwd_rows(void *arg, size_t r0, size_t r1) {
    const bce_job *j = arg;
    float e[BLK];
    for (size_t r = r0; r < r1; r++) {
        const float *l = j->l + r * j->C, *x = j->x + (r % j->Rx) * j->C;
        float *gl = j->out + r * j->C, g = j->sign * j->g[r];
        for (int b = 0; b < j->C; b += BLK) {
            int m = j->C - b < BLK ? j->C - b : BLK;
            for (int i = 0; i < m; i++) e[i] = -fabsf(l[b + i]);
            vt_vexp(m, e, e);
            for (int i = 0; i < m; i++) {
                float sig = (l[b + i] >= 0 ? 1.0f : e[i]) / (1.0f + e[i]);
                gl[b + i] += g * (sig - x[b + i]);
            }
        }
    }
}

static size_t row_grain(int C) { return C >= VT_GRAIN ? 1 : VT_GRAIN / (size_t)C; }

static void bce_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *l = node->in[0], *x = node->in[1], *y = node->out;
    float *gl = vt_grad(ctx, l);
    if (!gl) return;
    bce_job j = {l->data, x->data, y->grad, gl, vt_cols(l), vt_rows(x),
                 ((const bce_aux *)node->aux)->sign};
    vt_parallel_for(ctx, (size_t)vt_rows(l), row_grain(j.C), bce_bwd_rows, &j);
}

static vt_tensor *bce(vt_ctx *ctx, const char *op, vt_tensor *logits, vt_tensor *x, float sign) {
    vt_tensor *in[2] = {logits, x};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_shares_rows(x, logits)) {
        char a[48], b[48];
        return vt_fail(ctx, "%s: logits %s and targets %s (targets need the same columns and "
                       "a row count dividing the logits')", op, vt_shape_str(logits, a),
                       vt_shape_str(x, b));
    }
    int R = vt_rows(logits);
    vt_tensor *y = vt_out2(ctx, R, 1, 1, in);   /* targets take no gradient */
    if (vt_is_poison(y)) return y;
    bce_job j = {logits->data, x->data, NULL, y->data, vt_cols(logits), vt_rows(x), sign};
    vt_parallel_for(ctx, (size_t)R, row_grain(j.C), bce_fwd_rows, &j);
    vt_node *node = vt_record(ctx, op, y, bce_backward, 2, in, sizeof(bce_aux));
    if (node) ((bce_aux *)node->aux)->sign = sign;
    return y;
}

vt_tensor *vt_bce_logits_rows(vt_ctx *ctx, vt_tensor *logits, vt_tensor *x) {
    return bce(ctx, "vt_bce_logits_rows", logits, x, 1.0f);
}
vt_tensor *vt_bernoulli_logprob_rows(vt_ctx *ctx, vt_tensor *logits, vt_tensor *x) {
    return bce(ctx, "vt_bernoulli_logprob_rows", logits, x, -1.0f);
}

/* ---- Bernoulli with logits ---- */
static vt_tensor *bernoulli_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *l = d->p[0];
    int n = vt_sample_rows(ctx, "bernoulli.rsample", k, vt_rows(l)), D = vt_cols(l);
    vt_tensor *x = vt_randu(ctx, n, D);
    if (x->flags & VT_POISON) return x;
    size_t m = vt_numel(l);
    for (size_t i = 0; i < vt_numel(x); i++)
        x->data[i] = x->data[i] < 1.0f / (1.0f + expf(-l->data[i % m])) ? 1.0f : 0.0f;
    return d->sample = x;
}
static vt_tensor *bernoulli_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    return vt_bernoulli_logprob_rows(ctx, d->p[0], x);
}
const vt_dist_ops vt_bernoulli_ops = {"bernoulli", bernoulli_rsample, bernoulli_log_prob};

vt_dist *vt_bernoulli_logits(vt_ctx *ctx, vt_tensor *logits) {
    if (!vt_dist_params_ok(ctx, "vt_bernoulli_logits", 1, &logits)) return vt_dist_poison(ctx);
    vt_dist *d = vt_dist_new(ctx, &vt_bernoulli_ops, vt_rows(logits), vt_cols(logits));
    if (d->ops == &vt_bernoulli_ops) d->p[0] = logits;
    return d;
}

