/* A checkpoint opened for `vtape eval` and `vtape sample`: its model, and the test set
 * fixed the way the run that wrote it fixed it (binarization, test seed and data
 * directory from run.txt beside the checkpoint), unless the caller overrides them. */
#ifndef CLI_CHECKPOINT_RUN_H
#define CLI_CHECKPOINT_RUN_H

#include <stddef.h>
#include "cli/driver/fashion_data.h"
#include "vtape/checkpoint.h"
#include "vtape/vae.h"

typedef struct cli_checkpoint_run {
    vt_vae model;
    vt_train_state state;
    vt_dataset test;
    cli_fixed_test fixed;
    int test_seed;        /* the one used for the fixed test set */
} cli_checkpoint_run;

typedef struct cli_checkpoint_run_opts {
    const char *data_dir; /* NULL: the run's */
    int binarize;         /* a vt_binarize, or < 0: the run's */
    int test_seed;        /* < 0: the run's */
    size_t test_limit;    /* first N test images; 0: all */
    const char *test_data, *test_labels;   /* another test set (IDX, NPY or CSV); NULL: the run's */
    unsigned ckpt_flags;  /* VT_CHECKPOINT_*: e.g. open a diverged model to inspect it */
} cli_checkpoint_run_opts;

/* 0, or −1 with a message naming the file; `cmd` prefixes warnings (a missing or
 * damaged run.txt falls back to the defaults; a run.txt of another run is an error).
 * On failure nothing needs closing. */
int cli_checkpoint_run_open(cli_checkpoint_run *r, const char *path,
                           const cli_checkpoint_run_opts *o, const char *cmd, vt_error *err);
void cli_checkpoint_run_close(cli_checkpoint_run *r);

#endif
