/* Distributions: log_prob against ../shared/reference (float64, independent), and
 * rsample and KL against Monte-Carlo estimates.
 *
 * Monte-Carlo tolerances are 5 standard errors of the estimate (stated per test), so a
 * correct implementation fails with probability < 1e-6 per check; the draws are fixed
 * by the seed, so the outcome is deterministic. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "refcheck/refcheck.h"
#include "support.h"
#include "vtape/vtape.h"

/* ---- against the reference file ---- */
static const rc_case *find_case(const rc_file *f, const char *name) {
    for (int i = 0; i < f->n_cases; i++)
        if (!strcmp(f->cases[i].name, name)) return &f->cases[i];
    cr_assert_fail("reference case %s missing", name);
    return NULL;
}

static vt_tensor *ref_input(vt_ctx *ctx, const rc_case *c, const char *arg) {
    for (int i = 0; i < c->n_in; i++)
        if (!strcmp(c->in[i].arg, arg)) {
            float buf[256];
            for (size_t j = 0; j < c->in[i].numel; j++) buf[j] = (float)c->in[i].v[j];
            return vt_from_data(ctx, 2, (int[]){c->in[i].shape[0], c->in[i].shape[1]}, buf);
        }
    cr_assert_fail("input %s missing", arg);
    return NULL;
}

static void expect_rows(const vt_tensor *got, const rc_case *c) {
    cr_assert_eq(vt_numel(got), c->out.numel);
    for (size_t i = 0; i < c->out.numel; i++) {
        double want = c->out.v[i];
        cr_assert(fabs(got->data[i] - want) <= RC_ATOL + RC_RTOL * fabs(want),
                  "%s row %zu: %.9g vs %.9g", c->name, i, got->data[i], want);
    }
}

Test(dists, log_prob_matches_reference) {
    rc_file f;
    char err[256];
    cr_assert_eq(rc_parse_file(VT_REFERENCE_DIR "/ops.txt", &f, err, sizeof err), 0, "%s", err);
    vt_ctx *ctx = vt_ctx_new(NULL);

    const rc_case *c = find_case(&f, "normal_logprob_rows");
    vt_dist *q = vt_normal(ctx, ref_input(ctx, c, "mu"), ref_input(ctx, c, "logsig"));
    expect_rows(q->ops->log_prob(ctx, q, ref_input(ctx, c, "z")), c);

    c = find_case(&f, "std_normal_logprob_rows");
    vt_dist *p = vt_std_normal(ctx, 5, 7);
    expect_rows(p->ops->log_prob(ctx, p, ref_input(ctx, c, "z")), c);

    c = find_case(&f, "bernoulli_logprob_rows");
    vt_dist *b = vt_bernoulli_logits(ctx, ref_input(ctx, c, "logits"));
    expect_rows(b->ops->log_prob(ctx, b, ref_input(ctx, c, "x")), c);

    c = find_case(&f, "mog_logprob_rows");
    vt_dist *m = vt_mog(ctx, 5, ref_input(ctx, c, "logits"), ref_input(ctx, c, "means"),
                        ref_input(ctx, c, "logsigs"));
    expect_rows(m->ops->log_prob(ctx, m, ref_input(ctx, c, "z")), c);

    c = find_case(&f, "kl_normal_std_rows");
    q = vt_normal(ctx, ref_input(ctx, c, "mu"), ref_input(ctx, c, "logsig"));
    expect_rows(vt_kl(ctx, q, vt_std_normal(ctx, 5, 7)), c);

    c = find_case(&f, "kl_normal_normal_rows");
    q = vt_normal(ctx, ref_input(ctx, c, "mu1"), ref_input(ctx, c, "logsig1"));
    p = vt_normal(ctx, ref_input(ctx, c, "mu2"), ref_input(ctx, c, "logsig2"));
    expect_rows(vt_kl(ctx, q, p), c);

    /* Full covariance: its log q of its own sample equals the reference formula. */
    c = find_case(&f, "fullcov_logq_rows");
    vt_tensor *ls = ref_input(ctx, c, "logsig");
    vt_dist *fc = vt_fullcov_normal(ctx, vt_zeros(ctx, 2, (int[]){5, 4}), ls,
                                    vt_zeros(ctx, 2, (int[]){5, 16}));
    vt_tensor *z = fc->ops->rsample(ctx, fc, 1);
    memcpy(fc->eps->data, ref_input(ctx, c, "eps")->data, 20 * sizeof(float));
    expect_rows(fc->ops->log_prob(ctx, fc, z), c);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    rc_file_free(&f);
}

