/* Properties of trained models:
 *  - a full-covariance posterior beats the diagonal one where the true posterior is
 *    correlated (a linear-Gaussian model with a fixed decoder, where log p(x) is exact),
 *    and importance sampling recovers that exact log p(x), chunked or not;
 *  - on a VAE trained on Fashion-MNIST, the IWAE bound is ≥ the ELBO and rises with K;
 *  - CVAE samples follow the requested class, judged by a nearest-class-mean
 *    classifier built from the real test images.
 * The Fashion-MNIST tests skip when the dataset package is absent (fail under
 * VT_TEST_NO_SKIP, see skip.h). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "skip.h"
#include "support.h"
#include "vtape/data.h"
#include "vtape/vtape.h"

/* ---------------- full covariance vs diagonal ---------------- */
enum { LZ = 2, LX = 4, LN = 2000 };
static const float A[LZ * LX] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.2f, 0.8f, 1.0f};
static const float SIGMA = 0.5f;

typedef struct {
    vt_mlp enc;
    int fullcov;
    vt_tensor a, logsig;   /* constants: the decoder is fixed */
} linear_model;

static vt_dist *lm_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const linear_model *lm = m->self;
    vt_tensor *o = vt_mlp_forward(ctx, &lm->enc, x);
    vt_tensor *mu = vt_slice_cols(ctx, o, 0, LZ), *ls = vt_slice_cols(ctx, o, LZ, LZ);
    return lm->fullcov ? vt_fullcov_normal(ctx, mu, ls, vt_slice_cols(ctx, o, 2 * LZ, LZ * LZ))
                       : vt_normal(ctx, mu, ls);
}
static vt_dist *lm_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    return vt_std_normal(ctx, rows, LZ);
}
static vt_dist *lm_likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    linear_model *lm = m->self;
    return vt_normal(ctx, vt_matmul(ctx, z, &lm->a), &lm->logsig);
}

/* Exact log p(x) for x ~ N(0, AᵀA + σ²I), by Cholesky in double. */
static double exact_log_px(const float *x) {
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

/* Importance-sampled log p(x) of the trained model on the first IS_N points, in small
 * chunks (is_small) and in one chunk (is_whole); exact log p(x) of the same points. */
enum { IS_N = 200, IS_K = 4000 };
typedef struct { double is_small, is_whole, exact; } is_result;

static void importance_sample(vt_ctx *ctx, const vt_latent_model *m, const float *data,
                              is_result *r) {
    static double small[IS_N], whole[IS_N];
    cr_assert_eq(vt_log_px(ctx, m, data, NULL, IS_N, LX, 0, IS_K, 1000, small),
                 0, "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_log_px(ctx, m, data, NULL, IS_N, LX, 0, IS_K, 0, whole),
                 0, "%s", vt_ctx_error(ctx));
    *r = (is_result){0};
    for (int i = 0; i < IS_N; i++) {
        r->is_small += small[i] / IS_N;
        r->is_whole += whole[i] / IS_N;
        r->exact += exact_log_px(data + i * LX) / IS_N;
    }
}

static double train_linear(int fullcov, const float *data, double *exact, is_result *is) {
    vt_store *s = vt_store_new();
    linear_model lm = {.fullcov = fullcov};
    int dims[3] = {LX, 32, 2 * LZ + (fullcov ? LZ * LZ : 0)};
    cr_assert_eq(vt_mlp_init(&lm.enc, s, "enc", 3, dims, VT_ACT_TANH, 1, NULL), 0);
    float ls[LX];
    for (int i = 0; i < LX; i++) ls[i] = logf(SIGMA);
    lm.a = (vt_tensor){.data = (float *)A, .ndim = 2, .shape = {LZ, LX}};
    lm.logsig = (vt_tensor){.data = ls, .ndim = 2, .shape = {1, LX}};
    vt_latent_model m = {lm_posterior, lm_prior, lm_likelihood, &lm};
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_error err = {0};
    vt_optim *opt = vt_optim_new(s, &oc, &err);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 5});
    for (int step = 0; step < 3000; step++) {
        int b0 = (step * 100) % LN;
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        vt_tensor *x = vt_tensor_wrap(ctx, 2, (int[]){100, LX}, (float *)data + b0 * LX);
        cr_assert_eq(vt_elbo(ctx, &m, x, NULL, NULL, &t), 0, "%s", vt_ctx_error(ctx));
        cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
        vt_optim_step(opt, step < 2000 ? 3e-3f : 1e-3f, NULL);
        vt_store_zero_grad(s);
    }
    /* ELBO on all data, 200 samples per point (analytic KL, Monte-Carlo reconstruction). */
    vt_ctx_reset(ctx);
    vt_set_grad_enabled(ctx, 0);
    vt_elbo_opts o = vt_elbo_defaults();
    o.k = 200;
    vt_elbo_terms t;
    cr_assert_eq(vt_elbo(ctx, &m, vt_tensor_wrap(ctx, 2, (int[]){LN, LX}, (float *)data), NULL, &o, &t), 0);
    double e = 0;
    for (int i = 0; i < LN; i++) e += exact_log_px(data + i * LX);
    *exact = e / LN;
    if (is) importance_sample(ctx, &m, data, is);
    vt_optim_free(opt);
    vt_ctx_free(ctx);
    vt_store_free(s);
    return t.elbo;
}

