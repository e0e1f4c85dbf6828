/* Distributions checked on moments and densities:
 *  - the mixture sampler: per component, the share of samples, their mean and their
 *    spread (standard deviation) per dimension;
 *  - log q(z) of the full-covariance posterior against the density of z under
 *    N(μ, LLᵀ), written out in double (Σ = LLᵀ, its Cholesky factor, log-determinant
 *    and Mahalanobis distance);
 *  - vt_log_px on a linear-Gaussian model whose log p(x) is exact in closed form,
 *    chunked and whole (binarization per pixel is in test_binarize.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include "support.h"
#include "vtape/vtape.h"

static const double HALF_LOG_2PI = 0.91893853320467274178;

/* Components far apart in dimension 0 (σ ≤ 2 there, means 40 apart), so each sample's
 * component is the nearest mean; σ differs per component and dimension, and σ ≠ σ². */
Test(densities, mixture_samples_per_component_mean_and_spread) {
    enum { N = 30000, C = 3, Z = 2 };
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 21});
    float logits[C] = {0.3f, 1.0f, -0.6f};
    float means[C * Z] = {-40.0f, 3.0f, 0.0f, -2.0f, 40.0f, 0.5f};
    float sd[C * Z] = {0.5f, 2.0f, 1.5f, 0.7f, 0.3f, 1.2f}, ls[C * Z];
    for (int i = 0; i < C * Z; i++) ls[i] = logf(sd[i]);
    vt_dist *p = vt_mog(ctx, 1, vt_from_data(ctx, 2, (int[]){1, C}, logits),
                        vt_from_data(ctx, 2, (int[]){C, Z}, means),
                        vt_from_data(ctx, 2, (int[]){C, Z}, ls));
    vt_tensor *z = vt_dist_rsample(ctx, p, N);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    double n[C] = {0}, s1[C][Z] = {{0}}, s2[C][Z] = {{0}}, tot = 0;
    for (int i = 0; i < N; i++) {
        double a = z->data[i * Z];
        int c = a < -20 ? 0 : a > 20 ? 2 : 1;
        n[c]++;
        for (int j = 0; j < Z; j++) s1[c][j] += z->data[i * Z + j];
    }
    for (int i = 0; i < N; i++) {
        double a = z->data[i * Z];
        int c = a < -20 ? 0 : a > 20 ? 2 : 1;
        for (int j = 0; j < Z; j++) s2[c][j] += pow(z->data[i * Z + j] - s1[c][j] / n[c], 2);
    }
    for (int c = 0; c < C; c++) tot += exp(logits[c]);
    for (int c = 0; c < C; c++) {
        double w = exp(logits[c]) / tot;
        /* Binomial share: SE √(w(1−w)/N); mean: SE σ/√n; sd: SE ≈ σ/√(2n). 5 SE each. */
        cr_assert(fabs(n[c] / N - w) < 5 * sqrt(w * (1 - w) / N), "component %d: share %g vs %g",
                  c, n[c] / N, w);
        for (int j = 0; j < Z; j++) {
            double s = sd[c * Z + j], m = s1[c][j] / n[c], v = sqrt(s2[c][j] / (n[c] - 1));
            cr_assert(fabs(m - means[c * Z + j]) < 5 * s / sqrt(n[c]),
                      "component %d dim %d: mean %g vs %g", c, j, m, means[c * Z + j]);
            cr_assert(fabs(v - s) < 5 * s / sqrt(2 * n[c]), "component %d dim %d: sd %g vs %g",
                      c, j, v, s);
        }
    }
    vt_ctx_free(ctx);
}

