/* The end-of-training numbers: printed, and written as DIR/final.json. */
#ifndef CLI_FINAL_REPORT_H
#define CLI_FINAL_REPORT_H

#include "vtape/error.h"
#include <stddef.h>
#include <stdio.h>
#include "cli/driver/evaluate.h"

typedef struct cli_final_report {
    const char *model;            /* "vae", "cvae", "beta-vae" */
    int conditional;              /* a CVAE: the likelihood is log p(x|y) */
    long epochs, steps;
    int train_images, test_images;
    cli_nelbo_result test;         /* on all test_images */
    int have_iw;                  /* importance sampling was run */
    cli_log_px_result iw;
    double test_nelbo_iw_subset;  /* NELBO on the same iw.n images, for comparison */
    double train_seconds;         /* training steps of this invocation */
    double images_per_s;          /* training images per second of training time */
    double eval_seconds, iw_seconds, wall_seconds;
} cli_final_report;

void cli_final_report_print(FILE *out, const cli_final_report *r);
int cli_final_report_write(const char *path, const cli_final_report *r, vt_error *err);

#endif