Test(trained, fullcov_posterior_beats_diagonal_on_a_correlated_posterior, .timeout = 600) {
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
    is_result isd, isf;
    double exact, diag = train_linear(0, data, &exact, &isd), full = train_linear(1, data, &exact, &isf);
    cr_log_info("log p(x) %.3f, full-cov ELBO %.3f, diagonal ELBO %.3f", exact, full, diag);
    /* True posterior correlation here is about −0.93: the best diagonal q loses
     * −½ log(1 − ρ²) ≈ 1 nat; a full-covariance q can lose nothing. */
    cr_assert(full > diag + 0.5, "full-cov %.3f vs diagonal %.3f", full, diag);
    cr_assert(full <= exact + 0.05, "an ELBO above log p(x): %.3f > %.3f", full, exact);
    cr_assert(full > exact - 0.15, "full-cov ELBO %.3f far below log p(x) %.3f", full, exact);

    /* Importance-sampled log p(x), K = 4000, on the first 200 points. With the
     * full-covariance posterior as proposal the weights are nearly constant, so the
     * estimate must sit on the exact value (bias −Var(w)/(2K·E[w]²) and noise both
     * far below 0.01 nat). The diagonal proposal is narrower than the posterior along
     * its long axis (variance 0.135 against 1.93), so the weights' variance is
     * infinite and the estimate converges slowly from below: it must still recover
     * most of the diagonal ELBO's ~1 nat gap and never exceed log p(x) by more than
     * noise. */
    cr_log_info("log p(x) of %d points: exact %.4f; importance-sampled with full-cov q %.4f "
                "(chunked) %.4f (one chunk), with diagonal q %.4f (chunked) %.4f (one chunk)",
                IS_N, isf.exact, isf.is_small, isf.is_whole, isd.is_small, isd.is_whole);
    cr_assert(fabs(isf.is_small - isf.exact) < 0.02, "IS %.4f vs exact %.4f", isf.is_small, isf.exact);
    cr_assert(fabs(isf.is_whole - isf.exact) < 0.02, "IS %.4f vs exact %.4f", isf.is_whole, isf.exact);
    for (int i = 0; i < 2; i++) {
        double v = i ? isd.is_whole : isd.is_small;
        cr_assert(v > isd.exact - 0.4 && v < isd.exact + 0.05,
                  "IS with diagonal q %.4f vs exact %.4f (ELBO gap %.2f)", v, isd.exact, exact - diag);
    }
}

/* ---------------- trained on Fashion-MNIST ---------------- */

