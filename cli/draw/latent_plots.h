/* Charts of latent diagnostics on a cli_canvas: the KL of each latent dimension as
 * bars (active units in colour), and a scatter of 2-D points coloured by label. */
#ifndef CLI_LATENT_PLOTS_H
#define CLI_LATENT_PLOTS_H

#include <stdint.h>
#include "vtape/diagnostics.h"

/* kl.png: one bar per dimension; dimensions with Var_x E_q[z_d] > threshold coloured. */
int cli_kl_bar_chart(const char *path, const vt_latent_stats *s, double threshold,
                     vt_error *err);
/* n points (xs[i], ys[i]) coloured by labels[i] (NULL: one colour), axes named. */
int cli_scatter_plot(const char *path, const float *xs, const float *ys, const uint8_t *labels,
                     int n, const char *title, const char *xlabel, const char *ylabel,
                     vt_error *err);

#endif
