/* PIWAE (Rainforth et al. 2018, "Tighter variational bounds are not necessarily
 * better", §5): the model's parameters θ ascend the IWAE bound of all T = M·K samples,
 * the guide's parameters φ the MIWAE bound of the same samples taken as M groups of K
 * (the ELBO when K = 1), since a tighter bound gives the model a better gradient and
 * the guide a noisier one. One loss, one backward:
 *
 *   loss = −IWAE_T(log w_θ) − (L_φ − stop(L_φ)),   L_φ = MIWAE_{M,K}(log w_φ)
 *
 * log w_φ is log p(x, z) − log q(z | x) with the model's log-densities scored with
 * its parameters frozen: its gradient reaches φ (through z and log q), never θ. log w_θ
 * has the same values; its gradient comes from a second run of the model on detached
 * samples, so it reaches θ only. The value of the loss is −IWAE_T. (One run with two
 * per-row weights would need the ratio of the two normalised weights on the samples'
 * path, which is 0/0 in float as soon as one group's weights are negligible against
 * all T; the second run costs one more forward pass of the model, while the backward
 * still computes each weight gradient and each input gradient once.) A parameter the
 * model itself uses (a VampPrior's encoder and pseudo-inputs) gets the IWAE gradient of
 * that use. With STL or DReG, L_φ is their surrogate of MIWAE. */
#include "models/elbo_internal.h"
#include "vtape/ops.h"
#include "vtape/stopgrad.h"

/* log p_θ(x, z̄) on detached samples: the model run again, its parameters live. */
static vt_tensor *model_side_log_joint(vt_ctx *ctx, vt_trace *tr) {
    for (int i = 0; i < tr->n_sites; i++) tr->site[i].z = vt_detach(ctx, tr->site[i].z);
    tr->freeze_model = 0;
    vt_dist *lik = vt_trace_replay(ctx, tr);
    if (!lik) return vt_fail(ctx, "vt_elbo: piwae: the second run of the model failed");
    vt_ctx_set_scope(ctx, "piwae: the model's log p(x, z) on detached samples");
    vt_tensor *lp = vt_dist_log_prob(ctx, lik, tr->x);
    for (int i = 0; i < tr->n_sites; i++)
        lp = vt_add(ctx, lp, vt_dist_log_prob(ctx, tr->site[i].p, tr->site[i].z));
    vt_ctx_set_scope(ctx, NULL);
    return lp;
}

/* The guide's objective L_φ (batch mean), or its DReG surrogate. */
static vt_tensor *guide_side(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, const vt_elbo_opts *o) {
    int M = vt_elbo_groups(o), K = tr->k / M, G = M * tr->rows;
    if (o->grad == VT_GRAD_DREG)   /* the surrogate is a loss: its negative ascends */
        return vt_scale(ctx, vt_elbo_dreg_surrogate(ctx, tr, log_w, K, G), -1.0f);
    return vt_mean(ctx, vt_logmeanexp_samples(ctx, vt_reshape(ctx, log_w, 2, (int[]){K, G})));
}

int vt_elbo_piwae(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, const vt_elbo_opts *o,
                  vt_elbo_terms *out) {
    int T = tr->k, R = tr->rows;
    vt_tensor *log_w_theta = log_w, *guide_term = NULL;
    if (vt_grad_enabled(ctx)) {   /* without gradients only the value, −IWAE_T, is needed */
        /* the guide's side first: DReG fills the samples' weights from log w_φ */
        vt_tensor *l_phi = guide_side(ctx, tr, log_w, o);
        guide_term = vt_sub(ctx, l_phi, vt_detach(ctx, l_phi));
        vt_tensor *lp = model_side_log_joint(ctx, tr);
        /* value log w (lp − stop(lp) is exactly 0), gradient ∇θ log p */
        log_w_theta = vt_add(ctx, vt_detach(ctx, log_w), vt_sub(ctx, lp, vt_detach(ctx, lp)));
    }
    vt_tensor *iw = vt_logmeanexp_samples(ctx, vt_reshape(ctx, log_w_theta, 2, (int[]){T, R}));
    out->loss = vt_scale(ctx, vt_mean(ctx, iw), -1.0f);
    if (guide_term) out->loss = vt_sub(ctx, out->loss, guide_term);
    if (vt_ctx_error(ctx)) return -1;
    for (int r = 0; r < R; r++) out->elbo_rows[r] = iw->data[r];
    return 0;
}
