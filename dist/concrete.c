/* Relaxed discrete latents (Maddison et al. 2017; Jang et al. 2017), held in log space
 * so no density ever takes log 0:
 *
 *   concrete (Gumbel-softmax): G groups of C categories, logits a (rows x G·C). A draw
 *     is l = log_softmax((a + g)/τ) per group, g = −log(−log u) Gumbel noise; the value
 *     is l (log-probabilities on the simplex; exp(l) is the relaxed one-hot). Its
 *     density (the "ExpConcrete" of Maddison et al.), per group:
 *       log p(l) = log Γ(C) + (C − 1) log τ + Σ_i (a_i − τ l_i) − C·LSE_i(a_i − τ l_i).
 *   binary concrete (relaxed Bernoulli): logits a (rows x Z). A draw is the logit
 *     t = (a + log u − log(1 − u))/τ (the relaxed bit is sigmoid(t)), density
 *       log p(t) = log τ + (a − τ t) − 2 softplus(a − τ t).
 *
 * Hard mode (evaluation): the draw is the exact discrete sample, argmax_i(a_i + g_i)
 * (l = 0 at the choice, −1e30 elsewhere) or 1[a + logistic noise > 0] (t = ±1e30), and
 * log_prob is the exact categorical / Bernoulli log-probability. The noise is constant
 * (no gradient); u is clamped to [ε, 1 − ε], ε = 1e-6, so g stays finite.
 *
 * What a decoder takes from a draw (vt_relaxed_onehot): exp(l) or sigmoid(t), or with
 * the straight-through estimator (Jang et al. 2017) the exact one-hot of argmax l (the
 * bit t > 0) forward and the relaxed value's gradient backward. */
#include "dist/internal.h"
#include "vtape/stopgrad.h"
#include <math.h>

#define U_EPS 1e-6f
#define HARD_OFF -1e30f

typedef struct { int categories, hard; float tau; } concrete_aux;

/* Uniform noise clamped away from 0 and 1. */
static vt_tensor *clamped_uniform(vt_ctx *ctx, int rows, int cols) {
    vt_tensor *u = vt_randu(ctx, rows, cols);
    if (vt_is_poison(u)) return u;
    for (size_t i = 0; i < vt_numel(u); i++)
        u->data[i] = fminf(fmaxf(u->data[i], U_EPS), 1.0f - U_EPS);
    return u;
}

static vt_tensor *expand(vt_ctx *ctx, vt_tensor *a, int rows) {
    return vt_rows(a) == rows ? a : vt_repeat_rows(ctx, a, rows / vt_rows(a));
}

/* (rows x G·C) viewed as (rows·G) x C and back. */
static vt_tensor *by_group(vt_ctx *ctx, vt_tensor *t, int C) {
    return vt_reshape(ctx, t, 2, (int[]){(int)(vt_numel(t) / (size_t)C), C});
}
static vt_tensor *per_row_sum(vt_ctx *ctx, vt_tensor *group_vals, int rows) {
    return vt_sum_rows(ctx, vt_reshape(ctx, group_vals, 2, (int[]){rows, (int)(vt_numel(group_vals) / (size_t)rows)}));
}

vt_tensor *vt_concrete_relax(vt_ctx *ctx, vt_tensor *logits, vt_tensor *noise, int categories,
                             float tau) {
    const char *op = "vt_concrete_relax";
    vt_tensor *in[2] = {logits, noise};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (categories < 1 || vt_cols(logits) % categories != 0 || !vt_shares_rows(logits, noise) ||
        !(tau > 0) || !isfinite(tau)) {
        char a[48], b[48];
        return vt_fail(ctx, "%s: logits %s, noise %s, %d categories, temperature %g (need the "
                            "noise's shape with a row count the logits' divides, columns a "
                            "multiple of the categories, a finite temperature > 0)", op,
                       vt_shape_str(logits, a), vt_shape_str(noise, b), categories, tau);
    }
    int n = vt_rows(noise);
    vt_tensor *t = vt_scale(ctx, vt_add(ctx, expand(ctx, logits, n), noise), 1.0f / tau);
    if (categories == 1) return t;
    return vt_reshape(ctx, vt_log_softmax_rows(ctx, by_group(ctx, t, categories)), 2,
                      (int[]){n, vt_cols(noise)});
}

