/* The new families against independent references (float64 in the test):
 *   - flows: log q(z_L) = log q0(z0) − log|det ∂z_L/∂z0|, with the Jacobian taken by
 *     central differences of the sample in the base mean (z0 = mu + σ ε, so
 *     ∂z_L/∂mu = ∂z_L/∂z0) and its determinant by Gaussian elimination in double;
 *   - relaxed densities integrate to 1 (quadrature over the real line);
 *   - hard draws follow softmax(logits) and are scored by log softmax at the choice;
 *   - the discrete KL rules equal the sums they define, computed in double.
 * Tolerances are stated at each check. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { FZ = 3, DEPTH = 3 };

typedef struct { int iaf; vt_tensor *mu, *ls, *params; vt_made made[DEPTH]; } flow_case;

static vt_dist *make_flow(vt_ctx *ctx, flow_case *f) {
    return f->iaf ? vt_iaf(ctx, f->mu, f->ls, NULL, f->made, DEPTH)
                  : vt_planar_flow(ctx, f->mu, f->ls, f->params, DEPTH);
}

/* z_L (and log q, eps) at base mean mu, with the noise of step 0. */
static void flow_at(vt_ctx *ctx, flow_case *f, const double *mu, double *z, double *logq,
                    double *eps) {
    for (int i = 0; i < FZ; i++) f->mu->data[i] = (float)mu[i];
    vt_ctx_reset(ctx);
    vt_ctx_set_step(ctx, 0);
    vt_dist *d = make_flow(ctx, f);
    vt_tensor *s = vt_dist_rsample(ctx, d, 1);
    vt_tensor *lq = vt_dist_log_prob(ctx, d, s);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    for (int i = 0; i < FZ; i++) z[i] = s->data[i];
    if (logq) *logq = lq->data[0];
    if (eps) for (int i = 0; i < FZ; i++) eps[i] = d->eps->data[i];
}

static double log_abs_det(double a[FZ][FZ]) {
    double ld = 0;
    for (int c = 0; c < FZ; c++) {
        int p = c;
        for (int r = c + 1; r < FZ; r++) if (fabs(a[r][c]) > fabs(a[p][c])) p = r;
        for (int k = 0; k < FZ; k++) { double t = a[c][k]; a[c][k] = a[p][k]; a[p][k] = t; }
        ld += log(fabs(a[c][c]));
        for (int r = c + 1; r < FZ; r++) {
            double m = a[r][c] / a[c][c];
            for (int k = c; k < FZ; k++) a[r][k] -= m * a[c][k];
        }
    }
    return ld;
}

static void check_log_det(int iaf) {
    flow_case f = {.iaf = iaf};
    float ls[FZ] = {0.3f, -0.4f, 0.1f}, zero[FZ] = {0};
    float params[DEPTH * (2 * FZ + 1)];
    vt_test_fill_normal(params, sizeof params / sizeof *params, 0.9f, 31);
    f.mu = vt_leaf_new(2, (int[]){1, FZ}, zero);
    f.ls = vt_leaf_new(2, (int[]){1, FZ}, ls);
    f.params = vt_leaf_new(2, (int[]){1, DEPTH * (2 * FZ + 1)}, params);
    vt_store *s = vt_store_new();
    for (int l = 0; iaf && l < DEPTH; l++) {
        char name[16];
        snprintf(name, sizeof name, "made%d", l);
        cr_assert_eq(vt_made_init(&f.made[l], s, name, FZ, 0, 8, l % 2, 5, NULL), 0);
        for (int i = 0; i < FZ; i++) f.made[l].bm->data[i] = 0.2f * (float)i;   /* nonzero m */
    }
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 8});
    double mu[FZ] = {0.2, -0.5, 0.7}, z[FZ], logq, eps[FZ], J[FZ][FZ], h = 1e-3;
    flow_at(ctx, &f, mu, z, &logq, eps);
    for (int j = 0; j < FZ; j++) {
        double up[FZ], dn[FZ], m2[FZ];
        memcpy(m2, mu, sizeof m2);
        m2[j] = mu[j] + h;
        flow_at(ctx, &f, m2, up, NULL, NULL);
        m2[j] = mu[j] - h;
        flow_at(ctx, &f, m2, dn, NULL, NULL);
        for (int i = 0; i < FZ; i++) J[i][j] = (up[i] - dn[i]) / (2 * h);
    }
    if (iaf)   /* autoregressive: output i depends on inputs earlier in the order only */
        for (int i = 0; i < FZ; i++) cr_assert(fabs(J[i][i]) > 0.05, "diagonal %g", J[i][i]);
    double logq0 = 0;
    for (int i = 0; i < FZ; i++) logq0 += -0.5 * eps[i] * eps[i] - 0.91893853320467274178 - ls[i];
    double want = logq0 - log_abs_det(J);
    /* float32 samples differenced at h = 1e-3: ~1e-4 relative error per Jacobian entry,
     * ~5e-4 on log|det| for 3 dimensions; 3e-3 leaves room and catches any wrong term
     * (a missing step's log-det is O(0.1) or more here) */
    cr_assert(fabs(logq - want) < 3e-3, "%s: log q %.6f vs log q0 − log|det J| %.6f",
              iaf ? "iaf" : "planar", logq, want);
    vt_ctx_free(ctx);
    for (int l = 0; iaf && l < DEPTH; l++) vt_made_free(&f.made[l]);
    vt_store_free(s);
    vt_leaf_free(f.mu);
    vt_leaf_free(f.ls);
    vt_leaf_free(f.params);
}

