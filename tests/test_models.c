/* Whole-model gradient checks: for each model and each ELBO estimator, backprop
 * through the reparameterized sample matches central finite differences for encoder
 * (φ) and decoder (θ) parameters alike. Noise is fixed: vt_gradcheck pins the noise
 * step, so every evaluation draws the same eps.
 *
 * Tolerance: the gradcheck default (|num − ana| ≤ 1e-3 + 1e-2·|num|, h = 1e-2) — see
 * docs/testing.md; tanh/softplus networks keep the loss smooth (no relu kinks within h). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, D = 6 };

typedef struct {
    vt_vae *vae;
    const float *x;
    const uint8_t *labels;
    vt_elbo_opts opts;
    int beta_anneal;
} model_case;

static vt_tensor *model_loss(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    model_case *m = user;
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){R, D}, m->x);
    vt_tensor *c = m->vae->cfg.n_classes ? vt_one_hot_tensor(ctx, m->labels, R, m->vae->cfg.n_classes) : NULL;
    vt_elbo_terms t;
    int rc;
    if (m->beta_anneal) {
        vt_beta_schedule s = {.kind = VT_BETA_LINEAR, .beta = 1.0f, .warmup_steps = 10};
        rc = vt_beta_vae_loss(ctx, m->vae, x, c, &m->opts, &s, 4, &t);   /* β = 0.4 */
    } else {
        rc = vt_vae_loss(ctx, m->vae, x, c, &m->opts, &t);
    }
    return rc == 0 ? t.loss : vt_fail(ctx, "loss failed");
}

static void check_model(vt_vae_config cfg, int n_classes, vt_elbo_opts opts, int beta_anneal) {
    vt_vae v;
    vt_error err = {0};
    cfg.x_dim = D;
    cfg.n_hidden = 1;
    cfg.hidden[0] = 5;
    cfg.latent = cfg.latent ? cfg.latent : 2;
    cfg.act = VT_ACT_TANH;
    int rc = n_classes ? vt_cvae_init(&v, &cfg, n_classes, &err)
                       : vt_vae_init(&v, &cfg, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    /* Enlarge the small default init so every parameter matters to the loss. */
    for (size_t i = 0; i < vt_store_numel(v.store); i++) vt_store_values(v.store)[i] *= 2.0f;
    float x[R * D];
    vt_test_fill_uniform(x, R * D, 0, 1, 5);
    for (int i = 0; i < R * D; i++) x[i] = x[i] > 0.5f;   /* binary data for Bernoulli */
    uint8_t labels[R] = {0, 2, 1};
    model_case m = {&v, x, labels, opts, beta_anneal};
    int n = vt_store_count(v.store);
    vt_tensor *params[64];
    for (int i = 0; i < n; i++) params[i] = vt_store_get(v.store, i);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, model_loss, n, params, &m, NULL, &rep);
    cr_assert(rep.ok, "worst: param %s[%zu] numeric %g analytic %g (abs %g, rel %g) %s",
              rep.worst_input >= 0 ? params[rep.worst_input]->name : "?", rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.max_abs_err, rep.max_rel_err, rep.error);
    /* Both sides of the sampling node were checked and carry gradient. */
    int enc = 0, dec = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < vt_numel(params[i]); j++)
            if (params[i]->grad[j] != 0) {
                if (!strncmp(params[i]->name, "enc", 3)) enc = 1;
                if (!strncmp(params[i]->name, "dec", 3)) dec = 1;
            }
    cr_assert(enc && dec, "encoder and decoder must both receive gradient");
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

static vt_elbo_opts est(vt_estimator e, int k) {
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    return o;
}

Test(gradcheck_models, vae_analytic) { check_model(vt_vae_default_config(), 0, est(VT_EST_ANALYTIC, 1), 0); }
Test(gradcheck_models, vae_generic) { check_model(vt_vae_default_config(), 0, est(VT_EST_GENERIC, 1), 0); }
Test(gradcheck_models, vae_analytic_k3) { check_model(vt_vae_default_config(), 0, est(VT_EST_ANALYTIC, 3), 0); }
Test(gradcheck_models, vae_iwae_k4) { check_model(vt_vae_default_config(), 0, est(VT_EST_IWAE, 4), 0); }
Test(gradcheck_models, cvae_analytic) { check_model(vt_vae_default_config(), 3, est(VT_EST_ANALYTIC, 1), 0); }
Test(gradcheck_models, cvae_generic) { check_model(vt_vae_default_config(), 3, est(VT_EST_GENERIC, 2), 0); }
Test(gradcheck_models, cvae_iwae) { check_model(vt_vae_default_config(), 3, est(VT_EST_IWAE, 3), 0); }
Test(gradcheck_models, beta_vae_analytic) { check_model(vt_vae_default_config(), 0, est(VT_EST_ANALYTIC, 1), 1); }
Test(gradcheck_models, beta_vae_generic) { check_model(vt_vae_default_config(), 0, est(VT_EST_GENERIC, 2), 1); }
Test(gradcheck_models, beta_vae_iwae) { check_model(vt_vae_default_config(), 0, est(VT_EST_IWAE, 3), 1); }

Test(gradcheck_models, fullcov_posterior) {
    vt_vae_config c = vt_vae_default_config();
    c.posterior = VT_POSTERIOR_FULLCOV;
    c.latent = 3;
    check_model(c, 0, est(VT_EST_ANALYTIC, 1), 0);
    check_model(c, 0, est(VT_EST_GENERIC, 2), 0);
}

