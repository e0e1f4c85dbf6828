/* The state of one `vtape train` run, shared by its two files: setting up
 * (train_setup.c: options, data, model, run files) and running (train.c: epochs,
 * checkpoints, final evaluation). */
#ifndef CLI_TRAIN_RUN_H
#define CLI_TRAIN_RUN_H

#include <signal.h>

#include "cli/driver/fashion_data.h"
#include "cli/driver/run_state.h"
#include "cli/driver/train_epoch.h"
#include "cli/options/train_options.h"

#define CMD "train"
enum { PATH_LEN = 4200, SAMPLE_IMAGES = 64 };

typedef struct train_run {
    cli_train_cli cli;
    const cli_train_options *o;
    char *run_buf;                      /* storage of options read from run.txt */
    char ckpt[PATH_LEN], metrics[PATH_LEN], runfile[PATH_LEN];
    int resuming;
    vt_vae_config cfg;
    vt_optim_config ocfg;
    vt_dataset train, test;
    cli_fixed_test fixed;
    vt_vae v;
    cli_trainer tr;
    vt_train_state state;
    cli_run_state rs;                   /* id, epoch progress and metrics history */
    char config[1024];
    volatile sig_atomic_t stop;         /* the signal that asked to stop, or 0 */
    int saved;                          /* this process has written a checkpoint */
    double start;
} train_run;

/* Each returns -1 to go on, or the exit status to stop with (a message printed). */
int cli_train_parse(train_run *r, int argc, char **argv);
int cli_train_load_data(train_run *r);
int cli_train_resume_state(train_run *r);
int cli_train_build_model(train_run *r);
int cli_train_start_files(train_run *r);
void cli_train_print_header(const train_run *r);

#endif
