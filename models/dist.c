/* The built-in distribution families. Each is an rsample and a log_prob built from
 * recorded ops, so their gradients come from the tape. */
#include "vtape/dist.h"
#include "vtape/ops.h"
#include <math.h>
#include <string.h>

vt_dist *vt_dist_new(vt_ctx *ctx, const vt_dist_ops *ops, int rows, int dim) {
    vt_dist *d = vt_arena_alloc(ctx, sizeof *d);
    if (!d) return NULL;
    memset(d, 0, sizeof *d);
    d->ops = ops;
    d->rows = rows;
    d->dim = dim;
    return d;
}

static int usable(vt_ctx *ctx, const char *op, int n, vt_tensor *const *t) {
    for (int i = 0; i < n; i++)
        if (!vt_check(ctx, op, t[i])) return 0;
    return 1;
}

/* ---- diagonal Normal (mu, log σ) ---- */
static vt_tensor *normal_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    d->eps = vt_randn(ctx, k * d->rows, d->dim);
    return d->sample = vt_reparam_diag(ctx, d->p[0], d->p[1], d->eps);
}
static vt_tensor *normal_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    return vt_normal_logprob_rows(ctx, z, d->p[0], d->p[1]);
}
const vt_dist_ops vt_normal_ops = {"normal", normal_rsample, normal_log_prob};

vt_dist *vt_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig) {
    if (!usable(ctx, "vt_normal", 2, (vt_tensor *[]){mu, logsig})) return NULL;
    vt_dist *d = vt_dist_new(ctx, &vt_normal_ops, vt_rows(mu), vt_cols(mu));
    if (d) { d->p[0] = mu; d->p[1] = logsig; }
    return d;
}

/* ---- standard Normal ---- */
static vt_tensor *std_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    return d->eps = d->sample = vt_randn(ctx, k * d->rows, d->dim);
}
static vt_tensor *std_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    return vt_std_normal_logprob_rows(ctx, z);
}
const vt_dist_ops vt_std_normal_ops = {"std_normal", std_rsample, std_log_prob};

vt_dist *vt_std_normal(vt_ctx *ctx, int rows, int dim) {
    return vt_dist_new(ctx, &vt_std_normal_ops, rows, dim);
}

/* ---- full-covariance Normal ---- */
static vt_tensor *fullcov_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    d->eps = vt_randn(ctx, k * d->rows, d->dim);
    return d->sample = vt_reparam_fullcov(ctx, d->p[0], d->p[1], d->p[2], d->eps);
}
/* log q(z) = Σ log N(eps; 0, 1) − log|det L|, with z = mu + L eps of the last sample. */
static vt_tensor *fullcov_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    if (!d->sample || z != d->sample)
        return vt_fail(ctx, "fullcov_normal.log_prob: only its own last rsample can be scored "
                            "(it reuses that sample's noise)");
    return vt_fullcov_logq_rows(ctx, d->eps, d->p[1]);
}
const vt_dist_ops vt_fullcov_normal_ops = {"fullcov_normal", fullcov_rsample, fullcov_log_prob};

vt_dist *vt_fullcov_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *lprime) {
    if (!usable(ctx, "vt_fullcov_normal", 3, (vt_tensor *[]){mu, logsig, lprime})) return NULL;
    vt_dist *d = vt_dist_new(ctx, &vt_fullcov_normal_ops, vt_rows(mu), vt_cols(mu));
    if (d) { d->p[0] = mu; d->p[1] = logsig; d->p[2] = lprime; }
    return d;
}

/* ---- mixture of Gaussians ---- */
static vt_tensor *mog_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *logits = d->p[0], *means = d->p[1], *logsigs = d->p[2];
    int n = k * d->rows, C = vt_cols(logits);
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
    if (!usable(ctx, "vt_mog", 3, (vt_tensor *[]){logits, means, logsigs})) return NULL;
    vt_dist *d = vt_dist_new(ctx, &vt_mog_ops, rows, vt_cols(means));
    if (d) { d->p[0] = logits; d->p[1] = means; d->p[2] = logsigs; }
    return d;
}

/* ---- Bernoulli with logits ---- */
static vt_tensor *bernoulli_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *l = d->p[0];
    int n = k * vt_rows(l), D = vt_cols(l);
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
    if (!usable(ctx, "vt_bernoulli_logits", 1, &logits)) return NULL;
    vt_dist *d = vt_dist_new(ctx, &vt_bernoulli_ops, vt_rows(logits), vt_cols(logits));
    if (d) d->p[0] = logits;
    return d;
}

/* ---- Gaussian likelihood: N(x; mean, exp(logsig)²) with logsig 1 x D ---- */
static vt_tensor *gaussian_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    d->eps = vt_randn(ctx, k * vt_rows(d->p[0]), d->dim);
    return d->sample = vt_reparam_diag(ctx, d->p[0], vt_repeat_rows(ctx, d->p[1], vt_rows(d->p[0])),
                                       d->eps);
}
/* The mean may have K·R rows for R data rows: the data are repeated to match. */
static vt_tensor *gaussian_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    vt_tensor *mean = d->p[0];
    if (!vt_check(ctx, "gaussian.log_prob", x)) return vt_fail(ctx, "gaussian.log_prob");
    int R = vt_rows(x), M = vt_rows(mean);
    if (M % R != 0) {
        char a[48], b[48];
        return vt_fail(ctx, "gaussian.log_prob: data %s vs mean %s", vt_shape_str(x, a),
                       vt_shape_str(mean, b));
    }
    vt_tensor *xr = M == R ? x : vt_repeat_rows(ctx, x, M / R);
    return vt_normal_logprob_rows(ctx, xr, mean, d->p[1]);
}
const vt_dist_ops vt_gaussian_ops = {"gaussian", gaussian_rsample, gaussian_log_prob};

vt_dist *vt_gaussian(vt_ctx *ctx, vt_tensor *mean, vt_tensor *logsig) {
    if (!usable(ctx, "vt_gaussian", 2, (vt_tensor *[]){mean, logsig})) return NULL;
    vt_dist *d = vt_dist_new(ctx, &vt_gaussian_ops, vt_rows(mean), vt_cols(mean));
    if (d) { d->p[0] = mean; d->p[1] = logsig; }
    return d;
}
