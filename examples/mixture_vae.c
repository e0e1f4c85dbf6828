/* A latent model of two layers written outside the library, with a discrete top: a
 * Gaussian-mixture VAE whose mixture component is a Gumbel-softmax latent.
 *
 *   model  c ~ Categorical(1/C),  z | c ~ N(μ_c, diag σ_c²),  x | z ~ Bernoulli(dec(z))
 *   guide  z ~ q(z | x) = N(enc(x)),  c ~ q(c | z) = Concrete(cls(z), τ)
 *
 * The guide and the model name their sites ("z", "c") through the trace; the library's
 * estimators pair them: the closed-form categorical KL for c (the relaxed ELBO of Jang
 * et al.), a Monte-Carlo term for z (its prior depends on c, drawn after z). Training
 * relaxes c at a temperature annealed from 1 to 0.5; evaluation draws c exactly (hard)
 * and scores it by its probabilities: the discrete ELBO and importance-sampled log p(x).
 *   usage: mixture_vae [--steps N] [--iw L]     (L: samples for log p(x); 0 skips it) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vtape/vtape.h"
#include "vtape/data.h"

enum { Z = 32, C = 10, BATCH = 128, EVAL_BATCH = 1000, N_IS = 1000 };

typedef struct {
    vt_store *store;
    vt_mlp enc, dec, cls;             /* x → (μ, log σ);  z → logits of x;  z → logits of c */
    vt_tensor *means, *logsigs;       /* C x Z: the mixture's components */
    float tau;                        /* temperature of the relaxed c */
    int hard;                         /* evaluation: exact c */
} mixture_vae;

static int guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *cond, vt_trace *tr) {
    const mixture_vae *g = m->self;
    vt_tensor *o = vt_mlp_forward(ctx, &g->enc, x);
    vt_tensor *z = vt_trace_sample(ctx, tr, "z", vt_normal(ctx, vt_slice_cols(ctx, o, 0, Z),
                                                           vt_slice_cols(ctx, o, Z, Z)));
    vt_trace_sample(ctx, tr, "c", vt_concrete(ctx, vt_mlp_forward(ctx, &g->cls, z), C, g->tau, g->hard));
    return 0;
}

static vt_dist *model(vt_ctx *ctx, const vt_model *m, vt_tensor *cond, vt_trace *tr) {
    const mixture_vae *g = m->self;
    vt_tensor *uniform = vt_zeros(ctx, 2, (int[]){1, C});
    vt_tensor *log_c = vt_trace_latent(ctx, tr, "c", vt_concrete(ctx, uniform, C, g->tau, g->hard));
    vt_tensor *c = vt_exp(ctx, log_c);   /* relaxed (or exact) one-hot, K·R x C */
    vt_dist *pz = vt_normal(ctx, vt_matmul(ctx, c, g->means), vt_matmul(ctx, c, g->logsigs));
    vt_tensor *z = vt_trace_latent(ctx, tr, "z", pz);
    return vt_bernoulli_logits(ctx, vt_mlp_forward(ctx, &g->dec, z));
}

static int init(mixture_vae *g, int dim, vt_error *err) {
    memset(g, 0, sizeof *g);
    g->store = vt_store_new();
    g->tau = 1.0f;
    if (!g->store ||
        vt_mlp_init(&g->enc, g->store, "enc", 4, (int[]){dim, 512, 256, 2 * Z}, VT_ACT_RELU, 1, err) ||
        vt_mlp_init(&g->dec, g->store, "dec", 4, (int[]){Z, 256, 512, dim}, VT_ACT_RELU, 1, err) ||
        vt_mlp_init(&g->cls, g->store, "cls", 3, (int[]){Z, 64, C}, VT_ACT_RELU, 1, err))
        return -1;
    g->means = vt_store_param(g->store, "mix.means", 2, (int[]){C, Z}, err);
    g->logsigs = vt_store_param(g->store, "mix.logsigs", 2, (int[]){C, Z}, err);
    if (!g->means || !g->logsigs) return -1;
    vt_philox_normal(1, 0, 0x61, 0, (size_t)C * Z, g->means->data);   /* spread components */
    return 0;
}

static int train(mixture_vae *g, const vt_model *m, const vt_dataset *ds, long steps, vt_error *err) {
    vt_error de;
    vt_batcher *b = vt_batcher_new(ds, &(vt_batcher_opts){.batch_size = BATCH, .seed = 1,
                                   .binarize = VT_BIN_DYNAMIC}, &de);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 7});
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(g->store, &oc, err);
    float *x = malloc((size_t)BATCH * ds->dim * sizeof *x);
    int rc = b && ctx && opt && x ? 0 : -1;
    if (!b) vt_error_set(err, VT_EARG, "%s", de.msg);
    const vt_elbo_opts eo = vt_elbo_defaults();   /* analytic where it applies, K 1, β 1 */
    for (long s = 0, epoch = 0; rc == 0 && s < steps; s++) {
        size_t rows = vt_batcher_next(b, x, NULL);
        if (rows == 0) {
            vt_batcher_start_epoch(b, (uint64_t)++epoch);
            rows = vt_batcher_next(b, x, NULL);
        }
        g->tau = fmaxf(0.5f, expf(-1e-4f * (float)s));   /* Jang et al.'s annealing */
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        if (vt_model_elbo(ctx, m, vt_tensor_wrap(ctx, 2, (int[]){(int)rows, ds->dim}, x), NULL,
                          &eo, &t) != 0 || vt_backward(ctx, t.loss, NULL) != 0) {
            vt_error_set(err, VT_EARG, "step %ld: %s", s + 1, vt_ctx_error(ctx));
            rc = -1;
        } else if (!isfinite(t.loss->data[0]) || vt_optim_step(opt, 1e-3f, err) != 0) {
            if (!isfinite(t.loss->data[0])) vt_error_set(err, VT_EARG, "step %ld: loss not finite", s + 1);
            rc = -1;
        }
        vt_store_zero_grad(g->store);
    }
    vt_batcher_free(b);
    vt_ctx_free(ctx);
    vt_optim_free(opt);
    free(x);
    return rc;
}

