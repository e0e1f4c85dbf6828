/* Whole-model gradient checks of the latent-model variants (two-level HVAE, VampPrior,
 * planar and IAF flows, Gumbel-softmax and relaxed-Bernoulli latents, gated layers)
 * under each estimator that applies, as tests/test_models.c does for the VAE family:
 * backprop through the sampled sites matches central finite differences for every
 * parameter. Noise is fixed (vt_gradcheck pins the noise step).
 *
 * Tolerance: the gradcheck default (|num − ana| ≤ 1e-3 + 1e-2·|num|, h = 1e-2), as in
 * test_models.c: tanh networks keep the loss smooth. The IAF's MADE has relu hidden
 * units; with these seeds (76 for the layers that start at zero, which
 * vt_test_randomize_store fills) no unit sits within h of its kink (with 72–75 one
 * does: a kink inside the difference shows as a failure here, not a silent pass). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, D = 6, MAX_PARAMS = 160 };

typedef struct {
    vt_vae *vae;
    const float *x;
    vt_elbo_opts opts;
} model_case;

static vt_tensor *model_loss(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    model_case *m = user;
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){R, D}, m->x);
    vt_elbo_terms t;
    return vt_vae_loss(ctx, m->vae, x, NULL, &m->opts, &t) == 0 ? t.loss : vt_fail(ctx, "loss failed");
}

static vt_vae_config small(void) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = D;
    cfg.n_hidden = 1;
    cfg.hidden[0] = 5;
    cfg.latent = 3;
    cfg.latent2 = 2;
    cfg.act = VT_ACT_TANH;
    cfg.flow_depth = 2;
    cfg.flow_context = 2;
    cfg.pseudo_inputs = 3;
    cfg.categories = 3;
    cfg.temperature = 0.8f;
    return cfg;
}

static void check_scaled(vt_vae_config cfg, vt_estimator e, int k, vt_grad_estimator g,
                         float scale) {
    vt_vae v;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0, "%s", err.msg);
    vt_test_randomize_store(v.store, 0.3f, 76);   /* layers that start at zero */
    for (size_t i = 0; i < vt_store_numel(v.store); i++) vt_store_values(v.store)[i] *= scale;
    float x[R * D];
    vt_test_fill_uniform(x, R * D, 0, 1, 5);
    for (int i = 0; i < R * D; i++) x[i] = x[i] > 0.5f;
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    o.grad = g;
    o.miwae_m = 2;
    model_case m = {&v, x, o};
    int n = vt_store_count(v.store);
    cr_assert(n <= MAX_PARAMS);
    vt_tensor *params[MAX_PARAMS];
    for (int i = 0; i < n; i++) params[i] = vt_store_get(v.store, i);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, model_loss, n, params, &m, NULL, &rep);
    cr_assert(rep.ok, "worst: param %s[%zu] numeric %g analytic %g (abs %g, rel %g) %s",
              rep.worst_input >= 0 ? params[rep.worst_input]->name : "?", rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.max_abs_err, rep.max_rel_err, rep.error);
    /* every parameter group is reached (a site cut off from the loss would show here) */
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < vt_numel(params[i]); j++) s += fabs(params[i]->grad[j]);
        cr_assert(s > 0, "%s receives no gradient", params[i]->name);
    }
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

/* The default init, doubled so every parameter matters to the loss (test_models.c). */
static void check(vt_vae_config cfg, vt_estimator e, int k, vt_grad_estimator g) {
    check_scaled(cfg, e, k, g, 2.0f);
}

static vt_vae_config with(int levels, vt_posterior_kind q, vt_prior_kind p, vt_latent_type t,
                          vt_layer_kind layer) {
    vt_vae_config c = small();
    c.levels = levels;
    c.posterior = q;
    c.prior = p;
    c.latent_type = t;
    c.layer = layer;
    return c;
}
#define GAUSS VT_LATENT_GAUSSIAN
#define LIN VT_LAYER_LINEAR