Test(flows, planar_log_density_is_base_minus_log_det_jacobian) { check_log_det(0); }
Test(flows, iaf_log_density_is_base_minus_log_det_jacobian) { check_log_det(1); }

/* Σ over a grid of exp(log p(t)) dt for one 1-dimensional relaxed latent. */
static double integral(int binary, float a, float tau) {
    enum { N = 24000 };
    static float t[N];
    double lo = -60, dt = 120.0 / N;
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *logits;
    vt_tensor *v;
    vt_tensor *lp;
    if (binary) {   /* value: the logit t */
        for (int i = 0; i < N; i++) t[i] = (float)(lo + (i + 0.5) * dt);
        logits = vt_from_data(ctx, 2, (int[]){1, 1}, &a);
        v = vt_from_data(ctx, 2, (int[]){N, 1}, t);
        lp = vt_dist_log_prob(ctx, vt_binary_concrete(ctx, logits, tau, 0), v);
    } else {
        /* C = 2: value (l1, l2) = (−softplus(−s), −softplus(s)). The ExpConcrete density
         * (Maddison et al.; PyTorch's ExpRelaxedCategorical) is taken against the
         * symmetric measure dl1/x2, x2 = e^l2 = σ(−s); since dl1/ds = σ(−s) too, that
         * measure is ds. (q and p share it, so every ratio the estimators form is the
         * ratio of the Lebesgue densities.) */
        static float l[2 * N];
        for (int i = 0; i < N; i++) {
            double s = lo + (i + 0.5) * dt;
            l[2 * i] = (float)-log1p(exp(-s));
            l[2 * i + 1] = (float)-log1p(exp(s));
            if (s > 30) l[2 * i] = (float)-exp(-s);
            if (s < -30) l[2 * i + 1] = (float)-exp(s);
        }
        float two[2] = {a, -0.3f};
        logits = vt_from_data(ctx, 2, (int[]){1, 2}, two);
        v = vt_from_data(ctx, 2, (int[]){N, 2}, l);
        lp = vt_dist_log_prob(ctx, vt_concrete(ctx, logits, 2, tau, 0), v);
    }
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    double sum = 0;
    for (int i = 0; i < N; i++) {
        sum += exp(lp->data[i]) * dt;
    }
    vt_ctx_free(ctx);
    return sum;
}

Test(relaxed, densities_integrate_to_one) {
    /* midpoint rule, dt = 5e-3 on a smooth density with tails below e^-20 at ±60:
     * the error is float rounding of log p (~1e-6 relative), far below 1e-3 */
    for (int b = 0; b < 2; b++)
        for (float tau = 0.5f; tau < 2.1f; tau += 0.75f) {
            double s = integral(b, 0.8f, tau);
            cr_assert(fabs(s - 1) < 1e-3, "%s τ %g: ∫ p = %.6f", b ? "binary" : "concrete", tau, s);
        }
}

