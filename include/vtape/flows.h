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
 * weights. Parameters "<name>.W1", ".b1", ".Wm", ".bm", ".Ws", ".bs" in the store;
 * masks are constants the struct owns (free with vt_made_free). Z >= 2. */
typedef struct vt_made {
    int dim, hidden;
    vt_tensor *w1, *b1, *wm, *bm, *ws, *bs;
    vt_tensor mask1, mask2;   /* Z x H and H x Z, 0/1 */
} vt_made;
int vt_made_init(vt_made *m, vt_store *s, const char *name, int dim, int hidden, int reversed,
                 uint64_t seed, vt_error *err);
void vt_made_free(vt_made *m);
/* m(z), s(z): rows of z → rows x Z each. */
void vt_made_forward(vt_ctx *ctx, const vt_made *m, vt_tensor *z, vt_tensor **mean,
                     vt_tensor **gate);

/* Inverse autoregressive flow (Kingma et al. 2016): per step (m, s) = MADE_l(z),
 * σ = sigmoid(s), f(z) = σ ⊙ z + (1 − σ) ⊙ m, log|det| = Σ_j log σ_j (triangular
 * Jacobian). Steps alternate their order (made[l] built with reversed = l odd). */
vt_dist *vt_iaf(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, const vt_made *made, int depth);

extern const vt_dist_ops vt_planar_flow_ops, vt_iaf_ops;

#ifdef __cplusplus
}
#endif
#endif
