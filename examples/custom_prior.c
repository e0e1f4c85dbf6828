/* A prior written outside the library: the VampPrior (Tomczak & Welling, 2018),
 *     p(z) = (1/K) Σ_k q(z | u_k),
 * a uniform mixture of the encoder's own posteriors at K learned pseudo-inputs
 * u_k = sigmoid(a_k) (a: a K x 784 parameter, started at K training images). It is
 * vtape's mixture of Gaussians with components computed by the encoder each step, and
 * it enters the model through one callback: the VAE's `model.prior` becomes vamp_prior. No closed-form KL(q ‖ p) is registered for it, so vt_kl falls back to the
 * one-sample Monte-Carlo estimate log q(z) − log p(z).
 * The VampPrior VAE and the standard-normal-prior VAE are trained the same way (same
 * batches, optimizer, steps and seeds) and both are scored on the same test pixels.
 *   usage: custom_prior [--steps N] [--iw L]     (L: samples for log p(x); 0 skips it) */
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "vtape/vtape.h"
#include "vtape/data.h"

enum { K_PSEUDO = 50, BATCH = 128, EVAL_BATCH = 1000, N_IS = 1000 };

/* The prior callback: the encoder's posteriors at the pseudo-inputs are the components
 * of a uniform mixture (logits 0), vtape's vt_mog, whose samples reparameterize
 * through the picked means and log σ, so gradients reach the pseudo-inputs
 * (m->self is the vt_vae, so m->posterior is the stock encoder; unconditional model). */
static vt_dist *vamp_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    const vt_vae *v = m->self;
    vt_tensor *a = vt_store_find(v->store, "vamp.pseudo");
    vt_dist *qu = m->posterior(ctx, m, vt_sigmoid(ctx, a), NULL);
    if (!qu) return NULL;
    vt_tensor *uniform = vt_zeros(ctx, 2, (int[]){1, vt_rows(a)});
    return vt_mog(ctx, rows, uniform, qu->p[0], qu->p[1]);   /* means, log σ: K x Z */
}

/* The pseudo-inputs join the VAE's store, so the optimizer updates them too. */
static int add_pseudo_inputs(vt_vae *v, const vt_dataset *ds, vt_error *err) {
    vt_tensor *a = vt_store_param(v->store, "vamp.pseudo", 2, (int[]){K_PSEUDO, ds->dim}, err);
    if (!a) return -1;
    for (size_t k = 0; k < K_PSEUDO; k++)
        for (int j = 0; j < ds->dim; j++) {   /* logit of image k·n/K, squeezed to (.05, .95) */
            float p = 0.05f + 0.9f * ds->pixels[k * (ds->n / K_PSEUDO) * ds->dim + j];
            a->data[k * ds->dim + j] = logf(p / (1.0f - p));
        }
    return 0;
}

static int train(vt_vae *v, const vt_latent_model *m, const vt_dataset *ds, long steps,
                 vt_error *err) {
    vt_error de;
    vt_batcher *b = vt_batcher_new(ds, &(vt_batcher_opts){.batch_size = BATCH, .seed = 1,
                                   .binarize = VT_BIN_DYNAMIC}, &de);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 7});
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(v->store, &oc, err);   /* fills err when NULL */
    float *x = malloc((size_t)BATCH * ds->dim * sizeof *x);
    int rc = b && ctx && opt && x ? 0 : -1;
    if (!b) vt_error_set(err, VT_EARG, "%s", de.msg);
    else if (rc && opt) vt_error_set(err, VT_EARG, "out of memory");
    const vt_elbo_opts eo = vt_elbo_defaults();   /* estimator B, one sample, β = 1 */
    for (long s = 0, epoch = 0; rc == 0 && s < steps; s++) {
        size_t rows = vt_batcher_next(b, x, NULL);
        if (rows == 0) {   /* end of an epoch: the next one, in a new order */
            vt_batcher_start_epoch(b, (uint64_t)++epoch);
            rows = vt_batcher_next(b, x, NULL);
        }
        vt_ctx_reset(ctx);
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){(int)rows, ds->dim}, x);
        vt_elbo_terms t;
        if (vt_elbo(ctx, m, xb, NULL, &eo, &t) != 0 || vt_backward(ctx, t.loss, NULL) != 0) {
            vt_error_set(err, VT_EARG, "step %ld: %s", s + 1, vt_ctx_error(ctx));
            rc = -1;
        } else if (!isfinite(t.loss->data[0])) {
            vt_error_set(err, VT_EARG, "step %ld: the loss is not finite", s + 1);
            rc = -1;
        } else if (vt_optim_step(opt, 1e-3f, err) != 0) {
            rc = -1;
        }
        vt_store_zero_grad(v->store);
    }
    vt_batcher_free(b);
    vt_ctx_free(ctx);
    vt_optim_free(opt);
    free(x);
    return rc;
}

typedef struct { double nelbo, rec, kl, nll; } score;

/* Test NELBO (estimator B, one sample) over all n images, and −log p(x) by importance
 * sampling with L samples over the first N_IS. The noise is keyed by the batch, so
 * both models see the same draws. */