Test(gradcheck_models, mixture_prior) {
    vt_vae_config c = vt_vae_default_config();
    c.prior = VT_PRIOR_MOG;
    c.mog_components = 3;
    check_model(c, 0, est(VT_EST_ANALYTIC, 1), 0);   /* no closed form: Monte-Carlo KL */
    check_model(c, 0, est(VT_EST_IWAE, 2), 0);
}

Test(gradcheck_models, gaussian_learned_likelihood) {
    vt_vae_config c = vt_vae_default_config();
    c.likelihood = VT_LIK_GAUSSIAN_LEARNED;
    check_model(c, 0, est(VT_EST_GENERIC, 1), 0);
}

Test(gradcheck_models, free_bits_away_from_the_floor) {
    vt_elbo_opts o = est(VT_EST_ANALYTIC, 1);
    o.free_bits = 1e-4f;   /* below every group's KL: the kink is out of the FD step's reach */
    o.fb_groups = 2;
    check_model(vt_vae_default_config(), 0, o, 0);
}

/* ---- free bits: a group whose KL is under λ contributes exactly λ, and no gradient ---- */
Test(elbo, free_bits_floor_holds) {
    vt_vae v;
    vt_error err = {0};
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = D; cfg.n_hidden = 1; cfg.hidden[0] = 5; cfg.latent = 4; cfg.act = VT_ACT_TANH;
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0);
    float x[R * D];
    vt_test_fill_uniform(x, R * D, 0, 1, 6);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_elbo_opts o = vt_elbo_defaults();
    o.free_bits = 50.0f;   /* far above the KL of a fresh encoder */
    o.fb_groups = 2;
    o.beta = 1.0f;
    vt_elbo_terms t;
    vt_tensor *xb = vt_from_data(ctx, 2, (int[]){R, D}, x);
    cr_assert_eq(vt_vae_loss(ctx, &v, xb, NULL, &o, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert_lt(t.kl, 50.0);
    /* loss = rec + Σ_g max(λ, KL_g) = rec + 2λ */
    cr_assert_float_eq(t.loss->data[0], (float)(t.rec + 2 * 50.0), 1e-3f);
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
    /* The encoder's mean and log σ heads get no gradient from the KL; only through the
     * sample from the reconstruction. Compare against the same step without KL. */
    vt_tensor *head_b = vt_store_find(v.store, "enc_out.b");
    float with_floor[8];
    memcpy(with_floor, head_b->grad, sizeof with_floor);
    vt_store_zero_grad(v.store);
    vt_ctx_reset(ctx);
    vt_ctx_set_step(ctx, 0);
    o.free_bits = 0;
    o.beta = 0;
    xb = vt_from_data(ctx, 2, (int[]){R, D}, x);
    cr_assert_eq(vt_vae_loss(ctx, &v, xb, NULL, &o, &t), 0);
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
    for (int i = 0; i < 8; i++) cr_assert_float_eq(with_floor[i], head_b->grad[i], 1e-6f);
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

Test(elbo, misuse_is_reported) {
    vt_vae v;
    vt_error err = {0};
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = D; cfg.n_hidden = 1; cfg.hidden[0] = 5; cfg.latent = 4;
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_elbo_terms t;
    vt_tensor *bad = vt_zeros(ctx, 2, (int[]){R, D + 1});
    cr_assert_neq(vt_vae_loss(ctx, &v, bad, NULL, NULL, &t), 0);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "7 columns") ? vt_ctx_error(ctx) : strstr(vt_ctx_error(ctx), "x is"),
                       "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){R, D});
    vt_tensor *c = vt_zeros(ctx, 2, (int[]){R, 10});
    cr_assert_neq(vt_vae_loss(ctx, &v, x, c, NULL, &t), 0);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "takes no"), "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    vt_elbo_opts o = vt_elbo_defaults();
    o.free_bits = 1.0f;
    o.fb_groups = 3;   /* does not divide 4 */
    x = vt_zeros(ctx, 2, (int[]){R, D});
    cr_assert_neq(vt_vae_loss(ctx, &v, x, NULL, &o, &t), 0);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "free-bits"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_vae_free(&v);
    vt_vae_config badcfg = cfg;
    badcfg.latent = 0;
    cr_assert_neq(vt_vae_init(&v, &badcfg, &err), 0);
    cr_assert_not_null(strstr(err.msg, "latent 0"), "%s", err.msg);
}

Test(vae_config, text_round_trip_and_rejects) {
    vt_vae_config c = vt_vae_default_config(), back;
    c.posterior = VT_POSTERIOR_FULLCOV;
    c.prior = VT_PRIOR_MOG;
    c.n_classes = 10;
    c.seed = 77;
    vt_error err = {0};
    char buf[512];
    cr_assert_eq(vt_vae_config_format(&c, buf, sizeof buf), 0);
    cr_assert_eq(vt_vae_config_parse(&back, buf, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(&c, &back, sizeof c), 0);
    cr_assert_neq(vt_vae_config_parse(&back, "x_dim=784 latent=-3", &err), 0);
    cr_assert_not_null(strstr(err.msg, "latent=-3"), "%s", err.msg);
    cr_assert_neq(vt_vae_parse_arch(&back, "784-x", &err), 0);
    cr_assert_eq(vt_vae_parse_arch(&back, "784-512-256", &err), 0);
    cr_assert_eq(back.n_hidden, 2);
}
