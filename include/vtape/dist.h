/* Distributions: a small vtable plus parameter tensors. Priors, posteriors and
 * likelihoods are all vt_dist; users add their own by filling a vt_dist_ops in
 * their own file (examples/custom_prior.c). Every dist lives in the context arena
 * for one step. Values are rows: a dist over D-vectors with R rows of parameters. */
#ifndef VTAPE_DIST_H
#define VTAPE_DIST_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_dist vt_dist;
typedef struct vt_dist_ops {
    const char *name;
    /* k samples per parameter row, (k·rows) x dim, sample-major (row s·rows + r).
     * Reparameterized where the family allows it, so gradients reach the parameters. */
    vt_tensor *(*rsample)(vt_ctx *ctx, vt_dist *d, int k);
    /* log density of each row of x → (rows of x) x 1; x may have k·rows rows. */
    vt_tensor *(*log_prob)(vt_ctx *ctx, vt_dist *d, vt_tensor *x);
} vt_dist_ops;

enum {
    /* log_prob scores only the family's own last rsample (from its noise), not any
     * value: "sticking the landing" and DReG do not apply to it */
    VT_DIST_OWN_SAMPLE = 1u << 0,
    /* a normalizing flow: no closed-form KL exists and the analytic estimator refuses */
    VT_DIST_FLOW = 1u << 1,
};

struct vt_dist {
    const vt_dist_ops *ops;
    int rows, dim;
    vt_tensor *p[4];          /* the family's parameters, in its own order */
    vt_tensor *eps, *sample;  /* noise and value of the last rsample */
    void *user;               /* for user-defined families */
    unsigned flags;           /* VT_DIST_* below, set by the constructor; 0 usually */
};

vt_dist *vt_dist_new(vt_ctx *ctx, const vt_dist_ops *ops, int rows, int dim);

/* A constructor that fails sets the context's error and returns the context's poison
 * dist, never NULL: like a poison tensor, it passes through the calls below, which
 * return poison tensors. Call the vtable through these, not d->ops directly. */
vt_tensor *vt_dist_rsample(vt_ctx *ctx, vt_dist *d, int k);
vt_tensor *vt_dist_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x);
vt_dist *vt_dist_poison(vt_ctx *ctx);
/* A copy of d whose parameters are cut from the tape (vt_detach): scoring a value under
 * it passes gradient to the value only. Refused (poison, error set) for a family that
 * scores only its own sample (VT_DIST_OWN_SAMPLE: full covariance, flows). */
vt_dist *vt_dist_detach(vt_ctx *ctx, vt_dist *d);
int vt_dist_ok(vt_ctx *ctx, const char *op, const vt_dist *d);   /* 0 for NULL or poison */

/* Built-in families (parameters are tensors on the tape). */
/* Diagonal Normal: mu R x D, logsig R x D, or 1 x D (any row count dividing R) for a
 * shared noise level, e.g. a Gaussian likelihood with a learned or fixed σ. */
vt_dist *vt_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig);
vt_dist *vt_std_normal(vt_ctx *ctx, int rows, int dim);
/* Full covariance: Σ = L Lᵀ, L = mask ⊙ reshape(lprime, Z, Z) + diag(exp(logsig)).
 * log_prob is exact for its own samples (it reuses their noise). */
vt_dist *vt_fullcov_normal(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *lprime);
/* Mixture of C diagonal Gaussians (logits 1 x C, means and logsigs C x D) over `rows`
 * rows; rsample picks components (no gradient to the weights), then reparameterizes
 * (gradients reach the picked means and log σ). */
vt_dist *vt_mog(vt_ctx *ctx, int rows, vt_tensor *logits, vt_tensor *means, vt_tensor *logsigs);
vt_dist *vt_bernoulli_logits(vt_ctx *ctx, vt_tensor *logits);   /* rsample: hard 0/1 */
/* Continuous Bernoulli on [0, 1] with logits η (dist/continuous_bernoulli.c): the
 * Bernoulli log-likelihood plus the normalizer log C(η) = log(η / tanh(η/2)), exact
 * at η = 0 (log 2). rsample: inverse-CDF draws, not reparameterized. */
vt_dist *vt_cont_bernoulli_logits(vt_ctx *ctx, vt_tensor *logits);
vt_tensor *vt_cont_bernoulli_log_norm(vt_ctx *ctx, vt_tensor *logits);   /* elementwise */
vt_tensor *vt_cont_bernoulli_mean(vt_ctx *ctx, vt_tensor *logits);      /* E[x]; no gradient */

/* Relaxed discrete latents in log space (dist/concrete.c): the value of a Gumbel-softmax
 * draw is l = log_softmax((a + g)/τ) per group of `categories` (exp(l) is the relaxed
 * one-hot); of a relaxed Bernoulli draw, the logit t = (a + logistic noise)/τ (sigmoid(t)
 * is the relaxed bit). hard = 1: exact discrete draws (l: 0 at the choice, −1e30
 * elsewhere; t: ±1e30) scored by their exact log-probability (evaluation). KL between
 * two of a kind is the closed-form KL of the discrete distributions (dist/concrete_kl.c). */
