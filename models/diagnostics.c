/* Posterior-collapse diagnostics and I(x; z) of a diagonal-Gaussian VAE
 * (vtape/diagnostics.h). The encoder runs once over the data; everything after is
 * plain arithmetic in double on its means and log σ. */
#include "vtape/diagnostics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ENC_BATCH = 1000 };
static const double LOG_2PI = 1.8378770664093454836;

/* mu, logsig: n x Z, from the model's own posterior callback. */
static int encode_all(vt_vae *v, const float *x, const float *c, int n, int threads,
                      float *mu, float *logsig, vt_error *err) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = threads});
    if (!ctx) return vt_error_set(err, VT_ENOMEM, "diagnostics: out of memory");
    vt_set_grad_enabled(ctx, 0);
    v->model.self = v;
    int D = v->cfg.x_dim, C = v->cfg.n_classes, Z = v->cfg.latent, rc = VT_OK;
    for (int i0 = 0; i0 < n && rc == VT_OK; i0 += ENC_BATCH) {
        int R = n - i0 < ENC_BATCH ? n - i0 : ENC_BATCH;
        vt_ctx_reset(ctx);
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){R, D}, (float *)x + (size_t)i0 * D);
        vt_tensor *cb = C ? vt_tensor_wrap(ctx, 2, (int[]){R, C}, (float *)c + (size_t)i0 * C) : NULL;
        vt_dist *q = v->model.posterior(ctx, &v->model, xb, cb);
        if (vt_ctx_error(ctx) || !q)
            rc = vt_error_set(err, VT_EARG, "diagnostics: %s", vt_ctx_error(ctx));
        else if (q->ops != &vt_normal_ops || vt_rows(q->p[1]) != R)
            rc = vt_error_set(err, VT_EARG, "diagnostics: the posterior is %s, expected a "
                              "diagonal Gaussian (--posterior diag)", q->ops->name);
        else {
            memcpy(mu + (size_t)i0 * Z, q->p[0]->data, (size_t)R * Z * sizeof *mu);
            memcpy(logsig + (size_t)i0 * Z, q->p[1]->data, (size_t)R * Z * sizeof *logsig);
        }
    }
    vt_ctx_free(ctx);
    return rc;
}

/* KL per dimension against N(0, 1), and the variance over x of the means. */
static void collapse_stats(const float *mu, const float *logsig, int n, int Z, int std_prior,
                           vt_latent_stats *s) {
    for (int d = 0; d < Z; d++) {
        double kl = 0, mean = 0, m2 = 0;
        for (int i = 0; i < n; i++) {
            double m = mu[(size_t)i * Z + d], ls = logsig[(size_t)i * Z + d];
            kl += 0.5 * (m * m + exp(2 * ls) - 1) - ls;
            double delta = m - mean;   /* Welford */
            mean += delta / (i + 1);
            m2 += delta * (m - mean);
        }
        s->kl_per_dim[d] = std_prior ? kl / n : NAN;
        s->mean_var[d] = n > 1 ? m2 / (n - 1) : 0;
        s->kl += s->kl_per_dim[d];
    }
}

static double log_q(const double *z, const float *mu, const float *logsig, int Z) {
    double s = 0;
    for (int d = 0; d < Z; d++) {
        double e = (z[d] - mu[d]) * exp(-(double)logsig[d]);
        s -= 0.5 * e * e + logsig[d] + 0.5 * LOG_2PI;
    }
    return s;
}

/* I(x; z) ≈ (1/M) Σ_i [log q(z_i|x_i) − log (1/M) Σ_m q(z_i|x_m)], z_i ~ q(z|x_i), over
 * the first M points; the aggregate includes x_i itself, so the estimate is at most
 * log M. */