/* log N(z; mu, Σ) by Cholesky of Σ in double. */
static double mvn_logpdf(int Z, const double *z, const double *mu, const double *S) {
    double L[8][8] = {{0}}, y[8], acc = 0;
    for (int i = 0; i < Z; i++)
        for (int j = 0; j <= i; j++) {
            double s = S[i * Z + j];
            for (int k = 0; k < j; k++) s -= L[i][k] * L[j][k];
            L[i][j] = i == j ? sqrt(s) : s / L[j][j];
        }
    for (int i = 0; i < Z; i++) {
        double s = z[i] - mu[i];
        for (int k = 0; k < i; k++) s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
        acc += -0.5 * y[i] * y[i] - log(L[i][i]) - HALF_LOG_2PI;
    }
    return acc;
}

Test(densities, fullcov_log_q_is_the_density_of_z_under_mu_L_Lt) {
    enum { R = 2, Z = 3, K = 4 };
    float mu[R * Z], ls[R * Z], lp[R * Z * Z];
    vt_test_fill_normal(mu, R * Z, 1.0f, 31);
    vt_test_fill_normal(ls, R * Z, 0.4f, 32);
    vt_test_fill_normal(lp, R * Z * Z, 0.8f, 33);   /* upper half and diagonal are masked */
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 34});
    vt_dist *q = vt_fullcov_normal(ctx, vt_from_data(ctx, 2, (int[]){R, Z}, mu),
                                   vt_from_data(ctx, 2, (int[]){R, Z}, ls),
                                   vt_from_data(ctx, 2, (int[]){R, Z * Z}, lp));
    vt_tensor *z = vt_dist_rsample(ctx, q, K);
    vt_tensor *lq = vt_dist_log_prob(ctx, q, z);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    for (int s = 0; s < K * R; s++) {
        int r = s % R;
        double L[Z * Z] = {0}, S[Z * Z] = {0}, m[Z], zz[Z];
        for (int i = 0; i < Z; i++) {
            L[i * Z + i] = exp(ls[r * Z + i]);
            for (int j = 0; j < i; j++) L[i * Z + j] = lp[r * Z * Z + i * Z + j];
            m[i] = mu[r * Z + i];
            zz[i] = z->data[s * Z + i];
        }
        for (int i = 0; i < Z; i++)
            for (int j = 0; j < Z; j++)
                for (int k = 0; k < Z; k++) S[i * Z + j] += L[i * Z + k] * L[j * Z + k];
        double want = mvn_logpdf(Z, zz, m, S);
        /* float32 z and parameters: ~1e-6 relative on terms of size ≤ ~10 */
        cr_assert(fabs(lq->data[s] - want) < 1e-4 * (1 + fabs(want)), "sample %d: %.7g vs %.7g",
                  s, lq->data[s], want);
    }
    vt_ctx_free(ctx);
}

/* ---- vt_log_px on x = zA + σ·noise, z ~ N(0, I): x ~ N(0, AᵀA + σ²I) exactly ---- */
enum { LZ = 2, LX = 4, LN = 5 };
static const double A[LZ][LX] = {{1.0, 0.5, -0.3, 0.8}, {0.2, 1.1, 0.7, -0.6}};
static const double SIGMA = 0.5;

static double exact_log_px(const float *x) {
    double S[LX * LX], mu[LX] = {0}, xd[LX];
    for (int i = 0; i < LX; i++) {
        xd[i] = x[i];
        for (int j = 0; j < LX; j++) {
            S[i * LX + j] = (i == j) * SIGMA * SIGMA;
            for (int k = 0; k < LZ; k++) S[i * LX + j] += A[k][i] * A[k][j];
        }
    }
    return mvn_logpdf(LX, xd, mu, S);
}

/* A VAE with no hidden layer whose decoder is zA (Gaussian, σ fixed) and whose
 * full-covariance encoder gives q(z|x) = N(m x, c·S): the exact posterior when
 * c = 1 (precision P = I + AAᵀ/σ², S = P⁻¹, mean x Aᵀ S / σ²). */
