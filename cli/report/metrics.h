/* metrics.csv: a header and one row per epoch. Written by train, read by plot and
 * by --resume (which drops rows past the checkpoint's epoch). */
#ifndef CLI_METRICS_H
#define CLI_METRICS_H

#include "vtape/error.h"
#include <stddef.h>

#define CLI_METRICS_HEADER                                                                  \
    "epoch,step,train_nelbo,train_rec,train_kl,test_nelbo,test_rec,test_kl,beta,lr,"      \
    "images_per_s,epoch_seconds"

typedef struct cli_metrics_row {
    long epoch, step;
    double train_nelbo, train_rec, train_kl;
    double test_nelbo, test_rec, test_kl;
    double beta, lr;            /* at the epoch's last step */
    double images_per_s;        /* training images per second of training time */
    double epoch_seconds;       /* training time of the epoch (evaluation excluded) */
} cli_metrics_row;

/* Replace the file with the header and these rows (n may be 0). */
int cli_metrics_write(const char *path, const cli_metrics_row *rows, int n, vt_error *err);
int cli_metrics_append(const char *path, const cli_metrics_row *row, vt_error *err);
/* All rows of a file written by cli_metrics_write/append; *rows is malloc'd. */
int cli_metrics_read(const char *path, cli_metrics_row **rows, int *n, vt_error *err);

#endif