static int mutual_info(const float *mu, const float *logsig, int M, int Z, int S,
                       uint64_t seed, double *out) {
    double *z = malloc((size_t)Z * sizeof *z), *lq = malloc((size_t)M * sizeof *lq);
    float *eps = malloc((size_t)Z * sizeof *eps);
    if (!z || !lq || !eps) {
        free(z), free(lq), free(eps);
        return VT_ENOMEM;
    }
    double total = 0;
    for (int i = 0; i < M; i++)
        for (int s = 0; s < S; s++) {
            vt_philox_normal(seed, (uint64_t)s, 0xD1A6, (uint64_t)i * Z, (size_t)Z, eps);
            const float *mi = mu + (size_t)i * Z, *li = logsig + (size_t)i * Z;
            for (int d = 0; d < Z; d++) z[d] = mi[d] + exp((double)li[d]) * eps[d];
            double mx = -INFINITY, sum = 0;
            for (int m = 0; m < M; m++) {
                lq[m] = log_q(z, mu + (size_t)m * Z, logsig + (size_t)m * Z, Z);
                if (lq[m] > mx) mx = lq[m];
            }
            for (int m = 0; m < M; m++) sum += exp(lq[m] - mx);
            total += lq[i] - (mx + log(sum) - log((double)M));
        }
    *out = total / ((double)M * S);
    free(z), free(lq), free(eps);
    return VT_OK;
}

int vt_latent_stats_compute(vt_vae *v, const float *x, const float *c, int n,
                            const vt_latent_stats_opts *opts, vt_latent_stats *out,
                            vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!v || !x || !out || n < 1 || (v->cfg.n_classes > 0 && !c))
        return vt_error_set(err, VT_EARG, "vt_latent_stats_compute: NULL model or data, n %d, "
                            "or a CVAE without labels", n);
    vt_latent_stats_opts o = opts ? *opts : (vt_latent_stats_opts){0};
    int Z = v->cfg.latent, M = o.mi_points > 0 && o.mi_points < n ? o.mi_points : n;
    if (o.mi_points <= 0 && M > 1000) M = 1000;
    memset(out, 0, sizeof *out);
    float *mu = malloc((size_t)n * Z * sizeof *mu), *ls = malloc((size_t)n * Z * sizeof *ls);
    out->kl_per_dim = calloc((size_t)Z, sizeof *out->kl_per_dim);
    out->mean_var = calloc((size_t)Z, sizeof *out->mean_var);
    int rc = mu && ls && out->kl_per_dim && out->mean_var ? VT_OK : VT_ENOMEM;
    if (rc == VT_OK) rc = encode_all(v, x, c, n, o.threads, mu, ls, err);
    if (rc == VT_OK) {
        *out = (vt_latent_stats){.latent = Z, .kl_per_dim = out->kl_per_dim,
                                 .mean_var = out->mean_var, .n = n, .mi_points = M};
        collapse_stats(mu, ls, n, Z, v->cfg.prior == VT_PRIOR_STD_NORMAL, out);
        double thr = o.active_threshold > 0 ? o.active_threshold : 0.01;
        for (int d = 0; d < Z; d++) out->active_units += out->mean_var[d] > thr;
        rc = mutual_info(mu, ls, M, Z, o.mi_samples > 0 ? o.mi_samples : 1, o.seed,
                         &out->mutual_info);
        out->marginal_kl = out->kl - out->mutual_info;
    }
    if (rc == VT_ENOMEM) vt_error_set(err, rc, "diagnostics: out of memory for %d points", n);
    free(mu);
    free(ls);
    if (rc != VT_OK) vt_latent_stats_free(out);
    return rc;
}

void vt_latent_stats_free(vt_latent_stats *s) {
    if (!s) return;
    free(s->kl_per_dim);
    free(s->mean_var);
    memset(s, 0, sizeof *s);
}

void vt_latent_stats_top_dims(const vt_latent_stats *s, int k, int *dims) {
    /* selection by repeated scans: Z is small */
    for (int j = 0; j < k && j < s->latent; j++) {
        int best = -1;
        for (int d = 0; d < s->latent; d++) {
            int taken = 0;
            for (int t = 0; t < j; t++) taken |= dims[t] == d;
            double key = isnan(s->kl_per_dim[d]) ? s->mean_var[d] : s->kl_per_dim[d];
            double bkey = best < 0 ? -INFINITY
                        : isnan(s->kl_per_dim[best]) ? s->mean_var[best] : s->kl_per_dim[best];
            if (!taken && key > bkey) best = d;
        }
        dims[j] = best < 0 ? 0 : best;
    }
}
