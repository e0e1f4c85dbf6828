/* A grid of small float images (samples, reconstructions) as one grayscale PNG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/draw/image.h"

static uint8_t to_byte(float v) {
    if (!(v > 0.0f)) return 0; /* also NaN */
    if (v >= 1.0f) return 255;
    return (uint8_t)(v * 255.0f + 0.5f);
}

int cli_image_grid(const char *path, const float *images, int n, int h, int w, int rows,
                  int cols, vt_error *err) {
    if (n > 0 && cols <= 0) cols = (int)ceil(sqrt((double)n));
    if (n > 0 && rows <= 0) rows = (n + cols - 1) / cols;
    /* Side lengths in long long: no int overflow before the size check. */
    long long gw = (long long)cols * ((long long)w + CLI_GRID_PAD) + CLI_GRID_PAD;
    long long gh = (long long)rows * ((long long)h + CLI_GRID_PAD) + CLI_GRID_PAD;
    if (!images || n <= 0 || h <= 0 || w <= 0 || rows <= 0 || cols <= 0 ||
        (long long)rows * cols < n || gw > CLI_PNG_MAX_SIDE || gh > CLI_PNG_MAX_SIDE) {
        vt_error_set(err, VT_EARG,
                     "%s: cannot tile %d images of %d x %d into %d x %d cells (at most %d "
                     "pixels a side)", path ? path : "(null)", n, h, w, rows, cols,
                     CLI_PNG_MAX_SIDE);
        return -1;
    }
    uint8_t *px = malloc((size_t)gw * (size_t)gh);
    if (!px) {
        vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
        return -1;
    }
    memset(px, CLI_GRID_GRAY, (size_t)gw * (size_t)gh);
    for (int i = 0; i < n; i++) {
        const float *img = images + (size_t)i * (size_t)h * (size_t)w;
        size_t x0 = (size_t)(i % cols) * (size_t)(w + CLI_GRID_PAD) + CLI_GRID_PAD;
        size_t y0 = (size_t)(i / cols) * (size_t)(h + CLI_GRID_PAD) + CLI_GRID_PAD;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                px[(y0 + (size_t)y) * (size_t)gw + x0 + (size_t)x] = to_byte(img[y * w + x]);
    }
    int rc = cli_png_write_gray(path, (int)gw, (int)gh, px, err);
    free(px);
    return rc;
}
