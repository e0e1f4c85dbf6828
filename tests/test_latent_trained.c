/* Flow posteriors on the linear-Gaussian model of test_trained.c (z ~ N(0, I₂),
 * x | z ~ N(zA, 0.25 I₄), decoder fixed, log p(x) exact): trained with the generic
 * estimator for the same steps, the planar and IAF posteriors' ELBOs beat the diagonal
 * one's (the true posterior has correlation ≈ −0.93, which costs any diagonal q ≈ 1
 * nat), and importance-sampled log p(x) with each family as proposal comes close to
 * the exact value. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "vtape/vtape.h"

enum { LZ = 2, LX = 4, LN = 2000, DEPTH = 4, IS_N = 200, IS_K = 2000 };
static const float A[LZ * LX] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.2f, 0.8f, 1.0f};
static const float SIGMA = 0.5f;
enum family { DIAG, PLANAR, IAF };

typedef struct {
    enum family fam;
    vt_mlp enc;
    vt_made made[DEPTH];
    vt_tensor a, logsig;
} flow_model;

static vt_dist *posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const flow_model *f = m->self;
    vt_tensor *o = vt_mlp_forward(ctx, &f->enc, x);
    vt_tensor *mu = vt_slice_cols(ctx, o, 0, LZ), *ls = vt_slice_cols(ctx, o, LZ, LZ);
    if (f->fam == PLANAR)
        return vt_planar_flow(ctx, mu, ls, vt_slice_cols(ctx, o, 2 * LZ, DEPTH * (2 * LZ + 1)), DEPTH);
    if (f->fam == IAF) return vt_iaf(ctx, mu, ls, NULL, f->made, DEPTH);
    return vt_normal(ctx, mu, ls);
}
static vt_dist *prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    return vt_std_normal(ctx, rows, LZ);
}
static vt_dist *likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    flow_model *f = m->self;
    return vt_normal(ctx, vt_matmul(ctx, z, &f->a), &f->logsig);
}

static double exact_log_px(const float *x) {   /* x ~ N(0, AᵀA + σ²I), Cholesky in double */
    double S[LX][LX], L[LX][LX] = {{0}};
    for (int i = 0; i < LX; i++)
        for (int j = 0; j < LX; j++) {
            S[i][j] = (i == j) * SIGMA * SIGMA;
            for (int k = 0; k < LZ; k++) S[i][j] += A[k * LX + i] * A[k * LX + j];
        }
    for (int i = 0; i < LX; i++)
        for (int j = 0; j <= i; j++) {
            double s = S[i][j];
            for (int k = 0; k < j; k++) s -= L[i][k] * L[j][k];
            L[i][j] = i == j ? sqrt(s) : s / L[j][j];
        }
    double y[LX], logdet = 0, q = 0;
    for (int i = 0; i < LX; i++) {
        double s = x[i];
        for (int k = 0; k < i; k++) s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
        q += y[i] * y[i];
        logdet += log(L[i][i]);
    }
    return -0.5 * q - logdet - 0.5 * LX * log(2 * 3.14159265358979323846);
}

typedef struct { double elbo, is, exact_all, exact_is; } result;

