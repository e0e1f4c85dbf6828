/* The estimators on latent models of several sites, and the pieces they use, against
 * their definitions:
 *   - vt_detach / vt_scale_grad_rows do what they say on a two-op graph;
 *   - STL: at the exact posterior the path-derivative gradient of log w vanishes
 *     (log w = log p(x) for every z), while the total-derivative one does not;
 *   - DReG: with K = 1 it equals STL; for any K the decoder's gradient is the IWAE one;
 *   - the hierarchical VAE: one KL per site summing to the total, and the analytic and
 *     generic estimators agree in expectation; free bits per site and per group;
 *   - IWAE ≥ ELBO and increasing in K for the hierarchical and both flow models;
 *   - the analytic estimator refuses a flow posterior with a clear message;
 *   - the trace reports misuse (a site drawn twice, a prior for an unknown site).
 * STL and DReG on guides of several sites: tests/test_stl_sites.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

Test(stopgrad, detach_cuts_and_scale_grad_rows_scales) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){2, 1}, (float[]){3, -2}));
    vt_tensor *y = vt_mul(ctx, vt_detach(ctx, vt_square(ctx, x)), x);   /* stop(x²)·x */
    vt_tensor *s = vt_from_data(ctx, 2, (int[]){2, 1}, (float[]){0.5f, 4.0f});
    vt_tensor *w = vt_scale_grad_rows(ctx, y, s);
    cr_assert_eq(w->data[0], 27.0f);
    cr_assert_eq(vt_backward(ctx, vt_sum(ctx, w), NULL), 0, "%s", vt_ctx_error(ctx));
    /* d/dx of stop(x²)·x is x² (not 3x²), times the row's scale */
    cr_assert_float_eq(x->grad[0], 0.5f * 9.0f, 1e-6);
    cr_assert_float_eq(x->grad[1], 4.0f * 4.0f, 1e-6);
    vt_ctx_free(ctx);
}

/* ---- z ~ N(0, I), x | z ~ N(z, I): the posterior N(x/2, I/2) is diagonal ---- */
enum { GR = 4, GZ = 3 };
typedef struct { vt_tensor *mu, *ls, zero; float zeros[GZ]; } gauss_model;

static vt_dist *g_post(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    gauss_model *g = m->self;
    return vt_normal(ctx, g->mu, g->ls);
}
static vt_dist *g_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    return vt_std_normal(ctx, rows, GZ);
}
static vt_dist *g_lik(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    gauss_model *g = m->self;
    return vt_normal(ctx, z, &g->zero);
}

static double max_grad(vt_grad_estimator grad, const float *xs, float shift) {
    gauss_model g = {0};
    float mu[GR * GZ], ls[GR * GZ];
    for (int i = 0; i < GR * GZ; i++) { mu[i] = xs[i] / 2 + shift; ls[i] = 0.5f * logf(0.5f); }
    g.mu = vt_leaf_new(2, (int[]){GR, GZ}, mu);
    g.ls = vt_leaf_new(2, (int[]){GR, GZ}, ls);
    g.zero = (vt_tensor){.data = g.zeros, .ndim = 2, .shape = {1, GZ}};
    vt_latent_model m = {g_post, g_prior, g_lik, &g};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 11});
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_GENERIC;
    o.grad = grad;
    vt_elbo_terms t;
    cr_assert_eq(vt_elbo(ctx, &m, vt_from_data(ctx, 2, (int[]){GR, GZ}, xs), NULL, &o, &t), 0,
                 "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
    double worst = 0;
    for (int i = 0; i < GR * GZ; i++)
        worst = fmax(worst, fmax(fabs(g.mu->grad[i]), fabs(g.ls->grad[i])));
    vt_ctx_free(ctx);
    vt_leaf_free(g.mu);
    vt_leaf_free(g.ls);
    return worst;
}

