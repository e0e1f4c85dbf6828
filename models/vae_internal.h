/* Private to models/: the VAE's pieces shared between its files. */
#ifndef VT_MODELS_VAE_INTERNAL_H
#define VT_MODELS_VAE_INTERNAL_H

#include "vtape/ops.h"
#include "vtape/vae.h"

int vt_vae_net_init(vt_vae_net *n, vt_store *s, const char *prefix, int n_dims, const int *dims,
                    vt_act act, vt_layer_kind kind, uint64_t seed, vt_error *err);
vt_tensor *vt_vae_net_forward(vt_ctx *ctx, const vt_vae_net *n, vt_tensor *x);

/* Encoder output columns, and the width of a latent value (the decoder's input). */
int vt_vae_enc_cols(const vt_vae_config *c);
int vt_vae_value_cols(const vt_vae_config *c);
/* The three one-latent callbacks (vae_parts.c). */
vt_dist *vt_vae_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c);
vt_dist *vt_vae_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c);
vt_dist *vt_vae_likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c);
/* The condition check shared by the callbacks. 1 when fine. */
int vt_vae_check_condition(vt_ctx *ctx, const vt_vae *v, vt_tensor *c);
/* The two-level model (hvae.c). */
int vt_hvae_init(vt_vae *v, vt_error *err);
int vt_hvae_guide(vt_ctx *ctx, const vt_model *g, vt_tensor *x, vt_tensor *c, vt_trace *tr);
vt_dist *vt_hvae_model(vt_ctx *ctx, const vt_model *g, vt_tensor *c, vt_trace *tr);
/* Posterior mean of z1 (top-down: given z2 at its posterior mean). */
vt_tensor *vt_hvae_encode_mean(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c);
/* VampPrior over `rows` rows: the uniform mixture of q(top | u_k) at the pseudo-inputs. */
vt_dist *vt_vae_vamp_prior(vt_ctx *ctx, vt_vae *v, int rows);

#endif
