/* The VAE:  q(z|x) = N(mu(x), diag σ(x)²)  (or full covariance, or a flow, or a
 * relaxed discrete latent),  p(z) = N(0, I)  (or a learnable mixture, or the
 * VampPrior),  p(x|z) = Bernoulli(sigmoid(f(z)))  (or Gaussian); with two levels, the
 * hierarchical VAE of hvae.c. Encoder and decoder are MLPs (vae_net.c); the callbacks
 * are in vae_parts.c; the ELBO and its gradients come from elbo.c and the tape. With
 * n_classes > 0 both networks also see a one-hot label (the CVAE). */
#include "models/trace_internal.h"
#include "models/vae_internal.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vt_vae_config vt_vae_default_config(void) {
    return (vt_vae_config){.x_dim = 784, .n_hidden = 2, .hidden = {512, 256}, .latent = 32,
                           .act = VT_ACT_RELU, .posterior = VT_POSTERIOR_DIAG,
                           .prior = VT_PRIOR_STD_NORMAL, .mog_components = 10,
                           .likelihood = VT_LIK_BERNOULLI, .lik_logsig = 0.0f,
                           .levels = 1, .latent2 = 16, .pseudo_inputs = 50, .flow_depth = 4, .flow_context = 32,
                           .latent_type = VT_LATENT_GAUSSIAN, .categories = 10,
                           .temperature = 1.0f, .temp_min = 0.5f, .temp_rate = 1e-4f,
                           .layer = VT_LAYER_LINEAR};
}

/* Encoder output columns, or -1 when they pass INT_MAX (vt_vae_enc_cols computes them
 * in int once this has passed). */
static int enc_out_cols(const vt_vae_config *c) {
    long long Z = c->latent, n = 2 * Z;
    if (c->latent_type == VT_LATENT_GUMBEL) n = Z * (long long)c->categories;
    else if (c->latent_type == VT_LATENT_BERNOULLI) n = Z;
    else if (c->posterior == VT_POSTERIOR_FULLCOV) n += Z * Z;
    else if (c->posterior == VT_POSTERIOR_PLANAR) n += (long long)c->flow_depth * (2 * Z + 1);
    else if (c->posterior == VT_POSTERIOR_IAF) n += c->flow_context;
    return n > INT_MAX ? -1 : (int)n;
}

/* ---- construction ---- */

/* The combinations the families allow. */
static int check_variant(const vt_vae_config *c, vt_error *err) {
    int gauss = c->latent_type == VT_LATENT_GAUSSIAN;
    const char *why =
        c->levels < 1 || c->levels > 2 ? "levels is 1 or 2"
        : !gauss && (c->posterior != VT_POSTERIOR_DIAG || c->prior != VT_PRIOR_STD_NORMAL)
            ? "a discrete latent has its own posterior and uniform prior (use --posterior diag "
              "--prior std_normal)"
        : !gauss && c->levels != 1 ? "a discrete latent has one level"
        : c->latent_type == VT_LATENT_GUMBEL && c->categories < 2 ? "gumbel needs >= 2 categories"
        : gauss && c->straight_through ? "straight-through applies to gumbel and bernoulli latents"
        : !(c->temperature > 0 && c->temp_min > 0 && c->temp_rate >= 0)
            ? "temperatures must be > 0 and the rate >= 0"
        : (c->posterior == VT_POSTERIOR_PLANAR || c->posterior == VT_POSTERIOR_IAF) &&
                  (c->flow_depth < 1 || c->flow_depth > 64) ? "flow depth is 1..64"
        : c->posterior == VT_POSTERIOR_IAF && c->latent < 2 ? "IAF needs latent >= 2"
        : c->flow_context < 0 || c->flow_context > 65536 ? "the IAF context is 0..65536 columns"
        : (unsigned)c->inference > VT_HVAE_TOP_DOWN ? "inference is bottom-up or top-down"
        : c->prior == VT_PRIOR_VAMP && (c->pseudo_inputs < 1 || c->n_classes > 0)
            ? "the VampPrior needs >= 1 pseudo-input and no classes"
        : NULL;
    return why ? vt_error_set(err, VT_EARG, "vae: %s", why) : 0;
}

