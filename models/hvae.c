/* The two-level hierarchical VAE:
 *
 *   model   p(z2) p(z1 | z2) p(x | z1)      p(z2) = N(0, I) or the VampPrior,
 *                                           p(z1 | z2) = N(μ_p(z2), diag σ_p(z2)²)
 *
 * with one of two guides,
 *
 *   bottom-up (Burda et al. 2016)   q(z1 | x) q(z2 | z1)
 *       q(z1 | x) = the VAE's encoder (diagonal), q(z2 | z1) = N(μ_q(z1), diag σ_q(z1)²);
 *   top-down (as the ladder VAE and NVAE)   q(z2 | x) q(z1 | x, z2)
 *       the encoder reads (μ̂, log σ̂) for z1 from x and, through enc2, q(z2 | x);
 *       q(z1 | x, z2) = N(μ_p(z2) + μ̂, diag (σ_p(z2) σ̂)²), the prior corrected by x.
 *
 * Written as a guide and a model over the sites "z1" and "z2": the estimators pair
 * them and report one KL per layer. Bottom-up, p(z1 | z2) depends on z2, which the
 * guide draws after z1, so the z1 term is scored by Monte Carlo even under the analytic
 * estimator; top-down, both KLs are closed-form given the guide's z2. */
#include "models/vae_internal.h"
#include <string.h>

static int small_hidden(const vt_vae_config *c) {
    return c->n_hidden > 0 ? c->hidden[c->n_hidden - 1] : 256;
}

static void zero_output(vt_vae_net *n) {
    vt_linear_layer *out = &n->mlp.layer[n->mlp.n_layers - 1];
    memset(out->w->data, 0, vt_numel(out->w) * sizeof(float));
    memset(out->b->data, 0, vt_numel(out->b) * sizeof(float));
}

int vt_hvae_init(vt_vae *v, vt_error *err) {
    const vt_vae_config *c = &v->cfg;
    int Z1 = c->latent, Z2 = c->latent2, H = small_hidden(c);
    if (c->latent_type != VT_LATENT_GAUSSIAN || c->posterior != VT_POSTERIOR_DIAG ||
        c->prior == VT_PRIOR_MOG || Z2 < 1)
        return vt_error_set(err, VT_EARG, "hvae: two levels take a diagonal Gaussian posterior, "
                            "an N(0, I) or VampPrior top prior and latent2 >= 1");
    int in2 = c->inference == VT_HVAE_TOP_DOWN ? 2 * Z1 : Z1;   /* (μ̂, log σ̂) or z1 */
    if (vt_vae_net_init(&v->enc2, v->store, "enc2_", 3, (int[]){in2, H, 2 * Z2}, c->act,
                        c->layer, c->seed, err) != 0)
        return -1;
    int rc = vt_vae_net_init(&v->prior1, v->store, "pz1_", 3, (int[]){Z2, H, 2 * Z1}, c->act,
                           c->layer, c->seed, err);
    /* Bottom-up, both new nets' output layers start at zero: p(z1 | z2) = q(z2 | z1) =
     * N(0, I), so the model starts as the plain VAE (plus a z2 that costs nothing) and
     * training adds the hierarchy where it pays; from random outputs it trails the VAE
     * (docs/results.md). */
    if (rc == 0 && c->inference == VT_HVAE_BOTTOM_UP) {
        zero_output(&v->prior1);
        zero_output(&v->enc2);
    }
    return rc;
}

static vt_dist *normal_from(vt_ctx *ctx, vt_tensor *o, int Z) {
    return vt_normal(ctx, vt_slice_cols(ctx, o, 0, Z), vt_slice_cols(ctx, o, Z, Z));
}

/* q(z1 | x, z2) = N(μ_p + μ̂, (σ_p σ̂)²): the prior p(z1 | z2) moved and scaled by
 * what the encoder read from x (the residual form of NVAE, Vahdat & Kautz 2020). Its
 * KL against p(z1 | z2) is ½ Σ (μ̂²/σ_p² + σ̂² − 1) − log σ̂: only the encoder's
 * correction is paid for. */