static result train(enum family fam, const float *data) {
    vt_store *s = vt_store_new();
    flow_model f = {.fam = fam};
    int out = 2 * LZ + (fam == PLANAR ? DEPTH * (2 * LZ + 1) : 0);
    cr_assert_eq(vt_mlp_init(&f.enc, s, "enc", 3, (int[]){LX, 32, out}, VT_ACT_TANH, 1, NULL), 0);
    for (int l = 0; fam == IAF && l < DEPTH; l++) {
        char name[16];
        snprintf(name, sizeof name, "iaf%d", l);
        cr_assert_eq(vt_made_init(&f.made[l], s, name, LZ, 0, 16, l % 2, 1, NULL), 0);
    }
    float ls[LX];
    for (int i = 0; i < LX; i++) ls[i] = logf(SIGMA);
    f.a = (vt_tensor){.data = (float *)A, .ndim = 2, .shape = {LZ, LX}};
    f.logsig = (vt_tensor){.data = ls, .ndim = 2, .shape = {1, LX}};
    vt_latent_model m = {posterior, prior, likelihood, &f};
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &oc, NULL);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_GENERIC;
    for (int step = 0; step < 2500; step++) {
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        vt_tensor *x = vt_tensor_wrap(ctx, 2, (int[]){100, LX}, (float *)data + (step * 100) % LN * LX);
        cr_assert_eq(vt_elbo(ctx, &m, x, NULL, &o, &t), 0, "%s", vt_ctx_error(ctx));
        cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
        vt_optim_step(opt, step < 1800 ? 3e-3f : 1e-3f, NULL);
        vt_store_zero_grad(s);
    }
    result r = {0};
    vt_ctx_reset(ctx);
    vt_set_grad_enabled(ctx, 0);
    o.k = 100;
    vt_elbo_terms t;
    cr_assert_eq(vt_elbo(ctx, &m, vt_tensor_wrap(ctx, 2, (int[]){LN, LX}, (float *)data), NULL, &o, &t), 0);
    r.elbo = t.elbo;
    static double lp[IS_N];
    cr_assert_eq(vt_log_px(ctx, &m, data, NULL, IS_N, LX, 0, IS_K, 0, lp), 0, "%s", vt_ctx_error(ctx));
    for (int i = 0; i < LN; i++) r.exact_all += exact_log_px(data + i * LX) / LN;
    for (int i = 0; i < IS_N; i++) {
        r.is += lp[i] / IS_N;
        r.exact_is += exact_log_px(data + i * LX) / IS_N;
    }
    vt_optim_free(opt);
    vt_ctx_free(ctx);
    for (int l = 0; fam == IAF && l < DEPTH; l++) vt_made_free(&f.made[l]);
    vt_store_free(s);
    return r;
}

Test(trained_flows, flow_posteriors_beat_diagonal_and_importance_sampling_converges, .timeout = 900) {
    static float data[LN * LX];
    float z[LN * LZ], e[LN * LX];
    vt_philox_normal(11, 0, 1, 0, LN * LZ, z);
    vt_philox_normal(11, 0, 2, 0, LN * LX, e);
    for (int n = 0; n < LN; n++)
        for (int j = 0; j < LX; j++) {
            double v = SIGMA * e[n * LX + j];
            for (int k = 0; k < LZ; k++) v += z[n * LZ + k] * A[k * LX + j];
            data[n * LX + j] = (float)v;
        }
    result r[3];
    const char *names[3] = {"diagonal", "planar", "iaf"};
    for (int f = 0; f < 3; f++) {
        r[f] = train((enum family)f, data);
        cr_log_info("%s: ELBO %.4f (log p(x) %.4f); IS log p(x), K=%d, %d points: %.4f (exact %.4f)",
                    names[f], r[f].elbo, r[f].exact_all, IS_K, IS_N, r[f].is, r[f].exact_is);
    }
    for (int f = 0; f < 3; f++) {
        cr_assert(r[f].elbo <= r[f].exact_all + 0.03, "%s ELBO above log p(x)", names[f]);
        /* IS with K = 2000 recovers most of the ELBO's gap and never overshoots by more
         * than noise (the diagonal proposal is narrower than the posterior, so its
         * weights' variance is infinite and it converges slowly from below) */
        cr_assert(r[f].is < r[f].exact_is + 0.05, "%s IS %.4f above exact %.4f", names[f], r[f].is, r[f].exact_is);
        cr_assert(r[f].is > r[f].exact_is - 0.4, "%s IS %.4f vs exact %.4f", names[f], r[f].is, r[f].exact_is);
    }
    /* both flows close part of the diagonal posterior's ≈ 1 nat gap */
    cr_assert(r[PLANAR].elbo > r[DIAG].elbo + 0.1, "planar %.4f vs diagonal %.4f", r[PLANAR].elbo, r[DIAG].elbo);
    cr_assert(r[IAF].elbo > r[DIAG].elbo + 0.1, "iaf %.4f vs diagonal %.4f", r[IAF].elbo, r[DIAG].elbo);
    /* with a flow proposal close to the posterior the weights are nearly constant: the
     * estimate sits on the exact value (measured within 5e-4; noise and the
     * −Var(w)/(2K E[w]²) bias are far below the 0.02 allowed) */
    for (int f = PLANAR; f <= IAF; f++) {
        cr_assert(fabs(r[f].is - r[f].exact_is) < 0.02, "%s IS %.4f vs exact %.4f", names[f], r[f].is, r[f].exact_is);
        cr_assert(r[f].elbo > r[f].exact_all - 0.15, "%s ELBO %.4f far below log p(x) %.4f", names[f], r[f].elbo, r[f].exact_all);
    }
}
