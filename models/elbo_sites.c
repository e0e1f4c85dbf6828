/* The per-site terms of the ELBO: the log ratio log q − log p at the guide's sample,
 * the KL term of the analytic estimator, and free bits per site and per group. */
#include "models/elbo_internal.h"
#include "vtape/ops.h"
#include "vtape/stopgrad.h"

double vt_elbo_mean_of(const vt_tensor *t) {
    double s = 0;
    size_t n = vt_numel(t);
    for (size_t i = 0; i < n; i++) s += t->data[i];
    return s / (double)n;
}

void vt_elbo_mean_over_samples(const vt_tensor *t, int K, int R, float *out) {
    for (int r = 0; r < R; r++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += t->data[(size_t)k * R + r];
        out[r] = (float)(s / K);
    }
}

vt_tensor *vt_elbo_sample_mean(vt_ctx *ctx, vt_tensor *t, int R) {
    int n = vt_rows(t);
    if (n == R) return t;
    vt_tensor *m = vt_mean_cols(ctx, vt_reshape(ctx, t, 2, (int[]){n / R, R}));   /* 1 x R */
    return vt_reshape(ctx, m, 2, (int[]){R, 1});
}

/* log q_s(z_s) with the guide's parameters fixed: the factor rebuilt by the guide's
 * second run (its parameters a function of earlier sites' values only), scored with
 * parameters frozen too (a factor may take a parameter tensor directly); with one site,
 * the factor with detached parameters, which is the same thing. */
static vt_tensor *log_q_fixed(vt_ctx *ctx, const vt_trace *tr, int i) {
    const vt_site *s = &tr->site[i];
    if (s->q->flags & VT_DIST_OWN_SAMPLE)
        return vt_fail(ctx, "vt_elbo: site %s: sticking the landing and DReG need a "
                            "posterior whose log-density is a function of its value; %s "
                            "scores its own noise", s->name, s->q->ops->name);
    if (!tr->q_fixed[i]) return vt_dist_log_prob(ctx, vt_dist_detach(ctx, s->q), s->z);
    int frozen = vt_set_params_frozen(ctx, 1);
    vt_tensor *lq = vt_dist_log_prob(ctx, tr->q_fixed[i], s->z);
    vt_set_params_frozen(ctx, frozen);
    return lq;
}

vt_tensor *vt_elbo_site_log_ratio(vt_ctx *ctx, const vt_trace *tr, int i, int stl) {
    const vt_site *s = &tr->site[i];
    vt_tensor *lq = stl ? log_q_fixed(ctx, tr, i) : vt_dist_log_prob(ctx, s->q, s->z);
    return vt_sub(ctx, lq, vt_trace_model_log_prob(ctx, tr, s->p, s->z));
}

vt_tensor *vt_elbo_site_kl(vt_ctx *ctx, const vt_trace *tr, int i, int flows) {
    const vt_site *s = &tr->site[i];
    if ((s->q->flags & VT_DIST_FLOW) && flows) return vt_elbo_flow_site_kl(ctx, tr, i);
    if (s->q->flags & VT_DIST_FLOW)
        return vt_fail(ctx, "vt_elbo: analytic KL does not apply to a flow posterior; use "
                            "generic, iwae or base-kl (site %s is %s)", s->name, s->q->ops->name);
    /* q_s over R rows against a p_s that does not depend on later sites: vt_kl (closed
     * form, or a fresh one-sample estimate when no rule is registered) */
    if (vt_trace_site_analytic_ok(tr, i) ||
        (!vt_kl_has_closed_form(s->q, s->p) && tr->n_sites == 1))
        return vt_elbo_sample_mean(ctx, vt_kl(ctx, s->q, s->p), tr->rows);
    /* otherwise the KL's integrand at the guide's K samples */
    return vt_elbo_sample_mean(ctx, vt_elbo_site_log_ratio(ctx, tr, i, 0), tr->rows);
}

/* Per-dimension KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1) − log σ, from tape ops. Plain
 * exp rather than expm1: the result only meets a floor λ of tenths of a nat, where
 * the ~1e-7 lost to cancellation near σ = 1 does not matter. */
static vt_tensor *kl_dims_normal_std(vt_ctx *ctx, vt_tensor *mu, vt_tensor *ls) {
    vt_tensor *var = vt_exp(ctx, vt_scale(ctx, ls, 2.0f));
    vt_tensor *t = vt_add_scalar(ctx, vt_add(ctx, vt_square(ctx, mu), var), -1.0f);
    return vt_axpby(ctx, 0.5f, t, -1.0f, ls);
}

/* One site: Σ_g max(λ, KL_g) over groups of its batch-mean per-dimension KL (diagonal
 * normal q over the datapoints, N(0, I) p), else max(λ, batch-mean KL). */
static vt_tensor *site_free_bits(vt_ctx *ctx, const vt_trace *tr, const vt_site *s,
                                 vt_tensor *kl_rows, const vt_elbo_opts *o) {
    vt_dist *q = s->q, *p = s->p;
    if (q->ops == &vt_normal_ops && p->ops == &vt_std_normal_ops && q->rows == tr->rows) {
        int Z = q->dim, G = o->fb_groups > 0 ? o->fb_groups : Z;
        if (Z % G != 0)
            return vt_fail(ctx, "vt_elbo: %d free-bits groups do not divide latent size %d "
                                "(site %s)", G, Z, s->name);
        vt_tensor *per_dim = vt_mean_cols(ctx, kl_dims_normal_std(ctx, q->p[0], q->p[1]));
        vt_tensor *groups = vt_sum_rows(ctx, vt_reshape(ctx, per_dim, 2, (int[]){G, Z / G}));
        return vt_sum(ctx, vt_clamp_min(ctx, groups, o->free_bits));
    }
    if (o->fb_groups > 1)   /* other pairs: the whole site is one group */
        return vt_fail(ctx, "vt_elbo: free-bits groups need a normal posterior and a "
                            "standard normal prior (site %s has %s and %s)", s->name,
                       q->ops->name, p->ops->name);
    return vt_clamp_min(ctx, vt_mean(ctx, kl_rows), o->free_bits);
}

vt_tensor *vt_elbo_free_bits(vt_ctx *ctx, const vt_trace *tr, vt_tensor *const *kl,
                             const vt_elbo_opts *o) {
    vt_tensor *sum = NULL;
    for (int i = 0; i < tr->n_sites; i++) {
        vt_tensor *t = site_free_bits(ctx, tr, &tr->site[i], kl[i], o);
        sum = sum ? vt_add(ctx, sum, t) : t;
    }
    return sum;
}
