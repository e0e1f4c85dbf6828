/* The β-annealed VAE: the loss E_q[−log p(x|z)] + β(t) KL(q ‖ p), where β(t) follows a
 * schedule of the optimizer step t (linear warm-up 0 → β, or cyclical), so early
 * training learns to reconstruct before the KL term pulls q towards the prior. */
#include "vtape/vae.h"
#include <math.h>

int vt_beta_vae_loss(vt_ctx *ctx, vt_vae *v, vt_tensor *x, vt_tensor *c,
                     const vt_elbo_opts *opts, const vt_beta_schedule *schedule, long step,
                     vt_elbo_terms *out) {
    vt_elbo_opts o = opts ? *opts : vt_elbo_defaults();
    vt_error err = {0};
    if (vt_beta_schedule_check(schedule, &err) != 0) {
        vt_fail(ctx, "vt_beta_vae_loss: %s", err.msg);
        return -1;
    }
    o.beta = vt_beta_at(schedule, step);
    vt_vae_set_step(v, step);   /* the temperature of relaxed latents follows the step too */
    return vt_vae_loss(ctx, v, x, c, &o, out);
}
