/* Closed-form KL divergences between diagonal Normals, per row (→ R x 1).
 * Variances enter only through log σ (σ² = exp(2 logsig)), in double. */
#include "dist/internal.h"
#include <math.h>

/* ---- KL(N(mu, σ²) ‖ N(0, 1)) = Σ ½(mu² + σ² − 1) − logsig;
 * d/dmu = mu, d/dlogsig = σ² − 1. expm1 keeps σ² − 1 exact near logsig = 0. */
static void kl_std_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *mu = node->in[0], *ls = node->in[1], *y = node->out;
    float *gmu = vt_grad(ctx, mu), *gls = vt_grad(ctx, ls);
    int R = vt_rows(mu), C = vt_cols(mu);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c;
            if (gmu) gmu[i] += y->grad[r] * mu->data[i];
            if (gls) gls[i] += (float)(y->grad[r] * expm1(2.0 * ls->data[i]));
        }
}

vt_tensor *vt_kl_normal_std_rows(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig) {
    const char *op = "vt_kl_normal_std_rows";
    vt_tensor *in[2] = {mu, logsig};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_check_same_shape(ctx, op, "mu", mu, "logsig", logsig)) return vt_poison(ctx, op);
    int R = vt_rows(mu), C = vt_cols(mu);
    vt_tensor *y = vt_out2(ctx, R, 1, 2, in);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        double acc = 0;
        for (int c = 0; c < C; c++) {
            double m = mu->data[(size_t)r * C + c], l = logsig->data[(size_t)r * C + c];
            acc += 0.5 * (m * m + expm1(2.0 * l)) - l;
        }
        y->data[r] = (float)acc;
    }
    vt_record(ctx, op, y, kl_std_backward, 2, in, 0);
    return y;
}

/* ---- KL(N(mu1, σ1²) ‖ N(mu2, σ2²)) = Σ ls2 − ls1 + (σ1² + (mu1 − mu2)²)/(2σ2²) − ½ ----
 * With d = mu1 − mu2, ρ = σ1²/σ2², q = d²/σ2²:
 * dmu1 = d/σ2², dmu2 = −d/σ2², dls1 = ρ − 1, dls2 = 1 − ρ − q.
 * (mu2, ls2) may have fewer rows than (mu1, ls1): row i uses row i mod R2. */
static void kl_nn_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *m1 = node->in[0], *l1 = node->in[1], *m2 = node->in[2], *l2 = node->in[3];
    vt_tensor *y = node->out;
    float *gm1 = vt_grad(ctx, m1), *gl1 = vt_grad(ctx, l1), *gm2 = vt_grad(ctx, m2),
          *gl2 = vt_grad(ctx, l2);
    int R = vt_rows(m1), C = vt_cols(m1), R2 = vt_rows(m2);
    for (int r = 0; r < R; r++) {
        double g = y->grad[r];
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c, p = (size_t)(r % R2) * C + c;
            double inv2 = exp(-2.0 * l2->data[p]);
            double d = (double)m1->data[i] - m2->data[p];
            double rho = exp(2.0 * ((double)l1->data[i] - l2->data[p])), q = d * d * inv2;
            if (gm1) gm1[i] += (float)(g * d * inv2);
            if (gm2) gm2[p] -= (float)(g * d * inv2);
            if (gl1) gl1[i] += (float)(g * (rho - 1.0));
            if (gl2) gl2[p] += (float)(g * (1.0 - rho - q));
        }
    }
}

vt_tensor *vt_kl_normal_normal_rows(vt_ctx *ctx, vt_tensor *mu1, vt_tensor *logsig1,
                                    vt_tensor *mu2, vt_tensor *logsig2) {
    const char *op = "vt_kl_normal_normal_rows";
    vt_tensor *in[4] = {mu1, logsig1, mu2, logsig2};
    if (!vt_check_all(ctx, op, 4, in)) return vt_poison(ctx, op);
    int R = vt_rows(mu1), C = vt_cols(mu1), R2 = vt_rows(mu2);
    if (vt_rows(logsig1) != R || vt_cols(logsig1) != C || vt_cols(mu2) != C ||
        vt_rows(logsig2) != R2 || vt_cols(logsig2) != C || R % R2 != 0) {
        char a[48], b[48], c[48], d[48];
        return vt_fail(ctx, "%s: mu1 %s, logsig1 %s, mu2 %s, logsig2 %s (need q's pair R x D, "
                       "p's pair R2 x D with R2 dividing R)", op, vt_shape_str(mu1, a),
                       vt_shape_str(logsig1, b), vt_shape_str(mu2, c), vt_shape_str(logsig2, d));
    }
    vt_tensor *y = vt_out2(ctx, R, 1, 4, in);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        double acc = 0;
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c, p = (size_t)(r % R2) * C + c;
            double dl = (double)logsig1->data[i] - logsig2->data[p];
            double d = (double)mu1->data[i] - mu2->data[p];
            /* ½(ρ − 1) − log ρ^½ with ρ = exp(2 dl): expm1 avoids cancellation at ρ ≈ 1 */
            acc += 0.5 * expm1(2.0 * dl) - dl + 0.5 * d * d * exp(-2.0 * logsig2->data[p]);
        }
        y->data[r] = (float)acc;
    }
    vt_record(ctx, op, y, kl_nn_backward, 4, in, 0);
    return y;
}

/* A Normal's log σ may have fewer rows than its mean (shared, vt_normal): the kernels
 * take one row per mean row, so repeat it; the copies' gradients add back up. */
static vt_tensor *logsig_per_row(vt_ctx *ctx, const vt_dist *d) {
    int R = vt_rows(d->p[0]), Rs = vt_rows(d->p[1]);
    return Rs == R || Rs < 1 || R % Rs ? d->p[1] : vt_repeat_rows(ctx, d->p[1], R / Rs);
}

vt_tensor *vt_kl_rule_normal_std(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_kl_normal_std_rows(ctx, q->p[0], logsig_per_row(ctx, q));
}

vt_tensor *vt_kl_rule_normal_normal(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_kl_normal_normal_rows(ctx, q->p[0], logsig_per_row(ctx, q), p->p[0],
                                    logsig_per_row(ctx, p));
}

