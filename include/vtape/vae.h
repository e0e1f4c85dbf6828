/* The VAE family: Gaussian (diagonal, full-covariance, planar- or IAF-flow) encoder, or
 * a relaxed discrete latent (Gumbel-softmax categorical or relaxed Bernoulli);
 * standard-normal, mixture or VampPrior prior; Bernoulli or Gaussian decoder; linear
 * or gated hidden layers; one latent layer or two (the hierarchical VAE
 * p(z2) p(z1|z2) p(x|z1), q(z1|x) q(z2|z1)); optionally conditioned on a one-hot label
 * (CVAE); trained with any ELBO estimator of elbo.h, with a β schedule for the
 * β-annealed VAE. */
#ifndef VTAPE_VAE_H
#define VTAPE_VAE_H

#include "vtape/elbo.h"
#include "vtape/flows.h"
#include "vtape/layers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { VT_POSTERIOR_DIAG, VT_POSTERIOR_FULLCOV, VT_POSTERIOR_PLANAR,
               VT_POSTERIOR_IAF } vt_posterior_kind;
typedef enum { VT_PRIOR_STD_NORMAL, VT_PRIOR_MOG, VT_PRIOR_VAMP } vt_prior_kind;
/* gaussian; gumbel: `latent` categorical variables of `categories` classes each
 * (Gumbel-softmax relaxation, uniform categorical prior); bernoulli: `latent` relaxed
 * bits (uniform Bernoulli prior). Discrete latents are relaxed (training) unless
 * vt_vae.hard is set, when they are drawn exactly and scored by their exact
 * probabilities (evaluation: the discrete ELBO and log p(x)). */
typedef enum { VT_LATENT_GAUSSIAN, VT_LATENT_GUMBEL, VT_LATENT_BERNOULLI } vt_latent_type;
typedef enum { VT_LAYER_LINEAR, VT_LAYER_GATED } vt_layer_kind;
extern const vt_names vt_latent_type_names;   /* "gaussian", "gumbel", "bernoulli" */
extern const vt_names vt_layer_names;         /* "linear", "gated" */
/* Inference order of the two-level model (models/hvae.c):
 *   bottom-up  q(z1 | x) q(z2 | z1)       (Burda et al. 2016)
 *   top-down   q(z2 | x) q(z1 | x, z2)    (the ladder VAE, Sønderby et al. 2016: q(z1 | x, z2)
 *              is the precision-weighted product of a bottom-up Gaussian from x and the
 *              prior p(z1 | z2), so both layers' KLs have a closed form). */
typedef enum { VT_HVAE_BOTTOM_UP, VT_HVAE_TOP_DOWN } vt_hvae_inference;
extern const vt_names vt_hvae_inference_names;   /* "bottom-up", "top-down" */
/* Bernoulli: binary (or binarized) data; continuous Bernoulli: values in [0, 1];
 * Gaussian: real values, with a fixed or learned per-dimension σ. */
typedef enum { VT_LIK_BERNOULLI, VT_LIK_GAUSSIAN_FIXED, VT_LIK_GAUSSIAN_LEARNED,
               VT_LIK_CONT_BERNOULLI } vt_lik_kind;
extern const vt_names vt_posterior_names;   /* "diag", "fullcov", "planar", "iaf" */
extern const vt_names vt_prior_names;       /* "std_normal", "mog", "vamp" */
extern const vt_names vt_lik_names;         /* "bernoulli", "gaussian", "gaussian_learned",
                                               "continuous_bernoulli" */

#define VT_VAE_MAX_HIDDEN 6
typedef struct vt_vae_config {
    int x_dim;                        /* 784 */
    int n_hidden;                     /* encoder hidden sizes; the decoder mirrors them */
    int hidden[VT_VAE_MAX_HIDDEN];
    int latent;                       /* Z */
    vt_act act;
    int n_classes;                    /* 0: VAE; C > 0: CVAE on one-hot labels */
    vt_posterior_kind posterior;
    vt_prior_kind prior;
    int mog_components;               /* mixture prior */
    vt_lik_kind likelihood;
    float lik_logsig;                 /* Gaussian likelihood: (initial) log σ */
    uint64_t seed;                    /* initialisation */
    int levels;                       /* 1, or 2: hierarchical VAE with top latent latent2 */
    int latent2;                      /* Z2 of the top layer (levels 2) */
    vt_hvae_inference inference;      /* levels 2: bottom-up or top-down */
    int pseudo_inputs;                /* VampPrior: K pseudo-inputs */
    int flow_depth;                   /* planar / IAF: L steps */
    int flow_context;                 /* IAF: columns of the encoder's context h (0: none) */
    vt_latent_type latent_type;
    int categories;                   /* gumbel: classes per categorical variable */
    float temperature;                /* relaxed latents: τ at step 0 */
    float temp_min, temp_rate;        /* τ(t) = max(temp_min, temperature·exp(−temp_rate·t)) */
    vt_layer_kind layer;              /* hidden layers: linear + activation, or gated */
    int straight_through;             /* relaxed latents: the decoder sees the exact one-hot
                                       * forward, the relaxed gradient backward
                                       * (vt_relaxed_onehot) */
} vt_vae_config;

