/* Line plots (loss curves) as RGB PNGs: axes with "nice" ticks and labels, light grid
 * lines, one colour (and, past six series, a dash pattern) per series, a legend. */
#ifndef VT_TOOLS_PLOT_H
#define VT_TOOLS_PLOT_H

#include <stddef.h>

typedef struct vt_series {
    const char *label;   /* legend entry; NULL: not in the legend */
    const float *x;      /* NULL: 0, 1, 2, ... */
    const float *y;
    size_t n;            /* non-finite points are skipped, breaking the line */
} vt_series;

typedef struct vt_plot_opts {
    int width, height;                     /* 0: 640 x 400 */
    const char *title, *xlabel, *ylabel;   /* NULL: none */
} vt_plot_opts;

/* Returns 0, or -1 with a message naming the file in err. opts may be NULL. */
int vt_plot_lines(const char *path, const vt_series *series, int n_series,
                  const vt_plot_opts *opts, char *err, size_t errlen);

#endif
