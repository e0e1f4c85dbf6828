/* The VAE's small public entry points (models/vae.c), against what vae.h documents:
 *   - vt_vae_model: one site "z" for one level (a Gumbel-softmax one is a concrete site
 *     of `categories` classes); sites "z1" and "z2" for two levels, drawn z1 then z2
 *     bottom-up and z2 then z1 top-down, asked for z2 then z1 by the model either way;
 *     its ELBO is vt_vae_loss's; NULL gives a model the estimators refuse;
 *   - vt_vae_eval_opts: the generic estimator for a planar or IAF posterior, analytic
 *     otherwise, one sample and β 1; each model's test ELBO runs with them (and a flow's
 *     refuses the analytic default);
 *   - vt_vae_set_step: τ(t) = max(temp_min, temperature·exp(−rate·t)) at several t, the
 *     model's relaxed latents follow it, NaN for NULL. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, X = 6, K = 2 };

static vt_vae_config small(void) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = X, c.n_hidden = 1, c.hidden[0] = 5, c.latent = 3, c.latent2 = 2;
    c.act = VT_ACT_TANH;
    c.flow_depth = 2, c.categories = 4, c.temperature = 0.8f;
    return c;
}

static void init(vt_vae *v, vt_vae_config c) {
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(v, &c, &err), 0, "%s", err.msg);
}

static const float *data(void) {
    static float x[R * X];
    vt_test_fill_uniform(x, R * X, 0, 1, 3);
    for (int i = 0; i < R * X; i++) x[i] = x[i] > 0.5f;
    return x;
}

/* ---- vt_vae_model, seen through a guide and model that wrap it ---- */
typedef struct {   /* what the model saw, kept past the context's life */
    const char *name;
    int q_order, p_order, rows, cols, categories, has_p;
    const vt_dist_ops *q_ops, *p_ops;
} site_seen;
typedef struct { vt_model inner; int n; site_seen site[4]; } spy;
static int spy_guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    spy *s = m->self;
    return s->inner.guide(ctx, &s->inner, x, c, tr);
}
static vt_dist *spy_model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    spy *s = m->self;
    vt_dist *d = s->inner.model(ctx, &s->inner, c, tr);
    s->n = vt_trace_n_sites(tr);
    for (int i = 0; i < s->n && i < 4; i++) {
        const vt_site *t = vt_trace_site(tr, i);
        s->site[i] = (site_seen){t->name, t->q_order, t->p_order, vt_rows(t->z), vt_cols(t->z),
                                 vt_concrete_categories(t->q), t->p != NULL, t->q->ops,
                                 t->p ? t->p->ops : NULL};
    }
    return d;
}

/* Runs v's model with K samples; checks the ELBO is vt_vae_loss's with the same noise. */
static spy run(vt_vae *v) {
    spy s = {.inner = vt_vae_model(v)};
    vt_model m = {spy_guide, spy_model, &s};
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_GENERIC, o.k = K;
    vt_ctx *a = vt_ctx_new(&(vt_ctx_opts){.seed = 4}), *b = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_elbo_terms ta, tb;
    cr_assert_eq(vt_model_elbo(a, &m, vt_from_data(a, 2, (int[]){R, X}, data()), NULL, &o, &ta), 0,
                 "%s", vt_ctx_error(a));
    cr_assert_eq(vt_vae_loss(b, v, vt_from_data(b, 2, (int[]){R, X}, data()), NULL, &o, &tb), 0);
    cr_assert_eq(ta.elbo, tb.elbo);
    cr_assert_eq(ta.kl, tb.kl);
    vt_ctx_free(a);
    vt_ctx_free(b);
    return s;
}

static void expect_site(const site_seen *s, const char *name, int q_order, int p_order, int cols) {
    cr_assert_str_eq(s->name, name);
    cr_assert_eq(s->q_order, q_order, "%s drawn %d-th, expected %d", name, s->q_order, q_order);
    cr_assert_eq(s->p_order, p_order, "%s asked %d-th, expected %d", name, s->p_order, p_order);
    cr_assert(s->q_ops && s->has_p, "%s lacks a factor", name);
    cr_assert_eq(s->rows, K * R);
    cr_assert_eq(s->cols, cols, "%s has %d columns", name, s->cols);
}