/* The discrete ELBO over all n test images (per-site KLs too) and −log p(x) over the
 * first N_IS with L samples, c drawn exactly. */
static int evaluate(mixture_vae *g, const vt_model *m, float *x, int n, int dim, int L, vt_error *err) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 99});
    double *lp = malloc(N_IS * sizeof *lp), nelbo = 0, kl[2] = {0}, nll = 0;
    int rc = ctx && lp ? 0 : -1;
    g->hard = 1;
    if (ctx) vt_set_grad_enabled(ctx, 0);
    for (int i0 = 0; rc == 0 && i0 < n; i0 += EVAL_BATCH) {
        int rows = n - i0 < EVAL_BATCH ? n - i0 : EVAL_BATCH;
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        rc = vt_model_elbo(ctx, m, vt_tensor_wrap(ctx, 2, (int[]){rows, dim}, x + (size_t)i0 * dim),
                           NULL, NULL, &t);
        if (rc != 0) vt_error_set(err, VT_EARG, "evaluation: %s", vt_ctx_error(ctx));
        nelbo -= t.elbo * rows / n;
        for (int s = 0; s < 2 && rc == 0; s++) kl[s] += t.site_kl[s].kl * rows / n;
    }
    int n_is = n < N_IS ? n : N_IS;
    if (rc == 0 && L > 0) {
        rc = vt_model_log_px(ctx, m, x, NULL, n_is, dim, 0, L, 5000, lp);
        if (rc != 0) vt_error_set(err, VT_EARG, "log p(x): %s", vt_ctx_error(ctx));
        for (int i = 0; rc == 0 && i < n_is; i++) nll -= lp[i] / n_is;
    }
    if (rc == 0) {
        printf("test discrete ELBO: NELBO %.2f (KL of z %.2f, KL of c %.2f)", nelbo, kl[0], kl[1]);
        if (L > 0) printf("; -log p(x) %.2f (L=%d, %d images)", nll, L, n_is);
        printf("\n");
    }
    g->hard = 0;
    vt_ctx_free(ctx);
    free(lp);
    return rc;
}

int main(int argc, char **argv) {
    long steps = 469, L = 100;   /* one epoch */
    for (int i = 1; i < argc; i++) {
        long *dst = !strcmp(argv[i], "--steps") ? &steps : !strcmp(argv[i], "--iw") ? &L : NULL;
        char *end = NULL;
        if (dst && i + 1 < argc) *dst = strtol(argv[++i], &end, 10);
        if (!end || end == argv[i] || *end || steps < 1 || L < 0 || L > 100000) {
            fprintf(stderr, "usage: %s [--steps N >= 1] [--iw L >= 0]\n", argv[0]);
            return 2;
        }
    }
    vt_dataset tr = {0}, te = {0};
    vt_error err = {0};
    if (vt_dataset_load_fashion(&tr, &te, NULL, &err) != 0) {
        fprintf(stderr, "mixture_vae: %s\n", err.msg);
        return err.code == VT_EIO ? 77 : 1;   /* 77: dataset missing (ctest: skip) */
    }
    vt_batcher *tb = vt_batcher_new(&te, &(vt_batcher_opts){.batch_size = te.n, .seed = 12345,
                                    .in_order = 1, .binarize = VT_BIN_STATIC}, &err);
    float *xt = malloc(te.n * te.dim * sizeof *xt);
    mixture_vae g = {0};
    vt_model m = {guide, model, &g};
    int rc = tb && xt && vt_batcher_next(tb, xt, NULL) == te.n ? 0 : -1;
    rc = rc ? rc : init(&g, te.dim, &err);
    rc = rc ? rc : train(&g, &m, &tr, steps, &err);
    if (rc == 0) printf("mixture VAE (Gumbel-softmax top, C=%d, Z=%d), %ld Adam steps\n", C, Z, steps);
    rc = rc ? rc : evaluate(&g, &m, xt, (int)te.n, te.dim, (int)L, &err);
    if (rc) fprintf(stderr, "mixture_vae: %s\n", err.msg[0] ? err.msg : "out of memory");
    vt_store_free(g.store);
    vt_batcher_free(tb);
    free(xt);
    vt_dataset_free(&tr);
    vt_dataset_free(&te);
    return rc ? 1 : 0;
}