Test(stl, path_gradient_vanishes_at_the_exact_posterior) {
    float xs[GR * GZ];
    vt_test_fill_normal(xs, GR * GZ, 1.4f, 21);
    /* log w = log p(x) for every z when q is exact: the path derivative is 0 up to
     * float rounding of the log-densities (~1e-6 here); the score term of the total
     * derivative is O(1) per sample */
    double stl = max_grad(VT_GRAD_STL, xs, 0), total = max_grad(VT_GRAD_REPARAM, xs, 0);
    cr_assert(stl < 1e-4, "STL gradient at the optimum %g", stl);
    cr_assert(total > 1e-2, "total-derivative gradient %g", total);
    /* away from the optimum STL is not zero */
    cr_assert(max_grad(VT_GRAD_STL, xs, 0.3f) > 1e-2);
}

/* ---- a small VAE family member for the estimator checks ---- */
static vt_vae_config tiny(int levels, vt_posterior_kind q) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = 20;
    c.n_hidden = 1;
    c.hidden[0] = 16;
    c.latent = 4;
    c.latent2 = 2;
    c.levels = levels;
    c.posterior = q;
    c.flow_depth = 2;
    c.act = VT_ACT_TANH;
    c.seed = 9;
    return c;
}

static float *binary_data(int n, int d, uint64_t seed) {
    float *x = malloc((size_t)n * d * sizeof *x);
    vt_test_fill_uniform(x, (size_t)n * d, 0, 1, seed);
    for (int i = 0; i < n * d; i++) x[i] = x[i] < 0.3f + 0.4f * (float)((i % d) < d / 2);
    return x;
}

/* Gradients of every parameter under `o`, into g (store order, concatenated). */
static void grads(vt_vae *v, const float *x, int R, vt_elbo_opts o, float *g) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_store_zero_grad(v->store);
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, v, vt_from_data(ctx, 2, (int[]){R, v->cfg.x_dim}, x), NULL,
                             &o, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
    memcpy(g, vt_store_grads(v->store), vt_store_numel(v->store) * sizeof(float));
    vt_ctx_free(ctx);
}

/* a, b: copies of the store's gradient block, where each parameter starts at an aligned
 * offset (p->grad − the block) */
static double max_diff(vt_vae *v, const float *a, const float *b, const char *prefix, int match) {
    double worst = 0;
    for (int i = 0; i < vt_store_count(v->store); i++) {
        vt_tensor *p = vt_store_get(v->store, i);
        int is = strncmp(p->name, prefix, strlen(prefix)) == 0;
        size_t off = (size_t)(p->grad - vt_store_grads(v->store));
        for (size_t j = 0; j < vt_numel(p); j++)
            if (is == match)
                worst = fmax(worst, fabs(a[off + j] - b[off + j]) / (fabs(b[off + j]) + 1e-3));
    }
    return worst;
}

Test(dreg, equals_stl_at_k1_and_iwae_for_the_decoder) {
    enum { R = 8 };
    vt_vae v;
    vt_vae_config cfg = tiny(1, VT_POSTERIOR_DIAG);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 3);
    size_t n = vt_store_numel(v.store);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_IWAE;
    o.k = 1;
    o.grad = VT_GRAD_DREG;
    grads(&v, x, R, o, a);
    o.grad = VT_GRAD_STL;
    grads(&v, x, R, o, b);
    /* K = 1: every normalised weight is 1, so DReG is STL (same noise: same seed, step) */
    cr_assert(max_diff(&v, a, b, "", 1) < 1e-5, "DReG vs STL at K = 1: %g", max_diff(&v, a, b, "", 1));
    o.k = 6;
    o.grad = VT_GRAD_DREG;
    grads(&v, x, R, o, a);
    o.grad = VT_GRAD_REPARAM;
    grads(&v, x, R, o, b);
    /* the model's gradient Σ w̃ ∇θ log w is the IWAE one; the encoder's differs */
    cr_assert(max_diff(&v, a, b, "dec", 1) < 1e-4, "decoder: %g", max_diff(&v, a, b, "dec", 1));
    cr_assert(max_diff(&v, a, b, "enc", 1) > 1e-2, "encoder: %g", max_diff(&v, a, b, "enc", 1));
    free(a);
    free(b);
    free(x);
    vt_vae_free(&v);
}

