/* Line plots rasterized onto a cli_canvas and written with cli_png_write_rgb. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/draw/canvas.h"
#include "cli/draw/image.h"
#include "cli/draw/plot.h"

enum { LEFT = 64, RIGHT = 16, TOP = 28, BOTTOM = 40, TICK = 4 };

static const cli_rgb WHITE = {255, 255, 255}, BLACK = {0, 0, 0}, GRID = {228, 228, 228},
                    FRAME = {160, 160, 160};
static const cli_rgb PALETTE[6] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},
                                  {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
static const int DASHES[3][2] = {{1, 0}, {8, 4}, {2, 3}};

/* An axis: data range [lo, hi] widened to whole multiples of a 1/2/5 x 10^k step. */
typedef struct axis { double lo, hi, step; } axis;

static double nice_step(double span) {
    double mag = pow(10.0, floor(log10(span / 5.0)));
    double f = span / 5.0 / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

static axis make_axis(double lo, double hi) {
    if (!(lo <= hi)) lo = 0.0, hi = 1.0; /* no finite data */
    if (hi - lo < 1e-12 * (fabs(lo) + 1.0)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 0.5;
        lo -= pad, hi += pad;
    }
    axis a = {lo, hi, nice_step(hi - lo)};
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step) * a.step;
    return a;
}

/* Intervals between ticks: about 5, and never a runaway loop. */
static int ticks(const axis *a) {
    double n = round((a->hi - a->lo) / a->step);
    return n >= 1 && n <= 50 ? (int)n : 1;
}

static void format_tick(char *buf, size_t len, double v, double step) {
    if (fabs(v) < step * 1e-6) v = 0.0; /* no "-0" or "1.4e-17" at the origin */
    snprintf(buf, len, "%.6g", v);
}

static int point(const cli_series *s, size_t i, double *x, double *y) {
    *x = s->x ? s->x[i] : (double)i;
    *y = s->y[i];
    return isfinite(*x) && isfinite(*y);
}

typedef struct frame { int x0, y0, x1, y1; axis ax, ay; } frame;

static int px_x(const frame *f, double x) {
    return f->x0 + (int)lround((x - f->ax.lo) / (f->ax.hi - f->ax.lo) * (f->x1 - f->x0));
}
static int px_y(const frame *f, double y) {
    return f->y1 - (int)lround((y - f->ay.lo) / (f->ay.hi - f->ay.lo) * (f->y1 - f->y0));
}

static void draw_axes(cli_canvas *c, const frame *f) {
    char buf[32];
    for (int k = 0, n = ticks(&f->ax); k <= n; k++) {
        double v = f->ax.lo + k * f->ax.step;
        int x = px_x(f, v);
        cli_canvas_line(c, x, f->y0, x, f->y1, GRID, 1, NULL, NULL);
        cli_canvas_line(c, x, f->y1, x, f->y1 + TICK, BLACK, 1, NULL, NULL);
        format_tick(buf, sizeof buf, v, f->ax.step);
        cli_canvas_text(c, x - cli_text_width(buf, 1) / 2, f->y1 + TICK + 3, buf, BLACK, 1);
    }
    for (int k = 0, n = ticks(&f->ay); k <= n; k++) {
        double v = f->ay.lo + k * f->ay.step;
        int y = px_y(f, v);
        cli_canvas_line(c, f->x0, y, f->x1, y, GRID, 1, NULL, NULL);
        cli_canvas_line(c, f->x0 - TICK, y, f->x0, y, BLACK, 1, NULL, NULL);
        format_tick(buf, sizeof buf, v, f->ay.step);
        cli_canvas_text(c, f->x0 - TICK - 3 - cli_text_width(buf, 1), y - 3, buf, BLACK, 1);
    }
    cli_canvas_line(c, f->x0, f->y0, f->x1, f->y0, FRAME, 1, NULL, NULL);
    cli_canvas_line(c, f->x1, f->y0, f->x1, f->y1, FRAME, 1, NULL, NULL);
    cli_canvas_line(c, f->x0, f->y1, f->x1, f->y1, BLACK, 1, NULL, NULL);
    cli_canvas_line(c, f->x0, f->y0, f->x0, f->y1, BLACK, 1, NULL, NULL);
}