/* ---- concrete ---- */
static vt_tensor *concrete_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    const concrete_aux *a = d->user;
    int n = k * d->rows, C = a->categories;
    vt_tensor *u = clamped_uniform(ctx, n, d->dim), *g = vt_mat(ctx, n, d->dim);
    if ((u->flags | g->flags) & VT_POISON) return vt_poison(ctx, "concrete.rsample");
    for (size_t i = 0; i < vt_numel(g); i++) g->data[i] = -logf(-logf(u->data[i]));
    d->eps = g;
    vt_tensor *logits = expand(ctx, d->p[0], n);
    if (a->hard) {   /* the exact categorical draw, as a constant */
        vt_tensor *l = vt_mat(ctx, n, d->dim);
        if (vt_is_poison(l) || vt_is_poison(logits)) return vt_poison(ctx, "concrete.rsample");
        for (size_t r = 0; r < vt_numel(l) / (size_t)C; r++) {
            const float *x = logits->data + r * C, *e = g->data + r * C;
            int best = 0;
            for (int i = 1; i < C; i++)
                if (x[i] + e[i] > x[best] + e[best]) best = i;
            for (int i = 0; i < C; i++) l->data[r * C + i] = i == best ? 0.0f : HARD_OFF;
        }
        return d->sample = l;
    }
    return d->sample = vt_concrete_relax(ctx, logits, g, C, a->tau);
}

static vt_tensor *concrete_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *l) {
    const concrete_aux *a = d->user;
    int n = vt_rows(l), C = a->categories;
    vt_tensor *logits = by_group(ctx, expand(ctx, d->p[0], n), C);
    if (a->hard) {   /* Σ_groups log softmax(a)[choice]: exp(l) is the one-hot */
        vt_tensor *lp = vt_sum_rows(ctx, vt_mul(ctx, vt_exp(ctx, by_group(ctx, l, C)),
                                                vt_log_softmax_rows(ctx, logits)));
        return per_row_sum(ctx, lp, n);
    }
    vt_tensor *t = vt_axpby(ctx, 1.0f, logits, -a->tau, by_group(ctx, l, C));
    vt_tensor *lp = vt_axpby(ctx, 1.0f, vt_sum_rows(ctx, t), -(float)C, vt_logsumexp_rows(ctx, t));
    float konst = (float)(lgamma((double)C) + (C - 1) * log((double)a->tau));
    return vt_add_scalar(ctx, per_row_sum(ctx, lp, n), konst * (float)(d->dim / C));
}

const vt_dist_ops vt_concrete_ops = {"concrete", concrete_rsample, concrete_log_prob};

static vt_dist *relaxed_new(vt_ctx *ctx, const char *op, const vt_dist_ops *ops, vt_tensor *logits,
                            int categories, float tau, int hard) {
    if (!vt_dist_params_ok(ctx, op, 1, &logits)) return vt_dist_poison(ctx);
    if (categories < 1 || vt_cols(logits) % categories != 0 || !(tau > 0) || !isfinite(tau)) {
        char s[48];
        vt_fail(ctx, "%s: logits %s, %d categories, temperature %g (need columns a multiple "
                     "of the categories and a finite temperature > 0)", op,
                vt_shape_str(logits, s), categories, tau);
        return vt_dist_poison(ctx);
    }
    vt_dist *d = vt_dist_new(ctx, ops, vt_rows(logits), vt_cols(logits));
    concrete_aux *a = d->ops == ops ? vt_arena_alloc(ctx, sizeof *a) : NULL;
    if (!a) return vt_dist_poison(ctx);
    *a = (concrete_aux){categories, hard, tau};
    d->p[0] = logits;
    d->user = a;
    return d;
}

vt_dist *vt_concrete(vt_ctx *ctx, vt_tensor *logits, int categories, float tau, int hard) {
    return relaxed_new(ctx, "vt_concrete", &vt_concrete_ops, logits, categories, tau, hard);
}