/* Mean over rows of the bound, and the per-row values. */
static double bound(vt_vae *v, const float *x, int R, vt_estimator e, int k, float *rows,
                    vt_elbo_terms *terms) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = (uint64_t)(17 + k + 100 * e)});
    vt_set_grad_enabled(ctx, 0);
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, v, vt_from_data(ctx, 2, (int[]){R, v->cfg.x_dim}, x), NULL, &o,
                             &t), 0, "%s", vt_ctx_error(ctx));
    if (rows) memcpy(rows, t.elbo_rows, (size_t)R * sizeof(float));
    if (terms) *terms = t;
    double e_ = t.elbo;
    vt_ctx_free(ctx);
    return e_;
}

/* mean(b − a) over rows, in units of its standard error */
static double z_score(const float *a, const float *b, int n) {
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += (double)b[i] - a[i];
    m /= n;
    for (int i = 0; i < n; i++) s += ((double)b[i] - a[i] - m) * ((double)b[i] - a[i] - m);
    return m / sqrt(s / (n - 1) / n);
}

static void iwae_increases(vt_vae_config cfg) {
    enum { R = 400 };
    vt_vae v;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0, "%s", err.msg);
    float *x = binary_data(R, 20, 5), r1[R], r4[R], r32[R];
    double l1 = bound(&v, x, R, VT_EST_GENERIC, 1, r1, NULL);
    double l4 = bound(&v, x, R, VT_EST_IWAE, 4, r4, NULL);
    double l32 = bound(&v, x, R, VT_EST_IWAE, 32, r32, NULL);
    /* E L_1 ≤ E L_4 ≤ E L_32 (Burda et al.); the untrained posterior is far from the true
     * one, so the gaps are many standard errors wide */
    cr_assert(z_score(r1, r4, R) > 4 && z_score(r4, r32, R) > 4,
              "ELBO %.3f, IWAE4 %.3f, IWAE32 %.3f (z %.1f, %.1f)", l1, l4, l32, z_score(r1, r4, R),
              z_score(r4, r32, R));
    free(x);
    vt_vae_free(&v);
}

Test(iwae, increases_with_k_hvae) { iwae_increases(tiny(2, VT_POSTERIOR_DIAG)); }
Test(iwae, increases_with_k_planar) { iwae_increases(tiny(1, VT_POSTERIOR_PLANAR)); }
Test(iwae, increases_with_k_iaf) { iwae_increases(tiny(1, VT_POSTERIOR_IAF)); }

Test(hvae, per_site_kl_and_estimators_agree_in_expectation) {
    enum { R = 6, K = 4000 };
    vt_vae v;
    vt_vae_config cfg = tiny(2, VT_POSTERIOR_DIAG);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_test_randomize_store(v.store, 0.3f, 5);   /* q(z2 | z1) starts at N(0, I) */
    float *x = binary_data(R, 20, 8), ra[R], rg[R];
    vt_elbo_terms ta, tg;
    double a = bound(&v, x, R, VT_EST_ANALYTIC, K, ra, &ta);
    double g = bound(&v, x, R, VT_EST_GENERIC, K, rg, &tg);
    cr_assert_eq(ta.n_sites, 2);
    cr_assert_str_eq(ta.site_kl[0].name, "z1");
    cr_assert_str_eq(ta.site_kl[1].name, "z2");
    cr_assert_float_eq(ta.site_kl[0].kl + ta.site_kl[1].kl, ta.kl, 1e-4 * fabs(ta.kl) + 1e-6);
    cr_assert(ta.site_kl[1].kl > 0, "KL(q(z2|z1) ‖ N(0, I)) in closed form is positive");
    /* both are unbiased for the same ELBO; K = 4000 samples per datapoint make the MC
     * error of the mean ~0.05 nats here */
    cr_assert(fabs(a - g) < 0.25, "analytic %.4f vs generic %.4f", a, g);
    free(x);
    vt_vae_free(&v);
}

