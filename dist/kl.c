/* KL(q ‖ p): closed forms looked up by the pair of families, Monte Carlo otherwise.
 * The closed forms live with their family (normal_kl.c, fullcov_normal.c). */
#include "dist/internal.h"

typedef struct { const vt_dist_ops *q, *p; vt_kl_fn fn; } kl_rule;
#define MAX_USER_RULES 32
static kl_rule user_rules[MAX_USER_RULES];
static int n_user_rules;

static vt_kl_fn find_rule(const vt_dist *q, const vt_dist *p) {
    /* User rules first, so a user can replace a built-in closed form. */
    for (int i = n_user_rules - 1; i >= 0; i--)
        if (user_rules[i].q == q->ops && user_rules[i].p == p->ops) return user_rules[i].fn;
    static const kl_rule builtin[] = {
        {&vt_normal_ops, &vt_std_normal_ops, vt_kl_rule_normal_std},
        {&vt_normal_ops, &vt_normal_ops, vt_kl_rule_normal_normal},
        {&vt_fullcov_normal_ops, &vt_std_normal_ops, vt_kl_fullcov_std},
        {&vt_concrete_ops, &vt_concrete_ops, vt_kl_concrete},
        {&vt_binary_concrete_ops, &vt_binary_concrete_ops, vt_kl_binary_concrete},
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
