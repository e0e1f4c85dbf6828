/* PIWAE against its definition: from the same M·K samples, the model's parameters get
 * the IWAE gradient of all M·K samples and the guide's the MIWAE gradient of M groups
 * of K.
 *   - gradients equal those of separate IWAE (k = M·K) and MIWAE (k = K, m = M) runs
 *     drawing the same noise (same seed and step), for a one-level VAE with a learned
 *     Gaussian likelihood σ (a model parameter used directly by the likelihood), the
 *     two-level HVAE, and with DReG on the guide's side;
 *   - gradchecks: the model's gradient is the finite difference of the IWAE value and
 *     the guide's that of the MIWAE value (same noise), default tolerances.
 * Parameters are split by name: "enc…" are the guide's, the rest the model's. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 5, D = 8, MAX_PARAMS = 64 };

static vt_vae_config small(int levels, vt_lik_kind lik) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = D;
    c.n_hidden = 1;
    c.hidden[0] = 6;
    c.latent = 3;
    c.latent2 = 2;
    c.levels = levels;
    c.likelihood = lik;
    c.act = VT_ACT_TANH;
    c.seed = 7;
    return c;
}

static void data(float *x, int binary) {
    vt_test_fill_uniform(x, R * D, 0, 1, 12);
    if (binary)
        for (int i = 0; i < R * D; i++) x[i] = x[i] > 0.5f;
}

static int is_guide(const vt_tensor *p) { return strncmp(p->name, "enc", 3) == 0; }

/* All gradients under `o` at step 0 of seed 4, into g (store order). */
static void grads(vt_vae *v, const float *x, vt_elbo_opts o, float *g, double *elbo) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_store_zero_grad(v->store);
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, v, vt_from_data(ctx, 2, (int[]){R, D}, x), NULL, &o, &t), 0,
                 "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0, "%s", vt_ctx_error(ctx));
    memcpy(g, vt_store_grads(v->store), vt_store_numel(v->store) * sizeof(float));
    if (elbo) *elbo = t.elbo;
    vt_ctx_free(ctx);
}

/* Worst relative difference over the guide's (guide = 1) or the model's parameters;
 * a and b are copies of the store's gradient block (parameters sit at aligned offsets). */
static double worst(vt_vae *v, const float *a, const float *b, int guide) {
    double w = 0;
    for (int i = 0; i < vt_store_count(v->store); i++) {
        vt_tensor *p = vt_store_get(v->store, i);
        size_t off = (size_t)(p->grad - vt_store_grads(v->store));
        for (size_t j = 0; j < vt_numel(p); j++)
            if (is_guide(p) == guide)
                w = fmax(w, fabs(a[off + j] - b[off + j]) / (fabs(b[off + j]) + 1e-3));
    }
    return w;
}

static vt_elbo_opts opts(vt_estimator e, int k, int m, vt_grad_estimator g) {
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    o.miwae_m = m;
    o.grad = g;
    return o;
}

static void matches_iwae_and_miwae(vt_vae_config cfg, vt_grad_estimator guide_grad) {
    enum { K = 3, M = 2 };
    vt_vae v;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0, "%s", err.msg);
    float x[R * D];
    data(x, cfg.likelihood == VT_LIK_BERNOULLI);
    size_t n = vt_store_numel(v.store);
    float *p = malloc(n * sizeof *p), *iw = malloc(n * sizeof *iw), *mi = malloc(n * sizeof *mi);
    double e_p, e_iw;
    grads(&v, x, opts(VT_EST_PIWAE, K, M, guide_grad), p, &e_p);
    grads(&v, x, opts(VT_EST_IWAE, K * M, 1, VT_GRAD_REPARAM), iw, &e_iw);
    grads(&v, x, opts(VT_EST_MIWAE, K, M, guide_grad), mi, NULL);
    /* the same noise gives the same samples, so the three differ only by float rounding
     * of the same sums (~1e-6 relative; 1e-4 leaves room for the 1e-3 floor) */
    cr_assert_float_eq(e_p, e_iw, 1e-5 * fabs(e_iw), "reported bound is IWAE of M·K samples");
    cr_assert(worst(&v, p, iw, 0) < 1e-4, "model vs IWAE: %g", worst(&v, p, iw, 0));
    cr_assert(worst(&v, p, mi, 1) < 1e-4, "guide vs MIWAE: %g", worst(&v, p, mi, 1));
    /* and they are not the other way round: the two gradients differ here */
    cr_assert(worst(&v, p, mi, 0) > 1e-3, "model vs MIWAE: %g", worst(&v, p, mi, 0));
    cr_assert(worst(&v, p, iw, 1) > 1e-3, "guide vs IWAE: %g", worst(&v, p, iw, 1));
    free(p), free(iw), free(mi);
    vt_vae_free(&v);
}

