/* KL(q ‖ p): closed forms looked up by the pair of families, Monte Carlo otherwise. */
#include "vtape/dist.h"
#include "vtape/ops.h"

static vt_tensor *kl_normal_std(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]);
}

static vt_tensor *kl_normal_normal(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_kl_normal_normal_rows(ctx, q->p[0], q->p[1], p->p[0], p->p[1]);
}

/* KL(N(mu, LLᵀ) ‖ N(0, I)) = ½(tr LLᵀ + muᵀmu − Z) − log|L|
 *                          = KL of the diagonal part + ½ Σ_{j<i} L_ij². */
static vt_tensor *kl_fullcov_std(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    int Z = q->dim;
    vt_tensor *mask = vt_zeros(ctx, 2, (int[]){1, Z * Z});
    if (mask->flags & VT_POISON) return mask;
    for (int i = 0; i < Z; i++)
        for (int j = 0; j < i; j++) mask->data[i * Z + j] = 1.0f;
    vt_tensor *off = vt_sum_rows(ctx, vt_square(ctx, vt_mul(ctx, q->p[2], mask)));
    return vt_axpby(ctx, 1.0f, vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]), 0.5f, off);
}

typedef struct { const vt_dist_ops *q, *p; vt_kl_fn fn; } kl_rule;
#define MAX_USER_RULES 32
static kl_rule user_rules[MAX_USER_RULES];
static int n_user_rules;

static vt_kl_fn find_rule(const vt_dist *q, const vt_dist *p) {
    /* User rules first, so a user can replace a built-in closed form. */
    for (int i = n_user_rules - 1; i >= 0; i--)
        if (user_rules[i].q == q->ops && user_rules[i].p == p->ops) return user_rules[i].fn;
    static const kl_rule builtin[] = {
        {&vt_normal_ops, &vt_std_normal_ops, kl_normal_std},
        {&vt_normal_ops, &vt_normal_ops, kl_normal_normal},
        {&vt_fullcov_normal_ops, &vt_std_normal_ops, kl_fullcov_std},
    };
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (builtin[i].q == q->ops && builtin[i].p == p->ops) return builtin[i].fn;
    return NULL;
}

int vt_kl_register(const vt_dist_ops *q, const vt_dist_ops *p, vt_kl_fn fn) {
    if (!q || !p || !fn || n_user_rules == MAX_USER_RULES) return -1;
    user_rules[n_user_rules++] = (kl_rule){q, p, fn};
    return 0;
}

int vt_kl_has_closed_form(const vt_dist *q, const vt_dist *p) {
    return q && p && find_rule(q, p) != NULL;
}

vt_tensor *vt_kl(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    if (!q || !p) return vt_fail(ctx, "vt_kl: a distribution is NULL");
    vt_kl_fn fn = find_rule(q, p);
    if (fn) return fn(ctx, q, p);
    /* One reparameterized sample: unbiased, and its gradient reaches q's parameters. */
    vt_tensor *z = q->ops->rsample(ctx, q, 1);
    return vt_sub(ctx, q->ops->log_prob(ctx, q, z), p->ops->log_prob(ctx, p, z));
}