static int evaluate(const vt_latent_model *m, float *x, int n, int dim, int L, score *out,
                    vt_error *err) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 99});
    double *lp = malloc(N_IS * sizeof *lp);
    int rc = ctx && lp ? 0 : -1;
    if (rc) vt_error_set(err, VT_EARG, "out of memory");
    else vt_set_grad_enabled(ctx, 0);
    const vt_elbo_opts eo = vt_elbo_defaults();
    *out = (score){0};
    for (int i0 = 0; rc == 0 && i0 < n; i0 += EVAL_BATCH) {
        int rows = n - i0 < EVAL_BATCH ? n - i0 : EVAL_BATCH;
        vt_ctx_reset(ctx);
        vt_ctx_set_step(ctx, (uint64_t)i0);
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){rows, dim}, x + (size_t)i0 * dim);
        vt_elbo_terms t;
        rc = vt_elbo(ctx, m, xb, NULL, &eo, &t);
        if (rc != 0) vt_error_set(err, VT_EARG, "evaluation: %s", vt_ctx_error(ctx));
        out->nelbo -= t.elbo * rows / n;
        out->rec += t.rec * rows / n;
        out->kl += t.kl * rows / n;
    }
    int n_is = n < N_IS ? n : N_IS;
    if (rc == 0 && L > 0 && (rc = vt_log_px(ctx, m, x, NULL, n_is, dim, 0, L, 5000, lp)) == 0)
        for (int i = 0; i < n_is; i++) out->nll -= lp[i] / n_is;
    vt_ctx_free(ctx);
    free(lp);
    return rc;
}

/* 1 when a Fashion-MNIST file is not there at all (as opposed to there but unreadable). */
static int data_absent(const char *dir) {
    static const char *const files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (stat(path, &st) != 0 && errno == ENOENT) return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    long steps = 469, L = 100;   /* 469 batches of 128: one epoch of 60000 images */
    for (int i = 1; i < argc; i++) {
        long *dst = !strcmp(argv[i], "--steps") ? &steps : !strcmp(argv[i], "--iw") ? &L : NULL;
        char *end = NULL;
        if (dst && i + 1 < argc) *dst = strtol(argv[++i], &end, 10);
        if (!end || end == argv[i] || *end || steps < 1 || L < 0 || steps > 10000000 || L > 100000) {
            fprintf(stderr, "usage: %s [--steps N >= 1] [--iw L >= 0 (0: skip log p(x))]\n", argv[0]);
            return 2;
        }
    }
    vt_dataset tr = {0}, te = {0};
    vt_error de;
    const char *dir = getenv("VT_FASHION_DIR");   /* a copy elsewhere; unset: the installed set */
    dir = dir && *dir ? dir : VT_FASHION_DIR;
    if (vt_dataset_load_fashion(&tr, &te, dir, &de) != 0) {
        fprintf(stderr, "custom_prior: %s\n", de.msg);
        return data_absent(dir) ? 77 : 1;   /* 77: not installed (ctest: skip); damaged: fail */
    }
    /* One fixed Bernoulli sample of the test set, shared by both models. */
    vt_batcher *tb = vt_batcher_new(&te, &(vt_batcher_opts){.batch_size = te.n, .seed = 12345,
                                    .in_order = 1, .binarize = VT_BIN_STATIC}, &de);
    float *xt = malloc(te.n * te.dim * sizeof *xt);
    vt_error err = {VT_ENOMEM, "out of memory"};
    int rc = tb && xt && vt_batcher_next(tb, xt, NULL) == te.n ? 0 : -1;
    if (!tb) err = de;
    vt_vae_config cfg = vt_vae_default_config();   /* 784-512-256, Z = 32, Bernoulli */
    cfg.seed = 1;
    vt_vae vae[2];
    memset(vae, 0, sizeof vae);   /* vt_vae_free is safe on a zeroed model */
    for (int i = 0; i < 2 && rc == 0; i++) rc = vt_vae_init(&vae[i], &cfg, &err);
    rc = rc ? rc : add_pseudo_inputs(&vae[1], &tr, &err);
    if (rc == 0) vae[1].model.prior = vamp_prior;   /* the stock VAE, with our prior */
    score sc[2];
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = train(&vae[i], &vae[i].model, &tr, steps, &err);
        rc = rc ? rc : evaluate(&vae[i].model, xt, (int)te.n, te.dim, (int)L, &sc[i], &err);
    }
    if (rc == 0) {
        const char *names[2] = {"N(0, I)", "VampPrior K=50"};
        printf("Fashion-MNIST, %d-%d-%d-%d VAE, %ld Adam steps (batch %d, lr 1e-3) per model\n",
               cfg.x_dim, cfg.hidden[0], cfg.hidden[1], cfg.latent, steps, BATCH);
        printf("%-16s %12s %10s %8s", "prior", "test NELBO", "rec", "KL");
        if (L > 0) printf("   -log p(x) (L=%ld, %d images)", L, te.n < N_IS ? (int)te.n : N_IS);
        for (int i = 0; i < 2; i++) {
            printf("\n%-16s %12.2f %10.2f %8.2f", names[i], sc[i].nelbo, sc[i].rec, sc[i].kl);
            if (L > 0) printf("   %9.2f", sc[i].nll);
        }
        printf("\n(nats per image; lower is better)\n");
    } else {
        fprintf(stderr, "custom_prior: %s\n", err.msg);
    }
    vt_vae_free(&vae[0]);
    vt_vae_free(&vae[1]);
    vt_batcher_free(tb);
    free(xt);
    vt_dataset_free(&tr);
    vt_dataset_free(&te);
    return rc ? 1 : 0;
}
