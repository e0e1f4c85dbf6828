/* STL and DReG on a guide of two sites whose second factor depends on the first:
 *
 *   model  z1 ~ N(0, I),  z2 | z1 ~ N(z1, I),  x | z2 ~ N(z2 A + b, I)
 *   guide  q(z1 | x) = N(x W1 + c1, e^{2 ls1}),  q(z2 | z1, x) = N(z1 U + x V + c2, e^{2 ls2})
 *
 * With A = I, b = 0 the exact posterior is in the family (per dimension p(z1 | x) =
 * N(x/3, 2/3), p(z2 | z1, x) = N((z1 + x)/2, 1/2)), so:
 *   - at the exact posterior log w = log p(x) for every sample: STL's and DReG's guide
 *     gradients vanish sample by sample, which needs the path through q(z2 | z1)'s
 *     parameters into z1 (detaching those parameters leaves a nonzero gradient), while
 *     the reparameterized gradient does not vanish;
 *   - away from it, the mean over 4000 noise draws of STL − reparam (ELBO) and of DReG −
 *     reparam (IWAE) is zero within 4.5 standard errors for every guide parameter
 *     (paired draws: both runs of a draw see the same noise);
 *   - with the same noise, the guide's gradients equal the formula written out by hand
 *     (weights w̃² for DReG, 1/K for STL; catches a path weighted twice);
 *   - the model's gradient (A, b) is the finite difference of the bound's value (STL:
 *     the ELBO estimate, DReG: the IWAE bound; same noise, gradcheck defaults);
 *   - the hierarchical VAE trains under both (every encoder parameter gets a gradient). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 4, D = 2, N_GUIDE_VALUES = 3 * D * D + 4 * D };   /* W1, U, V; c1, ls1, c2, ls2 */

typedef struct {
    vt_store *store;
    vt_tensor *A, *b, *W1, *c1, *ls1, *U, *V, *c2, *ls2;
    vt_tensor zero;   /* 1 x D of zeros: unit σ */
    float zeros[D];
} hier;

static int guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    hier *h = m->self;
    vt_tensor *z1 = vt_trace_sample(ctx, tr, "z1", vt_normal(ctx, vt_linear(ctx, x, h->W1, h->c1), h->ls1));
    vt_tensor *mu2 = vt_add(ctx, vt_linear(ctx, z1, h->U, h->c2),
                            vt_matmul(ctx, vt_trace_expand(ctx, tr, x), h->V));
    vt_trace_sample(ctx, tr, "z2", vt_normal(ctx, mu2, h->ls2));
    return vt_ctx_error(ctx) ? -1 : 0;
}

static vt_dist *model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    hier *h = m->self;
    vt_tensor *z1 = vt_trace_latent(ctx, tr, "z1", vt_std_normal(ctx, vt_trace_rows(tr), D));
    vt_tensor *z2 = vt_trace_latent(ctx, tr, "z2", vt_normal(ctx, z1, &h->zero));
    return vt_normal(ctx, vt_linear(ctx, z2, h->A, h->b), &h->zero);
}

static vt_tensor *param(hier *h, const char *name, int rows, float diag, float fill) {
    vt_tensor *t = vt_store_param(h->store, name, 2, (int[]){rows, D}, NULL);
    cr_assert_not_null(t);
    for (int i = 0; i < rows * D; i++) t->data[i] = rows == D && i % (D + 1) == 0 ? diag : fill;
    return t;
}

/* The exact posterior's guide, moved by `off` (0: exact). */
static void hier_init(hier *h, float off) {
    memset(h, 0, sizeof *h);
    h->store = vt_store_new();
    h->A = param(h, "dec.A", D, 1, 0);
    h->b = param(h, "dec.b", 1, 0, 0);
    h->W1 = param(h, "enc.W1", D, 1.0f / 3 + off, 0.5f * off);
    h->c1 = param(h, "enc.c1", 1, 0, off);
    h->ls1 = param(h, "enc.ls1", 1, 0, 0.5f * logf(2.0f / 3) - off);
    h->U = param(h, "enc.U", D, 0.5f - off, -0.5f * off);
    h->V = param(h, "enc.V", D, 0.5f + off, 0);
    h->c2 = param(h, "enc.c2", 1, 0, -off);
    h->ls2 = param(h, "enc.ls2", 1, 0, 0.5f * logf(0.5f) + off);
    h->zero = (vt_tensor){.data = h->zeros, .ndim = 2, .shape = {1, D}};
}