static double loss_with(vt_vae *v, const float *x, int R, vt_elbo_opts o, vt_elbo_terms *t) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 2});
    int rc = vt_vae_loss(ctx, v, vt_from_data(ctx, 2, (int[]){R, v->cfg.x_dim}, x), NULL, &o, t);
    cr_assert_eq(rc, 0, "%s", vt_ctx_error(ctx));
    double l = t->loss->data[0];
    vt_ctx_free(ctx);
    return l;
}

Test(hvae, free_bits_per_site_and_group_and_beta) {
    enum { R = 5 };
    vt_vae v;
    vt_vae_config cfg = tiny(2, VT_POSTERIOR_DIAG);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 6);
    vt_elbo_opts o = vt_elbo_defaults();
    vt_elbo_terms t;
    o.free_bits = 50.0f;   /* far above every KL: each group sits at the floor */
    double l = loss_with(&v, x, R, o, &t);
    /* z2 (normal ‖ N(0, I)): one group per dimension, 2 of them; z1 (normal ‖ normal):
     * the site is one group. Loss = rec + 3λ. */
    cr_assert_float_eq(l, t.rec + 3 * 50.0, 1e-3);
    o.fb_groups = 1;
    l = loss_with(&v, x, R, o, &t);
    cr_assert_float_eq(l, t.rec + 2 * 50.0, 1e-3);
    o.fb_groups = 0;
    o.free_bits = 0;
    o.beta = 0;
    l = loss_with(&v, x, R, o, &t);
    cr_assert_float_eq(l, t.rec, 1e-4);
    free(x);
    vt_vae_free(&v);
}

Test(flows, analytic_estimator_refuses_a_flow_posterior) {
    vt_vae v;
    vt_vae_config cfg = tiny(1, VT_POSTERIOR_IAF);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(2, 20, 1);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, &v, vt_from_data(ctx, 2, (int[]){2, 20}, x), NULL, NULL, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "analytic KL does not apply to a flow posterior; "
                                                 "use generic, iwae or base-kl"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    free(x);
    vt_vae_free(&v);
}

/* ---- trace misuse ---- */
static int twice_guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_trace_sample(ctx, tr, "a", vt_std_normal(ctx, vt_rows(x), 2));
    vt_trace_sample(ctx, tr, "a", vt_std_normal(ctx, vt_rows(x), 2));
    return 0;
}
static int one_guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_trace_sample(ctx, tr, "a", vt_std_normal(ctx, vt_rows(x), 2));
    return 0;
}
static vt_dist *wrong_model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    vt_tensor *z = vt_trace_latent(ctx, tr, "b", vt_std_normal(ctx, vt_trace_rows(tr), 2));
    return vt_bernoulli_logits(ctx, z);
}

Test(trace, reports_misuse) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_zeros(ctx, 2, (int[]){3, 2});
    vt_elbo_terms t;
    vt_model twice = {twice_guide, wrong_model, NULL}, unknown = {one_guide, wrong_model, NULL};
    cr_assert_eq(vt_model_elbo(ctx, &twice, x, NULL, NULL, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "site a drawn twice"), "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    x = vt_zeros(ctx, 2, (int[]){3, 2});
    cr_assert_eq(vt_model_elbo(ctx, &unknown, x, NULL, NULL, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "site b was not drawn by the guide"), "%s",
                       vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

/* ---- the top-down (ladder) guide of the two-level model ---- */
static vt_vae_config tiny_top_down(void) {
    vt_vae_config c = tiny(2, VT_POSTERIOR_DIAG);
    c.inference = VT_HVAE_TOP_DOWN;
    return c;
}

Test(iwae, increases_with_k_hvae_top_down) { iwae_increases(tiny_top_down()); }

/* q(z1 | x, z2) = N(μ_p + μ̂, (σ_p σ̂)²): recomputed here from the networks' outputs
 * (z2 at q(z2 | x)'s mean, as vt_vae_encode_mean takes it). */
Test(hvae_top_down, posterior_is_the_prior_corrected_by_x) {
    enum { R = 7 };
    vt_vae v;
    vt_vae_config cfg = tiny_top_down();
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 12);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *xt = vt_from_data(ctx, 2, (int[]){R, 20}, x);
    vt_tensor *mean = vt_vae_encode_mean(ctx, &v, xt, NULL);
    vt_dist *up = v.model.posterior(ctx, &v.model, xt, NULL);
    vt_tensor *o2 = vt_mlp_forward(ctx, &v.enc2.mlp, vt_concat_cols(ctx, up->p[0], up->p[1]));
    vt_tensor *o1 = vt_mlp_forward(ctx, &v.prior1.mlp, vt_slice_cols(ctx, o2, 0, cfg.latent2));
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    int Z = cfg.latent;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < Z; j++) {
            double mh = up->p[0]->data[r * Z + j], mp = o1->data[r * 2 * Z + j];
            double want = mp + mh;
            cr_assert(fabs(mean->data[r * Z + j] - want) < 1e-5 * (1 + fabs(want)),
                      "row %d dim %d: %g, want %g", r, j, mean->data[r * Z + j], want);
        }
    vt_ctx_free(ctx);
    free(x);
    vt_vae_free(&v);
}

