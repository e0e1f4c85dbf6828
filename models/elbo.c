/* ELBO estimators, generic over any (posterior, prior, likelihood) triple.
 *
 *   (A) generic:   L = E_q[log p(x|z) + log p(z) − log q(z|x)]
 *   (B) analytic:  L = E_q[log p(x|z)] − KL(q ‖ p)
 *   IWAE:          L_K = E[log (1/K) Σ_k w_k],  w_k = p(x, z_k) / q(z_k|x)
 *
 * K samples per datapoint are drawn at once (rows s·R + r), so the decoder runs one
 * batch of K·R rows. The loss is the batch mean of rec + β·KL; free bits replace the
 * KL by Σ_g max(λ, KL_g), KL_g the batch-mean KL of latent group g. */
#include "vtape/elbo.h"
#include "vtape/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static const char *const estimator_names[] = {"generic", "analytic", "iwae"};
const vt_names vt_estimator_names = VT_NAMES(estimator_names);

int vt_estimator_parse(const char *name) { return vt_names_find(&vt_estimator_names, name); }

const char *vt_estimator_name(vt_estimator e) { return vt_names_get(&vt_estimator_names, (int)e); }

vt_elbo_opts vt_elbo_defaults(void) {
    return (vt_elbo_opts){.estimator = VT_EST_ANALYTIC, .k = 1, .beta = 1.0f};
}

static double mean_of(const vt_tensor *t) {
    double s = 0;
    size_t n = vt_numel(t);
    for (size_t i = 0; i < n; i++) s += t->data[i];
    return s / (double)n;
}

/* Per-dimension KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1) − log σ, from tape ops. Plain
 * exp rather than expm1: the result only meets a floor λ of tenths of a nat, where
 * the ~1e-7 lost to cancellation near σ = 1 does not matter. */
static vt_tensor *kl_dims_normal_std(vt_ctx *ctx, vt_tensor *mu, vt_tensor *ls) {
    vt_tensor *var = vt_exp(ctx, vt_scale(ctx, ls, 2.0f));
    vt_tensor *t = vt_add_scalar(ctx, vt_add(ctx, vt_square(ctx, mu), var), -1.0f);
    return vt_axpby(ctx, 0.5f, t, -1.0f, ls);
}

/* Σ_g max(λ, KL_g) over groups of the batch-mean per-dimension KL. */
static vt_tensor *free_bits_kl(vt_ctx *ctx, vt_dist *q, vt_dist *p, vt_tensor *kl_rows,
                               const vt_elbo_opts *o) {
    if (q->ops == &vt_normal_ops && p->ops == &vt_std_normal_ops) {
        int Z = q->dim, G = o->fb_groups > 0 ? o->fb_groups : Z;
        if (Z % G != 0)
            return vt_fail(ctx, "vt_elbo: %d free-bits groups do not divide latent size %d", G, Z);
        vt_tensor *per_dim = vt_mean_cols(ctx, kl_dims_normal_std(ctx, q->p[0], q->p[1]));
        vt_tensor *groups = vt_sum_rows(ctx, vt_reshape(ctx, per_dim, 2, (int[]){G, Z / G}));
        return vt_sum(ctx, vt_clamp_min(ctx, groups, o->free_bits));
    }
    /* Other pairs: the whole latent is one group. */
    if (o->fb_groups > 1)
        return vt_fail(ctx, "vt_elbo: free-bits groups need a normal posterior and a "
                            "standard normal prior (got %s and %s)", q->ops->name, p->ops->name);
    return vt_clamp_min(ctx, vt_mean(ctx, kl_rows), o->free_bits);
}

/* Per-datapoint mean over K samples of a (K·R) x 1 tensor, into out[R]. */
static void mean_over_samples(const vt_tensor *t, int K, int R, float *out) {
    for (int r = 0; r < R; r++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += t->data[(size_t)k * R + r];
        out[r] = (float)(s / K);
    }
}

