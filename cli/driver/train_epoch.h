/* One training epoch: batches → loss → backward → clip → optimizer step, with the
 * progress bar and the checks that stop a run cleanly (library errors, non-finite
 * loss or gradient norm). */
#ifndef CLI_TRAIN_EPOCH_H
#define CLI_TRAIN_EPOCH_H

#include <stddef.h>
#include <stdint.h>
#include "vtape/data.h"
#include "vtape/optim.h"
#include "vtape/vae.h"

typedef struct cli_trainer {
    vt_ctx *ctx;
    vt_vae *v;
    vt_optim *opt;
    vt_batcher *batcher;
    vt_elbo_opts elbo;
    vt_beta_schedule beta;
    vt_lr_schedule lr;
    float clip;           /* global gradient-norm limit, 0 off */
    float *x;             /* batch buffers: batch x dim, batch labels */
    uint8_t *labels;
    long step;            /* optimizer steps taken so far */
    int progress;         /* 1 bar, 0 none, -1 bar when stderr is a terminal */
} cli_trainer;

typedef struct cli_epoch_stats {
    double nelbo, rec, kl;     /* means over the epoch's images (β = 1 bound) */
    double beta, lr;           /* at the last step */
    long images;
    double seconds;
} cli_epoch_stats;

/* Run epoch `epoch` (0-based; it keys the shuffling) of `n_epochs`. 0, or −1 with a
 * message ("non-finite loss at epoch E step S", or the library's error). */
int cli_train_epoch(cli_trainer *t, long epoch, long n_epochs, cli_epoch_stats *out, vt_error *err);

#endif