Test(piwae, vae_learned_sigma_matches_iwae_and_miwae) {
    matches_iwae_and_miwae(small(1, VT_LIK_GAUSSIAN_LEARNED), VT_GRAD_REPARAM);
}
Test(piwae, hvae_matches_iwae_and_miwae) {
    matches_iwae_and_miwae(small(2, VT_LIK_BERNOULLI), VT_GRAD_REPARAM);
}
Test(piwae, dreg_guide_matches_miwae_dreg) {
    matches_iwae_and_miwae(small(1, VT_LIK_BERNOULLI), VT_GRAD_DREG);
}

/* ---- gradchecks: y = PIWAE's loss, plus for the guide's parameters the constant that
 * turns its value into −MIWAE (from a MIWAE run on a second context at the same noise
 * step), so the finite difference is of the bound each side ascends ---- */
typedef struct {
    vt_vae *v;
    const float *x;
    int guide;
    vt_ctx *side;   /* same seed as the checked context */
} check_case;

static double miwae_value(check_case *c, uint64_t step) {
    vt_ctx_reset(c->side);
    vt_ctx_set_step(c->side, step);
    vt_set_grad_enabled(c->side, 0);
    vt_elbo_opts o = opts(VT_EST_MIWAE, 3, 2, VT_GRAD_REPARAM);
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(c->side, c->v, vt_from_data(c->side, 2, (int[]){R, D}, c->x), NULL,
                             &o, &t), 0, "%s", vt_ctx_error(c->side));
    return t.elbo;
}

static vt_tensor *piwae_loss(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    check_case *c = user;
    uint64_t step = vt_ctx_step(ctx);
    vt_elbo_opts o = opts(VT_EST_PIWAE, 3, 2, VT_GRAD_REPARAM);
    vt_elbo_terms t;
    if (vt_vae_loss(ctx, c->v, vt_from_data(ctx, 2, (int[]){R, D}, c->x), NULL, &o, &t) != 0)
        return vt_fail(ctx, "piwae loss failed");
    if (!c->guide) return t.loss;   /* value −IWAE */
    return vt_add_scalar(ctx, t.loss, (float)(-miwae_value(c, step) - t.loss->data[0]));
}

static void gradcheck_side(int guide) {
    vt_vae v;
    vt_vae_config cfg = small(1, VT_LIK_BERNOULLI);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    /* the default init doubled, so every parameter matters (as test_latent_models.c) */
    for (size_t i = 0; i < vt_store_numel(v.store); i++) vt_store_values(v.store)[i] *= 2;
    float x[R * D];
    data(x, 1);
    vt_tensor *in[MAX_PARAMS];
    int n = 0;
    for (int i = 0; i < vt_store_count(v.store); i++)
        if (is_guide(vt_store_get(v.store, i)) == guide) in[n++] = vt_store_get(v.store, i);
    cr_assert(n > 0 && n <= MAX_PARAMS);
    check_case c = {&v, x, guide, vt_ctx_new(&(vt_ctx_opts){.seed = 3})};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, piwae_loss, n, in, &c, NULL, &rep);
    cr_assert(rep.ok, "%s side: %s[%zu] numeric %g analytic %g %s", guide ? "guide" : "model",
              rep.worst_input >= 0 ? in[rep.worst_input]->name : "?", rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.error);
    vt_ctx_free(ctx);
    vt_ctx_free(c.side);
    vt_vae_free(&v);
}

Test(gradcheck_piwae, model_gradient_is_that_of_iwae) { gradcheck_side(0); }
Test(gradcheck_piwae, guide_gradient_is_that_of_miwae) { gradcheck_side(1); }

Test(piwae, names_and_bad_options) {
    cr_assert_eq(vt_estimator_parse("piwae"), VT_EST_PIWAE);
    cr_assert_str_eq(vt_estimator_name(VT_EST_PIWAE), "piwae");
    vt_vae v;
    vt_vae_config cfg = small(1, VT_LIK_BERNOULLI);
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float x[R * D];
    data(x, 1);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_elbo_opts o = opts(VT_EST_PIWAE, 2, -1, VT_GRAD_REPARAM);
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, &v, vt_from_data(ctx, 2, (int[]){R, D}, x), NULL, &o, &t), -1);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "bad options"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}