int vt_elbo(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c,
            const vt_elbo_opts *opts, vt_elbo_terms *out) {
    vt_elbo_opts o = opts ? *opts : vt_elbo_defaults();
    if (!out) return vt_fail(ctx, "vt_elbo: out is NULL"), -1;
    memset(out, 0, sizeof *out);
    if (!ctx) return -1;
    if (!m || !m->posterior || !m->prior || !m->likelihood) {
        vt_fail(ctx, "vt_elbo: the model or one of its posterior, prior, likelihood is NULL");
        return -1;
    }
    if (o.k < 0) {
        vt_fail(ctx, "vt_elbo: k = %d samples (need k >= 1, or 0 for 1)", o.k);
        return -1;
    }
    int K = o.k > 0 ? o.k : 1;
    if (!vt_check(ctx, "vt_elbo", x)) return -1;
    if (o.free_bits < 0 || !(o.beta >= 0)) {
        vt_fail(ctx, "vt_elbo: beta %g and free bits %g must be >= 0", o.beta, o.free_bits);
        return -1;
    }
    int R = vt_rows(x);
    vt_ctx_set_scope(ctx, "posterior q(z|x)");
    vt_dist *q = m->posterior(ctx, m, x, c);
    vt_ctx_set_scope(ctx, "prior p(z)");
    vt_dist *p = m->prior(ctx, m, R, c);
    if (!q || !p || vt_ctx_error(ctx)) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the model gave no posterior or prior");
        return -1;
    }
    vt_ctx_set_scope(ctx, "posterior sample z ~ q(z|x)");
    vt_tensor *z = q->ops->rsample(ctx, q, K);                       /* K·R x Z */
    vt_ctx_set_scope(ctx, "likelihood p(x|z)");
    vt_dist *lik = m->likelihood(ctx, m, z, c);
    if (!lik) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the model gave no likelihood");
        return -1;
    }
    vt_ctx_set_scope(ctx, "reconstruction log p(x|z)");
    vt_tensor *log_px = lik->ops->log_prob(ctx, lik, x);              /* K·R x 1 */
    vt_ctx_set_scope(ctx, "KL(q(z|x) || p(z))");
    float *elbo_rows = vt_arena_alloc(ctx, (size_t)R * sizeof(float));
    if (!elbo_rows || vt_ctx_error(ctx)) return -1;
    out->rec = -mean_of(log_px);

    if (o.estimator == VT_EST_ANALYTIC) {
        vt_tensor *kl_rows = vt_kl(ctx, q, p);                        /* R x 1 */
        if (vt_ctx_error(ctx)) return -1;
        out->kl = mean_of(kl_rows);
        vt_tensor *kl_term = o.free_bits > 0 ? free_bits_kl(ctx, q, p, kl_rows, &o)
                                             : vt_mean(ctx, kl_rows);
        out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o.beta, kl_term);
        mean_over_samples(log_px, K, R, elbo_rows);
        for (int r = 0; r < R; r++) elbo_rows[r] -= kl_rows->data[r];
    } else {
        /* log q − log p at the sample: the KL's Monte-Carlo integrand */
        vt_tensor *log_ratio = vt_sub(ctx, q->ops->log_prob(ctx, q, z), p->ops->log_prob(ctx, p, z));
        if (vt_ctx_error(ctx)) return -1;
        out->kl = mean_of(log_ratio);
        vt_tensor *log_w = vt_sub(ctx, log_px, log_ratio);            /* K·R x 1 */
        if (o.estimator == VT_EST_IWAE) {
            vt_tensor *iw = vt_logmeanexp_samples(ctx, vt_reshape(ctx, log_w, 2, (int[]){K, R}));
            out->loss = vt_scale(ctx, vt_mean(ctx, iw), -1.0f);
            if (vt_ctx_error(ctx)) return -1;
            memcpy(elbo_rows, iw->data, (size_t)R * sizeof(float));
        } else {
            vt_tensor *kl_term = o.free_bits > 0 ? free_bits_kl(ctx, q, p, log_ratio, &o)
                                                 : vt_mean(ctx, log_ratio);
            out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o.beta, kl_term);
            mean_over_samples(log_w, K, R, elbo_rows);
        }
    }
    vt_ctx_set_scope(ctx, NULL);
    if (vt_ctx_error(ctx)) return -1;
    double s = 0;
    for (int r = 0; r < R; r++) s += elbo_rows[r];
    out->elbo = s / R;
    out->elbo_rows = elbo_rows;
    return 0;
}
