/* ELBO estimators for any latent model, given either as three functions around one
 * latent z,
 *   q(z | x, c)   posterior      p(z | c)  prior      p(x | z, c)  likelihood,
 * or, with any number of named latents, as a guide and a model (trace.h). Gradients
 * for every parameter come from vt_backward through the reparameterized samples:
 * nothing here is model-specific. */
#ifndef VTAPE_ELBO_H
#define VTAPE_ELBO_H

#include "vtape/dist.h"
#include "vtape/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_latent_model vt_latent_model;
struct vt_latent_model {
    /* x: R x D data, c: R x C condition or NULL */
    vt_dist *(*posterior)(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c);
    vt_dist *(*prior)(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c);
    /* z: K·R x Z (sample-major); c still R x C */
    vt_dist *(*likelihood)(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c);
    void *self;
};
/* The one-latent model as a guide and model with one site, "z" (m must outlive it). */
vt_model vt_model_from_latent(const vt_latent_model *m);

typedef enum {
    VT_EST_GENERIC,   /* (A) log p(x,z) − log q(z|x): any prior/posterior pair */
    VT_EST_ANALYTIC,  /* (B) E_q log p(x|z) − KL(q‖p), closed-form KL when registered */
    VT_EST_IWAE,      /* log (1/K) Σ_k p(x, z_k)/q(z_k|x): the importance-weighted bound */
    VT_EST_MIWAE,     /* mean of M independent K-sample IWAE bounds (M·K samples) */
    VT_EST_CIWAE,     /* β·ELBO_K + (1 − β)·IWAE_K, β = ciwae_beta */
    VT_EST_PIWAE,     /* the model's parameters on IWAE of all M·K samples, the guide's on
                       * MIWAE (M groups of K; the ELBO when K = 1) of the same samples
                       * (Rainforth et al. 2018). Value: −IWAE_{M·K}. The model runs twice
                       * (its parameters frozen for the guide's gradient, the samples
                       * detached for its own); a parameter the model uses gets the IWAE
                       * gradient of that use. */
    VT_EST_BASE_KL,   /* (B) for flow posteriors too: a flow site's KL is the closed-form
                       * KL(q0 ‖ p) of its Gaussian base plus the Monte-Carlo correction
                       * (log q − log p)(z_L) − (log q0 − log p)(z0), which is unbiased and
                       * small while the flow stays near the identity; other sites as (B) */
} vt_estimator;
extern const vt_names vt_estimator_names;   /* generic, analytic, iwae, miwae, ciwae,
                                               piwae, base-kl */
int vt_estimator_parse(const char *name);   /* the estimator, or -1 if unknown */
const char *vt_estimator_name(vt_estimator e);

/* Gradient of the posterior's parameters. */
typedef enum {
    VT_GRAD_REPARAM,  /* total derivative of the reparameterized estimator */
    VT_GRAD_STL,      /* sticking the landing: log q scored with the guide's parameters
                       * fixed (path derivative only); generic and the IW bounds. With
                       * several sites the guide runs a second time, parameters frozen,
                       * on the sites' values (so it must draw the same sites each run):
                       * q(z2 | z1) keeps its dependence on z1. */
    VT_GRAD_DREG,     /* doubly reparameterized IWAE gradient (iwae, miwae; piwae's guide) */
} vt_grad_estimator;
extern const vt_names vt_grad_estimator_names;   /* reparam, stl, dreg */
int vt_grad_estimator_parse(const char *name);   /* the estimator, or -1 if unknown */
const char *vt_grad_estimator_name(vt_grad_estimator g);