Test(vae_model, one_level_is_site_z) {
    vt_vae v;
    init(&v, small());
    spy s = run(&v);
    cr_assert_eq(s.n, 1);
    expect_site(&s.site[0], "z", 0, 0, 3);
    cr_assert(s.site[0].q_ops == &vt_normal_ops && s.site[0].p_ops == &vt_std_normal_ops);
    cr_assert_eq(s.site[0].categories, 0);
    vt_vae copy = v;   /* the model points into the struct it is made from */
    cr_assert(vt_vae_model(&copy).self == &copy.model && copy.model.self == &copy);
    vt_vae_free(&v);
    vt_vae_config c = small();
    c.latent_type = VT_LATENT_GUMBEL;
    init(&v, c);
    s = run(&v);
    cr_assert_eq(s.n, 1);
    expect_site(&s.site[0], "z", 0, 0, 3 * 4);
    cr_assert(s.site[0].q_ops == &vt_concrete_ops);
    cr_assert_eq(s.site[0].categories, 4);
    vt_vae_free(&v);
}

Test(vae_model, two_levels_are_sites_z1_and_z2_in_both_orders) {
    vt_vae v;
    vt_vae_config c = small();
    c.levels = 2;
    c.inference = VT_HVAE_BOTTOM_UP;   /* q(z1 | x) q(z2 | z1); p(z2) p(z1 | z2) */
    init(&v, c);
    spy s = run(&v);
    cr_assert_eq(s.n, 2);
    expect_site(&s.site[0], "z1", 0, 1, 3);
    expect_site(&s.site[1], "z2", 1, 0, 2);
    vt_vae_free(&v);
    c.inference = VT_HVAE_TOP_DOWN;    /* q(z2 | x) q(z1 | x, z2) */
    init(&v, c);
    s = run(&v);
    cr_assert_eq(s.n, 2);
    expect_site(&s.site[0], "z2", 0, 0, 2);
    expect_site(&s.site[1], "z1", 1, 1, 3);
    vt_vae_free(&v);
}

