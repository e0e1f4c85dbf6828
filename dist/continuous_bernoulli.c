/* The continuous Bernoulli family (Loaiza-Ganem & Cunningham 2019) for data in [0, 1]:
 *   p(x | λ) = C(λ) λ^x (1 − λ)^(1 − x),   λ = sigmoid(η),
 * so log p(x | η) = x η − softplus(η) + log C(η): the Bernoulli log-likelihood plus a
 * normalizer. With 1 − 2λ = −tanh(η/2) and 2 atanh(1 − 2λ) = −η,
 *   log C(η) = log(η / tanh(η/2)),   d/dη log C = 1/η − 1/sinh(η),
 * both even/odd in η and 0/0 at η = 0 (λ = 1/2), where their Taylor series are used:
 *   log C = log 2 + u²/3 − 7u⁴/90 + 62u⁶/2835,  u = η/2  (next term ~u⁸)
 *   d/dη  = η/6 − 7η³/360 + 31η⁵/15120. */
#include "dist/internal.h"
#include <math.h>

/* Below this |η| the series are used: the next terms are below 1e-17 relative, while
 * the closed forms lose about log10(1/|η|) digits to cancellation. */
#define CB_TAYLOR 1e-2

static double cb_log_norm(double eta) {
    double a = fabs(eta);
    if (a < CB_TAYLOR) {
        double u2 = 0.25 * eta * eta;
        return 0.69314718055994530942 + u2 * (1.0 / 3 + u2 * (-7.0 / 90 + u2 * (62.0 / 2835)));
    }
    /* log a − log tanh(a/2), with tanh(a/2) = (1 − e^{−a}) / (1 + e^{−a}) */
    double e = exp(-a);
    return log(a) - log(-expm1(-a)) + log1p(e);
}

static double cb_log_norm_grad(double eta) {
    double a = fabs(eta);
    if (a < CB_TAYLOR) {
        double e2 = eta * eta;
        return eta * (1.0 / 6 + e2 * (-7.0 / 360 + e2 * (31.0 / 15120)));
    }
    return 1.0 / eta - (a > 700 ? 0.0 : 1.0 / sinh(eta));
}

/* The mean, E[x] = 1/(1 − e^{−η}) − 1/η = 1/2 + η/12 − η³/720 near η = 0. */
static double cb_mean(double eta) {
    if (fabs(eta) < CB_TAYLOR) return 0.5 + eta / 12 - eta * eta * eta / 720;
    return -1.0 / expm1(-eta) - 1.0 / eta;
}

static void log_norm_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *l = node->in[0], *y = node->out;
    float *gl = vt_grad(ctx, l);
    if (!gl) return;
    for (size_t i = 0; i < vt_numel(l); i++)
        gl[i] += y->grad[i] * (float)cb_log_norm_grad(l->data[i]);
}

vt_tensor *vt_cont_bernoulli_log_norm(vt_ctx *ctx, vt_tensor *logits) {
    const char *op = "vt_cont_bernoulli_log_norm";
    if (!vt_check_all(ctx, op, 1, &logits)) return vt_poison(ctx, op);
    vt_tensor *y = vt_out_like(ctx, logits, 1, &logits);
    if (vt_is_poison(y)) return y;
    for (size_t i = 0; i < vt_numel(logits); i++) y->data[i] = (float)cb_log_norm(logits->data[i]);
    vt_record(ctx, op, y, log_norm_backward, 1, &logits, 0);
    return y;
}

vt_tensor *vt_cont_bernoulli_mean(vt_ctx *ctx, vt_tensor *logits) {
    const char *op = "vt_cont_bernoulli_mean";
    if (!vt_check_all(ctx, op, 1, &logits)) return vt_poison(ctx, op);
    vt_tensor *y = vt_tensor_new(ctx, logits->ndim, logits->shape);   /* no gradient */
    if (vt_is_poison(y)) return y;
    for (size_t i = 0; i < vt_numel(logits); i++) y->data[i] = (float)cb_mean(logits->data[i]);
    return y;
}

/* Inverse CDF: x = log(1 + u (e^η − 1)) / η, written to neither overflow nor cancel. */
static float cb_quantile(double eta, double u) {
    if (fabs(eta) < 1e-6) return (float)u;
    if (eta > 0) return (float)(1.0 + log(u + (1.0 - u) * exp(-eta)) / eta);
    return (float)(log1p(u * expm1(eta)) / eta);
}

/* Samples are not reparameterized: the family is used as a likelihood. */
static vt_tensor *cb_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    vt_tensor *l = d->p[0];
    vt_tensor *x = vt_randu(ctx, k * vt_rows(l), vt_cols(l));
    if (vt_is_poison(x)) return x;
    size_t m = vt_numel(l);
    for (size_t i = 0; i < vt_numel(x); i++) x->data[i] = cb_quantile(l->data[i % m], x->data[i]);
    return d->sample = x;
}

static vt_tensor *cb_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    vt_tensor *l = d->p[0];
    /* l: K·R rows (K latent samples of R datapoints), x: R rows, as for the Bernoulli */
    vt_tensor *norm = vt_sum_rows(ctx, vt_cont_bernoulli_log_norm(ctx, l));
    return vt_add(ctx, vt_bernoulli_logprob_rows(ctx, l, x), norm);
}

const vt_dist_ops vt_cont_bernoulli_ops = {"continuous_bernoulli", cb_rsample, cb_log_prob};

vt_dist *vt_cont_bernoulli_logits(vt_ctx *ctx, vt_tensor *logits) {
    if (!vt_dist_params_ok(ctx, "vt_cont_bernoulli_logits", 1, &logits)) return vt_dist_poison(ctx);
    vt_dist *d = vt_dist_new(ctx, &vt_cont_bernoulli_ops, vt_rows(logits), vt_cols(logits));
    if (d->ops == &vt_cont_bernoulli_ops) d->p[0] = logits;
    return d;
}
