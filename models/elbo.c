/* ELBO estimators, generic over any latent model (one latent, or named sites):
 *
 *   (A) generic:   L = E_q[log p(x|z) + Σ_s log p_s(z_s) − log q_s(z_s)]
 *   (B) analytic:  L = E_q[log p(x|z)] − Σ_s KL_s, closed-form per site where it applies
 *   IWAE, MIWAE, CIWAE on log w = log p(x, z) − log q(z|x)   (elbo_iw.c)
 *   PIWAE: the model on IWAE, the guide on MIWAE, same samples (elbo_piwae.c)
 *
 * K samples per datapoint are drawn at once (rows s·R + r), so the decoder runs one
 * batch of K·R rows. The loss is the batch mean of rec + β·KL; free bits replace the
 * KL by Σ_sites Σ_g max(λ, KL_g), KL_g the batch-mean KL of latent group g. */
#include "models/elbo_internal.h"
#include "vtape/ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const estimator_names[] = {"generic", "analytic", "iwae", "miwae", "ciwae",
                                                  "piwae", "base-kl"};
const vt_names vt_estimator_names = VT_NAMES(estimator_names);

int vt_estimator_parse(const char *name) { return vt_names_find(&vt_estimator_names, name); }

const char *vt_estimator_name(vt_estimator e) { return vt_names_get(&vt_estimator_names, (int)e); }

static const char *const grad_names[] = {"reparam", "stl", "dreg"};
const vt_names vt_grad_estimator_names = VT_NAMES(grad_names);

int vt_grad_estimator_parse(const char *name) { return vt_names_find(&vt_grad_estimator_names, name); }

const char *vt_grad_estimator_name(vt_grad_estimator g) {
    return vt_names_get(&vt_grad_estimator_names, (int)g);
}

vt_elbo_opts vt_elbo_defaults(void) {
    return (vt_elbo_opts){.estimator = VT_EST_ANALYTIC, .k = 1, .beta = 1.0f, .miwae_m = 1,
                          .ciwae_beta = 0.5f};
}

static int is_iw(vt_estimator e) {
    return e == VT_EST_IWAE || e == VT_EST_MIWAE || e == VT_EST_CIWAE || e == VT_EST_PIWAE;
}

static int check_opts(vt_ctx *ctx, const vt_elbo_opts *o) {
    if (o->free_bits < 0 || !(o->beta >= 0)) {
        vt_fail(ctx, "vt_elbo: beta %g and free bits %g must be >= 0", o->beta, o->free_bits);
        return 0;
    }
    if ((unsigned)o->estimator > VT_EST_BASE_KL || (unsigned)o->grad > VT_GRAD_DREG ||
        !(o->ciwae_beta >= 0 && o->ciwae_beta <= 1) || o->miwae_m < 0) {
        vt_fail(ctx, "vt_elbo: bad options (estimator %d, grad %d, ciwae beta %g, miwae m %d)",
                (int)o->estimator, (int)o->grad, o->ciwae_beta, o->miwae_m);
        return 0;
    }
    if (o->grad == VT_GRAD_STL && (o->estimator == VT_EST_ANALYTIC || o->estimator == VT_EST_BASE_KL)) {
        vt_fail(ctx, "vt_elbo: sticking the landing scores log q at the sample: use generic or "
                     "an importance-weighted estimator, not %s", vt_estimator_name(o->estimator));
        return 0;
    }
    if (o->grad == VT_GRAD_DREG && o->estimator != VT_EST_IWAE && o->estimator != VT_EST_MIWAE &&
        o->estimator != VT_EST_PIWAE) {
        vt_fail(ctx, "vt_elbo: DReG is a gradient of the iwae, miwae and piwae bounds (got %s)",
                vt_estimator_name(o->estimator));
        return 0;
    }
    return 1;
}

/* (B) and base-kl: Σ_s KL_s per row; loss −E log p(x|z) + β·(KL or free-bits term). */
static int analytic(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_px, const vt_elbo_opts *o,
                    vt_elbo_terms *out) {
    vt_tensor *kl[VT_TRACE_MAX_SITES], *kl_rows = NULL;
    for (int i = 0; i < tr->n_sites; i++) {
        kl[i] = vt_elbo_site_kl(ctx, tr, i, o->estimator == VT_EST_BASE_KL);   /* R x 1 */
        if (vt_ctx_error(ctx)) return -1;
        out->site_kl[i].kl = vt_elbo_mean_of(kl[i]);
        kl_rows = kl_rows ? vt_add(ctx, kl_rows, kl[i]) : kl[i];
    }
    out->kl = vt_elbo_mean_of(kl_rows);
    vt_tensor *kl_term = o->free_bits > 0 ? vt_elbo_free_bits(ctx, tr, kl, o)
                                          : vt_mean(ctx, kl_rows);
    out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o->beta, kl_term);
    vt_elbo_mean_over_samples(log_px, tr->k, tr->rows, out->elbo_rows);
    for (int r = 0; r < tr->rows; r++) out->elbo_rows[r] -= kl_rows->data[r];
    return vt_ctx_error(ctx) ? -1 : 0;
}