Test(relaxed, hard_draws_follow_softmax_and_score_exactly) {
    enum { C = 3, N = 20000 };
    float a[C] = {0.5f, -1.0f, 1.2f};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 6});
    vt_dist *d = vt_concrete(ctx, vt_from_data(ctx, 2, (int[]){1, C}, a), C, 0.5f, 1);
    vt_tensor *l = vt_dist_rsample(ctx, d, N), *lp = vt_dist_log_prob(ctx, d, l);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    double lse = log(exp(0.5) + exp(-1.0) + exp(1.2)), count[C] = {0};
    for (int n = 0; n < N; n++) {
        int choice = -1;
        for (int i = 0; i < C; i++)
            if (l->data[n * C + i] == 0.0f) { cr_assert_eq(choice, -1, "one-hot"); choice = i; }
        cr_assert_geq(choice, 0);
        count[choice]++;
        cr_assert_float_eq(lp->data[n], a[choice] - lse, 1e-5);
    }
    for (int i = 0; i < C; i++) {
        double p = exp(a[i] - lse), se = sqrt(p * (1 - p) / N);
        cr_assert(fabs(count[i] / N - p) < 4.5 * se, "class %d: %.4f vs %.4f", i, count[i] / N, p);
    }
    vt_ctx_free(ctx);
}

Test(relaxed, discrete_kl_rules_match_their_sums) {
    enum { C = 3, G = 2 };
    float qa[G * C] = {0.1f, 1.0f, -0.5f, 2.0f, 0.0f, -1.0f}, pa[G * C] = {0, 0, 0, 0.3f, -0.2f, 0.5f};
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *q = vt_from_data(ctx, 2, (int[]){1, G * C}, qa), *p = vt_from_data(ctx, 2, (int[]){1, G * C}, pa);
    double kl_c = vt_kl(ctx, vt_concrete(ctx, q, C, 0.7f, 0), vt_concrete(ctx, p, C, 0.7f, 0))->data[0];
    double kl_b = vt_kl(ctx, vt_binary_concrete(ctx, q, 0.7f, 0), vt_binary_concrete(ctx, p, 0.7f, 0))->data[0];
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    double want_c = 0, want_b = 0;
    for (int g = 0; g < G; g++) {
        double zq = 0, zp = 0;
        for (int i = 0; i < C; i++) { zq += exp(qa[g * C + i]); zp += exp(pa[g * C + i]); }
        for (int i = 0; i < C; i++) {
            double pq = exp(qa[g * C + i]) / zq, pp = exp(pa[g * C + i]) / zp;
            want_c += pq * log(pq / pp);
        }
    }
    for (int j = 0; j < G * C; j++) {
        double sq = 1 / (1 + exp(-qa[j])), sp = 1 / (1 + exp(-pa[j]));
        want_b += sq * log(sq / sp) + (1 - sq) * log((1 - sq) / (1 - sp));
    }
    cr_assert_float_eq(kl_c, want_c, 1e-5);   /* float ops on O(1) values */
    cr_assert_float_eq(kl_b, want_b, 1e-5);
    vt_ctx_free(ctx);
}

/* ---- vt_gradcheck of each new family's densities and samples, directly ----
 * Default tolerance (|num − ana| ≤ 1e-3 + 1e-2·|num|, h = 1e-2; see test_gradcheck_ops.c):
 * inputs are O(1), temperatures ≥ 0.5, so third derivatives stay small; the noise is
 * pinned by vt_gradcheck (same draws at every evaluation). */
static const vt_gradcheck_opts GC = {.step = 1e-2, .atol = 1e-3, .rtol = 1e-2, .seed = 3};

