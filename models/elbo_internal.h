/* Private to models/: the pieces vt_elbo is assembled from. */
#ifndef VT_MODELS_ELBO_INTERNAL_H
#define VT_MODELS_ELBO_INTERNAL_H

#include "models/trace_internal.h"

/* Batch mean of a tensor's values, in double. */
double vt_elbo_mean_of(const vt_tensor *t);
/* Per-datapoint mean over K samples of a (K·R) x 1 tensor, into out[R]. */
void vt_elbo_mean_over_samples(const vt_tensor *t, int K, int R, float *out);
/* A (K·R) x 1 tensor averaged over its K samples on the tape → R x 1 (R rows: as is). */
vt_tensor *vt_elbo_sample_mean(vt_ctx *ctx, vt_tensor *t, int R);

/* log q_s(z_s) − log p_s(z_s) of site s at the guide's sample (K·R x 1); with STL (and
 * DReG), q is scored with the guide's parameters fixed (tr->q_fixed, or detached). */
vt_tensor *vt_elbo_site_log_ratio(vt_ctx *ctx, const vt_trace *tr, int s, int stl);
/* KL term of site s for the analytic estimator (R x 1): the closed form where it is the
 * right term, else the Monte-Carlo log ratio averaged over samples. A flow posterior is
 * refused, or with `flows` scored by vt_elbo_flow_site_kl. */
vt_tensor *vt_elbo_site_kl(vt_ctx *ctx, const vt_trace *tr, int s, int flows);
/* base-kl's term of flow site s (R x 1): KL(q0 ‖ p) in closed form plus the sampled
 * correction (log q − log p)(z_L) − (log q0 − log p)(z0), averaged over samples; the
 * plain log ratio when the base has no closed-form KL against p. (elbo_flow_kl.c) */
vt_tensor *vt_elbo_flow_site_kl(vt_ctx *ctx, const vt_trace *tr, int s);
/* Σ over sites of the free-bits KL term; kl[s] is site s's per-row KL. */
vt_tensor *vt_elbo_free_bits(vt_ctx *ctx, const vt_trace *tr, vt_tensor *const *kl,
                             const vt_elbo_opts *o);

/* The importance-weighted bounds (IWAE, MIWAE, CIWAE; DReG): loss and per-row bound. */
int vt_elbo_iw(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, const vt_elbo_opts *o,
               vt_elbo_terms *out);
/* Groups of an importance-weighted estimator: M (MIWAE, PIWAE's guide side), else 1. */
int vt_elbo_groups(const vt_elbo_opts *o);
/* DReG's surrogate over K samples of G groups of log w (K·G x 1, sample-major): fills
 * tr->grad_scale with the normalised weights and returns −(1/G) Σ stop(w̃) log w. */
vt_tensor *vt_elbo_dreg_surrogate(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, int K, int G);
/* PIWAE: the model on IWAE of all samples, the guide on MIWAE (elbo_piwae.c). log_w is
 * the guide-side view (the model's log-densities scored with its parameters frozen). */
int vt_elbo_piwae(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, const vt_elbo_opts *o,
                  vt_elbo_terms *out);

#endif
