/* The VAE:  q(z|x) = N(mu(x), diag σ(x)²)  (or full covariance),  p(z) = N(0, I)
 * (or a learnable mixture),  p(x|z) = Bernoulli(sigmoid(f(z)))  (or Gaussian).
 * Encoder and decoder are MLPs; the ELBO and its gradients come from elbo.c and the
 * tape. With n_classes > 0 both networks also see a one-hot label (the CVAE). */
#include "vtape/vae.h"
#include "vtape/ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vt_vae_config vt_vae_default_config(void) {
    return (vt_vae_config){.x_dim = 784, .n_hidden = 2, .hidden = {512, 256}, .latent = 32,
                           .act = VT_ACT_RELU, .posterior = VT_POSTERIOR_DIAG,
                           .prior = VT_PRIOR_STD_NORMAL, .mog_components = 10,
                           .likelihood = VT_LIK_BERNOULLI, .lik_logsig = 0.0f};
}

/* 2Z (+ Z² for the full covariance), or -1 when that passes INT_MAX. */
static int enc_out_cols(const vt_vae_config *c) {
    int zz = 0, two = 0;
    if (c->posterior == VT_POSTERIOR_FULLCOV && !vt_int_mul(c->latent, c->latent, &zz)) return -1;
    if (!vt_int_mul(2, c->latent, &two) || zz > INT_MAX - two) return -1;
    return two + zz;
}

/* ---- the three functions the ELBO estimators call ---- */

static vt_tensor *with_condition(vt_ctx *ctx, vt_tensor *h, vt_tensor *c) {
    if (!c) return h;
    int k = vt_rows(h) / vt_rows(c);   /* K samples share their datapoint's label */
    return vt_concat_cols(ctx, h, k > 1 ? vt_repeat_rows(ctx, c, k) : c);
}

static int check_condition(vt_ctx *ctx, const vt_vae *v, vt_tensor *c) {
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

static vt_dist *posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const vt_vae *v = m->self;
    if (!check_condition(ctx, v, c)) return NULL;
    if (vt_check(ctx, "vae.posterior", x) && vt_cols(x) != v->cfg.x_dim) {
        char s[48];
        vt_fail(ctx, "vae.posterior: x is %s, the model takes %d columns", vt_shape_str(x, s),
                v->cfg.x_dim);
        return NULL;
    }
    int Z = v->cfg.latent;
    vt_tensor *o = vt_mlp_forward(ctx, &v->enc, with_condition(ctx, x, c));
    vt_tensor *mu = vt_slice_cols(ctx, o, 0, Z), *logsig = vt_slice_cols(ctx, o, Z, Z);
    if (v->cfg.posterior == VT_POSTERIOR_FULLCOV)
        return vt_fullcov_normal(ctx, mu, logsig, vt_slice_cols(ctx, o, 2 * Z, Z * Z));
    return vt_normal(ctx, mu, logsig);
}

static vt_dist *prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    const vt_vae *v = m->self;
    if (v->cfg.prior == VT_PRIOR_MOG)
        return vt_mog(ctx, rows, v->mog_logits, v->mog_means, v->mog_logsigs);
    return vt_std_normal(ctx, rows, v->cfg.latent);
}

static vt_dist *likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    const vt_vae *v = m->self;
    vt_tensor *out = vt_mlp_forward(ctx, &v->dec, with_condition(ctx, z, c));
    if (v->cfg.likelihood == VT_LIK_BERNOULLI) return vt_bernoulli_logits(ctx, out);
    return vt_normal(ctx, out, v->lik_logsig);
}

/* ---- construction ---- */

