/* metrics.csv: a header and one row per epoch. Written by train (atomically, from the
 * history kept in the checkpoint, after every save), read by plot. */
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

/* Replace the file, atomically, with the header and these rows (n may be 0). */
int cli_metrics_write(const char *path, const cli_metrics_row *rows, int n, vt_error *err);
/* One row as a CSV line with its newline; its length, or -1 when it does not fit. */
int cli_metrics_format_row(char *buf, size_t len, const cli_metrics_row *r);
/* A CSV line (12 numbers, newline optional) into *r; 0, or -1. */
int cli_metrics_parse_row(const char *line, cli_metrics_row *r);
/* All rows of a file written by cli_metrics_write/append; *rows is malloc'd. */
int cli_metrics_read(const char *path, cli_metrics_row **rows, int *n, vt_error *err);

#endif