/* ---- rsample moments ---- */
Test(dists, normal_rsample_moments) {
    enum { N = 20000, Z = 3 };
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 8});
    float mu_v[Z] = {0.5f, -2.0f, 3.0f}, ls_v[Z] = {0.0f, -1.0f, 0.7f};
    vt_dist *q = vt_normal(ctx, vt_from_data(ctx, 2, (int[]){1, Z}, mu_v),
                           vt_from_data(ctx, 2, (int[]){1, Z}, ls_v));
    vt_tensor *z = q->ops->rsample(ctx, q, N);
    cr_assert_eq(vt_rows(z), N);
    for (int j = 0; j < Z; j++) {
        double m = 0, v = 0, s = exp(ls_v[j]);
        for (int i = 0; i < N; i++) m += z->data[i * Z + j];
        m /= N;
        for (int i = 0; i < N; i++) v += pow(z->data[i * Z + j] - m, 2);
        v /= N - 1;
        /* SE(mean) = σ/√N, SE(var) = σ²√(2/N) */
        cr_assert(fabs(m - mu_v[j]) < 5 * s / sqrt(N), "dim %d mean %g", j, m);
        cr_assert(fabs(v - s * s) < 5 * s * s * sqrt(2.0 / N), "dim %d var %g", j, v);
    }
    vt_ctx_free(ctx);
}

Test(dists, fullcov_rsample_covariance_is_L_Lt) {
    enum { N = 40000, Z = 2 };
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 9});
    float ls_v[Z] = {0.2f, -0.5f}, lp_v[Z * Z] = {9.0f /* masked */, 9.0f, 0.8f, 9.0f};
    vt_dist *q = vt_fullcov_normal(ctx, vt_zeros(ctx, 2, (int[]){1, Z}),
                                   vt_from_data(ctx, 2, (int[]){1, Z}, ls_v),
                                   vt_from_data(ctx, 2, (int[]){1, Z * Z}, lp_v));
    vt_tensor *z = q->ops->rsample(ctx, q, N);
    /* L = [[e^0.2, 0], [0.8, e^-0.5]]: Σ = L Lᵀ */
    double l00 = exp(0.2), l10 = 0.8, l11 = exp(-0.5);
    double want[3] = {l00 * l00, l10 * l00, l10 * l10 + l11 * l11};
    double c00 = 0, c10 = 0, c11 = 0;
    for (int i = 0; i < N; i++) {
        double a = z->data[2 * i], b = z->data[2 * i + 1];
        c00 += a * a; c10 += a * b; c11 += b * b;
    }
    double got[3] = {c00 / N, c10 / N, c11 / N};
    for (int k = 0; k < 3; k++)   /* SE of a second moment ≤ √(2/N)·max Σ ≈ 0.013 here */
        cr_assert(fabs(got[k] - want[k]) < 5 * sqrt(2.0 / N) * want[2] + 0.01, "%d: %g vs %g", k,
                  got[k], want[k]);
    vt_ctx_free(ctx);
}

