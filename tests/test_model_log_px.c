/* vt_model_log_px on a model of two latent sites whose log p(x) is exact
 * (models/log_px.c). Per dimension, conditioned on c:
 *     a ~ N(0, 1),   b | a ~ N(α a, s_b²),   x | b ~ N(β b + c, s_x²)
 * so x − c ~ N(0, β² v_b + s_x²) with v_b = α² + s_b². The guide draws b then a:
 *     q(b | x, c) = N(κ (x − c), λ v*),   q(a | b) = p(a | b) = N(α b / v_b, 1 − α² / v_b),
 * the exact posterior when λ = 1 (κ = (β / s_x²) v*, 1/v* = 1/v_b + β²/s_x²): then every
 * importance weight is p(x | c), so any sample count and any chunking give log p(x | c)
 * up to float rounding, which checks that both sites' log q and log p enter each weight,
 * that chunks of datapoints and of samples are put together per datapoint, and that
 * each chunk sees its own rows of c. A wider q(b) (λ = 2) checks the estimate with
 * weights that vary. Bad arguments and a failing model give −1 with the context's error
 * set, never a crash, and gradients are switched back on afterwards. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { N = 5, D = 2 };
static const double ALPHA = 0.8, S_B = 0.5, BETA = 1.5, S_X = 0.5;

typedef struct { double lambda; int draw_nothing; } two_site;

static double v_b(void) { return ALPHA * ALPHA + S_B * S_B; }
static double v_star(void) { return 1.0 / (1.0 / v_b() + BETA * BETA / (S_X * S_X)); }

/* log σ as an R x D constant */
static vt_tensor *logsig(vt_ctx *ctx, int rows, double var) {
    return vt_add_scalar(ctx, vt_zeros(ctx, 2, (int[]){rows, D}), (float)(0.5 * log(var)));
}

static int guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    const two_site *g = m->self;
    if (g->draw_nothing) return 0;
    int R = vt_rows(x), KR = vt_trace_samples(tr) * R;
    double kappa = BETA / (S_X * S_X) * v_star();
    /* R rows of parameters: the trace draws K samples of each */
    vt_dist *qb = vt_normal(ctx, vt_scale(ctx, vt_sub(ctx, x, c), (float)kappa),
                            logsig(ctx, R, g->lambda * v_star()));
    vt_tensor *b = vt_trace_sample(ctx, tr, "b", qb);
    vt_dist *qa = vt_normal(ctx, vt_scale(ctx, b, (float)(ALPHA / v_b())),
                            logsig(ctx, KR, 1 - ALPHA * ALPHA / v_b()));
    vt_trace_sample(ctx, tr, "a", qa);
    return vt_ctx_error(ctx) ? -1 : 0;
}

static vt_dist *model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    int R = vt_trace_rows(tr), KR = vt_trace_samples(tr) * R;
    vt_tensor *a = vt_trace_latent(ctx, tr, "a", vt_std_normal(ctx, R, D));
    vt_tensor *b = vt_trace_latent(ctx, tr, "b", vt_normal(ctx, vt_scale(ctx, a, (float)ALPHA),
                                                           logsig(ctx, KR, S_B * S_B)));
    vt_tensor *mean = vt_add(ctx, vt_scale(ctx, b, (float)BETA), vt_trace_expand(ctx, tr, c));
    return vt_normal(ctx, mean, logsig(ctx, KR, S_X * S_X));
}

static double exact(const float *x, const float *c) {
    double var = BETA * BETA * v_b() + S_X * S_X, s = 0;
    for (int j = 0; j < D; j++) {
        double u = (double)x[j] - c[j];
        s += -0.5 * log(2 * 3.14159265358979323846 * var) - u * u / (2 * var);
    }
    return s;
}

static float X[N * D], C[N * D];
static void data(void) {
    vt_test_fill_normal(X, N * D, 2.0f, 5);
    vt_test_fill_normal(C, N * D, 1.0f, 6);
}
TestSuite(model_log_px, .init = data);