/* IAF steps, VampPrior pseudo-inputs, the second level: what the variants add. */
static int init_variant(vt_vae *v, vt_error *err) {
    const vt_vae_config *c = &v->cfg;
    if (c->posterior == VT_POSTERIOR_IAF && c->latent_type == VT_LATENT_GAUSSIAN) {
        v->made = calloc((size_t)c->flow_depth, sizeof *v->made);
        if (!v->made) return vt_error_set(err, VT_ENOMEM, "vae: out of memory");
        int H = c->n_hidden > 0 ? c->hidden[c->n_hidden - 1] : 4 * c->latent;
        for (int l = 0; l < c->flow_depth; l++) {
            char name[32];
            snprintf(name, sizeof name, "iaf%d", l);
            if (vt_made_init(&v->made[l], v->store, name, c->latent, c->flow_context, H, l % 2,
                             c->seed, err) != 0)
                return -1;
        }
    }
    if (c->prior == VT_PRIOR_VAMP) {
        int K = c->pseudo_inputs, D = c->x_dim;
        v->pseudo = vt_store_param(v->store, "vamp.pseudo", 2, (int[]){K, D}, err);
        if (!v->pseudo) return -1;
        /* pseudo-pixels start near 0.05 (sigmoid(−3)), spread a little (Tomczak & Welling) */
        vt_philox_normal(c->seed, 0, 0x7A3B, 0, (size_t)K * D, v->pseudo->data);
        for (size_t i = 0; i < (size_t)K * D; i++) v->pseudo->data[i] = -3.0f + 0.3f * v->pseudo->data[i];
    }
    return c->levels == 2 ? vt_hvae_init(v, err) : 0;
}

/* The configuration's sizes and kinds; 0, or -1 with err filled. */
static int check_config(const vt_vae_config *c, vt_error *err) {
    if (c->x_dim < 1 || c->latent < 1 || c->n_hidden < 0 || c->n_hidden > VT_VAE_MAX_HIDDEN ||
        c->n_classes < 0 || (c->prior == VT_PRIOR_MOG && c->mog_components < 1) ||
        enc_out_cols(c) < 0 || c->x_dim > INT_MAX - c->n_classes ||
        c->latent > INT_MAX - c->n_classes) {
        vt_error_set(err, VT_EARG, "vae: bad configuration (x_dim %d, latent %d, %d hidden layers, "
                 "%d classes, %d mixture components)", c->x_dim, c->latent, c->n_hidden,
                 c->n_classes, c->mog_components);
        return -1;
    }
    if (check_variant(c, err) != 0) return -1;
    for (int i = 0; i < c->n_hidden; i++)
        if (c->hidden[i] < 1)
            return vt_error_set(err, VT_EARG, "vae: hidden layer %d has size %d", i, c->hidden[i]), -1;
    return 0;
}

/* Encoder x (+ label) → hidden → posterior parameters; decoder z (+ label) → mirrored
 * hidden sizes → x. */
static int init_networks(vt_vae *v, vt_error *err) {
    const vt_vae_config *c = &v->cfg;
    int dims[VT_VAE_MAX_HIDDEN + 2], n = 0;
    dims[n++] = c->x_dim + c->n_classes;
    for (int i = 0; i < c->n_hidden; i++) dims[n++] = c->hidden[i];
    dims[n++] = vt_vae_enc_cols(c);
    int rc = vt_vae_net_init(&v->enc_net, v->store, "enc", n, dims, c->act, c->layer, c->seed, err);
    n = 0;
    dims[n++] = vt_vae_value_cols(c) + c->n_classes;
    for (int i = c->n_hidden - 1; i >= 0; i--) dims[n++] = c->hidden[i];
    dims[n++] = c->x_dim;
    rc = rc ? rc : vt_vae_net_init(&v->dec_net, v->store, "dec", n, dims, c->act, c->layer,
                                   c->seed, err);
    v->enc = v->enc_net.mlp;
    v->dec = v->dec_net.mlp;
    return rc;
}

