/* Normalizing-flow posteriors: a diagonal Normal base q0(z0) = N(mu, diag σ²) pushed
 * through L invertible maps, z_L = f_L ∘ … ∘ f_1(z0), with
 *   log q(z_L) = log q0(z0) − Σ_l log |det ∂f_l/∂z_{l−1}|,
 * every term recorded on the tape. A flow scores only its own last rsample (the density
 * is known along the path it drew), and no closed-form KL exists: the analytic
 * estimator refuses it, generic and the importance-weighted ones work. */
#ifndef VTAPE_FLOWS_H
#define VTAPE_FLOWS_H

#include "vtape/dist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Planar flows (Rezende & Mohamed 2015): f(z) = z + û tanh(wᵀz + b), with
 * û = u + (m(wᵀu) − wᵀu) w/‖w‖², m(a) = −1 + softplus(a), so that wᵀû > −1 and f is
 * invertible; log|det| = log(1 + (1 − tanh²(wᵀz + b)) wᵀû). Amortized: params is
 * R x L(2Z + 1), step l holding (u, w, b) in columns l(2Z+1) …, from the encoder. */
vt_dist *vt_planar_flow(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *params,
                        int depth);
/* The planar steps alone, on a given base draw: z0 (N x Z) through `depth` steps with
 * params (R x depth(2Z + 1), R dividing N: row i uses params row i mod R); *log_det
 * (N x 1) receives Σ_l log |det ∂f_l/∂z_{l−1}|. vt_planar_flow's rsample is this on its
 * base sample, with log q = log q0 − *log_det. */
vt_tensor *vt_planar_transform(vt_ctx *ctx, vt_tensor *z0, vt_tensor *params, int depth,
                               vt_tensor **log_det);

/* A MADE (Germain et al. 2015) with one hidden layer, Z → H → (m, s): output i depends
 * only on inputs before i in its order (reversed when `reversed`), by masking the
 * weights. With context C > 0 the hidden layer also sees an unmasked context h (C
 * columns, e.g. from the encoder, as in Kingma et al. 2016): hidden = relu(z W1 + h Wc
 * + b1). h does not depend on z, so the Jacobian stays triangular. Parameters
 * "<name>.W1", ".Wc" (C > 0), ".b1", ".Wm", ".bm", ".Ws", ".bs" in the store (the
 * output layer's Wm, bm, Ws, bs start at zero); masks are constants the struct owns
 * (free with vt_made_free). Z >= 2, C >= 0. */
typedef struct vt_made {
    int dim, hidden, context;
    vt_tensor *w1, *wc, *b1, *wm, *bm, *ws, *bs;
    vt_tensor mask1, mask2;   /* Z x H and H x Z, 0/1 */
} vt_made;
int vt_made_init(vt_made *m, vt_store *s, const char *name, int dim, int context, int hidden,
                 int reversed, uint64_t seed, vt_error *err);
void vt_made_free(vt_made *m);
/* m(z, h), s(z, h): rows of z (and of h, or h NULL without context) → rows x Z each.
 * A MADE not initialised, or h not matching its context, sets the error and gives
 * poison outputs. */
void vt_made_forward(vt_ctx *ctx, const vt_made *m, vt_tensor *z, vt_tensor *h,
                     vt_tensor **mean, vt_tensor **gate);

/* Inverse autoregressive flow (Kingma et al. 2016): per step (m, s) = MADE_l(z, h),
 * σ = sigmoid(s + 2)/sigmoid(2) (in (0, 1.14), exactly 1 at s = 0), f(z) = σ ⊙ z + m,
 * log|det| = Σ_j log σ_j (triangular Jacobian). vt_made_init starts the MADE's outputs
 * at zero, so the flow starts as the identity. Steps alternate their order (made[l] built with reversed = l odd). h: the
 * context, R x C with C = made[l].context (the same rows as mu), or NULL when the MADEs
 * take none; K draws per row see their row's h. */
vt_dist *vt_iaf(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *h,
                const vt_made *made, int depth);

extern const vt_dist_ops vt_planar_flow_ops, vt_iaf_ops;

/* The base of flow d's last rsample: q0 = N(mu, diag σ²) (d's rows), the base draw z0
 * (the sample's rows) and log q0(z0) (rows x 1). 0, or −1 with the context error set
 * when d is not a flow or has drawn nothing. The base-kl estimator (elbo.h) uses it. */
int vt_flow_base_of(vt_ctx *ctx, vt_dist *d, vt_dist **base, vt_tensor **z0,
                    vt_tensor **log_q0);

#ifdef __cplusplus
}
#endif
#endif