static vt_dist *residual(vt_ctx *ctx, vt_tensor *mu_hat, vt_tensor *ls_hat, vt_tensor *mu_p,
                         vt_tensor *ls_p) {
    return vt_normal(ctx, vt_add(ctx, mu_p, mu_hat), vt_add(ctx, ls_p, ls_hat));
}

/* The top-down guide up to z1's factor. Without a trace (encoding), z2 is q(z2 | x)'s
 * mean rather than a draw. */
static vt_dist *top_down(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_dist *up = v->model.posterior(ctx, &v->model, x, c);   /* (μ̂, log σ̂), R rows */
    if (!up) return NULL;
    int Z1 = v->cfg.latent;
    vt_tensor *q2_params = vt_vae_net_forward(ctx, &v->enc2, vt_concat_cols(ctx, up->p[0], up->p[1]));
    vt_dist *q2 = normal_from(ctx, q2_params, v->cfg.latent2);
    vt_tensor *z2 = tr ? vt_trace_sample(ctx, tr, "z2", q2) : q2->p[0];
    vt_tensor *o = vt_vae_net_forward(ctx, &v->prior1, z2);       /* p(z1 | z2), K·R rows */
    vt_tensor *mu_hat = tr ? vt_trace_expand(ctx, tr, up->p[0]) : up->p[0];
    vt_tensor *ls_hat = tr ? vt_trace_expand(ctx, tr, up->p[1]) : up->p[1];
    return residual(ctx, mu_hat, ls_hat, vt_slice_cols(ctx, o, 0, Z1), vt_slice_cols(ctx, o, Z1, Z1));
}

vt_tensor *vt_hvae_encode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c) {
    if (v->cfg.inference != VT_HVAE_TOP_DOWN) {
        vt_dist *q1 = v->model.posterior(ctx, &v->model, x, c);
        return q1 ? q1->p[0] : NULL;
    }
    vt_dist *q1 = top_down(ctx, v, x, c, NULL);
    return q1 ? q1->p[0] : NULL;
}

int vt_hvae_guide(vt_ctx *ctx, const vt_model *g, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_vae *v = g->self;
    if (v->cfg.inference == VT_HVAE_TOP_DOWN) {
        vt_dist *q1 = top_down(ctx, v, x, c, tr);
        if (q1) vt_trace_sample(ctx, tr, "z1", q1);
        return q1 && !vt_ctx_error(ctx) ? 0 : -1;
    }
    vt_dist *q1 = v->model.posterior(ctx, &v->model, x, c);
    if (!q1) return -1;
    vt_tensor *z1 = vt_trace_sample(ctx, tr, "z1", q1);
    vt_dist *q2 = normal_from(ctx, vt_vae_net_forward(ctx, &v->enc2, z1), v->cfg.latent2);
    vt_trace_sample(ctx, tr, "z2", q2);
    return vt_ctx_error(ctx) ? -1 : 0;
}

vt_dist *vt_hvae_model(vt_ctx *ctx, const vt_model *g, vt_tensor *c, vt_trace *tr) {
    vt_vae *v = g->self;
    int R = vt_trace_rows(tr);
    vt_dist *p2 = v->cfg.prior == VT_PRIOR_VAMP ? vt_vae_vamp_prior(ctx, v, R)
                                                : vt_std_normal(ctx, R, v->cfg.latent2);
    vt_tensor *z2 = vt_trace_latent(ctx, tr, "z2", p2);
    vt_dist *p1 = normal_from(ctx, vt_vae_net_forward(ctx, &v->prior1, z2), v->cfg.latent);
    vt_tensor *z1 = vt_trace_latent(ctx, tr, "z1", p1);
    if (vt_ctx_error(ctx)) return NULL;
    return v->model.likelihood(ctx, &v->model, z1, c);
}
