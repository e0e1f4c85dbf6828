/* Loss values of every model × estimator against an independent float64 computation
 * (support_vae_ref.c), on tiny models (5 pixels, one tanh hidden layer of 3, latent
 * 2–6, 4 datapoints): loss = rec + β(t)·KL with β(t) worked out here by hand, free
 * bits with groups on both sides of λ, IWAE and the generic estimator, mixture prior,
 * Gaussian likelihood, full-covariance posterior, CVAE conditioning.
 *
 * The reference gets only the parameters and the posterior noise eps; z, the
 * densities, the KLs and the bounds are recomputed from their formulas.
 * Tolerance: |got − want| ≤ 2e-5·(1 + |want|). vtape computes in float32 (relative
 * rounding ~6e-8 per operation, sums of ≤ 60 terms of size ≤ ~10 here), so its error
 * is ~1e-6; a wrong formula (β not applied, a missing ½, a group transposed, a mean
 * instead of a log-mean-exp) moves the loss by > 1e-2 on these models. */
#include <criterion/criterion.h>
#include <math.h>
#include "support.h"
#include "support_vae_ref.h"

enum { R = 4, D = 5 };
static const uint8_t LABELS[R] = {0, 2, 1, 2};

static vt_vae_config tiny_config(int latent) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = D;
    c.n_hidden = 1;
    c.hidden[0] = 3;
    c.latent = latent;
    c.act = VT_ACT_TANH;
    c.mog_components = 3;
    c.seed = 11;
    return c;
}

/* Parameters the initialiser leaves at zero get distinct values, so every term counts. */
static void spread_params(vt_vae *v) {
    if (v->mog_logits) {
        int C = v->cfg.mog_components, Z = v->cfg.latent;
        for (int c = 0; c < C; c++) v->mog_logits->data[c] = 0.7f * (float)c - 0.5f;
        for (int i = 0; i < C * Z; i++) v->mog_logsigs->data[i] = 0.3f * (float)(i % 3) - 0.35f;
    }
    if (v->lik_logsig)
        for (int j = 0; j < D; j++) v->lik_logsig->data[j] = -0.4f + 0.2f * (float)j;
}