/* The learned mixture prior's logits, means and log σ. */
static int init_mog_prior(vt_vae *v, vt_error *err) {
    int C = v->cfg.mog_components, Z = v->cfg.latent;
    v->mog_logits = vt_store_param(v->store, "prior.logits", 2, (int[]){1, C}, err);
    v->mog_means = vt_store_param(v->store, "prior.means", 2, (int[]){C, Z}, err);
    v->mog_logsigs = vt_store_param(v->store, "prior.logsigs", 2, (int[]){C, Z}, err);
    if (!v->mog_logits || !v->mog_means || !v->mog_logsigs) return -1;
    vt_philox_normal(v->cfg.seed, 0, 0x70A1, 0, (size_t)C * Z, v->mog_means->data);
    return 0;
}

/* A Gaussian likelihood's log σ: a learned parameter, or a constant outside the store. */
static int init_gaussian_logsig(vt_vae *v, vt_error *err) {
    const vt_vae_config *c = &v->cfg;
    if (c->likelihood == VT_LIK_GAUSSIAN_LEARNED) {
        v->lik_logsig = vt_store_param(v->store, "lik.logsig", 2, (int[]){1, c->x_dim}, err);
    } else {   /* a constant: a persistent tensor outside the store, no gradient */
        v->lik_logsig = calloc(1, sizeof *v->lik_logsig);
        if (v->lik_logsig) {
            v->lik_logsig->data = calloc((size_t)c->x_dim, sizeof(float));
            *v->lik_logsig = (vt_tensor){.data = v->lik_logsig->data, .ndim = 2,
                                         .shape = {1, c->x_dim}};
        }
    }
    if (!v->lik_logsig || !v->lik_logsig->data) return -1;
    for (int i = 0; i < c->x_dim; i++) v->lik_logsig->data[i] = c->lik_logsig;
    return 0;
}

int vt_vae_init(vt_vae *v, const vt_vae_config *cfg, vt_error *err) {
    vt_error_clear(err);
    if (!v || !cfg) return vt_error_set(err, VT_EARG, "vt_vae_init: model and configuration are required");
    memset(v, 0, sizeof *v);
    v->cfg = *cfg;
    const vt_vae_config *c = &v->cfg;
    if (check_config(c, err) != 0) return -1;
    v->store = vt_store_new();
    if (!v->store) return vt_error_set(err, VT_ENOMEM, "vae: out of memory"), -1;
    v->tau = c->temperature;
    int rc = init_networks(v, err);
    rc = rc ? rc : init_variant(v, err);
    if (rc == 0 && c->prior == VT_PRIOR_MOG) rc = init_mog_prior(v, err);
    if (rc == 0 && (c->likelihood == VT_LIK_GAUSSIAN_FIXED ||
                    c->likelihood == VT_LIK_GAUSSIAN_LEARNED))
        rc = init_gaussian_logsig(v, err);
    if (rc != 0) {
        if (!err || err->code == VT_OK) vt_error_set(err, VT_ENOMEM, "vae: out of memory");
        vt_vae_free(v);
        return -1;
    }
    v->model = (vt_latent_model){vt_vae_posterior, vt_vae_prior, vt_vae_likelihood, v};
    return 0;
}

void vt_vae_free(vt_vae *v) {
    if (!v) return;
    if (v->lik_logsig && !(v->lik_logsig->flags & VT_PARAM)) {
        free(v->lik_logsig->data);
        free(v->lik_logsig);
    }
    for (int l = 0; v->made && l < v->cfg.flow_depth; l++) vt_made_free(&v->made[l]);
    free(v->made);
    vt_store_free(v->store);
    memset(v, 0, sizeof *v);
}

/* ---- use ---- */

vt_model vt_vae_model(vt_vae *v) {
    if (!v) return (vt_model){0};   /* the estimators refuse it with a message */
    v->model.self = v;
    if (v->cfg.levels == 2) return (vt_model){vt_hvae_guide, vt_hvae_model, v};
    return vt_model_from_latent(&v->model);
}

