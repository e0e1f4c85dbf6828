#include "cli/draw/latent_plots.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/draw/canvas.h"
#include "cli/draw/image.h"

enum { W = 640, H = 400, LEFT = 56, RIGHT = 16, TOP = 30, BOTTOM = 44 };

static const cli_rgb WHITE = {255, 255, 255}, BLACK = {0, 0, 0}, GRID = {228, 228, 228},
                    ACTIVE = {31, 119, 180}, INACTIVE = {190, 190, 190};
/* ten distinguishable colours (matplotlib's tab10), reused past ten labels */
static const cli_rgb PALETTE[10] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},
                                   {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
                                   {227, 119, 194}, {127, 127, 127}, {188, 189, 34},
                                   {23, 190, 207}};

static int new_canvas(cli_canvas *c, int w, int h, vt_error *err) {
    *c = (cli_canvas){w, h, malloc((size_t)w * h * 3)};
    if (!c->rgb) return vt_error_set(err, VT_ENOMEM, "plot: out of memory");
    cli_canvas_fill(c, 0, 0, w, h, WHITE);
    return 0;
}

static int finish(cli_canvas *c, const char *path, vt_error *err) {
    int rc = cli_png_write_rgb(path, c->w, c->h, c->rgb, err);
    free(c->rgb);
    return rc;
}

/* Round up to 1, 2 or 5 x 10^k so the top tick is a plain number. */
static double nice_top(double v) {
    if (!(v > 0)) return 1;
    double mag = pow(10, floor(log10(v))), f = v / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

int cli_kl_bar_chart(const char *path, const vt_latent_stats *s, double threshold,
                     vt_error *err) {
    cli_canvas c;
    if (new_canvas(&c, W, H, err) != 0) return -1;
    int Z = s->latent, x0 = LEFT, x1 = W - RIGHT, y0 = TOP, y1 = H - BOTTOM;
    double top = 0;
    for (int d = 0; d < Z; d++) top = fmax(top, isnan(s->kl_per_dim[d]) ? 0 : s->kl_per_dim[d]);
    top = nice_top(top);
    char buf[96];
    for (int t = 0; t <= 4; t++) {   /* grid and tick labels at quarters of the top */
        int y = y1 - (int)lround((y1 - y0) * t / 4.0);
        cli_canvas_line(&c, x0, y, x1, y, GRID, 1, NULL, NULL);
        snprintf(buf, sizeof buf, "%.3g", top * t / 4);
        cli_canvas_text(&c, x0 - 6 - cli_text_width(buf, 1), y - 3, buf, BLACK, 1);
    }
    double slot = (double)(x1 - x0) / Z;
    int every = Z <= 32 ? 1 : (Z + 31) / 32;
    for (int d = 0; d < Z; d++) {
        double kl = isnan(s->kl_per_dim[d]) ? 0 : s->kl_per_dim[d];
        int bx = x0 + (int)(d * slot + slot * 0.15), bw = (int)fmax(1, slot * 0.7);
        int bh = (int)lround((y1 - y0) * kl / top);
        cli_canvas_fill(&c, bx, y1 - bh, bw, bh, s->mean_var[d] > threshold ? ACTIVE : INACTIVE);
        if (d % every == 0) {
            snprintf(buf, sizeof buf, "%d", d);
            cli_canvas_text(&c, bx + bw / 2 - cli_text_width(buf, 1) / 2, y1 + 6, buf, BLACK, 1);
        }
    }
    cli_canvas_line(&c, x0, y1, x1, y1, BLACK, 1, NULL, NULL);
    cli_canvas_line(&c, x0, y0, x0, y1, BLACK, 1, NULL, NULL);
    snprintf(buf, sizeof buf, "KL per latent dimension (nats): %d of %d active, total %.2f",
             s->active_units, Z, s->kl);
    cli_canvas_text(&c, x0, 10, buf, BLACK, 1);
    cli_canvas_text(&c, (x0 + x1) / 2 - cli_text_width("latent dimension", 1) / 2, H - 18,
                    "latent dimension", BLACK, 1);
    return finish(&c, path, err);
}

static void range(const float *v, int n, double *lo, double *hi) {
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
    if (!(*lo < *hi)) *lo -= 1, *hi += 1;
    double pad = 0.05 * (*hi - *lo);
    *lo -= pad, *hi += pad;
}

int cli_scatter_plot(const char *path, const float *xs, const float *ys, const uint8_t *labels,
                     int n, const char *title, const char *xlabel, const char *ylabel,
                     vt_error *err) {
    enum { S = 480, LEG = 96 };
    cli_canvas c;
    if (new_canvas(&c, S + LEG, S, err) != 0) return -1;
    int x0 = LEFT, x1 = S - RIGHT, y0 = TOP, y1 = S - BOTTOM, max_label = 0;
    double xlo, xhi, ylo, yhi;
    range(xs, n, &xlo, &xhi);
    range(ys, n, &ylo, &yhi);
    for (int i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i])) continue;
        int px = x0 + (int)lround((xs[i] - xlo) / (xhi - xlo) * (x1 - x0));
        int py = y1 - (int)lround((ys[i] - ylo) / (yhi - ylo) * (y1 - y0));
        int l = labels ? labels[i] : 0;
        max_label = l > max_label ? l : max_label;
        cli_canvas_fill(&c, px - 1, py - 1, 3, 3, PALETTE[l % 10]);
    }
    char buf[64];
    cli_canvas_line(&c, x0, y1, x1, y1, BLACK, 1, NULL, NULL);
    cli_canvas_line(&c, x0, y0, x0, y1, BLACK, 1, NULL, NULL);
    for (int t = 0; t <= 1; t++) {   /* the ends of each axis */
        snprintf(buf, sizeof buf, "%.2g", t ? xhi : xlo);
        cli_canvas_text(&c, t ? x1 - cli_text_width(buf, 1) : x0, y1 + 6, buf, BLACK, 1);
        snprintf(buf, sizeof buf, "%.2g", t ? yhi : ylo);
        cli_canvas_text(&c, x0 - 6 - cli_text_width(buf, 1), t ? y0 : y1 - 7, buf, BLACK, 1);
    }
    cli_canvas_text(&c, (x0 + x1) / 2 - cli_text_width(xlabel, 1) / 2, S - 18, xlabel, BLACK, 1);
    cli_canvas_text(&c, 4, y0 - 14, ylabel, BLACK, 1);
    cli_canvas_text(&c, x0 + 40, 10, title, BLACK, 1);
    for (int l = 0; labels && l <= max_label && l < 40; l++) {   /* legend */
        cli_canvas_fill(&c, S + 8, TOP + 12 * l, 8, 8, PALETTE[l % 10]);
        snprintf(buf, sizeof buf, "%d", l);
        cli_canvas_text(&c, S + 22, TOP + 12 * l, buf, BLACK, 1);
    }
    return finish(&c, path, err);
}
