/* The VAE family: Gaussian (diagonal or full-covariance) encoder, standard-normal or
 * mixture prior, Bernoulli or Gaussian decoder; optionally conditioned on a one-hot
 * label (CVAE); trained with any ELBO estimator of elbo.h, with a β schedule for the
 * β-annealed VAE. */
#ifndef VTAPE_VAE_H
#define VTAPE_VAE_H

#include "vtape/elbo.h"
#include "vtape/layers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { VT_POSTERIOR_DIAG, VT_POSTERIOR_FULLCOV } vt_posterior_kind;
typedef enum { VT_PRIOR_STD_NORMAL, VT_PRIOR_MOG } vt_prior_kind;
typedef enum { VT_LIK_BERNOULLI, VT_LIK_GAUSSIAN_FIXED, VT_LIK_GAUSSIAN_LEARNED } vt_lik_kind;
extern const vt_names vt_posterior_names;   /* "diag", "fullcov" */
extern const vt_names vt_prior_names;       /* "std_normal", "mog" */
extern const vt_names vt_lik_names;         /* "bernoulli", "gaussian", "gaussian_learned" */

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

typedef struct vt_vae {
    vt_vae_config cfg;
    vt_store *store;                  /* every parameter: encoder, decoder, prior, likelihood */
    vt_mlp enc, dec;
    vt_tensor *mog_logits, *mog_means, *mog_logsigs;
    vt_tensor *lik_logsig;            /* 1 x D, learned or constant */
    /* What the ELBO estimators, generation and reconstruction call: replace a
     * callback here to swap the prior, posterior or likelihood everywhere. */
    vt_latent_model model;
} vt_vae;

int vt_vae_init(vt_vae *v, const vt_vae_config *cfg, vt_error *err);
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
/* Posterior mean of x (R x Z). */
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