Test(vae_model, null_model_is_refused) {
    vt_model m = vt_vae_model(NULL);
    cr_assert(!m.guide && !m.model && !m.self);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_elbo_terms t;
    cr_assert_eq(vt_model_elbo(ctx, &m, vt_from_data(ctx, 2, (int[]){R, X}, data()), NULL, NULL, &t), -1);
    cr_assert(strstr(vt_ctx_error(ctx), "guide or model function is NULL"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

/* ---- vt_vae_eval_opts ---- */
Test(vae_eval_opts, generic_for_flows_analytic_otherwise) {
    const struct { vt_posterior_kind q; vt_latent_type t; int levels; vt_estimator want; } cases[] = {
        {VT_POSTERIOR_DIAG, VT_LATENT_GAUSSIAN, 1, VT_EST_ANALYTIC},
        {VT_POSTERIOR_FULLCOV, VT_LATENT_GAUSSIAN, 1, VT_EST_ANALYTIC},
        {VT_POSTERIOR_PLANAR, VT_LATENT_GAUSSIAN, 1, VT_EST_GENERIC},
        {VT_POSTERIOR_IAF, VT_LATENT_GAUSSIAN, 1, VT_EST_GENERIC},
        {VT_POSTERIOR_DIAG, VT_LATENT_GUMBEL, 1, VT_EST_ANALYTIC},
        {VT_POSTERIOR_DIAG, VT_LATENT_BERNOULLI, 1, VT_EST_ANALYTIC},
        {VT_POSTERIOR_DIAG, VT_LATENT_GAUSSIAN, 2, VT_EST_ANALYTIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vt_vae_config c = small();
        c.posterior = cases[i].q, c.latent_type = cases[i].t, c.levels = cases[i].levels;
        vt_vae v;
        init(&v, c);
        vt_elbo_opts o = vt_vae_eval_opts(&v);
        cr_assert_eq(o.estimator, cases[i].want, "case %zu: %s", i, vt_estimator_name(o.estimator));
        cr_assert(o.k == 1 && o.beta == 1.0f && o.free_bits == 0 && o.grad == VT_GRAD_REPARAM,
                  "case %zu: k %d beta %g free bits %g", i, o.k, o.beta, o.free_bits);
        vt_ctx *ctx = vt_ctx_new(NULL);
        vt_elbo_terms t;
        vt_tensor *x = vt_from_data(ctx, 2, (int[]){R, X}, data());
        cr_assert_eq(vt_vae_loss(ctx, &v, x, NULL, &o, &t), 0, "case %zu: %s", i, vt_ctx_error(ctx));
        cr_assert(isfinite(t.elbo), "case %zu", i);
        if (cases[i].want == VT_EST_GENERIC) {   /* why: the analytic default refuses flows */
            vt_elbo_opts d = vt_elbo_defaults();
            cr_assert_eq(vt_vae_loss(ctx, &v, x, NULL, &d, &t), -1);
            cr_assert(strstr(vt_ctx_error(ctx), "analytic KL does not apply"), "%s", vt_ctx_error(ctx));
        }
        vt_ctx_free(ctx);
        vt_vae_free(&v);
    }
    cr_assert_eq(vt_vae_eval_opts(NULL).estimator, VT_EST_ANALYTIC);
}

/* ---- vt_vae_set_step ---- */
Test(vae_set_step, temperature_schedule) {
    vt_vae_config c = small();
    c.latent_type = VT_LATENT_GUMBEL;
    c.temperature = 2.0f, c.temp_min = 0.3f, c.temp_rate = 0.01f;
    vt_vae v;
    init(&v, c);
    cr_assert_eq(v.tau, 2.0f, "τ before any step: %g", v.tau);
    /* τ reaches temp_min between t = 189 (0.3021) and 190 (0.2991) */
    const long steps[] = {0, 1, 10, 100, 189, 190, 191, 1000, 100000000L, -5};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        long t = steps[i] > 0 ? steps[i] : 0;
        double want = fmax(0.3f, 2.0 * exp(-(double)0.01f * (double)t));
        float got = vt_vae_set_step(&v, steps[i]);
        cr_assert_eq(got, v.tau, "step %ld: returned %g, set %g", steps[i], got, v.tau);
        cr_assert(fabs(got - want) <= 1e-6 * want, "step %ld: τ %.7g, expected %.7g", steps[i], got, want);
    }
    /* the relaxed posterior uses it: same noise, other τ, other ELBO; back, the same */
    double elbo[3];
    const long at[3] = {0, 150, 0};
    for (int i = 0; i < 3; i++) {
        vt_vae_set_step(&v, at[i]);
        vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 8});
        vt_elbo_terms t;
        cr_assert_eq(vt_vae_loss(ctx, &v, vt_from_data(ctx, 2, (int[]){R, X}, data()), NULL, NULL, &t), 0,
                     "%s", vt_ctx_error(ctx));
        elbo[i] = t.elbo;
        vt_ctx_free(ctx);
    }
    cr_assert_neq(elbo[0], elbo[1]);
    cr_assert_eq(elbo[0], elbo[2]);
    vt_vae_free(&v);
    /* no decay, and a floor above the start */
    c.temp_rate = 0;
    init(&v, c);
    cr_assert_eq(vt_vae_set_step(&v, 12345), 2.0f);
    vt_vae_free(&v);
    c.temp_rate = 0.5f, c.temp_min = 3.0f;
    init(&v, c);
    cr_assert_eq(vt_vae_set_step(&v, 0), 3.0f);
    vt_vae_free(&v);
    cr_assert(isnan(vt_vae_set_step(NULL, 1)));
}