static void estimate(double lambda, int samples, int chunk_rows, double tol) {
    two_site g = {lambda, 0};
    vt_model m = {guide, model, &g};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 9});
    double lp[N];
    cr_assert_eq(vt_model_log_px(ctx, &m, X, C, N, D, D, samples, chunk_rows, lp), 0, "%s",
                 vt_ctx_error(ctx));
    cr_assert_eq(vt_grad_enabled(ctx), 1, "gradients left off");
    for (int i = 0; i < N; i++) {
        double want = exact(X + i * D, C + i * D);
        cr_assert(fabs(lp[i] - want) < tol, "λ %g, L %d, chunks of %d rows, x%d: %.6f vs exact "
                  "%.6f", lambda, samples, chunk_rows, i, lp[i], want);
    }
    vt_ctx_free(ctx);
}

/* Exact posterior: float32 log-densities of size ~10, so 1e-4 is ~20x their rounding.
 * Chunks of 7 rows split the 16 samples of each datapoint into 7 + 7 + 2; chunks of 40
 * hold 2 datapoints (and the last chunk 1). */
Test(model_log_px, two_sites_exact_posterior_gives_log_px_in_any_chunks) {
    estimate(1.0, 16, 0, 1e-4);
    estimate(1.0, 16, 7, 1e-4);
    estimate(1.0, 16, 40, 1e-4);
    estimate(1.0, 1, 1, 1e-4);
}

/* q(b) twice as wide as the posterior in each of 2 dimensions: the weights w have
 * E[w²]/E[w]² = (2/√3)² = 4/3, so with L = 2000 the estimate's spread is
 * √((1/3)/2000) = 0.013 and its bias −(1/3)/(2L) ≈ −1e-4; 0.06 is 4.6 spreads. */
Test(model_log_px, two_sites_wide_posterior_converges) {
    estimate(2.0, 2000, 0, 0.06);
    estimate(2.0, 2000, 300, 0.06);
}

Test(model_log_px, bad_arguments_and_failing_models_are_errors) {
    two_site g = {1.0, 0};
    vt_model m = {guide, model, &g}, no_guide = {NULL, model, &g}, no_model = {guide, NULL, &g};
    vt_ctx *ctx = vt_ctx_new(NULL);
    double lp[N];
    struct { const vt_model *m; const float *x, *c; int n, d, dc, samples; double *out; } bad[] = {
        {NULL, X, C, N, D, D, 4, lp},      {&no_guide, X, C, N, D, D, 4, lp},
        {&no_model, X, C, N, D, D, 4, lp}, {&m, NULL, C, N, D, D, 4, lp},
        {&m, X, C, N, D, D, 4, NULL},      {&m, X, C, 0, D, D, 4, lp},
        {&m, X, C, N, 0, D, 4, lp},        {&m, X, C, N, D, 0, 4, lp},
        {&m, X, C, N, D, D, 0, lp},        {&m, X, C, -1, D, D, 4, lp},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_ctx_reset(ctx);
        vt_ctx_clear_error(ctx);
        cr_assert_eq(vt_model_log_px(ctx, bad[i].m, bad[i].x, bad[i].c, bad[i].n, bad[i].d,
                                     bad[i].dc, bad[i].samples, 0, bad[i].out), -1, "case %zu", i);
        cr_assert(vt_ctx_error(ctx) && strstr(vt_ctx_error(ctx), "bad arguments"), "case %zu: %s",
                  i, vt_ctx_error(ctx));
    }
    cr_assert_eq(vt_model_log_px(NULL, &m, X, C, N, D, D, 4, 0, lp), -1);
    /* the model fails inside a chunk: its error is kept for the caller */
    vt_ctx_reset(ctx);
    vt_ctx_clear_error(ctx);
    cr_assert_eq(vt_model_log_px(ctx, &m, X, NULL, N, D, 0, 4, 0, lp), -1);   /* c missing */
    cr_assert_not_null(vt_ctx_error(ctx));
    cr_assert_eq(vt_grad_enabled(ctx), 1, "gradients left off after a failure");
    vt_ctx_reset(ctx);
    vt_ctx_clear_error(ctx);
    g.draw_nothing = 1;
    cr_assert_eq(vt_model_log_px(ctx, &m, X, C, N, D, D, 4, 0, lp), -1);
    cr_assert(strstr(vt_ctx_error(ctx), "the guide drew no latent site"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}