/* (A) and the importance-weighted bounds: log q − log p at the guide's samples. */
static int sampled(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_px, const vt_elbo_opts *o,
                   vt_elbo_terms *out) {
    vt_tensor *ratio[VT_TRACE_MAX_SITES], *log_ratio = NULL;
    int stl = o->grad != VT_GRAD_REPARAM;
    for (int i = 0; i < tr->n_sites; i++) {
        ratio[i] = vt_elbo_site_log_ratio(ctx, tr, i, stl);   /* K·R x 1 */
        if (vt_ctx_error(ctx)) return -1;
        out->site_kl[i].kl = vt_elbo_mean_of(ratio[i]);
        log_ratio = log_ratio ? vt_add(ctx, log_ratio, ratio[i]) : ratio[i];
    }
    out->kl = vt_elbo_mean_of(log_ratio);
    vt_tensor *log_w = vt_sub(ctx, log_px, log_ratio);                /* K·R x 1 */
    if (o->estimator == VT_EST_PIWAE) return vt_elbo_piwae(ctx, tr, log_w, o, out);
    if (is_iw(o->estimator)) return vt_elbo_iw(ctx, tr, log_w, o, out);
    vt_tensor *kl_term = o->free_bits > 0 ? vt_elbo_free_bits(ctx, tr, ratio, o)
                                          : vt_mean(ctx, log_ratio);
    out->loss = vt_axpby(ctx, -1.0f, vt_mean(ctx, log_px), o->beta, kl_term);
    vt_elbo_mean_over_samples(log_w, tr->k, tr->rows, out->elbo_rows);
    return vt_ctx_error(ctx) ? -1 : 0;
}

int vt_model_elbo(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c,
                  const vt_elbo_opts *opts, vt_elbo_terms *out) {
    vt_elbo_opts o = opts ? *opts : vt_elbo_defaults();
    if (!out) return vt_fail(ctx, "vt_elbo: out is NULL"), -1;
    memset(out, 0, sizeof *out);
    if (!ctx) return -1;
    if (!m || !m->guide || !m->model) {
        vt_fail(ctx, "vt_elbo: the model or its guide or model function is NULL");
        return -1;
    }
    if (o.k < 0) {
        vt_fail(ctx, "vt_elbo: k = %d samples (need k >= 1, or 0 for 1)", o.k);
        return -1;
    }
    int K = o.k > 0 ? o.k : 1, KR;
    if (!vt_check(ctx, "vt_elbo", x) || !check_opts(ctx, &o)) return -1;
    if (vt_elbo_groups(&o) > 1 && !vt_int_mul(K, o.miwae_m, &K)) {
        vt_fail(ctx, "vt_elbo: k %d x miwae m %d samples overflow", o.k, o.miwae_m);
        return -1;
    }
    int R = vt_rows(x);
    if (!vt_int_mul(K, R, &KR)) {   /* sample rows K·R must fit the tensors' int rows */
        vt_fail(ctx, "vt_elbo: %d samples of %d rows overflow the row count", K, R);
        return -1;
    }
    vt_trace tr;
    vt_trace_init(&tr, VT_TRACE_GUIDE, K, R);
    if (o.grad == VT_GRAD_DREG) tr.grad_scale = vt_zeros(ctx, 2, (int[]){KR, 1});
    /* PIWAE: this run is the guide's view; the model's comes from a second run */
    tr.freeze_model = o.estimator == VT_EST_PIWAE && vt_grad_enabled(ctx);
    vt_dist *lik = vt_trace_run(ctx, m, x, c, &tr);
    if (!lik) return -1;
    /* STL/DReG: log q with the guide's parameters fixed but its dependence on the sites'
     * values kept (models/trace_rescore.c); one site needs only vt_dist_detach */
    if (o.grad != VT_GRAD_REPARAM && tr.n_sites > 1 && vt_grad_enabled(ctx) &&
        vt_trace_rescore(ctx, &tr) != 0)
        return -1;
    vt_ctx_set_scope(ctx, "reconstruction log p(x|z)");
    vt_tensor *log_px = vt_trace_model_log_prob(ctx, &tr, lik, x);   /* K·R x 1 */
    out->elbo_rows = vt_arena_alloc(ctx, (size_t)R * sizeof(float));
    if (!out->elbo_rows || vt_ctx_error(ctx)) return -1;
    if (vt_rows(log_px) != KR) {
        vt_fail(ctx, "vt_elbo: the likelihood scored %d rows, expected %d samples x %d rows",
                vt_rows(log_px), K, R);
        return -1;
    }
    out->rec = -vt_elbo_mean_of(log_px);
    out->n_sites = tr.n_sites;
    for (int i = 0; i < tr.n_sites; i++) out->site_kl[i].name = tr.site[i].name;
    vt_ctx_set_scope(ctx, "KL(q(z|x) || p(z)), per site");
    int rc = o.estimator == VT_EST_ANALYTIC || o.estimator == VT_EST_BASE_KL
                 ? analytic(ctx, &tr, log_px, &o, out)
                 : sampled(ctx, &tr, log_px, &o, out);
    vt_ctx_set_scope(ctx, NULL);
    if (rc != 0 || vt_ctx_error(ctx)) return -1;
    double s = 0;
    for (int r = 0; r < R; r++) s += out->elbo_rows[r];
    out->elbo = s / R;
    return 0;
}

int vt_elbo(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c,
            const vt_elbo_opts *opts, vt_elbo_terms *out) {
    if (!out) return vt_fail(ctx, "vt_elbo: out is NULL"), -1;
    if (!m || !m->posterior || !m->prior || !m->likelihood) {
        memset(out, 0, sizeof *out);
        vt_fail(ctx, "vt_elbo: the model or one of its posterior, prior, likelihood is NULL");
        return -1;
    }
    vt_model g = vt_model_from_latent(m);
    return vt_model_elbo(ctx, &g, x, c, opts, out);
}
