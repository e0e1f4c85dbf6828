/* The run directory of `vtape train` holds one run: checkpoint.vtck, run.txt and
 * metrics.csv belong together (the same run id in run.txt and in the checkpoint).
 * And the signals that end a run cleanly. */
#ifndef CLI_RUN_DIR_H
#define CLI_RUN_DIR_H

#include <signal.h>
#include "vtape/error.h"

/* Before a new run in `dir`: 0 when it holds none of a run's files; with force, those
 * files are removed (0); otherwise -1 with a message saying to --resume or --force. */
int cli_run_dir_claim(const char *dir, int force, vt_error *err);
/* 0 when run.txt's id (if it has one) is `ckpt_id`; else -1 with a message. */
int cli_run_dir_same_run(const char *runfile, const char *ckpt, const char *ckpt_id,
                         vt_error *err);
/* SIGINT and SIGTERM store their number in *flag instead of killing the process. */
void cli_stop_signals_install(volatile sig_atomic_t *flag);
void cli_stop_signals_restore(void);

#endif
