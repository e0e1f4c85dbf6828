/* models/diagnostics.c and models/inference_gap.c on models whose answers are known:
 * a collapsed encoder (KL 0, no active unit, I(x;z) = 0), a nearly deterministic one
 * (I(x;z) = log M, its upper limit), and a linear-Gaussian VAE whose exact posterior
 * is a diagonal Gaussian, so the refined q reaches it: approximation gap 0, log p(x)
 * exact, and the gaps adding up to log p(x) − ELBO(encoder). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "support.h"
#include "vtape/vtape.h"

static const double LOG_2PI = 1.8378770664093454836;

/* No hidden layers: the encoder is x W + b (x_dim → 2Z), the decoder z W + b. */
static void linear_vae(vt_vae *v, int x_dim, int latent, vt_lik_kind lik) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = x_dim, c.latent = latent, c.n_hidden = 0, c.likelihood = lik, c.lik_logsig = 0;
    vt_error err;
    cr_assert_eq(vt_vae_init(v, &c, &err), 0, "%s", err.msg);
    for (int i = 0; i < vt_store_count(v->store); i++) {   /* every weight 0 */
        vt_tensor *t = vt_store_get(v->store, i);
        memset(t->data, 0, vt_numel(t) * sizeof(float));
    }
}

Test(diagnostics, collapsed_encoder_has_no_kl_no_active_unit_and_no_information) {
    vt_vae v;
    linear_vae(&v, 3, 4, VT_LIK_BERNOULLI);
    float x[60];
    vt_test_fill_uniform(x, 60, 0, 1, 1);
    vt_latent_stats s;
    vt_error err;
    cr_assert_eq(vt_latent_stats_compute(&v, x, NULL, 20, NULL, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.active_units, 0);
    for (int d = 0; d < 4; d++) cr_assert_eq(s.kl_per_dim[d], 0.0);
    /* every q(z|x_m) is the same: log q(z|x_i) − log mean_m q(z|x_m) = 0 exactly */
    cr_assert(fabs(s.mutual_info) < 1e-12, "I = %g", s.mutual_info);
    vt_latent_stats_free(&s);
    vt_vae_free(&v);
}

Test(diagnostics, kl_per_dimension_and_active_units_follow_the_encoder) {
    vt_vae v;
    linear_vae(&v, 3, 3, VT_LIK_BERNOULLI);
    vt_tensor *w = v.enc.layer[0].w, *b = v.enc.layer[0].b;   /* 3 x 6, 1 x 6 */
    w->data[0 * 6 + 0] = 1.0f;                                /* μ_0 = x_0 */
    w->data[1 * 6 + 2] = 0.05f;                               /* μ_2 = 0.05 x_1: barely moves */
    b->data[3 + 0] = -1.0f;                                   /* log σ_0 = −1 */
    enum { N = 200 };
    float x[3 * N];
    vt_test_fill_normal(x, 3 * N, 1.0f, 2);
    double kl0 = 0, m = 0, m2 = 0, m_2 = 0, v2 = 0;
    for (int i = 0; i < N; i++) {
        double a = x[3 * i];
        kl0 += (0.5 * (a * a + exp(-2.0) - 1) + 1) / N;
        m += a / N;
        m_2 += 0.05 * x[3 * i + 1] / N;
    }
    for (int i = 0; i < N; i++) {
        m2 += (x[3 * i] - m) * (x[3 * i] - m) / (N - 1);
        v2 += (0.05 * x[3 * i + 1] - m_2) * (0.05 * x[3 * i + 1] - m_2) / (N - 1);
    }
    vt_latent_stats s;
    vt_error err;
    cr_assert_eq(vt_latent_stats_compute(&v, x, NULL, N, NULL, &s, &err), 0, "%s", err.msg);
    /* float32 encoder outputs: ~1e-7 relative per value */
    cr_assert(fabs(s.kl_per_dim[0] - kl0) < 1e-5 * kl0, "%g vs %g", s.kl_per_dim[0], kl0);
    cr_assert_eq(s.kl_per_dim[1], 0.0);
    cr_assert(fabs(s.mean_var[0] - m2) < 1e-5 * m2);
    cr_assert(fabs(s.mean_var[2] - v2) < 1e-4 * v2 && v2 < 0.01, "var %g", v2);
    cr_assert_eq(s.active_units, 1, "Var 0.0025 < 0.01: only z_0 is active");
    int top[3];
    vt_latent_stats_top_dims(&s, 3, top);
    cr_assert_eq(top[0], 0);
    cr_assert_eq(top[1], 2);
    cr_assert(s.mutual_info > 0 && s.mutual_info < log((double)N));
    cr_assert(fabs(s.kl - (s.mutual_info + s.marginal_kl)) < 1e-12);
    vt_latent_stats_free(&s);
    vt_vae_free(&v);
}

Test(diagnostics, a_nearly_deterministic_encoder_reaches_log_m) {
    vt_vae v;
    linear_vae(&v, 1, 1, VT_LIK_BERNOULLI);
    v.enc.layer[0].w->data[0] = 1.0f;     /* μ = x */
    v.enc.layer[0].b->data[1] = -12.0f;   /* σ = 6e-6 */
    enum { M = 50 };
    float x[M];
    for (int i = 0; i < M; i++) x[i] = 0.1f * (float)i;   /* means 0.1 apart = 16000 σ */
    vt_latent_stats s;
    vt_error err;
    cr_assert_eq(vt_latent_stats_compute(&v, x, NULL, M, NULL, &s, &err), 0, "%s", err.msg);
    cr_assert(fabs(s.mutual_info - log((double)M)) < 1e-9, "I = %.12f, log M = %.12f",
              s.mutual_info, log((double)M));
    vt_latent_stats_free(&s);
    vt_vae_free(&v);
}

/* x = W z + noise, W = [[1,0,0,0],[0,2,0,0]] (rows: latent → data), σ = 1: the
 * posterior has precision I + W Wᵀ = diag(2, 5), diagonal, and
 * p(x) = N(0, I + WᵀW) = N(0, diag(2, 5, 1, 1)). The encoder is left at 0 (q = prior). */
Test(diagnostics, inference_gap_of_a_linear_gaussian_model) {
    vt_vae v;
    linear_vae(&v, 4, 2, VT_LIK_GAUSSIAN_FIXED);
    vt_tensor *w = v.dec.layer[0].w;   /* 2 x 4 */
    w->data[0 * 4 + 0] = 1.0f;
    w->data[1 * 4 + 1] = 2.0f;
    enum { N = 16 };
    float x[4 * N];
    vt_test_fill_normal(x, 4 * N, 1.5f, 4);
    const double var[4] = {2, 5, 1, 1};
    double exact = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 4; j++)
            exact -= 0.5 * (x[4 * i + j] * x[4 * i + j] / var[j] + LOG_2PI + log(var[j])) / N;
    vt_gap_opts o = {.steps = 600, .lr = 2e-2f, .elbo_samples = 200, .iw_samples = 200, .seed = 5};
    vt_gap_result g;
    vt_error err;
    cr_assert_eq(vt_inference_gap(&v, x, NULL, N, &o, &g, &err), 0, "%s", err.msg);
    /* at the exact posterior log p(x,z) − log q(z) = log p(x) for every z: no sampling
     * noise, so only the optimizer's last steps (lr 2e-2) separate the refined q */
    cr_assert(fabs(g.log_px - exact) < 0.01, "log p(x) %.5f, exact %.5f", g.log_px, exact);
    cr_assert(g.approximation_gap > -0.01 && g.approximation_gap < 0.02, "approx gap %g",
              g.approximation_gap);
    /* the prior as q: KL(prior ‖ posterior) per point, about 2.5 nats here */
    cr_assert(g.amortization_gap > 0.5, "amortization gap %g", g.amortization_gap);
    cr_assert(fabs(g.total_gap - (g.approximation_gap + g.amortization_gap)) < 1e-9);
    cr_assert(fabs(g.total_gap - (g.log_px - g.elbo_encoder)) < 1e-9);
    vt_vae_free(&v);
}

Test(diagnostics, a_full_covariance_posterior_is_refused) {
    vt_vae_config c = vt_vae_default_config();
    c.x_dim = 3, c.latent = 2, c.n_hidden = 0, c.posterior = VT_POSTERIOR_FULLCOV;
    vt_vae v;
    vt_error err;
    cr_assert_eq(vt_vae_init(&v, &c, &err), 0);
    float x[6] = {0};
    vt_latent_stats s;
    cr_assert_eq(vt_latent_stats_compute(&v, x, NULL, 2, NULL, &s, &err), VT_EARG);
    cr_assert(strstr(err.msg, "diagonal Gaussian"), "%s", err.msg);
    vt_gap_result g;
    cr_assert_eq(vt_inference_gap(&v, x, NULL, 2, NULL, &g, &err), VT_EARG);
    cr_assert(strstr(err.msg, "diagonal Gaussian"), "%s", err.msg);
    vt_vae_free(&v);
}
