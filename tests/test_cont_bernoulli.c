/* The continuous Bernoulli likelihood (dist/continuous_bernoulli.c): its normalizer
 * against float64 values, a density that integrates to 1 and a mean that matches it,
 * gradients by finite differences on both sides of the Taylor switch at |η| = 0.01. */
#include <criterion/criterion.h>
#include <math.h>

#include "vtape/vtape.h"

static float log_norm_of(vt_ctx *ctx, float eta) {
    vt_ctx_reset(ctx);
    vt_tensor *l = vt_from_data(ctx, 2, (int[]){1, 1}, &eta);
    return vt_cont_bernoulli_log_norm(ctx, l)->data[0];
}

/* log(η / tanh(η/2)) in float64 (python, math.log / math.tanh; log 2 at 0). */
Test(cont_bernoulli, normalizer_matches_float64_values) {
    static const double ref[][2] = {
        {0.0, 0.6931471805599453},    {1e-3, 0.6931472638932736}, {-0.005, 0.6931492638902403},
        {0.0099, 0.6931553480132499}, {0.0101, 0.6931556813426941}, {0.5, 0.71368193318735},
        {-2.0, 0.965488649471777},    {30.0, 3.401197381662343},  {-100.0, 4.605170185988092},
        {1e4, 9.210340371976184}};
    vt_ctx *ctx = vt_ctx_new(NULL);
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        float got = log_norm_of(ctx, (float)ref[i][0]);
        /* float32 rounding of the result: a few ulp of values up to 10 */
        cr_assert(fabs(got - ref[i][1]) <= 4e-7 * fmax(1.0, fabs(ref[i][1])),
                  "eta %g: %.9g, expected %.9g", ref[i][0], got, ref[i][1]);
    }
    vt_ctx_free(ctx);
}

/* ∫₀¹ p(x|η) dx = 1 and ∫ x p(x|η) dx = the mean op, by Simpson's rule on 2001 points
 * of the density the dist computes (error ~h⁴ max|p''''|, < 1e-6 for |η| <= 8). */
Test(cont_bernoulli, density_integrates_to_one_and_mean_matches) {
    enum { M = 2001 };
    static float xs[M];
    for (int i = 0; i < M; i++) xs[i] = (float)i / (M - 1);
    vt_ctx *ctx = vt_ctx_new(NULL);
    const float etas[] = {-8.0f, -1.0f, -0.004f, 0.0f, 0.006f, 0.3f, 5.0f};
    for (size_t e = 0; e < sizeof etas / sizeof etas[0]; e++) {
        vt_ctx_reset(ctx);
        vt_tensor *l = vt_from_data(ctx, 2, (int[]){1, 1}, &etas[e]);
        vt_tensor *logits = vt_repeat_rows(ctx, l, M);
        vt_dist *d = vt_cont_bernoulli_logits(ctx, logits);
        vt_tensor *x = vt_tensor_wrap(ctx, 2, (int[]){M, 1}, xs);
        vt_tensor *lp = vt_dist_log_prob(ctx, d, x);
        cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
        double mass = 0, first = 0, h = 1.0 / (M - 1);
        for (int i = 0; i < M; i++) {
            double w = (i == 0 || i == M - 1) ? 1 : (i % 2 ? 4 : 2), p = exp(lp->data[i]);
            mass += w * p * h / 3;
            first += w * xs[i] * p * h / 3;
        }
        float mean = vt_cont_bernoulli_mean(ctx, l)->data[0];
        /* the log density is float32: ~1e-6 relative per point */
        cr_assert(fabs(mass - 1) < 1e-5, "eta %g: mass %.9f", etas[e], mass);
        cr_assert(fabs(first - mean) < 1e-5, "eta %g: mean %.7f, integral %.7f", etas[e], mean, first);
    }
    vt_ctx_free(ctx);
}

static vt_tensor *log_norm_fn(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    return vt_cont_bernoulli_log_norm(ctx, in[0]);
}
/* x is data (the Bernoulli term takes no gradient for its targets): passed as user */
static vt_tensor *log_prob_fn(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    return vt_dist_log_prob(ctx, vt_cont_bernoulli_logits(ctx, in[0]), user);
}

Test(cont_bernoulli, gradients_match_finite_differences) {
    /* values on both sides of the series switch, and large |η| */
    const float l[12] = {-0.02f, -0.012f, -0.008f, 0.0f, 0.009f, 0.011f,
                         0.3f,   -1.5f,   2.5f,    -7.f, 12.f,   0.05f};
    float x[12];
    for (int i = 0; i < 12; i++) x[i] = (float)(i * 0.083);
    vt_tensor *tl = vt_leaf_new(2, (int[]){3, 4}, l), *tx = vt_leaf_new(2, (int[]){3, 4}, x);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_gradcheck_report r;
    /* h = 1e-3 keeps central differences on one side of the switch for all but the
     * smallest |η|, where the two branches agree to 1e-13 */
    vt_gradcheck_opts o = {.step = 1e-3, .atol = 1e-3, .rtol = 1e-2, .seed = 3};
    vt_gradcheck(ctx, log_norm_fn, 1, &tl, NULL, &o, &r);
    cr_assert(r.ok, "log_norm: worst abs %.3g rel %.3g %s", r.max_abs_err, r.max_rel_err, r.error);
    vt_gradcheck(ctx, log_prob_fn, 1, &tl, tx, &o, &r);
    cr_assert(r.ok, "log_prob: worst abs %.3g rel %.3g %s", r.max_abs_err, r.max_rel_err, r.error);
    vt_ctx_free(ctx);
    vt_leaf_free(tl);
    vt_leaf_free(tx);
}

Test(cont_bernoulli, samples_lie_in_the_unit_interval_with_the_right_mean) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 9});
    const float etas[] = {-40.0f, -2.0f, 0.0f, 3.0f, 60.0f};
    for (size_t e = 0; e < 5; e++) {
        vt_ctx_reset(ctx);
        vt_tensor *l = vt_from_data(ctx, 2, (int[]){1, 1}, &etas[e]);
        vt_tensor *s = vt_dist_rsample(ctx, vt_cont_bernoulli_logits(ctx, l), 20000);
        double sum = 0;
        for (int i = 0; i < 20000; i++) {
            cr_assert(s->data[i] >= 0 && s->data[i] <= 1, "sample %g", s->data[i]);
            sum += s->data[i];
        }
        /* sd of a value in [0, 1] <= 0.5: the mean of 20000 is within 5 sd = 0.018 */
        float mean = vt_cont_bernoulli_mean(ctx, l)->data[0];
        cr_assert(fabs(sum / 20000 - mean) < 0.018, "eta %g: %g vs %g", etas[e], sum / 20000, mean);
    }
    vt_ctx_free(ctx);
}
