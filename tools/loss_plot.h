/* The loss curve: train and test NELBO against epoch, from metrics.csv to a PNG. */
#ifndef VT_TOOLS_LOSS_PLOT_H
#define VT_TOOLS_LOSS_PLOT_H

#include <stddef.h>

int vt_loss_plot_write(const char *metrics_csv, const char *png, char *err, size_t errlen);

#endif