int vt_vae_init(vt_vae *v, const vt_vae_config *cfg, vt_error *err) {
    vt_error_clear(err);
    if (!v || !cfg) return vt_error_set(err, VT_EARG, "vt_vae_init: model and configuration are required");
    memset(v, 0, sizeof *v);
    v->cfg = *cfg;
    const vt_vae_config *c = &v->cfg;
    if (c->x_dim < 1 || c->latent < 1 || c->n_hidden < 0 || c->n_hidden > VT_VAE_MAX_HIDDEN ||
        c->n_classes < 0 || (c->prior == VT_PRIOR_MOG && c->mog_components < 1) ||
        enc_out_cols(c) < 0 || c->x_dim > INT_MAX - c->n_classes ||
        c->latent > INT_MAX - c->n_classes) {
        vt_error_set(err, VT_EARG, "vae: bad configuration (x_dim %d, latent %d, %d hidden layers, "
                 "%d classes, %d mixture components)", c->x_dim, c->latent, c->n_hidden,
                 c->n_classes, c->mog_components);
        return -1;
    }
    for (int i = 0; i < c->n_hidden; i++)
        if (c->hidden[i] < 1) {
            vt_error_set(err, VT_EARG, "vae: hidden layer %d has size %d", i, c->hidden[i]);
            return -1;
        }
    v->store = vt_store_new();
    if (!v->store) {
        vt_error_set(err, VT_ENOMEM, "vae: out of memory");
        return -1;
    }
    int dims[VT_VAE_MAX_HIDDEN + 2], n = 0;
    dims[n++] = c->x_dim + c->n_classes;
    for (int i = 0; i < c->n_hidden; i++) dims[n++] = c->hidden[i];
    dims[n++] = enc_out_cols(c);
    int rc = vt_mlp_init(&v->enc, v->store, "enc", n, dims, c->act, c->seed, err);
    n = 0;
    dims[n++] = c->latent + c->n_classes;
    for (int i = c->n_hidden - 1; i >= 0; i--) dims[n++] = c->hidden[i];
    dims[n++] = c->x_dim;
    rc = rc ? rc : vt_mlp_init(&v->dec, v->store, "dec", n, dims, c->act, c->seed, err);
    if (rc == 0 && c->prior == VT_PRIOR_MOG) {
        int C = c->mog_components, Z = c->latent;
        v->mog_logits = vt_store_param(v->store, "prior.logits", 2, (int[]){1, C}, err);
        v->mog_means = vt_store_param(v->store, "prior.means", 2, (int[]){C, Z}, err);
        v->mog_logsigs = vt_store_param(v->store, "prior.logsigs", 2, (int[]){C, Z}, err);
        if (!v->mog_logits || !v->mog_means || !v->mog_logsigs) rc = -1;
        else vt_philox_normal(c->seed, 0, 0x70A1, 0, (size_t)C * Z, v->mog_means->data);
    }
    if (rc == 0 && c->likelihood != VT_LIK_BERNOULLI) {
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
        if (!v->lik_logsig || !v->lik_logsig->data) rc = -1;
        else for (int i = 0; i < c->x_dim; i++) v->lik_logsig->data[i] = c->lik_logsig;
    }
    if (rc != 0) {
        if (!err || err->code == VT_OK) vt_error_set(err, VT_ENOMEM, "vae: out of memory");
        vt_vae_free(v);
        return -1;
    }
    v->model = (vt_latent_model){posterior, prior, likelihood, v};
    return 0;
}

void vt_vae_free(vt_vae *v) {
    if (!v) return;
    if (v->lik_logsig && !(v->lik_logsig->flags & VT_PARAM)) {
        free(v->lik_logsig->data);
        free(v->lik_logsig);
    }
    vt_store_free(v->store);
    memset(v, 0, sizeof *v);
}

/* ---- use ---- */

int vt_vae_loss(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c, const vt_elbo_opts *opts,
                vt_elbo_terms *out) {
    if (!v || !v->store) {
        if (out) memset(out, 0, sizeof *out);
        vt_fail(ctx, "vt_vae_loss: the model is NULL or not initialised");
        return -1;
    }
    v->model.self = v;
    return vt_elbo(ctx, &v->model, x, c, opts, out);
}

/* These go through v->model's callbacks, so a prior, posterior or likelihood swapped
 * there is used for generation and reconstruction as well as for the loss. */
vt_tensor *vt_vae_decode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *z, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_decode_mean: the model is NULL or not initialised");
    v->model.self = v;
    if (!check_condition(ctx, v, c)) return vt_fail(ctx, "vt_vae_decode_mean");
    vt_dist *lik = v->model.likelihood(ctx, &v->model, z, c);
    if (!lik) return vt_fail(ctx, "vt_vae_decode_mean: no likelihood");
    return lik->ops == &vt_bernoulli_ops ? vt_sigmoid(ctx, lik->p[0]) : lik->p[0];
}

vt_tensor *vt_vae_generate(vt_ctx *ctx, vt_vae *v, int n, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_generate: the model is NULL or not initialised");
    v->model.self = v;
    vt_dist *p = v->model.prior(ctx, &v->model, n, c);
    if (!p) return vt_fail(ctx, "vt_vae_generate: no prior");
    return vt_vae_decode_mean(ctx, v, p->ops->rsample(ctx, p, 1), c);
}

vt_tensor *vt_vae_encode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c) {
    if (!v || !v->store) return vt_fail(ctx, "vt_vae_encode_mean: the model is NULL or not initialised");
    v->model.self = v;
    vt_dist *q = v->model.posterior(ctx, &v->model, x, c);
    return q ? q->p[0] : vt_fail(ctx, "vt_vae_encode_mean: no posterior");
}

vt_tensor *vt_vae_reconstruct(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c) {
    return vt_vae_decode_mean(ctx, v, vt_vae_encode_mean(ctx, v, x, c), c);
}
