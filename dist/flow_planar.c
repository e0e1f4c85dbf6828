/* Planar flows (Rezende & Mohamed 2015), amortized: each step's (u, w, b) come per row
 * from the encoder. Composed of tape ops, so the log-det-Jacobian's gradient is the
 * tape's. See vtape/flows.h for the math. */
#include "dist/flow.h"

/* One step on z (N x Z) with u, w: N x Z and b: N x 1; log|det| added to *log_det. */
static vt_tensor *planar_step(vt_ctx *ctx, vt_tensor *z, vt_tensor *u, vt_tensor *w,
                              vt_tensor *b, vt_tensor **log_det) {
    vt_tensor *wu = vt_sum_rows(ctx, vt_mul(ctx, w, u));                     /* N x 1 */
    vt_tensor *m = vt_add_scalar(ctx, vt_softplus(ctx, wu), -1.0f);          /* wᵀû */
    /* ‖w‖² + 1e-12 keeps the correction finite for w = 0 (then û = u, wᵀû = 0) */
    vt_tensor *inv_w2 = vt_exp(ctx, vt_scale(ctx, vt_log(ctx, vt_add_scalar(ctx,
                            vt_sum_rows(ctx, vt_square(ctx, w)), 1e-12f)), -1.0f));
    vt_tensor *u_hat = vt_add(ctx, u, vt_mul(ctx, w, vt_mul(ctx, vt_sub(ctx, m, wu), inv_w2)));
    vt_tensor *h = vt_tanh(ctx, vt_add(ctx, vt_sum_rows(ctx, vt_mul(ctx, w, z)), b));
    vt_tensor *slope = vt_add_scalar(ctx, vt_scale(ctx, vt_square(ctx, h), -1.0f), 1.0f);
    vt_tensor *det = vt_add_scalar(ctx, vt_mul(ctx, slope, m), 1.0f);        /* > 0 */
    *log_det = *log_det ? vt_add(ctx, *log_det, vt_log(ctx, det)) : vt_log(ctx, det);
    return vt_add(ctx, z, vt_mul(ctx, u_hat, h));
}

vt_tensor *vt_planar_transform(vt_ctx *ctx, vt_tensor *z0, vt_tensor *params, int depth,
                               vt_tensor **log_det) {
    const char *op = "vt_planar_transform";
    vt_tensor *in[2] = {z0, params};
    if (!log_det) return vt_fail(ctx, "%s: log_det is NULL", op);
    *log_det = NULL;
    if (!vt_check_all(ctx, op, 2, in)) return *log_det = vt_poison(ctx, op);
    int Z = vt_cols(z0), step = 2 * Z + 1, N = vt_rows(z0), R = vt_rows(params);
    if (depth < 1 || vt_cols(params) != depth * step || N % R != 0) {
        char a[48], b[48];
        return *log_det = vt_fail(ctx, "%s: z0 %s, params %s, depth %d (need params of depth "
                                       "x (2Z + 1) columns and a row count dividing z0's)", op,
                                  vt_shape_str(z0, a), vt_shape_str(params, b), depth);
    }
    if (N > R) params = vt_repeat_rows(ctx, params, N / R);
    vt_tensor *z = z0;
    for (int l = 0; l < depth; l++) {
        int c0 = l * step;
        z = planar_step(ctx, z, vt_slice_cols(ctx, params, c0, Z),
                        vt_slice_cols(ctx, params, c0 + Z, Z),
                        vt_slice_cols(ctx, params, c0 + 2 * Z, 1), log_det);
    }
    return z;
}

static vt_tensor *planar_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_flow_aux *a = d->user;
    vt_tensor *log_det, *z = vt_planar_transform(ctx, vt_flow_base_sample(ctx, d, k), d->p[2],
                                                 a->depth, &log_det);
    a->log_q = vt_sub(ctx, a->log_q, log_det);
    return d->sample = z;
}

const vt_dist_ops vt_planar_flow_ops = {"planar_flow", planar_rsample, vt_flow_log_prob};

vt_dist *vt_planar_flow(vt_ctx *ctx, vt_tensor *mu, vt_tensor *logsig, vt_tensor *params,
                        int depth) {
    const char *op = "vt_planar_flow";
    if (!vt_dist_params_ok(ctx, op, 1, &params)) return vt_dist_poison(ctx);
    vt_dist *d = vt_flow_new(ctx, op, &vt_planar_flow_ops, mu, logsig, depth, NULL);
    if (d->ops != &vt_planar_flow_ops) return d;
    if (vt_rows(params) != d->rows || vt_cols(params) != depth * (2 * d->dim + 1)) {
        char s[48];
        vt_fail(ctx, "%s: params %s, need %d x %d (depth %d, Z %d)", op, vt_shape_str(params, s),
                d->rows, depth * (2 * d->dim + 1), depth, d->dim);
        return vt_dist_poison(ctx);
    }
    d->p[2] = params;
    return d;
}
