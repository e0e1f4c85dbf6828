/* cli/draw/image.c, image_grid.c, plot.c: PNGs are written to a temp dir and read back
 * with libpng's simplified API. */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "cli/draw/image.h"
#include "cli/draw/plot.h"

static char tmpdir[64];

static void make_tmpdir(void) { cr_assert(vt_test_tmpdir(tmpdir, sizeof tmpdir)); }
static void remove_tmpdir(void) { vt_test_rmtree(tmpdir); }

TestSuite(image, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

/* Reads a PNG as 8-bit gray (channels 1) or RGB (3); returns malloc'd pixels. */
static uint8_t *read_png(const char *path, int channels, int *w, int *h) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&img, path), "%s: %s", path, img.message);
    /* The file's own format: gray files must be gray, the plot is RGB. */
    cr_assert_eq(PNG_IMAGE_PIXEL_CHANNELS(img.format), channels);
    img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    cr_assert(png_image_finish_read(&img, NULL, px, 0, NULL), "%s: %s", path, img.message);
    *w = (int)img.width, *h = (int)img.height;
    return px;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

Test(image, gray_and_rgb_round_trip_exactly) {
    uint8_t gray[3 * 2] = {0, 50, 100, 150, 200, 255};
    uint8_t rgb[2 * 2 * 3];
    for (int i = 0; i < 12; i++) rgb[i] = (uint8_t)(i * 20);
    vt_error err = {0};
    const char *p = tmp_path("gray.png");
    cr_assert_eq(cli_png_write_gray(p, 3, 2, gray, &err), 0, "%s", err.msg);
    int w, h;
    uint8_t *back = read_png(p, 1, &w, &h);
    cr_assert_eq(w, 3);
    cr_assert_eq(h, 2);
    cr_assert_arr_eq(back, gray, sizeof gray);
    free(back);
    cr_assert(!file_exists(tmp_path("gray.png.tmp")), "the temporary file was left behind");

    p = tmp_path("rgb.png");
    cr_assert_eq(cli_png_write_rgb(p, 2, 2, rgb, &err), 0, "%s", err.msg);
    back = read_png(p, 3, &w, &h);
    cr_assert_eq(w, 2);
    cr_assert_eq(h, 2);
    cr_assert_arr_eq(back, rgb, sizeof rgb);
    free(back);
}

Test(image, rewriting_replaces_the_file) {
    uint8_t black = 0, white = 255;
    vt_error err = {0};
    const char *p = tmp_path("again.png");
    cr_assert_eq(cli_png_write_gray(p, 1, 1, &black, &err), 0, "%s", err.msg);
    cr_assert_eq(cli_png_write_gray(p, 1, 1, &white, &err), 0, "%s", err.msg);
    int w, h;
    uint8_t *back = read_png(p, 1, &w, &h);
    cr_assert_eq(back[0], 255);
    free(back);
}

Test(image, grid_layout_padding_and_values) {
    enum { H = 4, W = 5, N = 3 };
    float img[N * H * W];
    for (int i = 0; i < N * H * W; i++) img[i] = (float)(i % 11) / 10.0f;
    img[0] = 0.5f;                         /* image 0, pixel (0, 0) */
    img[H * W + 1] = 1.5f;                 /* image 1, pixel (0, 1): clamped */
    img[2 * H * W + W] = -1.0f;            /* image 2, pixel (1, 0): clamped */
    img[2 * H * W + H * W - 1] = NAN;      /* image 2, last pixel: black */
    vt_error err = {0};
    const char *p = tmp_path("grid.png");
    cr_assert_eq(cli_image_grid(p, img, N, H, W, 2, 2, &err), 0, "%s", err.msg);
    int w, h;
    uint8_t *px = read_png(p, 1, &w, &h);
    cr_assert_eq(w, 2 * (W + 2) + 2);
    cr_assert_eq(h, 2 * (H + 2) + 2);
#define AT(x, y) px[(y) * w + (x)]
    cr_assert_eq(AT(0, 0), CLI_GRID_GRAY);             /* outer border */
    cr_assert_eq(AT(1, 1), CLI_GRID_GRAY);
    cr_assert_eq(AT(2 + W, 2), CLI_GRID_GRAY);         /* between cells */
    cr_assert_eq(AT(2, 2), 128);                      /* 0.5 -> 128 */
    cr_assert_eq(AT(3, 2), 26);                       /* 0.1 -> 25.5 rounds to 26 */
    cr_assert_eq(AT(2 + W - 1, 2 + H - 1), (uint8_t)lroundf(img[H * W - 1] * 255));
    cr_assert_eq(AT(9 + 1, 2), 255);                  /* image 1 starts at x = 2 + W + 2 */
    cr_assert_eq(AT(2, 8 + 1), 0);                    /* image 2 starts at y = 2 + H + 2 */
    cr_assert_eq(AT(2 + W - 1, 8 + H - 1), 0);        /* NaN */
    cr_assert_eq(AT(9 + 2, 8 + 2), CLI_GRID_GRAY);     /* the empty fourth cell */
    cr_assert_eq(AT(w - 1, h - 1), CLI_GRID_GRAY);
#undef AT
    free(px);
}