/* ---- binary concrete ---- */
static vt_tensor *binary_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    const concrete_aux *a = d->user;
    int n = k * d->rows;
    vt_tensor *u = clamped_uniform(ctx, n, d->dim), *L = vt_mat(ctx, n, d->dim);
    if ((u->flags | L->flags) & VT_POISON) return vt_poison(ctx, "binary_concrete.rsample");
    for (size_t i = 0; i < vt_numel(L); i++) L->data[i] = logf(u->data[i]) - log1pf(-u->data[i]);
    d->eps = L;
    vt_tensor *logits = expand(ctx, d->p[0], n);
    if (a->hard) {
        vt_tensor *t = vt_mat(ctx, n, d->dim);
        if (vt_is_poison(t) || vt_is_poison(logits)) return vt_poison(ctx, "binary_concrete.rsample");
        for (size_t i = 0; i < vt_numel(t); i++)
            t->data[i] = logits->data[i] + L->data[i] > 0 ? -HARD_OFF : HARD_OFF;
        return d->sample = t;
    }
    return d->sample = vt_concrete_relax(ctx, logits, L, 1, a->tau);
}

static vt_tensor *binary_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *t) {
    const concrete_aux *a = d->user;
    int n = vt_rows(t);
    vt_tensor *logits = expand(ctx, d->p[0], n);
    if (a->hard) {   /* Bernoulli log-probability of the bits t > 0 */
        vt_tensor *bits = vt_mat(ctx, n, d->dim);
        if (vt_is_poison(bits)) return bits;
        for (size_t i = 0; i < vt_numel(bits); i++) bits->data[i] = t->data[i] > 0 ? 1.0f : 0.0f;
        return vt_bernoulli_logprob_rows(ctx, logits, bits);
    }
    vt_tensor *u = vt_axpby(ctx, 1.0f, logits, -a->tau, t);
    vt_tensor *lp = vt_sum_rows(ctx, vt_axpby(ctx, 1.0f, u, -2.0f, vt_softplus(ctx, u)));
    return vt_add_scalar(ctx, lp, (float)(d->dim * log((double)a->tau)));
}

const vt_dist_ops vt_binary_concrete_ops = {"binary_concrete", binary_rsample, binary_log_prob};

vt_dist *vt_binary_concrete(vt_ctx *ctx, vt_tensor *logits, float tau, int hard) {
    return relaxed_new(ctx, "vt_binary_concrete", &vt_binary_concrete_ops, logits, 1, tau, hard);
}

int vt_concrete_categories(const vt_dist *d) {
    /* by family, not by d->user: flows and user families keep their own state there */
    int relaxed = d && (d->ops == &vt_concrete_ops || d->ops == &vt_binary_concrete_ops);
    return relaxed && d->user ? ((const concrete_aux *)d->user)->categories : 0;
}

/* The exact one-hot of each group's largest value (first on ties), or the bits z > 0. */
static vt_tensor *hard_of(vt_ctx *ctx, vt_tensor *z, int C) {
    vt_tensor *h = vt_mat(ctx, vt_rows(z), vt_cols(z));
    if (vt_is_poison(h)) return h;
    size_t n = vt_numel(z);
    if (C == 1) {
        for (size_t i = 0; i < n; i++) h->data[i] = z->data[i] > 0 ? 1.0f : 0.0f;
        return h;
    }
    for (size_t g = 0; g < n / (size_t)C; g++) {
        const float *x = z->data + g * C;
        int best = 0;
        for (int i = 1; i < C; i++)
            if (x[i] > x[best]) best = i;
        for (int i = 0; i < C; i++) h->data[g * C + i] = i == best ? 1.0f : 0.0f;
    }
    return h;
}

vt_tensor *vt_relaxed_onehot(vt_ctx *ctx, vt_tensor *z, int categories, int straight_through) {
    const char *op = "vt_relaxed_onehot";
    if (!vt_check(ctx, op, z)) return vt_poison(ctx, op);
    if (categories < 1 || vt_cols(z) % categories != 0) {
        char s[48];
        return vt_fail(ctx, "%s: value %s, %d categories (need columns a multiple of the "
                            "categories, 1 for a relaxed Bernoulli)", op, vt_shape_str(z, s),
                       categories);
    }
    vt_tensor *soft = categories == 1 ? vt_sigmoid(ctx, z) : vt_exp(ctx, z);
    if (!straight_through || vt_is_poison(soft)) return soft;
    vt_tensor *hard = hard_of(ctx, z, categories);
    return vt_is_poison(hard) ? hard : vt_straight_through(ctx, hard, soft);
}