Test(dists, mog_rsample_follows_weights_and_density) {
    enum { N = 30000, C = 3, Z = 1 };
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 10});
    float logits[C] = {0.0f, 1.0f, -1.0f}, means[C] = {-5.0f, 0.0f, 5.0f}, ls[C] = {-1, -1, -1};
    vt_dist *p = vt_mog(ctx, 1, vt_from_data(ctx, 2, (int[]){1, C}, logits),
                        vt_from_data(ctx, 2, (int[]){C, Z}, means),
                        vt_from_data(ctx, 2, (int[]){C, Z}, ls));
    vt_tensor *z = p->ops->rsample(ctx, p, N);
    double w[C], tot = 0;
    for (int c = 0; c < C; c++) tot += (w[c] = exp(logits[c]));
    int count[C] = {0};
    for (int i = 0; i < N; i++) count[z->data[i] < -2.5f ? 0 : z->data[i] > 2.5f ? 2 : 1]++;
    for (int c = 0; c < C; c++) {
        double pc = w[c] / tot, se = sqrt(pc * (1 - pc) / N);
        cr_assert(fabs((double)count[c] / N - pc) < 5 * se, "component %d: %g vs %g", c,
                  (double)count[c] / N, pc);
    }
    /* E_p[log p(z)] by Monte Carlo equals the mean of log_prob over p's own samples; and
     * the density integrates to 1 on a grid. */
    vt_tensor *grid = vt_tensor_new(ctx, 2, (int[]){4000, 1});
    for (int i = 0; i < 4000; i++) grid->data[i] = -10.0f + 20.0f * (i + 0.5f) / 4000;
    vt_tensor *lp = p->ops->log_prob(ctx, p, grid);
    double integral = 0;
    for (int i = 0; i < 4000; i++) integral += exp(lp->data[i]) * (20.0 / 4000);
    cr_assert(fabs(integral - 1) < 1e-3, "∫p = %g", integral);
    vt_ctx_free(ctx);
}

/* ---- closed-form KL against Monte Carlo: mean of log q(z) − log p(z), z ~ q ---- */
static void kl_vs_mc(vt_dist *(*make_q)(vt_ctx *), vt_dist *(*make_p)(vt_ctx *), uint64_t seed) {
    enum { N = 40000 };
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = seed});
    vt_dist *q = make_q(ctx), *p = make_p(ctx);
    cr_assert(vt_kl_has_closed_form(q, p));
    double closed = vt_kl(ctx, q, p)->data[0];
    vt_tensor *z = q->ops->rsample(ctx, q, N);
    vt_tensor *lq = q->ops->log_prob(ctx, q, z), *lp = p->ops->log_prob(ctx, p, z);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) m += lq->data[i] - lp->data[i];
    m /= N;
    for (int i = 0; i < N; i++) v += pow(lq->data[i] - lp->data[i] - m, 2);
    double se = sqrt(v / (N - 1) / N);
    cr_assert(fabs(m - closed) < 5 * se + 1e-4, "closed %g vs MC %g ± %g", closed, m, se);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}

static vt_dist *q_diag(vt_ctx *ctx) {
    return vt_normal(ctx, vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){0.3f, -1.0f, 2.0f}),
                     vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){-0.5f, 0.4f, 0.0f}));
}
static vt_dist *p_std(vt_ctx *ctx) { return vt_std_normal(ctx, 1, 3); }
static vt_dist *p_diag(vt_ctx *ctx) {
    return vt_normal(ctx, vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){1.0f, 0.0f, -1.0f}),
                     vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){0.3f, -0.2f, 0.5f}));
}
static vt_dist *q_full(vt_ctx *ctx) {
    return vt_fullcov_normal(ctx, vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){0.3f, -1.0f, 2.0f}),
                             vt_from_data(ctx, 2, (int[]){1, 3}, (float[]){-0.5f, 0.4f, 0.0f}),
                             vt_from_data(ctx, 2, (int[]){1, 9},
                                          (float[]){5, 5, 5, 0.7f, 5, 5, -0.4f, 0.9f, 5}));
}

Test(dists, kl_normal_std_matches_monte_carlo) { kl_vs_mc(q_diag, p_std, 1); }
Test(dists, kl_normal_normal_matches_monte_carlo) { kl_vs_mc(q_diag, p_diag, 2); }
Test(dists, kl_fullcov_std_matches_monte_carlo) { kl_vs_mc(q_full, p_std, 3); }