/* Both layers' KLs are closed-form given the guide's z2: the analytic estimator agrees
 * with the generic one in expectation, per site, and its KL per site is >= 0. */
Test(hvae_top_down, analytic_and_generic_agree_per_site) {
    enum { R = 6, K = 4000 };
    vt_vae v;
    vt_vae_config cfg = tiny_top_down();
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 8), ra[R], rg[R];
    vt_elbo_terms ta, tg;
    double a = bound(&v, x, R, VT_EST_ANALYTIC, K, ra, &ta);
    double g = bound(&v, x, R, VT_EST_GENERIC, K, rg, &tg);
    cr_assert_eq(ta.n_sites, 2);
    cr_assert_str_eq(ta.site_kl[0].name, "z2", "top-down draws z2 first");
    cr_assert_str_eq(ta.site_kl[1].name, "z1");
    for (int s = 0; s < 2; s++) {
        cr_assert(ta.site_kl[s].kl > 0, "closed-form KL of %s: %g", ta.site_kl[s].name, ta.site_kl[s].kl);
        /* K = 4000 draws: the Monte-Carlo error of each site's mean is ~0.03 nats */
        cr_assert(fabs(ta.site_kl[s].kl - tg.site_kl[s].kl) < 0.2, "%s: analytic %.4f generic %.4f",
                  ta.site_kl[s].name, ta.site_kl[s].kl, tg.site_kl[s].kl);
    }
    cr_assert(fabs(a - g) < 0.25, "analytic %.4f vs generic %.4f", a, g);
    free(x);
    vt_vae_free(&v);
}

/* ---- base-kl: closed-form KL of a flow's base plus a sampled correction ---- */

/* Unbiased: with many draws per datapoint it agrees with the generic estimator (whose
 * per-site term is the whole sampled log ratio), per site, for both flows; and for a
 * posterior that is not a flow it is the analytic estimator, value for value. */
Test(base_kl, agrees_with_generic_for_flows_and_is_analytic_otherwise) {
    enum { R = 6, K = 4000 };
    vt_posterior_kind flows[] = {VT_POSTERIOR_IAF, VT_POSTERIOR_PLANAR};
    for (int f = 0; f < 2; f++) {
        vt_vae v;
        vt_vae_config cfg = tiny(1, flows[f]);
        cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
        float *x = binary_data(R, 20, 8), rb[R], rg[R];
        vt_elbo_terms tb, tg;
        double b = bound(&v, x, R, VT_EST_BASE_KL, K, rb, &tb);
        double g = bound(&v, x, R, VT_EST_GENERIC, K, rg, &tg);
        /* K = 4000 draws: the Monte-Carlo error of the generic mean is ~0.05 nats here */
        cr_assert(fabs(b - g) < 0.25 && fabs(tb.kl - tg.kl) < 0.25,
                  "posterior %d: base-kl %.4f (KL %.4f) vs generic %.4f (KL %.4f)", f, b, tb.kl, g, tg.kl);
        free(x);
        vt_vae_free(&v);
    }
    vt_vae v;
    vt_vae_config cfg = tiny(2, VT_POSTERIOR_DIAG);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 3), ra[R], rb[R];
    vt_elbo_terms ta, tb;
    vt_ctx *c1 = vt_ctx_new(&(vt_ctx_opts){.seed = 5}), *c2 = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
    vt_elbo_opts o = vt_elbo_defaults();
    cr_assert_eq(vt_vae_loss(c1, &v, vt_from_data(c1, 2, (int[]){R, 20}, x), NULL, &o, &ta), 0);
    o.estimator = VT_EST_BASE_KL;
    cr_assert_eq(vt_vae_loss(c2, &v, vt_from_data(c2, 2, (int[]){R, 20}, x), NULL, &o, &tb), 0);
    memcpy(ra, ta.elbo_rows, sizeof ra);
    memcpy(rb, tb.elbo_rows, sizeof rb);
    for (int r = 0; r < R; r++) cr_assert_eq(ra[r], rb[r], "row %d: analytic %g base-kl %g", r, ra[r], rb[r]);
    vt_ctx_free(c1);
    vt_ctx_free(c2);
    free(x);
    vt_vae_free(&v);
}

