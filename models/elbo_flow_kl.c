/* The base-kl estimator's term for a flow posterior q (base q0 = N(μ, σ²), z_L = f(z0)):
 *
 *   KL(q ‖ p) = E[log q0(z0) − log p(z0)] + E[(log q − log p)(z_L) − (log q0 − log p)(z0)]
 *             = KL(q0 ‖ p)  (closed form)   + the same expectation, sampled.
 *
 * Both are exact identities, so the estimate is unbiased, and so is its reparameterized
 * gradient. The sampled part is the flow's own contribution: zero at the identity and
 * small near it, so its variance is far below that of the whole log ratio, which is
 * what the generic estimator samples (that variance costs the plain VAE 2.4 nats after
 * 10 epochs; docs/models.md §13). */
#include "models/elbo_internal.h"
#include "vtape/flows.h"
#include "vtape/ops.h"

vt_tensor *vt_elbo_flow_site_kl(vt_ctx *ctx, const vt_trace *tr, int i) {
    const vt_site *s = &tr->site[i];
    vt_dist *q0;
    vt_tensor *z0, *log_q0;
    if (vt_flow_base_of(ctx, s->q, &q0, &z0, &log_q0) != 0) return NULL;
    vt_tensor *ratio = vt_elbo_site_log_ratio(ctx, tr, i, 0);
    if (!vt_kl_has_closed_form(q0, s->p) || q0->rows % s->p->rows != 0 ||
        !vt_trace_site_order_ok(tr, i))
        return vt_elbo_sample_mean(ctx, ratio, tr->rows);
    vt_tensor *base_ratio = vt_sub(ctx, log_q0, vt_dist_log_prob(ctx, s->p, z0));
    vt_tensor *correction = vt_elbo_sample_mean(ctx, vt_sub(ctx, ratio, base_ratio), tr->rows);
    return vt_add(ctx, vt_elbo_sample_mean(ctx, vt_kl(ctx, q0, s->p), tr->rows), correction);
}