Test(dists, kl_without_closed_form_falls_back_to_monte_carlo) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_dist *q = q_diag(ctx);
    vt_dist *p = vt_mog(ctx, 1, vt_zeros(ctx, 2, (int[]){1, 2}), vt_zeros(ctx, 2, (int[]){2, 3}),
                        vt_zeros(ctx, 2, (int[]){2, 3}));   /* two identical N(0, I) components */
    cr_assert_not(vt_kl_has_closed_form(q, p));
    /* p equals N(0, I), so the average MC estimate approaches KL(q ‖ N(0, I)). */
    double closed = vt_kl(ctx, q, vt_std_normal(ctx, 1, 3))->data[0], m = 0;
    enum { N = 4000 };
    for (int i = 0; i < N; i++) m += vt_kl(ctx, q, p)->data[0];
    m /= N;
    cr_assert(fabs(m - closed) < 0.1, "MC %g vs closed %g", m, closed);
    vt_ctx_free(ctx);
}

/* A user-registered closed form wins over Monte Carlo. */
static vt_tensor *zero_kl(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_zeros(ctx, 2, (int[]){q->rows, 1});
}
Test(dists, user_kl_rule_is_used) {
    static const vt_dist_ops my_prior = {"my_prior", NULL, NULL};
    cr_assert_eq(vt_kl_register(&vt_normal_ops, &my_prior, zero_kl), 0);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_dist *p = vt_dist_new(ctx, &my_prior, 1, 3);
    vt_tensor *kl = vt_kl(ctx, q_diag(ctx), p);
    cr_assert_eq(kl->data[0], 0.0f);
    vt_ctx_free(ctx);
}

/* A Normal with one shared row of log σ (vt_normal allows 1 x D) has the closed-form KL
 * of the same Normal with that row repeated, against N(0, I) and against another
 * Normal (shared too); and its gradient is right (it sums over the copies). */
static vt_tensor *kl_shared(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    vt_dist *q = vt_normal(ctx, in[0], in[1]), *p = vt_normal(ctx, in[2], in[3]);
    vt_tensor *a = vt_kl(ctx, q, vt_std_normal(ctx, vt_rows(in[0]), vt_cols(in[0])));
    return vt_concat_cols(ctx, a, vt_kl(ctx, q, p));
}

Test(dists, kl_of_a_normal_with_shared_log_sigma) {
    float mu[12], ls[4], mu2[12], ls2[4];
    vt_test_fill_normal(mu, 12, 1.0f, 91);
    vt_test_fill_normal(ls, 4, 0.4f, 92);
    vt_test_fill_normal(mu2, 12, 1.0f, 93);
    vt_test_fill_normal(ls2, 4, 0.4f, 94);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *m = vt_from_data(ctx, 2, (int[]){3, 4}, mu), *s = vt_from_data(ctx, 2, (int[]){1, 4}, ls);
    vt_tensor *m2 = vt_from_data(ctx, 2, (int[]){3, 4}, mu2), *s2 = vt_from_data(ctx, 2, (int[]){1, 4}, ls2);
    vt_tensor *shared = kl_shared(ctx, (vt_tensor *[]){m, s, m2, s2}, NULL);
    vt_tensor *full = kl_shared(ctx, (vt_tensor *[]){m, vt_repeat_rows(ctx, s, 3), m2,
                                                     vt_repeat_rows(ctx, s2, 3)}, NULL);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    for (int i = 0; i < 6; i++)
        cr_assert_eq(shared->data[i], full->data[i], "entry %d: %g vs %g", i, shared->data[i], full->data[i]);
    vt_ctx_free(ctx);
    vt_tensor *in[4] = {vt_leaf_new(2, (int[]){3, 4}, mu), vt_leaf_new(2, (int[]){1, 4}, ls),
                        vt_leaf_new(2, (int[]){3, 4}, mu2), vt_leaf_new(2, (int[]){1, 4}, ls2)};
    ctx = vt_ctx_new(NULL);
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, kl_shared, 4, in, NULL, NULL, &rep);
    cr_assert(rep.ok, "input %d[%zu]: numeric %g analytic %g %s", rep.worst_input, rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.error);
    vt_ctx_free(ctx);
    for (int i = 0; i < 4; i++) vt_leaf_free(in[i]);
}