/* A small (C)VAE (one hidden layer of 256) trained for 4 epochs on 20000 images. */
static void train_small(vt_vae *v, int n_classes, int latent, vt_dataset *train) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.n_hidden = 1;
    cfg.hidden[0] = 256;
    cfg.latent = latent;
    vt_error err = {0};
    int rc = n_classes ? vt_cvae_init(v, &cfg, n_classes, &err)
                       : vt_vae_init(v, &cfg, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(v->store, &oc, &err);
    vt_error de;
    vt_batcher_opts bo = {.batch_size = 100, .seed = 1, .binarize = VT_BIN_DYNAMIC};
    vt_batcher *b = vt_batcher_new(train, &bo, &de);
    cr_assert_not_null(b, "%s", de.msg);
    float *x = malloc(100 * 784 * sizeof *x);
    uint8_t y[100];
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    for (int epoch = 0; epoch < 4; epoch++) {
        vt_batcher_start_epoch(b, (uint64_t)epoch);
        size_t rows;
        while ((rows = vt_batcher_next(b, x, y)) > 0) {
            vt_ctx_reset(ctx);
            vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){(int)rows, 784}, x);
            vt_tensor *c = n_classes ? vt_one_hot_tensor(ctx, y, (int)rows, n_classes) : NULL;
            vt_elbo_terms t;
            cr_assert_eq(vt_vae_loss(ctx, v, xb, c, NULL, &t), 0, "%s", vt_ctx_error(ctx));
            cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
            vt_optim_step(opt, 1e-3f, NULL);
            vt_store_zero_grad(v->store);
        }
    }
    vt_ctx_free(ctx);
    free(x);
    vt_batcher_free(b);
    vt_optim_free(opt);
}

static void load(vt_dataset *train, vt_dataset *test) {
    vt_error de;
    cr_assert_eq(vt_dataset_load_fashion(train, test, vt_test_data_dir(), &de), 0, "%s", de.msg);
    vt_dataset_truncate(train, 20000);
}

Test(trained, iwae_bound_is_above_elbo_and_rises_with_k, .timeout = 900) {
    vt_test_require_data();
    vt_dataset train, test;
    load(&train, &test);
    vt_vae v;
    train_small(&v, 0, 8, &train);
    enum { N = 500 };
    float *x = malloc(N * 784 * sizeof *x), u[784];
    for (int i = 0; i < N; i++) {   /* a fixed binarization of the first test images */
        vt_philox_uniform(99, 0, (uint64_t)i, 0, 784, u);
        for (int j = 0; j < 784; j++) x[i * 784 + j] = u[j] < test.pixels[i * 784 + j];
    }
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 4});
    vt_set_grad_enabled(ctx, 0);
    int ks[3] = {1, 10, 100};
    double bound[3], elbo;
    for (int i = 0; i < 3; i++) {
        vt_ctx_reset(ctx);
        vt_elbo_opts o = vt_elbo_defaults();
        o.estimator = VT_EST_IWAE;
        o.k = ks[i];
        vt_elbo_terms t;
        cr_assert_eq(vt_vae_loss(ctx, &v, vt_tensor_wrap(ctx, 2, (int[]){N, 784}, x), NULL, &o, &t), 0);
        bound[i] = t.elbo;
    }
    vt_ctx_reset(ctx);
    vt_elbo_opts o = vt_elbo_defaults();
    o.k = 100;   /* the ELBO itself, its Monte-Carlo noise averaged away */
    vt_elbo_terms t;
    cr_assert_eq(vt_vae_loss(ctx, &v, vt_tensor_wrap(ctx, 2, (int[]){N, 784}, x), NULL, &o, &t), 0);
    elbo = t.elbo;
    cr_log_info("ELBO %.2f; IWAE K=1 %.2f, K=10 %.2f, K=100 %.2f", elbo, bound[0], bound[1], bound[2]);
    /* K = 1 is an unbiased estimate of the ELBO: within 5 SE of ~0.5 nat over 500 images. */
    cr_assert(fabs(bound[0] - elbo) < 2.5, "IWAE K=1 %.2f vs ELBO %.2f", bound[0], elbo);
    cr_assert(bound[1] > elbo + 0.3, "IWAE K=10 %.2f not above ELBO %.2f", bound[1], elbo);
    cr_assert(bound[2] > bound[1] + 0.3, "IWAE K=100 %.2f not above K=10 %.2f", bound[2], bound[1]);
    vt_ctx_free(ctx);
    free(x);
    vt_vae_free(&v);
    vt_dataset_free(&train);
    vt_dataset_free(&test);
}

