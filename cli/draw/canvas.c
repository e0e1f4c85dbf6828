/* Rectangles and lines on a cli_canvas. */
#include <stdlib.h>

#include "cli/draw/canvas.h"

void cli_canvas_fill(cli_canvas *c, int x, int y, int w, int h, cli_rgb col) {
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) cli_canvas_put(c, i, j, col);
}

/* Bresenham: every step moves one pixel along the major axis. */
void cli_canvas_line(cli_canvas *c, int x0, int y0, int x1, int y1, cli_rgb col, int width,
                    const int dash[2], int *phase) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    int local = 0, *ph = phase ? phase : &local;
    for (;;) {
        if (!dash || *ph % (dash[0] + dash[1]) < dash[0]) {
            cli_canvas_put(c, x0, y0, col);
            /* Thicken across the line: below for flat lines, beside for steep ones. */
            if (width > 1) cli_canvas_put(c, x0 + (dx < -dy), y0 + (dx >= -dy), col);
        }
        ++*ph;
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}
