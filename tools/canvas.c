/* Rectangles and lines on a vt_canvas. */
#include <stdlib.h>

#include "tools/canvas.h"

void vt_canvas_fill(vt_canvas *c, int x, int y, int w, int h, vt_rgb col) {
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) vt_canvas_put(c, i, j, col);
}

/* Bresenham: every step moves one pixel along the major axis. */
void vt_canvas_line(vt_canvas *c, int x0, int y0, int x1, int y1, vt_rgb col, int width,
                    const int dash[2], int *phase) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    int local = 0, *ph = phase ? phase : &local;
    for (;;) {
        if (!dash || *ph % (dash[0] + dash[1]) < dash[0]) {
            vt_canvas_put(c, x0, y0, col);
            /* Thicken across the line: below for flat lines, beside for steep ones. */
            if (width > 1) vt_canvas_put(c, x0 + (dx < -dy), y0 + (dx >= -dy), col);
        }
        ++*ph;
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}
