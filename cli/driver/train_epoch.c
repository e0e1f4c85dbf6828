/* The training loop of one epoch. */
#include "cli/driver/train_epoch.h"

#include <math.h>
#include <stdio.h>
#include "cli/cli.h"
#include "cli/report/progress.h"

int cli_train_epoch(cli_trainer *t, long epoch, long n_epochs, cli_epoch_stats *out, vt_error *err) {
    vt_vae *v = t->v;
    int dim = v->cfg.x_dim, classes = v->cfg.n_classes;
    double sum_elbo = 0, sum_rec = 0, sum_kl = 0;
    long images = 0, batches = (long)vt_batcher_batches_per_epoch(t->batcher);
    char label[64], note[96];
    snprintf(label, sizeof label, "epoch %ld/%ld", epoch + 1, n_epochs);
    cli_progress bar;
    cli_progress_start(&bar, stderr, t->progress, label, batches);
    *out = (cli_epoch_stats){0};
    double start = cli_now();
    vt_batcher_start_epoch(t->batcher, (uint64_t)epoch);
    size_t rows;
    for (long b = 0; (rows = vt_batcher_next(t->batcher, t->x, t->labels)) > 0; b++) {
        vt_ctx *ctx = t->ctx;
        vt_ctx_reset(ctx);
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){(int)rows, dim}, t->x);
        vt_tensor *c = classes ? vt_one_hot_tensor(ctx, t->labels, (int)rows, classes) : NULL;
        vt_elbo_terms terms;
        float lr = vt_lr_at(&t->lr, t->step);
        if (vt_beta_vae_loss(ctx, v, xb, c, &t->elbo, &t->beta, t->step, &terms) != 0 ||
            vt_backward(ctx, terms.loss, NULL) != 0) {
            cli_progress_finish(&bar);
            vt_error_set(err, VT_EARG, "epoch %ld step %ld: %s", epoch + 1, t->step + 1,
                     vt_ctx_error(ctx));
            return -1;
        }
        float loss = terms.loss->data[0];
        /* Stop before a NaN reaches the parameters: the last checkpoint stays good. */
        float norm = t->clip > 0 ? vt_clip_grad_norm(v->store, t->clip) : 0.0f;
        if (!isfinite(loss) || !isfinite(norm)) {
            cli_progress_finish(&bar);
            vt_error_set(err, VT_EARG, "non-finite %s at epoch %ld step %ld (try a lower --lr or --clip)",
                     isfinite(loss) ? "gradient norm" : "loss", epoch + 1, t->step + 1);
            return -1;
        }
        vt_error oe;
        if (vt_optim_step(t->opt, lr, &oe) != 0) {
            cli_progress_finish(&bar);
            vt_error_set(err, oe.code, "epoch %ld step %ld: %s", epoch + 1, t->step + 1, oe.msg);
            return -1;
        }
        vt_store_zero_grad(v->store);
        out->beta = vt_beta_at(&t->beta, t->step);
        out->lr = lr;
        t->step++;
        sum_elbo += terms.elbo * (double)rows;
        sum_rec += terms.rec * (double)rows;
        sum_kl += terms.kl * (double)rows;
        images += (long)rows;
        double secs = cli_now() - start;
        snprintf(note, sizeof note, "%.0f img/s  nelbo %.2f", (double)images / (secs > 0 ? secs : 1e-9),
                 -sum_elbo / (double)images);
        cli_progress_update(&bar, b + 1, note);
    }
    cli_progress_finish(&bar);
    out->seconds = cli_now() - start;
    out->images = images;
    if (images > 0) {
        out->nelbo = -sum_elbo / (double)images;
        out->rec = sum_rec / (double)images;
        out->kl = sum_kl / (double)images;
    }
    return 0;
}
