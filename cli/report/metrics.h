/* metrics.csv: a header and one row per epoch. Written by train (atomically, from the
 * history kept in the checkpoint, after every save), read by plot. */
#ifndef CLI_METRICS_H
#define CLI_METRICS_H

#include "vtape/error.h"
#include <stddef.h>

#define CLI_METRICS_HEADER                                                                  \
    "epoch,step,train_nelbo,train_rec,train_kl,test_nelbo,test_rec,test_kl,beta,lr,"      \
    "images_per_s,epoch_seconds"

#define CLI_METRICS_MAX_SITES 16   /* VT_TRACE_MAX_SITES */

/* The latent sites of a model of more than one (the hierarchical VAE's z1, z2): one
 * column test_kl_<name> each after the fixed ones, the test set's KL term of that site.
 * n = 0 for a one-latent model: the fixed columns only. */
typedef struct cli_metrics_sites {
    int n;
    char name[CLI_METRICS_MAX_SITES][24];
} cli_metrics_sites;

typedef struct cli_metrics_row {
    long epoch, step;
    double train_nelbo, train_rec, train_kl;
    double test_nelbo, test_rec, test_kl;
    double beta, lr;            /* at the epoch's last step */
    double images_per_s;        /* training images per second of training time */
    double epoch_seconds;       /* training time of the epoch (evaluation excluded) */
    double test_site_kl[CLI_METRICS_MAX_SITES];   /* per site, when sites.n > 0 */
} cli_metrics_row;

/* The sites of a model with n latent sites named names[]: none when n < 2. Names are
 * cut to 23 bytes, and characters that would break the CSV become '_'. */
void cli_metrics_sites_set(cli_metrics_sites *s, int n, const char *const *names);
/* The header line (no newline); its length, or -1 when it does not fit. */
int cli_metrics_format_header(char *buf, size_t len, const cli_metrics_sites *s);
/* A header line: the fixed columns, then test_kl_<name> columns; 0, or -1. */
int cli_metrics_parse_header(const char *line, cli_metrics_sites *s);
/* Replace the file, atomically, with the header and these rows (n may be 0). */
int cli_metrics_write(const char *path, const cli_metrics_sites *s, const cli_metrics_row *rows,
                      int n, vt_error *err);
/* One row as a CSV line with its newline; its length, or -1 when it does not fit. */
int cli_metrics_format_row(char *buf, size_t len, const cli_metrics_row *r, int n_sites);
/* A CSV line (12 + n_sites numbers, newline optional) into *r; 0, or -1. */
int cli_metrics_parse_row(const char *line, cli_metrics_row *r, int n_sites);
/* The sites and all rows of a file written by cli_metrics_write; *rows is malloc'd. */
int cli_metrics_read(const char *path, cli_metrics_sites *s, cli_metrics_row **rows, int *n,
                     vt_error *err);

#endif