/* The point of it: for a posterior that has moved away from the prior, as a trained
 * one has (here the encoder's output layer is set to μ ≈ 2, σ ≈ e^−2 for every x), the
 * one-sample KL term of an IAF posterior varies far less from draw to draw than the
 * generic estimator's: the base's part, which carries most of it, is in closed form.
 * Spread over 200 seeds of the batch-mean KL, one draw each. */
Test(base_kl, lower_variance_than_generic_for_a_flow) {
    enum { R = 8, SEEDS = 200 };
    vt_vae v;
    vt_vae_config cfg = tiny(1, VT_POSTERIOR_IAF);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_linear_layer *out = &v.enc.layer[v.enc.n_layers - 1];
    for (size_t i = 0; i < vt_numel(out->w); i++) out->w->data[i] *= 0.1f;
    for (int j = 0; j < 2 * cfg.latent; j++) out->b->data[j] = j < cfg.latent ? 2.0f : -2.0f;
    float *x = binary_data(R, 20, 4);
    double sd[2];
    vt_estimator e[2] = {VT_EST_BASE_KL, VT_EST_GENERIC};
    for (int i = 0; i < 2; i++) {
        double m = 0, m2 = 0;
        for (int s = 0; s < SEEDS; s++) {
            vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = (uint64_t)(1000 + s)});
            vt_elbo_opts o = vt_elbo_defaults();
            o.estimator = e[i];
            vt_elbo_terms t;
            cr_assert_eq(vt_vae_loss(ctx, &v, vt_from_data(ctx, 2, (int[]){R, 20}, x), NULL, &o, &t), 0,
                         "%s", vt_ctx_error(ctx));
            m += t.kl;
            m2 += t.kl * t.kl;
            vt_ctx_free(ctx);
        }
        m /= SEEDS;
        sd[i] = sqrt(m2 / SEEDS - m * m);
    }
    cr_log_info("KL spread: base-kl %.4f, generic %.4f", sd[0], sd[1]);
    cr_assert(sd[0] < 0.5 * sd[1] && sd[1] > 0, "KL spread: base-kl %.4f, generic %.4f", sd[0], sd[1]);
    free(x);
    vt_vae_free(&v);
}

/* The bottom-up HVAE starts as the plain VAE: p(z1 | z2) and q(z2 | z1) are N(0, I)
 * whatever z1, z2 are, so the top layer's closed-form KL is exactly zero at init. */
Test(hvae, bottom_up_starts_with_a_free_top_layer) {
    enum { R = 5 };
    vt_vae v;
    vt_vae_config cfg = tiny(2, VT_POSTERIOR_DIAG);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float *x = binary_data(R, 20, 2);
    vt_elbo_terms t;
    bound(&v, x, R, VT_EST_ANALYTIC, 3, NULL, &t);
    cr_assert_str_eq(t.site_kl[1].name, "z2");
    cr_assert_eq(t.site_kl[1].kl, 0.0, "KL of z2 at init: %g", t.site_kl[1].kl);
    free(x);
    vt_vae_free(&v);
}