typedef struct vt_elbo_opts {
    vt_estimator estimator;
    int k;              /* samples per datapoint (0 → 1) */
    float beta;         /* weight of the KL term in the loss (not with IWAE) */
    float free_bits;    /* λ > 0: each group's batch-mean KL counts as max(λ, KL_g) */
    int fb_groups;      /* latent groups for free bits (0 → one group per dimension) */
    vt_grad_estimator grad;
    int miwae_m;        /* MIWAE, PIWAE: M groups of k samples, M·k in all (0 → 1) */
    float ciwae_beta;   /* CIWAE: weight of the ELBO, in [0, 1] */
} vt_elbo_opts;
vt_elbo_opts vt_elbo_defaults(void);   /* analytic KL, k 1, β 1, no free bits */

typedef struct vt_elbo_terms {
    vt_tensor *loss;     /* scalar to minimise: batch mean of rec + β·KL (or −IWAE) */
    double rec, kl;      /* batch means, nats per datapoint: −E log p(x|z), E[log q − log p] */
    double elbo;         /* batch mean of the bound with β = 1 (IWAE: the IWAE bound;
                          * PIWAE: IWAE of all M·k samples) */
    float *elbo_rows;    /* per datapoint (arena, R values) */
    int n_sites;         /* latent sites, in the guide's order, each with its batch-mean KL */
    struct { const char *name; double kl; } site_kl[VT_TRACE_MAX_SITES];
} vt_elbo_terms;

/* Any model of trace.h: 0, or −1 with the context error set. */
int vt_model_elbo(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c,
                  const vt_elbo_opts *opts, vt_elbo_terms *out);
/* The same for a one-latent model (vt_model_from_latent). */
int vt_elbo(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c,
            const vt_elbo_opts *opts, vt_elbo_terms *out);

/* Importance-sampled log p(x) ≈ log (1/L) Σ_l p(x, z_l)/q(z_l|x), z_l ~ q(z|x), per
 * datapoint, with L = `samples` (thousands are fine): decoded in chunks of at most
 * `chunk_rows` rows (0 → 50000), combined with a running log-sum-exp in double, so
 * memory stays bounded. x: n x d (and c: n x dc or NULL) in caller memory. ctx is used
 * as scratch and reset between chunks. Returns 0, or −1 with ctx's error set (and kept
 * until the next reset). (models/log_px.c) */
int vt_model_log_px(vt_ctx *ctx, const vt_model *m, const float *x, const float *c, int n,
                    int d, int dc, int samples, int chunk_rows, double *out);
int vt_log_px(vt_ctx *ctx, const vt_latent_model *m, const float *x, const float *c, int n,
              int d, int dc, int samples, int chunk_rows, double *out);

/* ---- KL-weight (β) schedules (models/kl_schedule.c) ----
 *   constant: beta
 *   linear:   beta * min(1, step / warmup_steps): 0 at step 0, beta from warmup_steps on
 *   cyclical: total_steps split into `cycles` equal cycles of length P; within each,
 *             with u = (step mod P) / P, beta * u / ramp while u < ramp, then beta;
 *             beta from total_steps on (Fu et al. 2019, "Cyclical annealing"). */
typedef enum vt_beta_kind { VT_BETA_CONSTANT, VT_BETA_LINEAR, VT_BETA_CYCLICAL } vt_beta_kind;

typedef struct vt_beta_schedule {
    vt_beta_kind kind;
    float beta;          /* target weight, finite and >= 0 */
    long warmup_steps;   /* linear: >= 0 (0: constant) */
    long total_steps;    /* cyclical: >= cycles */
    int cycles;          /* cyclical: M >= 1 */
    float ramp;          /* cyclical: R in (0, 1], rising fraction of each cycle */
} vt_beta_schedule;

int vt_beta_schedule_check(const vt_beta_schedule *s, vt_error *err);
float vt_beta_at(const vt_beta_schedule *s, long step);   /* NaN when invalid */
extern const vt_names vt_beta_kind_names;   /* "constant", "linear", "cyclical" */
/* name -> kind, or -1. */
int vt_beta_kind_parse(const char *name);
const char *vt_beta_kind_name(vt_beta_kind kind);

#ifdef __cplusplus
}
#endif
#endif
