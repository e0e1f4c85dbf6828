/* The training loop of one epoch. */
#include "cli/driver/train_epoch.h"

#include <math.h>
#include <stdio.h>
#include "cli/cli.h"
#include "cli/report/progress.h"

/* loss → backward → clip → update. 0, or −1 with err filled. A finite loss and finite
 * gradients are checked here, every step; parameters and moments are checked where
 * they are written (vt_checkpoint_save refuses a non-finite state), not in this loop:
 * that would read the whole store three more times per step. */
static int train_step(cli_trainer *t, size_t rows, long epoch, vt_elbo_terms *terms, vt_error *err) {
    vt_vae *v = t->v;
    vt_ctx *ctx = t->ctx;
    int dim = v->cfg.x_dim, classes = v->cfg.n_classes;
    vt_ctx_reset(ctx);
    vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){(int)rows, dim}, t->x);
    vt_tensor *c = classes ? vt_one_hot_tensor(ctx, t->labels, (int)rows, classes) : NULL;
    float lr = vt_lr_at(&t->lr, t->step);
    if (vt_beta_vae_loss(ctx, v, xb, c, &t->elbo, &t->beta, t->step, terms) != 0 ||
        vt_backward(ctx, terms->loss, NULL) != 0) {
        float loss = terms->loss ? terms->loss->data[0] : 0.0f;
        if (!isfinite(loss))
            return vt_error_set(err, VT_ENONFINITE, "non-finite loss at epoch %ld step %ld (try a "
                                "lower --lr or --clip): %s", epoch + 1, t->step + 1, vt_ctx_error(ctx));
        return vt_error_set(err, VT_EARG, "epoch %ld step %ld: %s", epoch + 1, t->step + 1,
                            vt_ctx_error(ctx));
    }
    /* Stop before a NaN reaches the parameters: the last checkpoint stays good. */
    float norm = t->clip > 0 ? vt_clip_grad_norm(v->store, t->clip)
                             : vt_store_grads_finite(v->store) ? 0.0f : NAN;
    if (!isfinite(norm))
        return vt_error_set(err, VT_ENONFINITE, "non-finite gradient at epoch %ld step %ld (try a "
                            "lower --lr or --clip)", epoch + 1, t->step + 1);
    vt_error oe;
    if (vt_optim_step_zero_grad(t->opt, lr, &oe) != 0)
        return vt_error_set(err, oe.code, "epoch %ld step %ld: %s", epoch + 1, t->step + 1, oe.msg);
    return 0;
}

static void fill_stats(cli_epoch_stats *out, const cli_epoch_progress *p) {
    out->seconds = p->seconds;
    out->images = p->images;
    if (p->images > 0) {
        out->nelbo = -p->sum_elbo / (double)p->images;
        out->rec = p->sum_rec / (double)p->images;
        out->kl = p->sum_kl / (double)p->images;
    }
}

int cli_train_epoch(cli_trainer *t, long epoch, long n_epochs, cli_epoch_stats *out, vt_error *err) {
    long batches = (long)vt_batcher_batches_per_epoch(t->batcher);
    char label[64], note[96];
    snprintf(label, sizeof label, "epoch %ld/%ld", epoch + 1, n_epochs);
    cli_progress bar;
    cli_progress_start(&bar, stderr, t->progress, label, batches);
    *out = (cli_epoch_stats){0};
    cli_epoch_progress p = t->resume;
    t->resume = (cli_epoch_progress){0};
    double start = cli_now() - p.seconds;
    vt_batcher_start_epoch(t->batcher, (uint64_t)epoch);
    for (long b = 0; b < p.batch; b++)   /* a resumed epoch: the same batches, skipped */
        vt_batcher_next(t->batcher, t->x, t->labels);
    int rc = CLI_EPOCH_DONE;
    size_t rows;
    while (rc == CLI_EPOCH_DONE && (rows = vt_batcher_next(t->batcher, t->x, t->labels)) > 0) {
        vt_elbo_terms terms;
        float lr = vt_lr_at(&t->lr, t->step);
        if (train_step(t, rows, epoch, &terms, err) != 0) rc = -1;
        if (rc != 0) break;
        out->beta = vt_beta_at(&t->beta, t->step);
        out->lr = lr;
        t->step++;
        p.batch++;
        p.sum_elbo += terms.elbo * (double)rows;
        p.sum_rec += terms.rec * (double)rows;
        p.sum_kl += terms.kl * (double)rows;
        p.images += (long)rows;
        p.seconds = cli_now() - start;
        snprintf(note, sizeof note, "%.0f img/s  nelbo %.2f",
                 (double)p.images / (p.seconds > 0 ? p.seconds : 1e-9), -p.sum_elbo / (double)p.images);
        cli_progress_update(&bar, p.batch, note);
        int stop = t->stop && *t->stop;
        int due = t->checkpoint_every > 0 && t->step % t->checkpoint_every == 0;
        if ((stop || due) && p.batch < batches && t->save) {
            if (t->save(t, epoch, &p, err) != 0) rc = -1;
            else if (stop) rc = CLI_EPOCH_STOPPED;
        }
    }
    cli_progress_finish(&bar);
    p.seconds = cli_now() - start;
    fill_stats(out, &p);
    return rc;
}