static void draw_series(cli_canvas *c, const frame *f, const cli_series *s, cli_rgb col,
                        const int dash[2]) {
    int phase = 0, have_prev = 0, px = 0, py = 0;
    for (size_t i = 0; i < s->n; i++) {
        double x, y;
        if (!point(s, i, &x, &y)) {
            have_prev = 0;
            continue;
        }
        int qx = px_x(f, x), qy = px_y(f, y);
        double nx, ny;
        int next_ok = i + 1 < s->n && point(s, i + 1, &nx, &ny);
        if (have_prev)
            cli_canvas_line(c, px, py, qx, qy, col, 2, dash, &phase);
        else if (!next_ok) /* an isolated point would otherwise be invisible */
            cli_canvas_fill(c, qx - 1, qy - 1, 3, 3, col);
        px = qx, py = qy, have_prev = 1;
    }
}

static void draw_legend(cli_canvas *c, const frame *f, const cli_series *series, int n_series) {
    int rows = 0, text_w = 0;
    for (int i = 0; i < n_series; i++)
        if (series[i].label) {
            int w = cli_text_width(series[i].label, 1);
            text_w = w > text_w ? w : text_w;
            rows++;
        }
    if (rows == 0) return;
    int w = 8 + 24 + 6 + text_w + 8, h = rows * 12 + 8;
    int x = f->x1 - w - 8, y = f->y0 + 8;
    cli_canvas_fill(c, x, y, w, h, WHITE);
    cli_canvas_line(c, x, y, x + w - 1, y, FRAME, 1, NULL, NULL);
    cli_canvas_line(c, x, y + h - 1, x + w - 1, y + h - 1, FRAME, 1, NULL, NULL);
    cli_canvas_line(c, x, y, x, y + h - 1, FRAME, 1, NULL, NULL);
    cli_canvas_line(c, x + w - 1, y, x + w - 1, y + h - 1, FRAME, 1, NULL, NULL);
    int row = 0;
    for (int i = 0; i < n_series; i++) {
        if (!series[i].label) continue;
        int ly = y + 4 + row++ * 12 + 3;
        int phase = 0;
        cli_canvas_line(c, x + 8, ly, x + 32, ly, PALETTE[i % 6], 2, DASHES[i / 6 % 3], &phase);
        cli_canvas_text(c, x + 38, ly - 3, series[i].label, BLACK, 1);
    }
}

int cli_plot_lines(const char *path, const cli_series *series, int n_series,
                  const cli_plot_opts *opts, vt_error *err) {
    cli_plot_opts o = opts ? *opts : (cli_plot_opts){0};
    if (o.width <= 0) o.width = 640;
    if (o.height <= 0) o.height = 400;
    int bad_series = n_series < 0 || (n_series > 0 && !series);
    for (int i = 0; !bad_series && i < n_series; i++)
        bad_series = series[i].n > 0 && !series[i].y;
    if (bad_series || o.width < LEFT + RIGHT + 32 || o.height < TOP + BOTTOM + 32 ||
        o.width > CLI_PNG_MAX_SIDE || o.height > CLI_PNG_MAX_SIDE) {
        vt_error_set(err, VT_EARG, "%s: cannot plot %d series on %d x %d pixels",
                     path ? path : "(null)", n_series, o.width, o.height);
        return -1;
    }

    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < n_series; s++)
        for (size_t i = 0; i < series[s].n; i++) {
            double x, y;
            if (!point(&series[s], i, &x, &y)) continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
        }
    frame f = {LEFT, TOP, o.width - RIGHT - 1, o.height - BOTTOM - 1, make_axis(xlo, xhi),
               make_axis(ylo, yhi)};

    cli_canvas c = {o.width, o.height, malloc((size_t)o.width * (size_t)o.height * 3)};
    if (!c.rgb) {
        vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
        return -1;
    }
    cli_canvas_fill(&c, 0, 0, c.w, c.h, WHITE);
    draw_axes(&c, &f);
    for (int s = 0; s < n_series; s++)
        draw_series(&c, &f, &series[s], PALETTE[s % 6], DASHES[s / 6 % 3]);
    draw_legend(&c, &f, series, n_series);
    if (o.title)
        cli_canvas_text(&c, (c.w - cli_text_width(o.title, 2)) / 2, 6, o.title, BLACK, 2);
    if (o.ylabel) cli_canvas_text(&c, 8, TOP - 12, o.ylabel, BLACK, 1);
    if (o.xlabel)
        cli_canvas_text(&c, f.x0 + (f.x1 - f.x0 - cli_text_width(o.xlabel, 1)) / 2,
                       o.height - 14, o.xlabel, BLACK, 1);
    int rc = cli_png_write_rgb(path, c.w, c.h, c.rgb, err);
    free(c.rgb);
    return rc;
}
