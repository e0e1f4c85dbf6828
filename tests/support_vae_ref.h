/* An independent float64 computation of a vt_vae's loss terms, for the value tests.
 *
 * It reads the model's parameters (encoder and decoder layers, mixture prior,
 * likelihood σ) and the posterior noise eps the estimator drew, and recomputes
 * everything else in double from the textbook formulas: densities from z itself
 * (not from eps), log-sum-exp over mixture components and IWAE samples, closed-form
 * KLs, free bits over consecutive latent groups. Nothing here calls a vtape op. */
#ifndef VT_TEST_VAE_REF_H
#define VT_TEST_VAE_REF_H
#include "vtape/vtape.h"

typedef struct {
    double loss, rec, kl, elbo;
} vae_ref_terms;

/* x: R x D, labels: R class indices or NULL (CVAE), eps: K·R x Z (sample-major),
 * beta: the KL weight to apply (the caller computes β(t) itself). */
void vae_ref_loss(const vt_vae *v, const float *x, const uint8_t *labels, int R,
                  const float *eps, const vt_elbo_opts *o, double beta, vae_ref_terms *out);

/* Batch-mean per-group KL(q ‖ N(0, I)) of a diagonal posterior, G groups of Z/G
 * consecutive dimensions (to place a free-bits λ between groups). */
void vae_ref_group_kl(const vt_vae *v, const float *x, const uint8_t *labels, int R, int G,
                      double *group_kl);

/* Posterior mean (R x Z) and decoder mean (n x D: sigmoid of the logits for a Bernoulli
 * decoder) of latent rows z; labels: one per row or NULL. */
void vae_ref_encode_mean(const vt_vae *v, const float *x, const uint8_t *labels, int R,
                         double *out);
void vae_ref_decode_mean(const vt_vae *v, const float *z, const uint8_t *labels, int n,
                         double *out);

/* The one place the value tests touch vt_latent_model: wrap v's posterior so the test
 * can read the noise of the sample the estimator drew (vae_ref_eps after the loss). */
void vae_ref_capture(vt_vae *v);
const float *vae_ref_eps(void);

#endif