vt_elbo_opts vt_vae_eval_opts(const vt_vae *v) {
    vt_elbo_opts o = vt_elbo_defaults();
    if (!v) return o;
    vt_posterior_kind q = v->cfg.posterior;
    if (v->cfg.latent_type == VT_LATENT_GAUSSIAN && (q == VT_POSTERIOR_PLANAR || q == VT_POSTERIOR_IAF))
        o.estimator = VT_EST_GENERIC;
    return o;
}

float vt_vae_set_step(vt_vae *v, long step) {
    if (!v) return NAN;
    const vt_vae_config *c = &v->cfg;
    double t = c->temperature * exp(-(double)c->temp_rate * (double)(step > 0 ? step : 0));
    return v->tau = (float)(t > c->temp_min ? t : c->temp_min);
}

int vt_vae_loss(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c, const vt_elbo_opts *opts,
                vt_elbo_terms *out) {
    if (!v || !v->store) {
        if (out) memset(out, 0, sizeof *out);
        vt_fail(ctx, "vt_vae_loss: the model is NULL or not initialised");
        return -1;
    }
    vt_model g = vt_vae_model(v);
    return vt_model_elbo(ctx, &g, x, c, opts, out);
}

/* The decoder's mean: pixel probabilities, the continuous Bernoulli's mean, or μ. */
static vt_tensor *lik_mean(vt_ctx *ctx, vt_dist *lik) {
    if (lik->ops == &vt_cont_bernoulli_ops) return vt_cont_bernoulli_mean(ctx, lik->p[0]);
    return lik->ops == &vt_bernoulli_ops ? vt_sigmoid(ctx, lik->p[0]) : lik->p[0];
}

/* These go through v->model's callbacks (or the two-level model), so a prior,
 * posterior or likelihood swapped there is used for generation and reconstruction as
 * well as for the loss. */
vt_tensor *vt_vae_decode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *z, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_decode_mean: the model is NULL or not initialised");
    v->model.self = v;
    if (!vt_vae_check_condition(ctx, v, c)) return vt_fail(ctx, "vt_vae_decode_mean");
    vt_dist *lik = v->model.likelihood(ctx, &v->model, z, c);
    if (!lik) return vt_fail(ctx, "vt_vae_decode_mean: no likelihood");
    return lik_mean(ctx, lik);
}

vt_tensor *vt_vae_generate(vt_ctx *ctx, vt_vae *v, int n, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_generate: the model is NULL or not initialised");
    vt_model g = vt_vae_model(v);
    if (!vt_vae_check_condition(ctx, v, c)) return vt_fail(ctx, "vt_vae_generate");
    vt_trace tr;
    vt_trace_init(&tr, VT_TRACE_GENERATE, 1, n);
    vt_dist *lik = vt_trace_generate(ctx, &g, c, &tr);
    if (!lik) return vt_fail(ctx, "vt_vae_generate: the model failed");
    return lik_mean(ctx, lik);
}

vt_tensor *vt_vae_encode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_encode_mean: the model is NULL or not initialised");
    v->model.self = v;
    if (v->cfg.levels == 2) {
        vt_tensor *m = vt_hvae_encode_mean(ctx, v, x, c);
        return m ? m : vt_fail(ctx, "vt_vae_encode_mean: no posterior");
    }
    vt_dist *q = v->model.posterior(ctx, &v->model, x, c);
    if (!q) return vt_fail(ctx, "vt_vae_encode_mean: no posterior");
    if (q->ops == &vt_concrete_ops) {   /* log class probabilities: the value space */
        int C = vt_concrete_categories(q);
        vt_tensor *l = vt_log_softmax_rows(ctx, vt_reshape(ctx, q->p[0], 2,
                                                           (int[]){q->rows * q->dim / C, C}));
        return vt_reshape(ctx, l, 2, (int[]){q->rows, q->dim});
    }
    return q->p[0];   /* Gaussian (and flow base) mean; relaxed-Bernoulli logits */
}

vt_tensor *vt_vae_reconstruct(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c) {
    return vt_vae_decode_mean(ctx, v, vt_vae_encode_mean(ctx, v, x, c), c);
}
