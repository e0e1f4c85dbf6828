/* The two-level hierarchical VAE (bottom-up inference, as in Burda et al. 2016's
 * two-layer models):
 *
 *   model   p(z2) p(z1 | z2) p(x | z1)      p(z2) = N(0, I) or the VampPrior,
 *                                           p(z1 | z2) = N(μ_p(z2), diag σ_p(z2)²)
 *   guide   q(z1 | x) q(z2 | z1)            q(z1 | x) = the VAE's encoder (diagonal),
 *                                           q(z2 | z1) = N(μ_q(z1), diag σ_q(z1)²)
 *
 * Written as a guide and a model over the sites "z1" and "z2": the estimators pair
 * them, report one KL per layer, and (since p(z1 | z2) depends on z2, which the guide
 * draws after z1) score the z1 term by Monte Carlo even under the analytic estimator,
 * while z2's KL against N(0, I) is closed-form. */
#include "models/vae_internal.h"

static int small_hidden(const vt_vae_config *c) {
    return c->n_hidden > 0 ? c->hidden[c->n_hidden - 1] : 256;
}

int vt_hvae_init(vt_vae *v, vt_error *err) {
    const vt_vae_config *c = &v->cfg;
    int Z1 = c->latent, Z2 = c->latent2, H = small_hidden(c);
    if (c->latent_type != VT_LATENT_GAUSSIAN || c->posterior != VT_POSTERIOR_DIAG ||
        c->prior == VT_PRIOR_MOG || Z2 < 1)
        return vt_error_set(err, VT_EARG, "hvae: two levels take a diagonal Gaussian posterior, "
                            "an N(0, I) or VampPrior top prior and latent2 >= 1");
    if (vt_vae_net_init(&v->enc2, v->store, "enc2_", 3, (int[]){Z1, H, 2 * Z2}, c->act,
                        c->layer, c->seed, err) != 0)
        return -1;
    return vt_vae_net_init(&v->prior1, v->store, "pz1_", 3, (int[]){Z2, H, 2 * Z1}, c->act,
                           c->layer, c->seed, err);
}

static vt_dist *normal_from(vt_ctx *ctx, vt_tensor *o, int Z) {
    return vt_normal(ctx, vt_slice_cols(ctx, o, 0, Z), vt_slice_cols(ctx, o, Z, Z));
}

int vt_hvae_guide(vt_ctx *ctx, const vt_model *g, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_vae *v = g->self;
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
