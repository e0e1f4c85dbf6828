/* A training run's state beyond the model: its id, where the current epoch stands and
 * the metrics history. It is stored as the checkpoint's notes, so the checkpoint alone
 * says everything a resumed run needs; metrics.csv is rewritten from it after every
 * save, and run.txt carries the same id so files of two runs are never mixed. */
#ifndef CLI_RUN_STATE_H
#define CLI_RUN_STATE_H

#include "cli/driver/train_epoch.h"
#include "cli/report/metrics.h"

typedef struct cli_run_state {
    char run_id[32];
    int blas_threads;              /* of the run that saved it (bit-exactness needs the same) */
    cli_epoch_progress progress;   /* inside the epoch after the checkpoint's epoch */
    cli_metrics_sites sites;       /* per-site KL columns (models of several latents) */
    cli_metrics_row *rows;         /* one per completed epoch; malloc'd */
    int n_rows, cap_rows;
} cli_run_state;

/* A fresh id from the clock and the process id. */
void cli_run_id_new(char *id, size_t len);
/* Append a row (grows rows). 0, or -1 out of memory. */
int cli_run_state_add_row(cli_run_state *s, const cli_metrics_row *row);
/* The notes text (malloc'd), or NULL out of memory. Doubles are written exactly (%a). */
char *cli_run_state_format(const cli_run_state *s);
/* Notes written by cli_run_state_format. 0, or -1 with err naming the line. */
int cli_run_state_parse(cli_run_state *s, const char *notes, const char *path, vt_error *err);
void cli_run_state_free(cli_run_state *s);

#endif
