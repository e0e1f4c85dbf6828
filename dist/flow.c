/* What the flow families share: the diagonal Normal base and the rule that a flow
 * scores only its own last sample. */
#include "dist/flow.h"

vt_dist *vt_flow_new(vt_ctx *ctx, const char *op, const vt_dist_ops *ops, vt_tensor *mu,
                     vt_tensor *logsig, int depth, const void *steps) {
    if (!vt_dist_params_ok(ctx, op, 2, (vt_tensor *[]){mu, logsig})) return vt_dist_poison(ctx);
    if (depth < 1 || vt_rows(mu) != vt_rows(logsig) || vt_cols(mu) != vt_cols(logsig)) {
        char a[48], b[48];
        vt_fail(ctx, "%s: mu %s, logsig %s, depth %d (need equal shapes and depth >= 1)", op,
                vt_shape_str(mu, a), vt_shape_str(logsig, b), depth);
        return vt_dist_poison(ctx);
    }
    vt_dist *d = vt_dist_new(ctx, ops, vt_rows(mu), vt_cols(mu));
    vt_flow_aux *a = d->ops == ops ? vt_arena_alloc(ctx, sizeof *a) : NULL;
    if (!a) return vt_dist_poison(ctx);
    *a = (vt_flow_aux){.depth = depth, .steps = steps};
    d->p[0] = mu;
    d->p[1] = logsig;
    d->user = a;
    d->flags = VT_DIST_FLOW | VT_DIST_OWN_SAMPLE;
    return d;
}

vt_tensor *vt_flow_base_sample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_flow_aux *a = d->user;
    d->eps = vt_randn(ctx, k * d->rows, d->dim);
    vt_tensor *z0 = vt_reparam_diag(ctx, d->p[0], d->p[1], d->eps);
    a->log_q = a->log_q0 = vt_normal_logprob_rows(ctx, z0, d->p[0], d->p[1]);
    return a->z0 = z0;
}

int vt_flow_base_of(vt_ctx *ctx, vt_dist *d, vt_dist **base, vt_tensor **z0,
                    vt_tensor **log_q0) {
    const vt_flow_aux *a = d && (d->flags & VT_DIST_FLOW) ? d->user : NULL;
    if (!a || !a->z0 || !d->sample) {
        vt_fail(ctx, "vt_flow_base_of: %s is not a flow with a sample drawn",
                d ? d->ops->name : "NULL");
        return -1;
    }
    *base = vt_normal(ctx, d->p[0], d->p[1]);
    *z0 = a->z0;
    *log_q0 = a->log_q0;
    return vt_ctx_error(ctx) ? -1 : 0;
}

vt_tensor *vt_flow_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    const vt_flow_aux *a = d->user;
    if (!d->sample || z != d->sample || !a->log_q)
        return vt_fail(ctx, "%s.log_prob: a flow scores only its own last rsample", d->ops->name);
    return a->log_q;
}
