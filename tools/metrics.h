/* metrics.csv: a header and one row per epoch. Written by train, read by plot and
 * by --resume (which drops rows past the checkpoint's epoch). */
#ifndef VT_TOOLS_METRICS_H
#define VT_TOOLS_METRICS_H

#include <stddef.h>

#define VT_METRICS_HEADER                                                                  \
    "epoch,step,train_nelbo,train_rec,train_kl,test_nelbo,test_rec,test_kl,beta,lr,"      \
    "images_per_s,epoch_seconds"

typedef struct vt_metrics_row {
    long epoch, step;
    double train_nelbo, train_rec, train_kl;
    double test_nelbo, test_rec, test_kl;
    double beta, lr;            /* at the epoch's last step */
    double images_per_s;        /* training images per second of training time */
    double epoch_seconds;       /* training time of the epoch (evaluation excluded) */
} vt_metrics_row;

/* Replace the file with the header and these rows (n may be 0). */
int vt_metrics_write(const char *path, const vt_metrics_row *rows, int n, char *err,
                     size_t errlen);
int vt_metrics_append(const char *path, const vt_metrics_row *row, char *err, size_t errlen);
/* All rows of a file written by vt_metrics_write/append; *rows is malloc'd. */
int vt_metrics_read(const char *path, vt_metrics_row **rows, int *n, char *err, size_t errlen);

#endif
