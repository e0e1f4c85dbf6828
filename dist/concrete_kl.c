/* KL between the discrete distributions behind two relaxed families, per row:
 *   categorical:  Σ_groups Σ_i q_i (log q_i − log p_i),  q = softmax(a_q), p = softmax(a_p)
 *   Bernoulli:    Σ_j q_j (log q_j − log p_j) + (1 − q_j)(log(1 − q_j) − log(1 − p_j))
 * For hard (evaluation) samples this is the exact KL of the discrete latent; with relaxed
 * samples it is the KL term of the relaxed ELBO of Jang et al. (2017), which pairs the
 * relaxed reconstruction with the discrete KL. Built from tape ops, so gradients reach
 * both sets of logits. */
#include "dist/internal.h"

static vt_tensor *expanded(vt_ctx *ctx, vt_tensor *a, int rows) {
    return vt_rows(a) == rows ? a : vt_repeat_rows(ctx, a, rows / vt_rows(a));
}

static int same_shape(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    if (q->dim == p->dim && q->rows % p->rows == 0 &&
        vt_concrete_categories(q) == vt_concrete_categories(p))
        return 1;
    vt_fail(ctx, "vt_kl: %s over %d x %d and %s over %d x %d do not match", q->ops->name,
            q->rows, q->dim, p->ops->name, p->rows, p->dim);
    return 0;
}

vt_tensor *vt_kl_concrete(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    if (!same_shape(ctx, q, p)) return vt_poison(ctx, "vt_kl_concrete");
    int C = vt_concrete_categories(q), R = q->rows, G = q->dim / C;
    vt_tensor *lq = vt_log_softmax_rows(ctx, vt_reshape(ctx, q->p[0], 2, (int[]){R * G, C}));
    vt_tensor *lp = vt_log_softmax_rows(ctx, vt_reshape(ctx, expanded(ctx, p->p[0], R), 2,
                                                        (int[]){R * G, C}));
    vt_tensor *per_group = vt_sum_rows(ctx, vt_mul(ctx, vt_exp(ctx, lq), vt_sub(ctx, lq, lp)));
    return vt_sum_rows(ctx, vt_reshape(ctx, per_group, 2, (int[]){R, G}));
}

vt_tensor *vt_kl_binary_concrete(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    if (!same_shape(ctx, q, p)) return vt_poison(ctx, "vt_kl_binary_concrete");
    vt_tensor *a = q->p[0], *b = expanded(ctx, p->p[0], q->rows);
    vt_tensor *na = vt_scale(ctx, a, -1.0f), *nb = vt_scale(ctx, b, -1.0f);
    vt_tensor *on = vt_mul(ctx, vt_sigmoid(ctx, a),
                           vt_sub(ctx, vt_log_sigmoid(ctx, a), vt_log_sigmoid(ctx, b)));
    vt_tensor *off = vt_mul(ctx, vt_sigmoid(ctx, na),
                            vt_sub(ctx, vt_log_sigmoid(ctx, na), vt_log_sigmoid(ctx, nb)));
    return vt_sum_rows(ctx, vt_add(ctx, on, off));
}