static int nearest_class(double mean[10][784], const float *img) {
    int best = 0;
    double bd = INFINITY;
    for (int k = 0; k < 10; k++) {
        double d = 0;
        for (int j = 0; j < 784; j++) d += (img[j] - mean[k][j]) * (img[j] - mean[k][j]);
        if (d < bd) { bd = d; best = k; }
    }
    return best;
}

Test(trained, cvae_samples_follow_the_requested_class, .timeout = 900) {
    vt_test_require_data();
    vt_dataset train, test;
    load(&train, &test);
    vt_vae v;
    /* A 2-D latent leaves the class to the label, so the decoder must use it. */
    train_small(&v, 10, 2, &train);
    /* The classifier: the mean test image of each class; a sample gets the class whose
     * mean is nearest in Euclidean distance. On the real test images it scores ~0.68. */
    static double mean[10][784];
    int count[10] = {0};
    for (size_t i = 0; i < test.n; i++) {
        count[test.labels[i]]++;
        for (int j = 0; j < 784; j++) mean[test.labels[i]][j] += test.pixels[i * 784 + j];
    }
    for (int c = 0; c < 10; c++)
        for (int j = 0; j < 784; j++) mean[c][j] /= count[c];
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 6});
    vt_set_grad_enabled(ctx, 0);
    enum { PER_CLASS = 100 };
    int predicted[10][10] = {{0}};   /* [requested class][classifier's class] */
    for (int c = 0; c < 10; c++) {
        vt_ctx_reset(ctx);
        vt_tensor *s = vt_cvae_generate_class(ctx, &v, PER_CLASS, c);
        cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
        for (int i = 0; i < PER_CLASS; i++) predicted[c][nearest_class(mean, s->data + i * 784)]++;
    }
    int hits = 0, classes_followed = 0;
    for (int c = 0; c < 10; c++) {
        hits += predicted[c][c];
        /* Class c is followed when asking for c yields c more often than asking for
         * any other class does. */
        int others = 0;
        for (int r = 0; r < 10; r++) others = r != c && predicted[r][c] > others ? predicted[r][c] : others;
        classes_followed += predicted[c][c] > others;
        cr_log_info("class %d: %3d of %d samples classified as %d; most from another request: %d",
                    c, predicted[c][c], PER_CLASS, c, others);
    }
    double acc = (double)hits / (10 * PER_CLASS);
    cr_log_info("nearest-class-mean accuracy %.3f; %d of 10 classes followed", acc,
                classes_followed);
    /* Prior samples of a briefly trained CVAE fall partly off the data manifold and
     * decode to blurred images that this simple classifier often misreads: the same
     * CVAE trained by ../shared/bench/torch_vae.py for 2 epochs scores 0.25 here as
     * well (with a 32-D latent). So the bars are set against a generator that ignores
     * the label: its accuracy would be 0.1 (SE 0.0095 over 1000 samples), and 0.2 is
     * 10 SE above it; each class would be "followed" with probability ~1/10, so 7 of
     * 10 is out of its reach (here: 0.32 and 9 of 10). */
    cr_assert(acc > 0.2, "sample accuracy %.3f (chance is 0.1)", acc);
    cr_assert(classes_followed >= 7, "only %d of 10 classes followed", classes_followed);
    vt_ctx_free(ctx);
    vt_vae_free(&v);
    vt_dataset_free(&train);
    vt_dataset_free(&test);
}