static void linear_gaussian_vae(vt_vae *v, double c) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = LX, cfg.n_hidden = 0, cfg.latent = LZ;
    cfg.posterior = VT_POSTERIOR_FULLCOV;
    cfg.likelihood = VT_LIK_GAUSSIAN_FIXED;
    cfg.lik_logsig = (float)log(SIGMA);
    vt_error err;
    cr_assert_eq(vt_vae_init(v, &cfg, &err), 0, "%s", err.msg);
    double P[4] = {1, 0, 0, 1};
    for (int i = 0; i < LZ; i++)
        for (int j = 0; j < LZ; j++)
            for (int k = 0; k < LX; k++) P[i * 2 + j] += A[i][k] * A[j][k] / (SIGMA * SIGMA);
    double det = P[0] * P[3] - P[1] * P[2];
    double S[4] = {P[3] / det, -P[1] / det, -P[2] / det, P[0] / det};
    double l00 = sqrt(c * S[0]), l10 = c * S[2] / l00, l11 = sqrt(c * S[3] - l10 * l10);
    vt_tensor *ew = v->enc.layer[0].w, *eb = v->enc.layer[0].b;   /* LX x (2Z + Z²) */
    int oc = vt_cols(ew);
    for (int i = 0; i < LX * oc; i++) ew->data[i] = 0;
    for (int i = 0; i < oc; i++) eb->data[i] = 0;
    for (int k = 0; k < LX; k++)
        for (int j = 0; j < LZ; j++)
            ew->data[k * oc + j] = (float)((A[0][k] * S[0 * 2 + j] + A[1][k] * S[1 * 2 + j]) /
                                           (SIGMA * SIGMA));
    eb->data[LZ + 0] = (float)log(l00);
    eb->data[LZ + 1] = (float)log(l11);
    eb->data[2 * LZ + 1 * LZ + 0] = (float)l10;   /* L[1][0] */
    vt_tensor *dw = v->dec.layer[0].w, *db = v->dec.layer[0].b;
    for (int k = 0; k < LZ; k++)
        for (int j = 0; j < LX; j++) dw->data[k * LX + j] = (float)A[k][j];
    for (int j = 0; j < LX; j++) db->data[j] = 0;
    v->model.self = v;
}

static void log_px_case(double c, int samples, double tol) {
    vt_vae v;
    linear_gaussian_vae(&v, c);
    float x[LN * LX];
    vt_test_fill_normal(x, LN * LX, 1.2f, 41);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 42});
    double whole[LN], chunked[LN];
    cr_assert_eq(vt_log_px(ctx, &v.model, x, NULL, LN, LX, 0, samples, 0, whole), 0, "%s",
                 vt_ctx_error(ctx));
    /* 97-row chunks: neither the sample count nor the datapoints divide evenly */
    cr_assert_eq(vt_log_px(ctx, &v.model, x, NULL, LN, LX, 0, samples, 97, chunked), 0, "%s",
                 vt_ctx_error(ctx));
    for (int i = 0; i < LN; i++) {
        double want = exact_log_px(x + i * LX);
        cr_assert(fabs(whole[i] - want) < tol, "x%d whole: %.6f vs exact %.6f", i, whole[i], want);
        cr_assert(fabs(chunked[i] - want) < tol, "x%d chunked: %.6f vs exact %.6f", i, chunked[i],
                  want);
    }
    vt_ctx_free(ctx);
    vt_vae_free(&v);
}

/* With the exact posterior every importance weight is p(x): any sample count gives
 * log p(x) up to float rounding (terms of size ~10 in float32: 1e-4 is ~20x that). */
Test(densities, log_px_is_exact_with_the_exact_posterior) { log_px_case(1.0, 64, 1e-4); }

/* With q three times too wide the ELBO is 2 − log 3 = 0.90 nats below log p(x) (KL of
 * N(m, 3S) from N(m, S) in 2-D); wide proposals keep the weights bounded, and 4000
 * samples bring the estimate within 0.05 (measured spread ~0.01). */
Test(densities, log_px_recovers_the_exact_value_from_a_wide_posterior) {
    log_px_case(3.0, 4000, 0.05);
}