/* 784-512-256, latent 32, relu, diagonal posterior, N(0, I) prior, Bernoulli decoder. */
vt_vae_config vt_vae_default_config(void);
/* "784-512-256" → x_dim and hidden sizes. 0 ok, −1 with a message. */
int vt_vae_parse_arch(vt_vae_config *cfg, const char *arch, vt_error *err);
/* One-line "key=value ..." form, kept in checkpoints; parse checks every field. */
int vt_vae_config_format(const vt_vae_config *cfg, char *buf, size_t len);
int vt_vae_config_parse(vt_vae_config *cfg, const char *text, vt_error *err);
/* Parameter elements vt_vae_init would create for cfg (0 when a count overflows):
 * compare with a checkpoint's table (vt_checkpoint_inspect) before building. */
size_t vt_vae_config_numel(const vt_vae_config *cfg);

/* An MLP of linear or gated hidden layers ("<prefix>0", …) and a linear output layer
 * ("<prefix>_out"); with linear layers it is exactly vt_mlp. */
typedef struct vt_vae_net {
    vt_mlp mlp;                                   /* linear: all layers; gated: output only */
    int n_gated;
    vt_gated_layer gated[VT_VAE_MAX_HIDDEN];
} vt_vae_net;

typedef struct vt_vae {
    vt_vae_config cfg;
    vt_store *store;                  /* every parameter: encoder, decoder, prior, likelihood */
    vt_mlp enc, dec;                  /* linear layers (the net's mlp when cfg.layer is linear) */
    vt_vae_net enc_net, dec_net;
    vt_vae_net enc2, prior1;          /* levels 2: q(z2 | z1) (bottom-up) or q(z2 | x)
                                       * from the encoder's output (top-down); p(z1 | z2) */
    vt_made *made;                    /* IAF steps (flow_depth of them) */
    vt_tensor *pseudo;                /* VampPrior: K x D pseudo-input logits */
    float tau;                        /* relaxed latents: the current temperature */
    int hard;                         /* 1: discrete latents drawn exactly and scored by
                                       * their probabilities (evaluation); 0: relaxed */
    vt_tensor *mog_logits, *mog_means, *mog_logsigs;
    vt_tensor *lik_logsig;            /* 1 x D, learned or constant */
    /* What the ELBO estimators, generation and reconstruction call: replace a
     * callback here to swap the prior, posterior or likelihood everywhere. */
    vt_latent_model model;
} vt_vae;

int vt_vae_init(vt_vae *v, const vt_vae_config *cfg, vt_error *err);
/* The model the estimators run (points into v): the three callbacks of v->model as one
 * site "z", or the hierarchical guide and model (sites "z1", "z2"). NULL v: an empty
 * model, which the estimators refuse. */
vt_model vt_vae_model(vt_vae *v);
/* The test-ELBO options: one sample, β 1, the analytic estimator, or generic for a flow
 * posterior (where analytic KL does not apply). */
vt_elbo_opts vt_vae_eval_opts(const vt_vae *v);
/* Temperature of relaxed latents at optimizer step `step` (sets v->tau): τ(t) of
 * vt_vae_config, steps before 0 counting as 0. NaN for NULL v. */
float vt_vae_set_step(vt_vae *v, long step);
void vt_vae_free(vt_vae *v);

/* The ELBO of a batch x (R x D; c: R x C one-hot or NULL), recorded on the tape. */
int vt_vae_loss(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c, const vt_elbo_opts *opts,
                vt_elbo_terms *out);
/* Decoder mean (pixel probabilities for Bernoulli) of latent rows z (c: rows of z or NULL). */
vt_tensor *vt_vae_decode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *z, vt_tensor *c);
/* n samples of the prior, decoded to means. */
vt_tensor *vt_vae_generate(vt_ctx *ctx, vt_vae *v, int n, vt_tensor *c);
/* x decoded from its posterior mean. */
vt_tensor *vt_vae_reconstruct(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c);
/* Posterior mean of x (R x Z; the lower layer's with two levels; the class
 * probabilities of a Gumbel-softmax latent). */
vt_tensor *vt_vae_encode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c);

/* ---- CVAE (models/cvae.c) ---- */
int vt_cvae_init(vt_vae *v, const vt_vae_config *cfg, int n_classes, vt_error *err);
/* labels → R x C one-hot */
vt_tensor *vt_one_hot_tensor(vt_ctx *ctx, const uint8_t *labels, int n, int n_classes);
/* n samples conditioned on one class. */
vt_tensor *vt_cvae_generate_class(vt_ctx *ctx, vt_vae *v, int n, int cls);

/* ---- β-annealed VAE (models/beta_vae.c) ---- */
/* The loss at optimizer step `step`: the KL weight follows the schedule. */
int vt_beta_vae_loss(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c,
                     const vt_elbo_opts *opts, const vt_beta_schedule *schedule, long step,
                     vt_elbo_terms *out);

#ifdef __cplusplus
}
#endif
#endif