static vt_elbo_opts opts(vt_estimator e, int k, vt_grad_estimator g) {
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = e;
    o.k = k;
    o.grad = g;
    return o;
}

static float xs[R * D];

/* One step on ctx (reset first, so the noise step advances): gradients in the store. */
static void step(vt_ctx *ctx, hier *h, vt_elbo_opts o) {
    vt_ctx_reset(ctx);
    vt_store_zero_grad(h->store);
    vt_model m = {guide, model, h};
    vt_elbo_terms t;
    cr_assert_eq(vt_model_elbo(ctx, &m, vt_from_data(ctx, 2, (int[]){R, D}, xs), NULL, &o, &t), 0,
                 "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0, "%s", vt_ctx_error(ctx));
}

/* Largest |gradient| over the guide's parameters after one step. */
static double guide_grad(hier *h, vt_elbo_opts o) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
    step(ctx, h, o);
    double w = 0;
    for (int i = 2; i < vt_store_count(h->store); i++) {
        vt_tensor *p = vt_store_get(h->store, i);
        for (size_t j = 0; j < vt_numel(p); j++) w = fmax(w, fabs(p->grad[j]));
    }
    vt_ctx_free(ctx);
    return w;
}

Test(stl_sites, path_gradients_vanish_at_the_exact_hierarchical_posterior) {
    vt_test_fill_normal(xs, R * D, 1.5f, 31);
    hier h;
    hier_init(&h, 0);
    /* each of log w's terms is O(1); at the optimum their derivatives cancel to float
     * rounding (~1e-6), while the dropped score terms are O(1) per sample */
    double stl = guide_grad(&h, opts(VT_EST_GENERIC, 3, VT_GRAD_STL));
    double dreg = guide_grad(&h, opts(VT_EST_IWAE, 3, VT_GRAD_DREG));
    double stl_iw = guide_grad(&h, opts(VT_EST_MIWAE, 2, VT_GRAD_STL));
    double total = guide_grad(&h, opts(VT_EST_GENERIC, 3, VT_GRAD_REPARAM));
    cr_assert(stl < 1e-4 && dreg < 1e-4 && stl_iw < 1e-4, "STL %g, DReG %g, STL-MIWAE %g", stl,
              dreg, stl_iw);
    cr_assert(total > 1e-2, "reparameterized %g", total);
    vt_store_free(h.store);
}

/* Largest |mean(a − b)| / se over the guide's parameters, from n paired draws: a and b
 * run on two contexts of the same seed, reset together, so each draw has one noise. */
static double worst_z(hier *h, vt_elbo_opts a, vt_elbo_opts b, int n) {
    enum { P = 64 };
    double s[P] = {0}, s2[P] = {0}, ga[P];
    vt_ctx *ca = vt_ctx_new(&(vt_ctx_opts){.seed = 8}), *cb = vt_ctx_new(&(vt_ctx_opts){.seed = 8});
    for (int t = 0; t < n; t++) {
        int k = 0;
        step(ca, h, a);
        for (int i = 2; i < vt_store_count(h->store); i++)
            for (size_t j = 0; j < vt_numel(vt_store_get(h->store, i)); j++)
                ga[k++] = vt_store_get(h->store, i)->grad[j];
        step(cb, h, b);
        k = 0;
        for (int i = 2; i < vt_store_count(h->store); i++)
            for (size_t j = 0; j < vt_numel(vt_store_get(h->store, i)); j++, k++) {
                double d = ga[k] - vt_store_get(h->store, i)->grad[j];
                s[k] += d, s2[k] += d * d;
            }
    }
    double w = 0;
    for (int k = 0; k < N_GUIDE_VALUES; k++) {
        double m = s[k] / n, var = (s2[k] / n - m * m) * n / (n - 1);
        w = fmax(w, fabs(m) / sqrt(var / n + 1e-30));
    }
    vt_ctx_free(ca);
    vt_ctx_free(cb);
    return w;
}