Test(image, grid_chooses_a_layout) {
    float img[5 * 2 * 2] = {0};
    vt_error err = {0};
    const char *p = tmp_path("auto.png");
    cr_assert_eq(cli_image_grid(p, img, 5, 2, 2, 0, 0, &err), 0, "%s", err.msg);
    int w, h;
    free(read_png(p, 1, &w, &h));
    cr_assert_eq(w, 3 * 4 + 2); /* 3 columns */
    cr_assert_eq(h, 2 * 4 + 2); /* 2 rows */
}

Test(image, errors_are_reported_not_fatal) {
    float img[4] = {0};
    uint8_t px[4] = {0};
    vt_error err = {0};
    const char *missing = "/nonexistent-vtape-dir/sub/out.png";
    cr_assert_eq(cli_png_write_gray(missing, 2, 2, px, &err), -1);
    cr_assert(strstr(err.msg, "/nonexistent-vtape-dir/sub/out.png.tmp: cannot create"), "%s", err.msg);
    cr_assert_eq(cli_image_grid(missing, img, 1, 2, 2, 1, 1, &err), -1);
    cr_assert(strstr(err.msg, missing), "%s", err.msg);
    cli_series s = {.label = "x", .y = img, .n = 4};
    cr_assert_eq(cli_plot_lines(missing, &s, 1, NULL, &err), -1);
    cr_assert(strstr(err.msg, missing), "%s", err.msg);

    const char *p = tmp_path("bad.png");
    cr_assert_eq(cli_image_grid(p, img, 5, 1, 1, 2, 2, &err), -1); /* 5 > 2 x 2 */
    cr_assert(strstr(err.msg, "bad.png: cannot tile 5 images"), "%s", err.msg);
    cr_assert_eq(cli_image_grid(p, img, 1, 0, 2, 1, 1, &err), -1);
    cr_assert_eq(cli_png_write_gray(p, 0, 2, px, &err), -1);
    cr_assert(strstr(err.msg, "0 x 2"), "%s", err.msg);
    cr_assert_eq(cli_png_write_rgb(p, 2, 2, NULL, NULL), -1); /* no message buffer */
    cr_assert(!file_exists(p) && !file_exists(tmp_path("bad.png.tmp")));
}

static int is_white(const uint8_t *p) { return p[0] == 255 && p[1] == 255 && p[2] == 255; }

Test(image, plot_writes_a_png_with_axes_and_lines) {
    enum { N = 30 };
    float x[N], train[N], test[N];
    for (int i = 0; i < N; i++) {
        x[i] = (float)(i + 1);
        train[i] = 300.0f - 60.0f * (1.0f - expf(-i / 6.0f));
        test[i] = train[i] + 4.0f;
    }
    test[10] = NAN; /* a gap, not a failure */
    cli_series s[2] = {{"train", x, train, N}, {"test", x, test, N}};
    cli_plot_opts o = {.title = "NELBO", .xlabel = "epoch", .ylabel = "nats"};
    vt_error err = {0};
    const char *p = tmp_path("loss.png");
    cr_assert_eq(cli_plot_lines(p, s, 2, &o, &err), 0, "%s", err.msg);
    int w, h;
    uint8_t *px = read_png(p, 3, &w, &h);
    cr_assert_eq(w, 640);
    cr_assert_eq(h, 400);
    cr_assert(is_white(px) && is_white(px + 3 * (w * h - 1)), "corners are background");
    size_t dark = 0, blue = 0, orange = 0;
    for (int i = 0; i < w * h; i++) {
        const uint8_t *q = px + 3 * i;
        dark += q[0] == 0 && q[1] == 0 && q[2] == 0;
        blue += q[0] == 31 && q[1] == 119 && q[2] == 180;
        orange += q[0] == 255 && q[1] == 127 && q[2] == 14;
    }
    cr_assert_gt(dark, 1000, "axes and labels: %zu black pixels", dark);
    cr_assert_gt(blue, 500, "series 0: %zu pixels", blue);
    cr_assert_gt(orange, 500, "series 1: %zu pixels", orange);
    free(px);

    /* Any size, no x values, no series at all: still a valid PNG. */
    cli_plot_opts small = {.width = 300, .height = 200};
    cli_series one = {.y = train, .n = 1};
    cr_assert_eq(cli_plot_lines(p, &one, 1, &small, &err), 0, "%s", err.msg);
    cr_assert_eq(cli_plot_lines(p, NULL, 0, &small, &err), 0, "%s", err.msg);
    px = read_png(p, 3, &w, &h);
    cr_assert_eq(w, 300);
    cr_assert_eq(h, 200);
    free(px);
}
