/* One training epoch: batches → loss → backward → clip → optimizer step, with the
 * progress bar and the checks that stop a run cleanly: library errors, a non-finite
 * loss or gradient norm, and parameters or optimizer moments that the update made
 * non-finite (the in-memory state is then abandoned: nothing non-finite is saved).
 * Every `checkpoint_every` steps, and when *stop is set (a signal), it calls `save`
 * with the position inside the epoch, so a resumed run can continue from there. */
#ifndef CLI_TRAIN_EPOCH_H
#define CLI_TRAIN_EPOCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "vtape/data.h"
#include "vtape/optim.h"
#include "vtape/vae.h"

/* How far an epoch has got: batches done and the sums of its per-image terms. */
typedef struct cli_epoch_progress {
    long batch;
    double sum_elbo, sum_rec, sum_kl;
    long images;
    double seconds;
} cli_epoch_progress;

typedef struct cli_trainer cli_trainer;
typedef int (*cli_save_fn)(cli_trainer *t, long epoch, const cli_epoch_progress *p,
                           vt_error *err);

struct cli_trainer {
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
    long checkpoint_every;            /* steps between mid-epoch saves, 0 none */
    volatile sig_atomic_t *stop;      /* non-zero: save and return (may be NULL) */
    cli_save_fn save;                 /* mid-epoch save (may be NULL) */
    void *user;
    cli_epoch_progress resume;        /* where the next epoch starts (zero: its start) */
};

typedef struct cli_epoch_stats {
    double nelbo, rec, kl;     /* means over the epoch's images (β = 1 bound) */
    double beta, lr;           /* at the last step */
    long images;
    double seconds;
} cli_epoch_stats;

enum { CLI_EPOCH_DONE = 0, CLI_EPOCH_STOPPED = 1 };
/* Run epoch `epoch` (0-based; it keys the shuffling) of `n_epochs`. CLI_EPOCH_DONE,
 * CLI_EPOCH_STOPPED (stop was set; saved), or −1 with a message ("non-finite loss at
 * epoch E step S", or the library's error). */
int cli_train_epoch(cli_trainer *t, long epoch, long n_epochs, cli_epoch_stats *out, vt_error *err);

#endif