vt_dist *vt_concrete(vt_ctx *ctx, vt_tensor *logits, int categories, float tau, int hard);
vt_dist *vt_binary_concrete(vt_ctx *ctx, vt_tensor *logits, float tau, int hard);
int vt_concrete_categories(const vt_dist *d);   /* C (1 for binary), 0 for others */
/* The relaxed draw for given noise (what rsample applies to the noise it draws): per
 * group of C = categories columns l = log_softmax((a + g)/τ), g Gumbel noise; for
 * categories = 1 (binary) t = (a + L)/τ, L logistic noise. logits R_a x D with R_a
 * dividing the noise's rows (row i uses logits row i mod R_a); the noise is a constant. */
vt_tensor *vt_concrete_relax(vt_ctx *ctx, vt_tensor *logits, vt_tensor *noise, int categories,
                             float tau);
/* What a decoder takes from a draw z of such a dist: the relaxed one-hot exp(l) of a
 * concrete draw (categories = C >= 2) or the relaxed bit sigmoid(t) of a binary one
 * (categories = 1; vt_concrete_categories gives it). With straight_through = 1 the
 * straight-through Gumbel-softmax estimator (Jang et al. 2017): the forward value is the
 * exact one-hot of each group's argmax (the bit t > 0), the gradient is the relaxed
 * value's (hard − stop(soft) + soft, vt_straight_through). */
vt_tensor *vt_relaxed_onehot(vt_ctx *ctx, vt_tensor *z, int categories, int straight_through);

extern const vt_dist_ops vt_concrete_ops, vt_binary_concrete_ops;
extern const vt_dist_ops vt_normal_ops, vt_std_normal_ops, vt_fullcov_normal_ops, vt_mog_ops,
    vt_bernoulli_ops, vt_cont_bernoulli_ops;

/* KL(q ‖ p) per row of q (rows x 1): a registered closed form when one exists for
 * (q->ops, p->ops), else a one-sample Monte-Carlo estimate log q(z) − log p(z). */
typedef vt_tensor *(*vt_kl_fn)(vt_ctx *ctx, vt_dist *q, vt_dist *p);
vt_tensor *vt_kl(vt_ctx *ctx, vt_dist *q, vt_dist *p);
int vt_kl_has_closed_form(const vt_dist *q, const vt_dist *p);
/* Add a closed form for a pair of families (up to 32 user rules). 0 on success. */
int vt_kl_register(const vt_dist_ops *q, const vt_dist_ops *p, vt_kl_fn fn);

/* ---- the families' ops, per row (values R x D → R x 1 unless said otherwise) ----
 * Parameters with fewer rows than the values (R_p dividing R) are shared: value row i
 * uses parameter row i mod R_p. eps is constant noise (no gradient). */

/* Normal (dist/normal.c, dist/normal_kl.c) */
vt_tensor *vt_reparam_diag(vt_ctx *, vt_tensor *mu, vt_tensor *logsig, vt_tensor *eps);  /* mu + σ ⊙ eps */
vt_tensor *vt_normal_logprob_rows(vt_ctx *, vt_tensor *z, vt_tensor *mu, vt_tensor *logsig);
vt_tensor *vt_std_normal_logprob_rows(vt_ctx *, vt_tensor *z);
vt_tensor *vt_kl_normal_std_rows(vt_ctx *, vt_tensor *mu, vt_tensor *logsig);
vt_tensor *vt_kl_normal_normal_rows(vt_ctx *, vt_tensor *mu1, vt_tensor *logsig1,
                                    vt_tensor *mu2, vt_tensor *logsig2);

/* Full-covariance Normal (dist/fullcov_normal.c): L = mask ⊙ reshape(lprime, Z, Z) +
 * diag(exp(logsig)) per row (mask strictly lower); z = mu + L eps. mu, logsig, eps:
 * B x Z; lprime: B x Z². log q of that sample: Σ log N(eps_i; 0, 1) − Σ logsig_i. */
vt_tensor *vt_reparam_fullcov(vt_ctx *, vt_tensor *mu, vt_tensor *logsig,
                              vt_tensor *lprime, vt_tensor *eps);
vt_tensor *vt_fullcov_logq_rows(vt_ctx *, vt_tensor *eps, vt_tensor *logsig);

/* Mixture of Gaussians (dist/mixture.c): log Σ_c softmax(logits)_c N(z; means[c],
 * exp(logsigs[c])²), z R x D, logits 1 x C, means and logsigs C x D. */
vt_tensor *vt_mog_logprob_rows(vt_ctx *, vt_tensor *z, vt_tensor *logits,
                               vt_tensor *means, vt_tensor *logsigs);

/* Bernoulli with logits (dist/bernoulli.c): Σ_j BCE-with-logits(logits, x), x in [0, 1]
 * a target (no gradient); the log-probability is its negative. */
vt_tensor *vt_bce_logits_rows(vt_ctx *, vt_tensor *logits, vt_tensor *x);
vt_tensor *vt_bernoulli_logprob_rows(vt_ctx *, vt_tensor *logits, vt_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
