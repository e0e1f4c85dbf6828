/* The diagonal Normal family N(mu, diag exp(logsig)²), with N(0, I) as its standard
 * member: the reparameterized sample, the log-density, and the dists built on them.
 * Variances enter only through log σ. Latent-sized math runs in double.
 * Parameters with fewer rows than the values (R_p dividing R) are shared: value row i
 * uses parameter row i mod R_p, so K samples of R datapoints need no copies. */
#include "dist/internal.h"
#include <math.h>

static const double HALF_LOG_2PI = 0.91893853320467274178;

/* ---- z = mu + exp(logsig) ⊙ eps ---- */
static void reparam_diag_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *mu = node->in[0], *ls = node->in[1], *eps = node->in[2], *z = node->out;
    float *gmu = vt_grad(ctx, mu), *gls = vt_grad(ctx, ls);
    size_t n = vt_numel(z), np = vt_numel(mu);
    for (size_t i = 0; i < n; i++) {
        size_t p = i % np;
        float g = z->grad[i];
        if (gmu) gmu[p] += g;
        if (gls) gls[p] += g * expf(ls->data[p]) * eps->data[i];
    }
}

vt_tensor *vt_reparam_diag(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *eps) {
    const char *op = "vt_reparam_diag";
    vt_tensor *in[3] = {mu, logsig, eps};
    if (!vt_check_all(ctx, op, 3, in)) return vt_poison(ctx, op);
    if (vt_numel(mu) != vt_numel(logsig) || vt_cols(mu) != vt_cols(logsig) ||
        !vt_shares_rows(mu, eps)) {
        char a[48], b[48], c[48];
        return vt_fail(ctx, "%s: mu %s, logsig %s, eps %s (need mu and logsig R x Z, eps K·R x Z)",
                       op, vt_shape_str(mu, a), vt_shape_str(logsig, b), vt_shape_str(eps, c));
    }
    vt_tensor *z = vt_out_like(ctx, eps, 2, in);   /* eps never takes a gradient */
    if (vt_is_poison(z)) return z;
    size_t n = vt_numel(z), np = vt_numel(mu);
    for (size_t i = 0; i < n; i++) {
        size_t p = i % np;
        z->data[i] = mu->data[p] + expf(logsig->data[p]) * eps->data[i];
    }
    vt_record(ctx, op, z, reparam_diag_backward, 3, in, 0);
    return z;
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
    if (!vt_shares_rows(mu, z) || !vt_shares_rows(logsig, z)) {
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

/* ---- the Normal dist: mu R x D, logsig R_s x D with R_s dividing R (a 1 x D log σ is
 * a shared, e.g. learned, noise level of a Gaussian likelihood) ---- */
static vt_tensor *normal_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *mu = d->p[0], *ls = d->p[1];
    if (vt_rows(ls) != vt_rows(mu)) ls = vt_repeat_rows(ctx, ls, vt_rows(mu) / vt_rows(ls));
    d->eps = vt_randn(ctx, vt_sample_rows(ctx, "normal.rsample", k, d->rows), d->dim);
    return d->sample = vt_reparam_diag(ctx, mu, ls, d->eps);
}
/* x may have K·R rows for R parameter rows (K samples scored under their datapoint's
 * q), or the parameters K·R rows for R data rows (a likelihood decoded from K samples
 * of z): then the data are repeated to match. */
static vt_tensor *normal_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    vt_tensor *mu = d->p[0];
    int R = vt_rows(x), M = vt_rows(mu);
    if (M > R && M % R == 0) x = vt_repeat_rows(ctx, x, M / R);
    return vt_normal_logprob_rows(ctx, x, mu, d->p[1]);
}
const vt_dist_ops vt_normal_ops = {"normal", normal_rsample, normal_log_prob};

vt_dist *vt_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig) {
    const char *op = "vt_normal";
    if (!vt_dist_params_ok(ctx, op, 2, (vt_tensor *[]){mu, logsig})) return vt_dist_poison(ctx);
    if (!vt_shares_rows(logsig, mu)) {
        char a[48], b[48];
        vt_fail(ctx, "%s: mu %s and logsig %s (logsig needs mu's columns and a row count "
                     "dividing mu's)", op, vt_shape_str(mu, a), vt_shape_str(logsig, b));
        return vt_dist_poison(ctx);
    }
    vt_dist *d = vt_dist_new(ctx, &vt_normal_ops, vt_rows(mu), vt_cols(mu));
    if (d->ops == &vt_normal_ops) { d->p[0] = mu; d->p[1] = logsig; }
    return d;
}

/* ---- standard Normal ---- */
static vt_tensor *std_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    return d->eps = d->sample = vt_randn(ctx, vt_sample_rows(ctx, "std_normal.rsample", k, d->rows), d->dim);
}
static vt_tensor *std_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    return vt_std_normal_logprob_rows(ctx, z);
}
const vt_dist_ops vt_std_normal_ops = {"std_normal", std_rsample, std_log_prob};

vt_dist *vt_std_normal(vt_ctx *ctx, int rows, int dim) {
    return vt_dist_new(ctx, &vt_std_normal_ops, rows, dim);
}