static void make(vt_vae *v, vt_vae_config cfg, int n_classes) {
    vt_error err = {0};
    int rc = n_classes ? vt_cvae_init(v, &cfg, n_classes, &err) : vt_vae_init(v, &cfg, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    spread_params(v);
    vae_ref_capture(v);
}

static void expect_close(const char *what, double got, double want) {
    cr_assert(fabs(got - want) <= 2e-5 * (1 + fabs(want)), "%s: vtape %.7g, float64 %.7g", what,
              got, want);
}

/* One loss by vtape (through vt_beta_vae_loss when a schedule is given) against the
 * reference with the KL weight `beta`. */
static void check(vt_vae *v, vt_elbo_opts o, const vt_beta_schedule *sched, long step,
                  double beta) {
    float x[R * D];
    vt_test_fill_uniform(x, R * D, 0.0f, 1.0f, 5);
    if (v->cfg.likelihood != VT_LIK_BERNOULLI) vt_test_fill_normal(x, R * D, 1.0f, 6);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    vt_tensor *xt = vt_from_data(ctx, 2, (int[]){R, D}, x);
    const uint8_t *labels = v->cfg.n_classes ? LABELS : NULL;
    vt_tensor *c = labels ? vt_one_hot_tensor(ctx, labels, R, v->cfg.n_classes) : NULL;
    vt_elbo_terms t;
    int rc = sched ? vt_beta_vae_loss(ctx, v, xt, c, &o, sched, step, &t)
                   : vt_vae_loss(ctx, v, xt, c, &o, &t);
    cr_assert_eq(rc, 0, "%s", vt_ctx_error(ctx));
    cr_assert_not_null(vae_ref_eps());
    vae_ref_terms want;
    vae_ref_loss(v, x, labels, R, vae_ref_eps(), &o, beta, &want);
    expect_close("loss", t.loss->data[0], want.loss);
    expect_close("rec", t.rec, want.rec);
    expect_close("kl", t.kl, want.kl);
    expect_close("elbo", t.elbo, want.elbo);
    vt_ctx_free(ctx);
}

static vt_elbo_opts est(vt_estimator e, int k, float beta) {
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    o.beta = beta;
    return o;
}

static void case_of(vt_vae_config cfg, int n_classes, vt_elbo_opts o) {
    vt_vae v;
    make(&v, cfg, n_classes);
    check(&v, o, NULL, 0, o.estimator == VT_EST_IWAE ? 1.0 : o.beta);
    vt_vae_free(&v);
}

Test(values, vae_analytic) {
    case_of(tiny_config(2), 0, est(VT_EST_ANALYTIC, 1, 1.0f));
    case_of(tiny_config(3), 0, est(VT_EST_ANALYTIC, 3, 0.5f));
}
Test(values, vae_generic) { case_of(tiny_config(3), 0, est(VT_EST_GENERIC, 2, 0.7f)); }
Test(values, vae_iwae) { case_of(tiny_config(2), 0, est(VT_EST_IWAE, 5, 1.0f)); }

Test(values, fullcov_posterior_every_estimator) {
    vt_vae_config cfg = tiny_config(3);
    cfg.posterior = VT_POSTERIOR_FULLCOV;
    case_of(cfg, 0, est(VT_EST_ANALYTIC, 2, 1.0f));
    case_of(cfg, 0, est(VT_EST_GENERIC, 2, 1.0f));
    case_of(cfg, 0, est(VT_EST_IWAE, 4, 1.0f));
}

Test(values, mixture_prior_generic_and_iwae) {
    vt_vae_config cfg = tiny_config(2);
    cfg.prior = VT_PRIOR_MOG;
    case_of(cfg, 0, est(VT_EST_GENERIC, 2, 1.0f));
    case_of(cfg, 0, est(VT_EST_IWAE, 3, 1.0f));
}

Test(values, gaussian_likelihood_fixed_and_learned) {
    vt_vae_config cfg = tiny_config(2);
    cfg.likelihood = VT_LIK_GAUSSIAN_FIXED;
    cfg.lik_logsig = -0.3f;
    case_of(cfg, 0, est(VT_EST_ANALYTIC, 2, 1.0f));
    cfg.likelihood = VT_LIK_GAUSSIAN_LEARNED;
    case_of(cfg, 0, est(VT_EST_GENERIC, 1, 1.0f));
    case_of(cfg, 0, est(VT_EST_IWAE, 3, 1.0f));
}

Test(values, cvae_conditioning_every_estimator) {
    case_of(tiny_config(2), 3, est(VT_EST_ANALYTIC, 2, 1.0f));
    case_of(tiny_config(2), 3, est(VT_EST_GENERIC, 1, 1.0f));
    case_of(tiny_config(2), 3, est(VT_EST_IWAE, 3, 1.0f));
}

/* The KL weight at step t, worked out by hand from the schedule's definition. */
Test(values, beta_vae_applies_the_schedule) {
    vt_vae v;
    make(&v, tiny_config(2), 0);
    vt_elbo_opts o = est(VT_EST_ANALYTIC, 1, 1.0f);   /* opts β is replaced by β(t) */
    vt_beta_schedule lin = {.kind = VT_BETA_LINEAR, .beta = 2.0f, .warmup_steps = 100};
    check(&v, o, &lin, 30, 2.0 * 30 / 100);   /* warming up: 0.6 */
    check(&v, o, &lin, 150, 2.0);             /* warmed up */
    check(&v, o, &lin, 0, 0.0);               /* step 0: reconstruction only */
    /* 100 steps in 4 cycles of 25; the first half of each rises from 0 to β. */
    vt_beta_schedule cyc = {.kind = VT_BETA_CYCLICAL, .beta = 1.5f, .total_steps = 100,
                            .cycles = 4, .ramp = 0.5f};
    check(&v, o, &cyc, 30, 1.5 * (5.0 / 25) / 0.5);   /* 5 steps into cycle 2: 0.6 */
    check(&v, o, &cyc, 45, 1.5);                       /* second half of cycle 2 */
    vt_elbo_opts g = est(VT_EST_GENERIC, 2, 1.0f);
    check(&v, g, &lin, 40, 2.0 * 40 / 100);
    vt_vae_free(&v);
}

/* Free bits: 6 latent dimensions in G groups of 6/G consecutive ones, λ between the
 * groups' KLs so that some are clamped and some are not. */
static void free_bits_case(vt_estimator e, int G) {
    enum { Z = 6 };
    vt_vae v;
    make(&v, tiny_config(Z), 0);
    /* Means of the first three dimensions pushed away from 0: group 0 carries more KL. */
    vt_tensor *b = v.enc.layer[v.enc.n_layers - 1].b;
    for (int i = 0; i < 3; i++) b->data[i] += 1.2f;
    float x[R * D];
    vt_test_fill_uniform(x, R * D, 0.0f, 1.0f, 5);
    double g[Z], lo = INFINITY, hi = 0;
    int groups = G ? G : Z;
    vae_ref_group_kl(&v, x, NULL, R, groups, g);
    for (int k = 0; k < groups; k++) lo = fmin(lo, g[k]), hi = fmax(hi, g[k]);
    vt_elbo_opts o = est(e, 2, 0.8f);
    o.fb_groups = G;
    o.free_bits = (float)(0.5 * (lo + hi));
    cr_assert(hi - lo > 0.2, "groups' KLs %.3f..%.3f too close for the test to tell", lo, hi);
    check(&v, o, NULL, 0, 0.8);
    vt_vae_free(&v);
}

Test(values, free_bits_groups_on_both_sides_of_lambda) {
    free_bits_case(VT_EST_ANALYTIC, 2);   /* 2 groups of 3 */
    free_bits_case(VT_EST_GENERIC, 2);
    free_bits_case(VT_EST_ANALYTIC, 3);   /* 3 groups of 2 */
    free_bits_case(VT_EST_ANALYTIC, 0);   /* one group per dimension */
}

/* Encoding, decoding, reconstruction and generation against the same reference. */
static void expect_rows(const char *what, const vt_tensor *got, const double *want, int n) {
    cr_assert_not_null(got);
    cr_assert_eq((int)vt_numel(got), n, "%s: %zu values, want %d", what, vt_numel(got), n);
    for (int i = 0; i < n; i++)
        cr_assert(fabs(got->data[i] - want[i]) <= 2e-5 * (1 + fabs(want[i])), "%s[%d]: %.7g vs %.7g",
                  what, i, got->data[i], want[i]);
}

static void means_case(vt_vae_config cfg, int n_classes) {
    enum { Z = 2 };
    vt_vae v;
    make(&v, cfg, n_classes);
    float x[R * D], z[R * Z];
    vt_test_fill_uniform(x, R * D, 0.0f, 1.0f, 8);
    vt_test_fill_normal(z, R * Z, 1.0f, 9);
    const uint8_t *labels = n_classes ? LABELS : NULL;
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 12});
    vt_tensor *xt = vt_from_data(ctx, 2, (int[]){R, D}, x);
    vt_tensor *c = labels ? vt_one_hot_tensor(ctx, labels, R, n_classes) : NULL;
    double mu[R * Z], dec[R * D], rec[R * D];
    float muf[R * Z];
    vae_ref_encode_mean(&v, x, labels, R, mu);
    expect_rows("encode_mean", vt_vae_encode_mean(ctx, &v, xt, c), mu, R * Z);
    vae_ref_decode_mean(&v, z, labels, R, dec);
    expect_rows("decode_mean", vt_vae_decode_mean(ctx, &v, vt_from_data(ctx, 2, (int[]){R, Z}, z), c),
                dec, R * D);
    for (int i = 0; i < R * Z; i++) muf[i] = (float)mu[i];
    vae_ref_decode_mean(&v, muf, labels, R, rec);
    expect_rows("reconstruct", vt_vae_reconstruct(ctx, &v, xt, c), rec, R * D);
    /* generate: N(0, I) prior samples are the context's first normal stream */
    vt_ctx_reset(ctx);
    uint64_t step = vt_ctx_step(ctx);
    c = labels ? vt_one_hot_tensor(ctx, labels, R, n_classes) : NULL;
    vt_tensor *g = labels ? vt_cvae_generate_class(ctx, &v, R, 1) : vt_vae_generate(ctx, &v, R, c);
    float zp[R * Z];
    const uint8_t ones[R] = {1, 1, 1, 1};
    vt_philox_normal(12, step, 0, 0, R * Z, zp);
    vae_ref_decode_mean(&v, zp, labels ? ones : NULL, R, dec);
    expect_rows(labels ? "cvae_generate_class" : "generate", g, dec, R * D);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

Test(values, encode_decode_reconstruct_generate) {
    means_case(tiny_config(2), 0);
    means_case(tiny_config(2), 3);
    vt_vae_config g = tiny_config(2);
    g.likelihood = VT_LIK_GAUSSIAN_FIXED;
    means_case(g, 0);
}