Test(stl_sites, expectations_match_the_reparameterized_gradients) {
    enum { N = 4000 };
    vt_test_fill_normal(xs, R * D, 1.5f, 31);
    hier h;
    hier_init(&h, 0.3f);
    vt_elbo_opts elbo = opts(VT_EST_GENERIC, 1, VT_GRAD_REPARAM), iwae = opts(VT_EST_IWAE, 4, VT_GRAD_REPARAM);
    double stl = worst_z(&h, opts(VT_EST_GENERIC, 1, VT_GRAD_STL), elbo, N);
    double dreg = worst_z(&h, opts(VT_EST_IWAE, 4, VT_GRAD_DREG), iwae, N);
    double stl_iw = worst_z(&h, opts(VT_EST_IWAE, 4, VT_GRAD_STL), iwae, N);
    /* 20 parameters at 4.5 standard errors: a false alarm has probability ~1e-4 (and the
     * draws are fixed, so it is the same every run) */
    cr_assert(stl < 4.5 && dreg < 4.5, "STL vs reparam %.2f, DReG vs IWAE %.2f standard errors",
              stl, dreg);
    /* the comparison sees a bias: STL applied to IWAE is biased (Tucker et al. 2019) */
    cr_assert(stl_iw > 10, "STL-IWAE vs IWAE only %.2f standard errors", stl_iw);
    vt_store_free(h.store);
}

/* ---- the estimators against the formula, written out here with the same noise: the
 * guide's gradient is −(1/R) Σ_k c_k ∂ log w_k/∂z_k · dz_k/dφ, ∂/∂z at fixed φ (log q
 * with the weights detached, through z), c_k = w̃_k² for DReG and 1/K for STL ---- */
static vt_tensor *dt(vt_ctx *ctx, vt_tensor *t) { return vt_detach(ctx, t); }

static void by_hand(hier *h, int K, int dreg, float *g) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
    vt_store_zero_grad(h->store);
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){R, D}, xs), *xe = vt_repeat_rows(ctx, x, K);
    vt_tensor *e1 = vt_randn(ctx, K * R, D), *e2 = vt_randn(ctx, K * R, D);   /* z1's, z2's */
    vt_tensor *z1 = vt_reparam_diag(ctx, vt_linear(ctx, x, h->W1, h->c1),
                                    vt_repeat_rows(ctx, h->ls1, R), e1);
    vt_tensor *mu2 = vt_add(ctx, vt_linear(ctx, z1, h->U, h->c2), vt_matmul(ctx, xe, h->V));
    vt_tensor *z2 = vt_reparam_diag(ctx, mu2, vt_repeat_rows(ctx, h->ls2, K * R), e2);
    vt_tensor *lq = vt_add(ctx,
        vt_normal_logprob_rows(ctx, z1, vt_linear(ctx, x, dt(ctx, h->W1), dt(ctx, h->c1)), dt(ctx, h->ls1)),
        vt_normal_logprob_rows(ctx, z2, vt_add(ctx, vt_linear(ctx, z1, dt(ctx, h->U), dt(ctx, h->c2)),
                                               vt_matmul(ctx, xe, dt(ctx, h->V))), dt(ctx, h->ls2)));
    vt_tensor *lp = vt_add(ctx, vt_add(ctx, vt_std_normal_logprob_rows(ctx, z1),
                                       vt_normal_logprob_rows(ctx, z2, z1, &h->zero)),
                           vt_normal_logprob_rows(ctx, xe, vt_linear(ctx, z2, h->A, h->b), &h->zero));
    vt_tensor *lw = vt_sub(ctx, lp, lq), *c = vt_mat(ctx, K * R, 1);
    for (int r = 0; r < R; r++) {   /* normalised weights of datapoint r's K samples */
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < K; k++) mx = fmax(mx, lw->data[k * R + r]);
        for (int k = 0; k < K; k++) sum += exp(lw->data[k * R + r] - mx);
        for (int k = 0; k < K; k++) {
            double w = exp(lw->data[k * R + r] - mx) / sum;
            c->data[k * R + r] = dreg ? (float)(w * w) : 1.0f / (float)K;
        }
    }
    vt_tensor *loss = vt_scale(ctx, vt_sum(ctx, vt_mul(ctx, lw, c)), -1.0f / R);
    cr_assert_eq(vt_backward(ctx, loss, NULL), 0, "%s", vt_ctx_error(ctx));
    memcpy(g, vt_store_grads(h->store), vt_store_numel(h->store) * sizeof(float));
    vt_ctx_free(ctx);
}

