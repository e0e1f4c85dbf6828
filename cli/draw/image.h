/* PNG output for the `vtape` command: grayscale and RGB writers, and a grid of
 * images. Every writer is atomic: it writes PATH.tmp, fsyncs it and renames it over
 * PATH, so a crash never leaves a half-written PNG behind. Functions return 0, or -1
 * with a message naming the file in err (errlen bytes; err may be NULL). */
#ifndef CLI_IMAGE_H
#define CLI_IMAGE_H

#include "vtape/error.h"
#include <stddef.h>
#include <stdint.h>

#define CLI_PNG_MAX_SIDE 16384 /* larger images are refused */

/* pixels: h rows of w bytes (0 black .. 255 white). */
int cli_png_write_gray(const char *path, int w, int h, const uint8_t *pixels, vt_error *err);
/* rgb: h rows of w pixels of 3 bytes (r, g, b). */
int cli_png_write_rgb(const char *path, int w, int h, const uint8_t *rgb, vt_error *err);

#define CLI_GRID_PAD 2      /* pixels of border around and between cells */
#define CLI_GRID_GRAY 128   /* border and empty cells */

/* Tile n images of h x w floats in [0, 1] (values outside are clamped, NaN is black)
 * row by row into a rows x cols grid and write it as a grayscale PNG of
 * (cols * (w + CLI_GRID_PAD) + CLI_GRID_PAD) x (rows * (h + CLI_GRID_PAD) + CLI_GRID_PAD)
 * pixels. cols <= 0: ceil(sqrt(n)); rows <= 0: as many as n needs. */
int cli_image_grid(const char *path, const float *images, int n, int h, int w, int rows,
                  int cols, vt_error *err);

#endif
