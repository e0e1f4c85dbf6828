/* Per-row log-densities and the BCE loss. Each returns R x 1.
 * Parameters with fewer rows than the values (R_p dividing R) are shared: value row i
 * uses parameter row i mod R_p (a 1 x D parameter broadcasts; K samples of R rows
 * reuse their datapoint's row). */
#include "ops/op_util.h"
#include "ops/vmath.h"
#include <math.h>

#define BLK 256
static const double HALF_LOG_2PI = 0.91893853320467274178;

static int shares_rows(const vt_tensor *p, const vt_tensor *v) {
    return vt_cols(p) == vt_cols(v) && vt_rows(v) % vt_rows(p) == 0;
}

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
    if (!shares_rows(x, logits)) {
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

/* ---- Σ_j log N(z; mu, exp(logsig)²) = Σ −½u² − logsig − ½log2π, u = (z − mu)/σ ----
 * dz = −u/σ, dmu = u/σ, dlogsig = u² − 1. Computed in double: these are latent-sized. */
static void normal_lp_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *z = node->in[0], *mu = node->in[1], *ls = node->in[2], *y = node->out;
    float *gz = vt_grad(ctx, z), *gmu = vt_grad(ctx, mu), *gls = vt_grad(ctx, ls);
    int R = vt_rows(z), C = vt_cols(z), Rm = vt_rows(mu), Rs = vt_rows(ls);
    for (int r = 0; r < R; r++) {
        double g = y->grad[r];
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c, pm = (size_t)(r % Rm) * C + c,
                   ps = (size_t)(r % Rs) * C + c;
            double isig = exp(-(double)ls->data[ps]);
            double u = ((double)z->data[i] - mu->data[pm]) * isig;
            if (gz) gz[i] += (float)(-g * u * isig);
            if (gmu) gmu[pm] += (float)(g * u * isig);
            if (gls) gls[ps] += (float)(g * (u * u - 1.0));
        }
    }
}

vt_tensor *vt_normal_logprob_rows(vt_ctx *ctx, vt_tensor *z, vt_tensor *mu, vt_tensor *logsig) {
    const char *op = "vt_normal_logprob_rows";
    vt_tensor *in[3] = {z, mu, logsig};
    if (!vt_check_all(ctx, op, 3, in)) return vt_poison(ctx, op);
    if (!shares_rows(mu, z) || !shares_rows(logsig, z)) {
        char a[48], b[48], c[48];
        return vt_fail(ctx, "%s: z %s, mu %s, logsig %s (mu and logsig need z's columns and "
                       "row counts dividing z's)", op, vt_shape_str(z, a), vt_shape_str(mu, b),
                       vt_shape_str(logsig, c));
    }
    int R = vt_rows(z), C = vt_cols(z), Rm = vt_rows(mu), Rs = vt_rows(logsig);
    vt_tensor *y = vt_out2(ctx, R, 1, 3, in);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        double acc = 0;
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c, pm = (size_t)(r % Rm) * C + c,
                   ps = (size_t)(r % Rs) * C + c;
            double u = ((double)z->data[i] - mu->data[pm]) * exp(-(double)logsig->data[ps]);
            acc += -0.5 * u * u - logsig->data[ps] - HALF_LOG_2PI;
        }
        y->data[r] = (float)acc;
    }
    vt_record(ctx, op, y, normal_lp_backward, 3, in, 0);
    return y;
}

/* ---- Σ_j log N(z; 0, 1);  dz = −z ---- */
static void std_normal_lp_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *z = node->in[0], *y = node->out;
    float *gz = vt_grad(ctx, z);
    int R = vt_rows(z), C = vt_cols(z);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) gz[(size_t)r * C + c] -= y->grad[r] * z->data[(size_t)r * C + c];
}

vt_tensor *vt_std_normal_logprob_rows(vt_ctx *ctx, vt_tensor *z) {
    const char *op = "vt_std_normal_logprob_rows";
    if (!vt_check(ctx, op, z)) return vt_poison(ctx, op);
    int R = vt_rows(z), C = vt_cols(z);
    vt_tensor *y = vt_out2(ctx, R, 1, 1, &z);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        double acc = 0;
        for (int c = 0; c < C; c++) {
            double v = z->data[(size_t)r * C + c];
            acc += -0.5 * v * v - HALF_LOG_2PI;
        }
        y->data[r] = (float)acc;
    }
    vt_record(ctx, op, y, std_normal_lp_backward, 1, &z, 0);
    return y;
}
