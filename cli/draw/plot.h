/* Line plots (loss curves) as RGB PNGs: axes with "nice" ticks and labels, light grid
 * lines, one colour (and, past six series, a dash pattern) per series, a legend. */
#ifndef CLI_PLOT_H
#define CLI_PLOT_H

#include "vtape/error.h"
#include <stddef.h>

typedef struct cli_series {
    const char *label;   /* legend entry; NULL: not in the legend */
    const float *x;      /* NULL: 0, 1, 2, ... */
    const float *y;
    size_t n;            /* non-finite points are skipped, breaking the line */
} cli_series;

typedef struct cli_plot_opts {
    int width, height;                     /* 0: 640 x 400 */
    const char *title, *xlabel, *ylabel;   /* NULL: none */
} cli_plot_opts;

/* Returns 0, or -1 with a message naming the file in err. opts may be NULL. */
int cli_plot_lines(const char *path, const cli_series *series, int n_series,
                  const cli_plot_opts *opts, vt_error *err);

#endif
