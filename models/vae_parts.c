/* The VAE's three one-latent callbacks: q(z | x, c) of each posterior family, p(z) of
 * each prior, p(x | z, c) of each likelihood; and the VampPrior. */
#include "models/vae_internal.h"
#include <stdio.h>

int vt_vae_enc_cols(const vt_vae_config *c) {
    int Z = c->latent;
    if (c->latent_type == VT_LATENT_GUMBEL) return Z * c->categories;
    if (c->latent_type == VT_LATENT_BERNOULLI) return Z;
    switch (c->posterior) {
    case VT_POSTERIOR_FULLCOV: return 2 * Z + Z * Z;
    case VT_POSTERIOR_PLANAR: return 2 * Z + c->flow_depth * (2 * Z + 1);
    case VT_POSTERIOR_IAF: return 2 * Z + c->flow_context;
    default: return 2 * Z;
    }
}

int vt_vae_value_cols(const vt_vae_config *c) {
    return c->latent_type == VT_LATENT_GUMBEL ? c->latent * c->categories : c->latent;
}

static vt_tensor *with_condition(vt_ctx *ctx, vt_tensor *h, vt_tensor *c) {
    if (!c) return h;
    int k = vt_rows(h) / vt_rows(c);   /* K samples share their datapoint's label */
    return vt_concat_cols(ctx, h, k > 1 ? vt_repeat_rows(ctx, c, k) : c);
}

int vt_vae_check_condition(vt_ctx *ctx, const vt_vae *v, vt_tensor *c) {
    if ((v->cfg.n_classes > 0) != (c != NULL)) {
        vt_fail(ctx, "vae: a model with %d classes %s a condition", v->cfg.n_classes,
                c ? "takes no" : "needs");
        return 0;
    }
    if (c && vt_cols(c) != v->cfg.n_classes) {
        char s[48];
        vt_fail(ctx, "vae: condition is %s, need R x %d one-hot", vt_shape_str(c, s),
                v->cfg.n_classes);
        return 0;
    }
    return 1;
}

/* The posterior family on encoder output o. Discrete latents are drawn exactly when
 * v->hard is set (evaluation). */
static vt_dist *posterior_of(vt_ctx *ctx, const vt_vae *v, vt_tensor *o) {
    const vt_vae_config *c = &v->cfg;
    int Z = c->latent, hard = v->hard;
    if (c->latent_type == VT_LATENT_GUMBEL) return vt_concrete(ctx, o, c->categories, v->tau, hard);
    if (c->latent_type == VT_LATENT_BERNOULLI) return vt_binary_concrete(ctx, o, v->tau, hard);
    vt_tensor *mu = vt_slice_cols(ctx, o, 0, Z), *logsig = vt_slice_cols(ctx, o, Z, Z);
    switch (c->posterior) {
    case VT_POSTERIOR_FULLCOV:
        return vt_fullcov_normal(ctx, mu, logsig, vt_slice_cols(ctx, o, 2 * Z, Z * Z));
    case VT_POSTERIOR_PLANAR:
        return vt_planar_flow(ctx, mu, logsig,
                              vt_slice_cols(ctx, o, 2 * Z, c->flow_depth * (2 * Z + 1)),
                              c->flow_depth);
    case VT_POSTERIOR_IAF:   /* the encoder's last flow_context columns are the MADEs' h */
        return vt_iaf(ctx, mu, logsig,
                      c->flow_context ? vt_slice_cols(ctx, o, 2 * Z, c->flow_context) : NULL,
                      v->made, c->flow_depth);
    default: return vt_normal(ctx, mu, logsig);
    }
}

vt_dist *vt_vae_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const vt_vae *v = m->self;
    if (!vt_vae_check_condition(ctx, v, c)) return NULL;
    if (vt_check(ctx, "vae.posterior", x) && vt_cols(x) != v->cfg.x_dim) {
        char s[48];
        vt_fail(ctx, "vae.posterior: x is %s, the model takes %d columns", vt_shape_str(x, s),
                v->cfg.x_dim);
        return NULL;
    }
    return posterior_of(ctx, v, vt_vae_net_forward(ctx, &v->enc_net, with_condition(ctx, x, c)));
}

/* VampPrior (Tomczak & Welling 2018): p(z) = (1/K) Σ_k q(z | u_k), u_k = sigmoid(a_k)
 * the learned pseudo-inputs, through the model's own encoder — its Gaussian base (mean
 * and log σ) for one level; the top of two's q(z2 | ·) at u_k. It is
 * vt_mog with encoder-made components and equal weights. */
vt_dist *vt_vae_vamp_prior(vt_ctx *ctx, vt_vae *v, int rows) {
    int Z = v->cfg.latent;
    vt_tensor *o = vt_vae_net_forward(ctx, &v->enc_net, vt_sigmoid(ctx, v->pseudo));
    if (v->cfg.levels == 2) {   /* q(z2 | z1 = μ(u_k)) bottom-up, q(z2 | u_k) top-down */
        if (v->cfg.inference != VT_HVAE_TOP_DOWN) o = vt_slice_cols(ctx, o, 0, Z);
        o = vt_vae_net_forward(ctx, &v->enc2, o);
        Z = v->cfg.latent2;
    }
    vt_tensor *uniform = vt_zeros(ctx, 2, (int[]){1, vt_rows(v->pseudo)});
    return vt_mog(ctx, rows, uniform, vt_slice_cols(ctx, o, 0, Z), vt_slice_cols(ctx, o, Z, Z));
}

vt_dist *vt_vae_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    vt_vae *v = m->self;
    const vt_vae_config *cf = &v->cfg;
    int hard = v->hard, cols = vt_vae_value_cols(cf);
    if (cf->latent_type != VT_LATENT_GAUSSIAN) {   /* uniform categorical / Bernoulli */
        vt_tensor *zero = vt_zeros(ctx, 2, (int[]){1, cols});
        return cf->latent_type == VT_LATENT_GUMBEL
                   ? vt_concrete(ctx, zero, cf->categories, v->tau, hard)
                   : vt_binary_concrete(ctx, zero, v->tau, hard);
    }
    if (cf->prior == VT_PRIOR_VAMP) return vt_vae_vamp_prior(ctx, v, rows);
    if (cf->prior == VT_PRIOR_MOG)
        return vt_mog(ctx, rows, v->mog_logits, v->mog_means, v->mog_logsigs);
    return vt_std_normal(ctx, rows, cf->latent);
}

vt_dist *vt_vae_likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    const vt_vae *v = m->self;
    /* a relaxed latent's value is held in log space: the decoder sees the (relaxed)
     * one-hot exp(l) or the bit sigmoid(t), or with straight_through the exact one-hot
     * (exact draws already are one-hot: nothing to do when v->hard) */
    int st = v->cfg.straight_through && !v->hard;
    if (v->cfg.latent_type == VT_LATENT_GUMBEL) z = vt_relaxed_onehot(ctx, z, v->cfg.categories, st);
    else if (v->cfg.latent_type == VT_LATENT_BERNOULLI) z = vt_relaxed_onehot(ctx, z, 1, st);
    vt_tensor *out = vt_vae_net_forward(ctx, &v->dec_net, with_condition(ctx, z, c));
    if (v->cfg.likelihood == VT_LIK_BERNOULLI) return vt_bernoulli_logits(ctx, out);
    if (v->cfg.likelihood == VT_LIK_CONT_BERNOULLI) return vt_cont_bernoulli_logits(ctx, out);
    return vt_normal(ctx, out, v->lik_logsig);
}