static vt_tensor *concrete_lp(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    return vt_dist_log_prob(ctx, vt_concrete(ctx, in[0], 3, 0.7f, 0), in[1]);
}
static vt_tensor *binary_lp(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    return vt_dist_log_prob(ctx, vt_binary_concrete(ctx, in[0], 0.6f, 0), in[1]);
}
static vt_tensor *concrete_sample(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    vt_dist *d = *(int *)u ? vt_binary_concrete(ctx, in[0], 0.8f, 0) : vt_concrete(ctx, in[0], 3, 0.8f, 0);
    vt_tensor *s = vt_dist_rsample(ctx, d, 2);
    return vt_concat_cols(ctx, s, vt_dist_log_prob(ctx, d, s));
}
static vt_tensor *kl_rules(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    vt_tensor *a = vt_kl(ctx, vt_concrete(ctx, in[0], 3, 1, 0), vt_concrete(ctx, in[1], 3, 1, 0));
    vt_tensor *b = vt_kl(ctx, vt_binary_concrete(ctx, in[0], 1, 0), vt_binary_concrete(ctx, in[1], 1, 0));
    return vt_concat_cols(ctx, a, b);
}
static vt_tensor *flow_out(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    const vt_made *made = u;
    vt_dist *d = made ? vt_iaf(ctx, in[0], in[1], NULL, made, 2) : vt_planar_flow(ctx, in[0], in[1], in[2], 2);
    vt_tensor *s = vt_dist_rsample(ctx, d, 2);
    return vt_concat_cols(ctx, s, vt_dist_log_prob(ctx, d, s));
}
/* IAF whose MADEs see a context h = in[2] (2 rows, as mu), two draws per row. */
static vt_tensor *iaf_context_out(vt_ctx *ctx, vt_tensor *const *in, void *u) {
    vt_dist *d = vt_iaf(ctx, in[0], in[1], in[2], u, 2);
    vt_tensor *s = vt_dist_rsample(ctx, d, 2);
    return vt_concat_cols(ctx, s, vt_dist_log_prob(ctx, d, s));
}

static vt_tensor *leaf_normal(int r, int c, float s, uint64_t seed) {
    float v[64];
    vt_test_fill_normal(v, (size_t)r * c, s, seed);
    return vt_leaf_new(2, (int[]){r, c}, v);
}

static void gradcheck_ok(vt_gradcheck_fn fn, int n, vt_tensor *const *in, void *user, const char *what) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 12});
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, fn, n, in, user, &GC, &rep);
    cr_assert(rep.ok, "%s: input %d[%zu] numeric %g analytic %g %s", what, rep.worst_input,
              rep.worst_index, rep.worst_numeric, rep.worst_analytic, rep.error);
    vt_ctx_free(ctx);
}

Test(gradcheck_families, relaxed_densities_samples_and_kl) {
    vt_tensor *a = leaf_normal(2, 6, 0.8f, 41), *b = leaf_normal(2, 6, 0.8f, 42);
    /* a value in the log-simplex per group of 3 (log_softmax of something), and logits t */
    float lv[12];
    vt_test_fill_normal(lv, 12, 1.0f, 43);
    for (int g = 0; g < 4; g++) {
        double m = fmax(fmax(lv[3 * g], lv[3 * g + 1]), lv[3 * g + 2]), s = 0;
        for (int i = 0; i < 3; i++) s += exp(lv[3 * g + i] - m);
        for (int i = 0; i < 3; i++) lv[3 * g + i] = (float)(lv[3 * g + i] - m - log(s));
    }
    vt_tensor *l = vt_leaf_new(2, (int[]){2, 6}, lv), *t = leaf_normal(2, 6, 1.5f, 44);
    gradcheck_ok(concrete_lp, 2, (vt_tensor *[]){a, l}, NULL, "concrete log_prob");
    gradcheck_ok(binary_lp, 2, (vt_tensor *[]){a, t}, NULL, "binary concrete log_prob");
    int binary = 0;
    gradcheck_ok(concrete_sample, 1, &a, &binary, "concrete rsample + log_prob");
    binary = 1;
    gradcheck_ok(concrete_sample, 1, &a, &binary, "binary concrete rsample + log_prob");
    gradcheck_ok(kl_rules, 2, (vt_tensor *[]){a, b}, NULL, "discrete KL rules");
    vt_leaf_free(a); vt_leaf_free(b); vt_leaf_free(l); vt_leaf_free(t);
}