Test(gradcheck_latent, hvae_analytic) { check(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_generic_k2) { check(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_GENERIC, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_iwae) { check(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_IWAE, 3, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_vamp_top) { check(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_VAMP, GAUSS, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
static vt_vae_config top_down(vt_prior_kind p, vt_layer_kind layer) {
    vt_vae_config c = with(2, VT_POSTERIOR_DIAG, p, GAUSS, layer);
    c.inference = VT_HVAE_TOP_DOWN;
    return c;
}
Test(gradcheck_latent, hvae_top_down_analytic) { check(top_down(VT_PRIOR_STD_NORMAL, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_top_down_generic_k2) { check(top_down(VT_PRIOR_STD_NORMAL, LIN), VT_EST_GENERIC, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_top_down_iwae) { check(top_down(VT_PRIOR_STD_NORMAL, LIN), VT_EST_IWAE, 3, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_top_down_vamp_top) { check(top_down(VT_PRIOR_VAMP, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, hvae_top_down_gated) { check_scaled(top_down(VT_PRIOR_STD_NORMAL, VT_LAYER_GATED), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM, 1.0f); }
Test(gradcheck_latent, iaf_without_context) {
    vt_vae_config c = with(1, VT_POSTERIOR_IAF, VT_PRIOR_STD_NORMAL, GAUSS, LIN);
    c.flow_context = 0;
    check(c, VT_EST_GENERIC, 1, VT_GRAD_REPARAM);
}
Test(gradcheck_latent, vamp_analytic) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_VAMP, GAUSS, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, vamp_iwae) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_VAMP, GAUSS, LIN), VT_EST_IWAE, 3, VT_GRAD_REPARAM); }
Test(gradcheck_latent, planar_generic) { check(with(1, VT_POSTERIOR_PLANAR, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_GENERIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, planar_iwae) { check(with(1, VT_POSTERIOR_PLANAR, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_IWAE, 3, VT_GRAD_REPARAM); }
Test(gradcheck_latent, iaf_generic) { check(with(1, VT_POSTERIOR_IAF, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_GENERIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, iaf_base_kl) { check(with(1, VT_POSTERIOR_IAF, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_BASE_KL, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, planar_base_kl) { check(with(1, VT_POSTERIOR_PLANAR, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_BASE_KL, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, iaf_base_kl_vamp) { check(with(1, VT_POSTERIOR_IAF, VT_PRIOR_VAMP, GAUSS, LIN), VT_EST_BASE_KL, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, iaf_iwae) { check(with(1, VT_POSTERIOR_IAF, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_IWAE, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, gumbel_analytic) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, VT_LATENT_GUMBEL, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, gumbel_generic) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, VT_LATENT_GUMBEL, LIN), VT_EST_GENERIC, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, bernoulli_analytic) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, VT_LATENT_BERNOULLI, LIN), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
Test(gradcheck_latent, bernoulli_iwae) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, VT_LATENT_BERNOULLI, LIN), VT_EST_IWAE, 3, VT_GRAD_REPARAM); }
Test(gradcheck_latent, gated_layers) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, VT_LAYER_GATED), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM); }
/* Gated layers are linear in their value path, so doubled weights through three gated
 * nets in a row give q(z2 | z1) a σ of ~70 and an infinite log p(z1 | z2): these two
 * keep the default init. */
Test(gradcheck_latent, gated_hvae) { check_scaled(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, VT_LAYER_GATED), VT_EST_ANALYTIC, 1, VT_GRAD_REPARAM, 1.0f); }
Test(gradcheck_latent, gated_hvae_generic) { check_scaled(with(2, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, VT_LAYER_GATED), VT_EST_GENERIC, 2, VT_GRAD_REPARAM, 1.0f); }
Test(gradcheck_latent, miwae) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_MIWAE, 2, VT_GRAD_REPARAM); }
Test(gradcheck_latent, ciwae) { check(with(1, VT_POSTERIOR_DIAG, VT_PRIOR_STD_NORMAL, GAUSS, LIN), VT_EST_CIWAE, 3, VT_GRAD_REPARAM); }
/* STL changes the gradient, not the function: the gradient of the loss as computed is
 * no longer the finite difference of its value, so only the plain estimators are
 * checked here; STL and DReG are checked against their definitions in
 * test_latent_estimators.c. */

/* vt_vae_config_numel (what `vtape eval` checks a checkpoint against before building)
 * counts exactly the parameters vt_vae_init makes, for every variant. */
Test(latent_config, numel_matches_every_variant) {
    int checked = 0;
    for (int lv = 1; lv <= 2; lv++)
        for (int q = 0; q < 4; q++)
            for (int p = 0; p < 3; p++)
                for (int t = 0; t < 3; t++)
                    for (int g = 0; g < 4; g++)
                        for (int nh = 0; nh < 3; nh += 2) {
                            vt_vae_config c = small();
                            c.inference = g / 2 ? VT_HVAE_TOP_DOWN : VT_HVAE_BOTTOM_UP;
                            c.flow_context = g / 2 ? 0 : 2;
                            c.x_dim = 20, c.n_hidden = nh, c.hidden[0] = 12, c.hidden[1] = 7;
                            c.levels = lv, c.posterior = (vt_posterior_kind)q;
                            c.prior = (vt_prior_kind)p, c.latent_type = (vt_latent_type)t;
                            c.layer = (vt_layer_kind)(g % 2);
                            vt_vae v;
                            if (vt_vae_init(&v, &c, NULL) != 0) continue;   /* not a valid mix */
                            size_t want = 0;
                            for (int i = 0; i < vt_store_count(v.store); i++)
                                want += vt_numel(vt_store_get(v.store, i));
                            cr_expect_eq(vt_vae_config_numel(&c), want,
                                         "levels %d posterior %d prior %d latent %d layer %d hidden %d",
                                         lv, q, p, t, g, nh);
                            checked++;
                            vt_vae_free(&v);
                        }
    cr_assert_gt(checked, 50);
}