Test(stl_sites, guide_gradients_equal_the_formula_with_the_same_noise) {
    vt_test_fill_normal(xs, R * D, 1.5f, 31);
    hier h;
    hier_init(&h, 0.3f);
    size_t n = vt_store_numel(h.store);
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    for (int dreg = 0; dreg <= 1; dreg++) {
        by_hand(&h, 4, dreg, want);
        vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
        vt_ctx_set_step(ctx, vt_ctx_step(ctx) - 1);   /* step() resets first: the same noise */
        step(ctx, &h, dreg ? opts(VT_EST_IWAE, 4, VT_GRAD_DREG) : opts(VT_EST_GENERIC, 4, VT_GRAD_STL));
        memcpy(got, vt_store_grads(h.store), n * sizeof *got);
        vt_ctx_free(ctx);
        for (int i = 2; i < vt_store_count(h.store); i++) {   /* the guide's parameters */
            vt_tensor *p = vt_store_get(h.store, i);
            size_t off = (size_t)(p->grad - vt_store_grads(h.store));
            for (size_t j = 0; j < vt_numel(p); j++)   /* float sums in another order */
                cr_assert(fabs(got[off + j] - want[off + j]) <= 1e-5 + 1e-4 * fabs(want[off + j]),
                          "%s %s[%zu]: %g, by hand %g", dreg ? "DReG" : "STL", p->name, j,
                          got[off + j], want[off + j]);
        }
    }
    free(want), free(got);
    vt_store_free(h.store);
}

/* ---- gradchecks of the model's side: y = the loss moved by a constant so that its value
 * is minus the bound (the ELBO estimate for STL, the IWAE bound for DReG) ---- */
typedef struct { hier *h; vt_elbo_opts o; } check_case;

static vt_tensor *bound_loss(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    check_case *c = user;
    vt_model m = {guide, model, c->h};
    vt_elbo_terms t;
    if (vt_model_elbo(ctx, &m, vt_from_data(ctx, 2, (int[]){R, D}, xs), NULL, &c->o, &t) != 0)
        return vt_fail(ctx, "loss failed");
    return vt_add_scalar(ctx, t.loss, (float)(-t.elbo - t.loss->data[0]));
}

static void gradcheck_model(vt_elbo_opts o) {
    hier h;
    hier_init(&h, 0.3f);
    h.A->data[1] = 0.4f, h.b->data[0] = -0.2f;   /* away from the model's optimum too */
    check_case c = {&h, o};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 6});
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, bound_loss, 2, (vt_tensor *[]){h.A, h.b}, &c, NULL, &rep);
    cr_assert(rep.ok, "input %d[%zu]: numeric %g analytic %g %s", rep.worst_input, rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.error);
    vt_ctx_free(ctx);
    vt_store_free(h.store);
}

Test(gradcheck_stl_sites, model_gradient_under_stl_is_that_of_the_elbo) {
    vt_test_fill_normal(xs, R * D, 1.5f, 31);
    gradcheck_model(opts(VT_EST_GENERIC, 2, VT_GRAD_STL));
}
Test(gradcheck_stl_sites, model_gradient_under_dreg_is_that_of_iwae) {
    vt_test_fill_normal(xs, R * D, 1.5f, 31);
    gradcheck_model(opts(VT_EST_IWAE, 3, VT_GRAD_DREG));
}

/* The two-level VAE under STL and DReG: every parameter of both encoders is reached. */
Test(stl_sites, hierarchical_vae_trains_under_both) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 12, cfg.n_hidden = 1, cfg.hidden[0] = 8, cfg.latent = 3, cfg.latent2 = 2;
    cfg.levels = 2, cfg.act = VT_ACT_TANH;
    vt_vae v;
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    vt_test_randomize_store(v.store, 0.3f, 9);   /* the top layer's nets start at zero */
    float x[R * 12];
    vt_test_fill_uniform(x, R * 12, 0, 1, 2);
    for (int i = 0; i < R * 12; i++) x[i] = x[i] > 0.5f;
    for (int g = VT_GRAD_STL; g <= VT_GRAD_DREG; g++) {
        vt_ctx *ctx = vt_ctx_new(NULL);
        vt_store_zero_grad(v.store);
        vt_elbo_opts o = opts(g == VT_GRAD_STL ? VT_EST_GENERIC : VT_EST_IWAE, 3, (vt_grad_estimator)g);
        vt_elbo_terms t;
        cr_assert_eq(vt_vae_loss(ctx, &v, vt_from_data(ctx, 2, (int[]){R, 12}, x), NULL, &o, &t), 0,
                     "%s", vt_ctx_error(ctx));
        cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0, "%s", vt_ctx_error(ctx));
        for (int i = 0; i < vt_store_count(v.store); i++) {
            vt_tensor *p = vt_store_get(v.store, i);
            double s = 0;
            for (size_t j = 0; j < vt_numel(p); j++) s += fabs(p->grad[j]);
            cr_assert(s > 0, "%s: %s receives no gradient", vt_grad_estimator_name(o.grad), p->name);
        }
        vt_ctx_free(ctx);
    }
    vt_vae_free(&v);
}