Test(gradcheck_families, planar_and_iaf_samples_and_log_densities) {
    vt_tensor *mu = leaf_normal(2, 3, 0.5f, 51), *ls = leaf_normal(2, 3, 0.3f, 52);
    vt_tensor *params = leaf_normal(2, 2 * 7, 0.7f, 53);
    gradcheck_ok(flow_out, 3, (vt_tensor *[]){mu, ls, params}, NULL, "planar");
    /* IAF: the MADE parameters are inputs too. Its hidden units are relu: with these
     * seeds (13 for the init, 63 for the output layers, which start at zero) no
     * pre-activation lies within the difference step of 0 (with 61 or 64 one does, and
     * the check fails there, as a kink inside a central difference should) */
    vt_store *s = vt_store_new();
    vt_made made[2];
    for (int l = 0; l < 2; l++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", l);
        cr_assert_eq(vt_made_init(&made[l], s, name, 3, 0, 6, l, 13, NULL), 0);
    }
    vt_tensor *in[3 + 14] = {mu, ls};
    vt_test_randomize_store(s, 0.5f, 63);   /* the outputs start at zero: give them values */
    for (int i = 0; i < 12; i++) in[2 + i] = vt_store_get(s, i);
    gradcheck_ok(flow_out, 14, in, made, "iaf");
    for (int l = 0; l < 2; l++) vt_made_free(&made[l]);
    vt_store_free(s);
    /* with a context: h and the MADEs' Wc get gradients too */
    s = vt_store_new();
    for (int l = 0; l < 2; l++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", l);
        cr_assert_eq(vt_made_init(&made[l], s, name, 3, 2, 6, l, 13, NULL), 0);
    }
    vt_test_randomize_store(s, 0.5f, 62);
    vt_tensor *h = leaf_normal(2, 2, 0.6f, 54);
    in[2] = h;
    for (int i = 0; i < 14; i++) in[3 + i] = vt_store_get(s, i);
    gradcheck_ok(iaf_context_out, 17, in, made, "iaf with context");
    /* a context of the wrong width is an error, not a read past h */
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_dist *bad = vt_iaf(ctx, mu, ls, NULL, made, 2);
    cr_assert(vt_ctx_error(ctx) && bad->ops != &vt_iaf_ops, "a context-taking IAF without h");
    cr_assert(strstr(vt_ctx_error(ctx), "context"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_leaf_free(h);
    for (int l = 0; l < 2; l++) vt_made_free(&made[l]);
    vt_store_free(s);
    vt_leaf_free(mu); vt_leaf_free(ls); vt_leaf_free(params);
}

/* A fresh MADE's outputs are zero, so a fresh IAF is the identity: its draw is the base
 * draw z0 = μ + σ ε and its log-density is the base's, exactly (σ = 1 at s = 0). */
Test(iaf, starts_as_the_identity) {
    vt_store *s = vt_store_new();
    vt_made made[3];
    for (int l = 0; l < 3; l++) {
        char name[16];
        snprintf(name, sizeof name, "i%d", l);
        cr_assert_eq(vt_made_init(&made[l], s, name, 4, 2, 8, l % 2, 3, NULL), 0);
    }
    vt_tensor *mu = leaf_normal(3, 4, 1.0f, 81), *ls = leaf_normal(3, 4, 0.5f, 82);
    vt_tensor *h = leaf_normal(3, 2, 1.0f, 83);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_dist *d = vt_iaf(ctx, mu, ls, h, made, 3);
    vt_tensor *z = vt_dist_rsample(ctx, d, 2), *lq = vt_dist_log_prob(ctx, d, z);
    vt_dist *base;
    vt_tensor *z0, *lq0;
    cr_assert_eq(vt_flow_base_of(ctx, d, &base, &z0, &lq0), 0, "%s", vt_ctx_error(ctx));
    for (size_t i = 0; i < vt_numel(z); i++) cr_assert_eq(z->data[i], z0->data[i], "z[%zu]", i);
    for (size_t i = 0; i < vt_numel(lq); i++) cr_assert_eq(lq->data[i], lq0->data[i], "log q[%zu]", i);
    /* and vt_flow_base_of refuses what is not a flow */
    vt_dist *n = vt_normal(ctx, mu, ls);
    vt_dist_rsample(ctx, n, 1);
    cr_assert_eq(vt_flow_base_of(ctx, n, &base, &z0, &lq0), -1);
    cr_assert(strstr(vt_ctx_error(ctx), "not a flow"), "%s", vt_ctx_error(ctx));
    vt_ctx_free(ctx);
    vt_leaf_free(mu); vt_leaf_free(ls); vt_leaf_free(h);
    for (int l = 0; l < 3; l++) vt_made_free(&made[l]);
    vt_store_free(s);
}
