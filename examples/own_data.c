/* Your own data, your own model, in your own project: a VAE with a continuous
 * Bernoulli decoder trained on an NPY, IDX or CSV file of values in [0, 1], then its
 * diagnostics. Builds against an installed vtape as
 *     cc own_data.c $(pkg-config --cflags --libs vtape) -lm -o own_data
 * (or find_package(vtape) + target_link_libraries(own_data vtape::vtape)).
 *     own_data [FILE [EPOCHS]]     FILE: n x d (or n x h x w) examples;
 *                                  default: Fashion-MNIST's test images */
#include <stdio.h>
#include <stdlib.h>
#include "vtape/vtape.h"

enum { BATCH = 128 };

static int train_epoch(vt_vae *v, vt_optim *opt, vt_ctx *ctx, vt_batcher *b, float *x, int dim,
                       long epoch, double *nelbo) {
    vt_elbo_opts eo = vt_elbo_defaults();
    vt_batcher_start_epoch(b, (uint64_t)epoch);
    size_t rows;
    int batches = 0;
    *nelbo = 0;
    while ((rows = vt_batcher_next(b, x, NULL)) > 0) {
        vt_ctx_reset(ctx);
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){(int)rows, dim}, x);
        vt_elbo_terms t;
        vt_error err;
        if (vt_vae_loss(ctx, v, xb, NULL, &eo, &t) != 0 || vt_backward(ctx, t.loss, NULL) != 0) {
            fprintf(stderr, "own_data: %s\n", vt_ctx_error(ctx));
            return -1;
        }
        if (vt_optim_step(opt, 1e-3f, &err) != 0) {
            fprintf(stderr, "own_data: %s\n", err.msg);
            return -1;
        }
        vt_store_zero_grad(v->store);
        *nelbo -= t.elbo;
        batches++;
    }
    *nelbo /= batches;
    return 0;
}

static void diagnose(vt_vae *v, const vt_dataset *ds) {
    int n = ds->n < 2000 ? (int)ds->n : 2000;
    vt_latent_stats s;
    vt_gap_result g;
    vt_error err;
    if (vt_latent_stats_compute(v, ds->pixels, NULL, n, NULL, &s, &err) != 0) {
        fprintf(stderr, "own_data: %s\n", err.msg);
        return;
    }
    printf("%d of %d latent units active; KL %.2f nats = I(x;z) %.2f + KL(q(z)||p(z)) %.2f\n",
           s.active_units, s.latent, s.kl, s.mutual_info, s.marginal_kl);
    vt_latent_stats_free(&s);
    vt_gap_opts go = {.steps = 100, .elbo_samples = 200, .iw_samples = 200};
    if (vt_inference_gap(v, ds->pixels, NULL, 50, &go, &g, &err) == 0)
        printf("inference gap %.2f = approximation %.2f + amortization %.2f nats (50 points)\n",
               g.total_gap, g.approximation_gap, g.amortization_gap);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : VT_FASHION_DIR "/t10k-images-idx3-ubyte.gz";
    long epochs = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    vt_dataset ds;
    vt_error err;
    if (vt_dataset_read(&ds, path, NULL, NULL, &err) != 0) {
        fprintf(stderr, "own_data: %s\n", err.msg);
        return argc > 1 || err.code != VT_EIO ? 1 : 77;   /* 77: no Fashion-MNIST (skip) */
    }
    if (!vt_dataset_range(&ds, NULL, NULL)) {
        fprintf(stderr, "own_data: %s: values outside [0, 1]; use VT_LIK_GAUSSIAN_LEARNED\n", path);
        vt_dataset_free(&ds);
        return 1;
    }
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = ds.dim, cfg.hidden[0] = 256, cfg.hidden[1] = 128, cfg.latent = 16;
    cfg.likelihood = VT_LIK_CONT_BERNOULLI;   /* grey values as they are, not binarized */
    vt_vae v;
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = NULL;
    vt_batcher *b = NULL;
    vt_ctx *ctx = vt_ctx_new(NULL);
    float *x = malloc((size_t)BATCH * ds.dim * sizeof *x);
    int rc = vt_vae_init(&v, &cfg, &err);
    if (rc == 0 && !(opt = vt_optim_new(v.store, &oc, &err))) rc = -1;
    if (rc == 0 && !(b = vt_batcher_new(&ds, &(vt_batcher_opts){.batch_size = BATCH, .seed = 1},
                                        &err))) rc = -1;
    if (rc != 0 || !ctx || !x) fprintf(stderr, "own_data: %s\n", rc ? err.msg : "out of memory");
    for (long e = 0; rc == 0 && ctx && x && e < epochs; e++) {
        double nelbo;
        rc = train_epoch(&v, opt, ctx, b, x, ds.dim, e, &nelbo);
        if (rc == 0) printf("epoch %ld: NELBO %.2f nats per example (%zu examples of %d values)\n",
                            e + 1, nelbo, ds.n, ds.dim);
    }
    if (rc == 0 && ctx && x) diagnose(&v, &ds);
    vt_batcher_free(b);
    vt_optim_free(opt);
    vt_vae_free(&v);   /* safe after a failed init too */
    vt_ctx_free(ctx);
    free(x);
    vt_dataset_free(&ds);
    return rc == 0 && ctx && x ? 0 : 1;
}
