/* Mixture-of-Gaussians log-density per row (a learnable prior):
 *   log p(z) = log Σ_c π_c N(z; m_c, diag σ_c²),  π = softmax(logits)
 * computed as a log-sum-exp over components. With responsibilities
 * ρ_c = π_c N_c / p(z) and u = (z − m_c)/σ_c:
 *   dz = −Σ_c ρ_c u/σ_c,  dm_c = ρ_c u/σ_c,  dlogσ_c = ρ_c (u² − 1),  dlogits_c = ρ_c − π_c. */
#include "dist/internal.h"
#include <math.h>

static const double HALF_LOG_2PI = 0.91893853320467274178;

typedef struct { double *resp, *logpi; } mog_aux;   /* R x C and C, in the arena */

static void log_softmax(const float *x, int n, double *out) {
    double m = -INFINITY, s = 0;
    for (int i = 0; i < n; i++) m = fmax(m, x[i]);
    for (int i = 0; i < n; i++) s += exp(x[i] - m);
    for (int i = 0; i < n; i++) out[i] = x[i] - m - log(s);
}

static void mog_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *z = node->in[0], *lg = node->in[1], *m = node->in[2], *ls = node->in[3];
    const mog_aux *a = node->aux;
    float *gz = vt_grad(ctx, z), *glg = vt_grad(ctx, lg), *gm = vt_grad(ctx, m),
          *gls = vt_grad(ctx, ls);
    int R = vt_rows(z), D = vt_cols(z), C = vt_cols(lg);
    for (int r = 0; r < R; r++) {
        double g = node->out->grad[r];
        const double *rho = a->resp + (size_t)r * C;
        for (int c = 0; c < C; c++) {
            double w = g * rho[c];
            if (glg) glg[c] += (float)(w - g * exp(a->logpi[c]));
            for (int d = 0; d < D; d++) {
                size_t p = (size_t)c * D + d;
                double isig = exp(-(double)ls->data[p]);
                double u = ((double)z->data[(size_t)r * D + d] - m->data[p]) * isig;
                if (gz) gz[(size_t)r * D + d] -= (float)(w * u * isig);
                if (gm) gm[p] += (float)(w * u * isig);
                if (gls) gls[p] += (float)(w * (u * u - 1.0));
            }
        }
    }
}

vt_tensor *vt_mog_logprob_rows(vt_ctx *ctx, vt_tensor *z, vt_tensor *logits, vt_tensor *means,
                               vt_tensor *logsigs) {
    const char *op = "vt_mog_logprob_rows";
    vt_tensor *in[4] = {z, logits, means, logsigs};
    if (!vt_check_all(ctx, op, 4, in)) return vt_poison(ctx, op);
    int R = vt_rows(z), D = vt_cols(z), C = vt_cols(logits);
    if (vt_rows(logits) != 1 || vt_rows(means) != C || vt_cols(means) != D ||
        vt_rows(logsigs) != C || vt_cols(logsigs) != D) {
        char a[48], b[48], c[48], d[48];
        return vt_fail(ctx, "%s: z %s, logits %s, means %s, logsigs %s (need R x D, 1 x C, "
                       "C x D, C x D)", op, vt_shape_str(z, a), vt_shape_str(logits, b),
                       vt_shape_str(means, c), vt_shape_str(logsigs, d));
    }
    vt_tensor *y = vt_out2(ctx, R, 1, 4, in);
    if (vt_is_poison(y)) return y;
    double *logpi = vt_arena_alloc(ctx, (size_t)C * sizeof(double));
    double *resp = vt_arena_alloc(ctx, (size_t)R * C * sizeof(double));
    if (!logpi || !resp) return vt_poison(ctx, op);
    log_softmax(logits->data, C, logpi);
    for (int r = 0; r < R; r++) {
        double *a = resp + (size_t)r * C, mx = -INFINITY;
        for (int c = 0; c < C; c++) {
            double acc = logpi[c];
            for (int d = 0; d < D; d++) {
                size_t p = (size_t)c * D + d;
                double u = ((double)z->data[(size_t)r * D + d] - means->data[p]) *
                           exp(-(double)logsigs->data[p]);
                acc += -0.5 * u * u - logsigs->data[p] - HALF_LOG_2PI;
            }
            a[c] = acc;
            mx = fmax(mx, acc);
        }
        double s = 0;
        for (int c = 0; c < C; c++) s += exp(a[c] - mx);
        double lse = mx + log(s);
        for (int c = 0; c < C; c++) a[c] = exp(a[c] - lse);   /* responsibilities */
        y->data[r] = (float)lse;
    }
    vt_node *node = vt_record(ctx, op, y, mog_backward, 4, in, sizeof(mog_aux));
    if (node) *(mog_aux *)node->aux = (mog_aux){resp, logpi};
    return y;
}

/* ---- mixture of Gaussians ---- */
static vt_tensor *mog_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *logits = d->p[0], *means = d->p[1], *logsigs = d->p[2];
    int n = vt_sample_rows(ctx, "mog.rsample", k, d->rows), C = vt_cols(logits);
    /* Pick a component per row by inverse CDF of softmax(logits), as a constant
     * one-hot matrix: the pick itself has no gradient, but the picked means and
     * log σ (pick @ means) do, through the reparameterized sample. */
    vt_tensor *u = vt_randu(ctx, n, 1), *pick = vt_zeros(ctx, 2, (int[]){n, C});
    if ((u->flags | pick->flags) & VT_POISON) return pick;
    double mx = -INFINITY, tot = 0;
    for (int c = 0; c < C; c++) mx = fmax(mx, logits->data[c]);
    for (int c = 0; c < C; c++) tot += exp(logits->data[c] - mx);
    for (int i = 0; i < n; i++) {
        double acc = 0;
        int c = 0;
        for (; c < C - 1; c++) {
            acc += exp(logits->data[c] - mx) / tot;
            if (u->data[i] < acc) break;
        }
        pick->data[(size_t)i * C + c] = 1.0f;
    }
    d->eps = vt_randn(ctx, n, d->dim);
    return d->sample = vt_reparam_diag(ctx, vt_matmul(ctx, pick, means),
                                       vt_matmul(ctx, pick, logsigs), d->eps);
}
static vt_tensor *mog_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    return vt_mog_logprob_rows(ctx, z, d->p[0], d->p[1], d->p[2]);
}
const vt_dist_ops vt_mog_ops = {"mog", mog_rsample, mog_log_prob};

vt_dist *vt_mog(vt_ctx *ctx, int rows, vt_tensor *logits, vt_tensor *means, vt_tensor *logsigs) {
    if (!vt_dist_params_ok(ctx, "vt_mog", 3, (vt_tensor *[]){logits, means, logsigs})) return vt_dist_poison(ctx);
    vt_dist *d = vt_dist_new(ctx, &vt_mog_ops, rows, vt_cols(means));
    if (d->ops == &vt_mog_ops) { d->p[0] = logits; d->p[1] = means; d->p[2] = logsigs; }
    return d;
}

