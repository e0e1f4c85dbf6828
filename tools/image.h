/* PNG output for the `vtape` command: grayscale and RGB writers, and a grid of
 * images. Every writer is atomic: it writes PATH.tmp, fsyncs it and renames it over
 * PATH, so a crash never leaves a half-written PNG behind. Functions return 0, or -1
 * with a message naming the file in err (errlen bytes; err may be NULL). */
#ifndef VT_TOOLS_IMAGE_H
#define VT_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define VT_PNG_MAX_SIDE 16384 /* larger images are refused */

/* pixels: h rows of w bytes (0 black .. 255 white). */
int vt_png_write_gray(const char *path, int w, int h, const uint8_t *pixels, char *err,
                      size_t errlen);
/* rgb: h rows of w pixels of 3 bytes (r, g, b). */
int vt_png_write_rgb(const char *path, int w, int h, const uint8_t *rgb, char *err,
                     size_t errlen);

#define VT_GRID_PAD 2      /* pixels of border around and between cells */
#define VT_GRID_GRAY 128   /* border and empty cells */

/* Tile n images of h x w floats in [0, 1] (values outside are clamped, NaN is black)
 * row by row into a rows x cols grid and write it as a grayscale PNG of
 * (cols * (w + VT_GRID_PAD) + VT_GRID_PAD) x (rows * (h + VT_GRID_PAD) + VT_GRID_PAD)
 * pixels. cols <= 0: ceil(sqrt(n)); rows <= 0: as many as n needs. */
int vt_image_grid(const char *path, const float *images, int n, int h, int w, int rows,
                  int cols, char *err, size_t errlen);

#endif
