/* The loss curve: train and test NELBO against epoch, from metrics.csv to a PNG. */
#ifndef CLI_LOSS_PLOT_H
#define CLI_LOSS_PLOT_H

#include "vtape/error.h"
#include <stddef.h>

int cli_loss_plot_write(const char *metrics_csv, const char *png, vt_error *err);

#endif
