/* An RGB raster with the few drawing primitives the plots need: pixels, rectangles,
 * (dashed) lines and text in a built-in 5x7 bitmap font. Drawing outside is clipped. */
#ifndef CLI_CANVAS_H
#define CLI_CANVAS_H

#include <stdint.h>

typedef struct cli_rgb { uint8_t r, g, b; } cli_rgb;

typedef struct cli_canvas {
    int w, h;
    uint8_t *rgb;   /* h rows of w pixels of 3 bytes; the caller owns it */
} cli_canvas;

static inline void cli_canvas_put(cli_canvas *c, int x, int y, cli_rgb col) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    uint8_t *p = c->rgb + 3 * ((long)y * c->w + x);
    p[0] = col.r, p[1] = col.g, p[2] = col.b;
}

void cli_canvas_fill(cli_canvas *c, int x, int y, int w, int h, cli_rgb col);
/* dash: NULL for solid, or {on, off} lengths in pixels. *phase carries the pattern
 * from one segment to the next so polylines dash evenly (may be NULL). width 1 or 2. */
void cli_canvas_line(cli_canvas *c, int x0, int y0, int x1, int y1, cli_rgb col, int width,
                    const int dash[2], int *phase);

/* Text in the 5x7 font: digits, A-Z (lowercase drawn as uppercase, except an 'e'
 * after a digit, as in 1e-05), space and . , - + : / ( ) % = _ ? [ ] < > ! ' *; other
 * characters draw as '?'. Each character takes 6 * scale pixels across; (x, y) is the
 * top left corner. Returns the width drawn. */
int cli_canvas_text(cli_canvas *c, int x, int y, const char *s, cli_rgb col, int scale);
int cli_text_width(const char *s, int scale);

#endif
