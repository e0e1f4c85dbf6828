/* PNG writing through libpng, atomically (vtape/io.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* fsync, fileno; CMake defines it too */
#endif
#include <errno.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"
#include <unistd.h>

#include "cli/draw/image.h"

static int fail(vt_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(vt_error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = VT_EIO;
    }
    return -1;
}

enum { MSG_LEN = 128 }; /* libpng's messages are short */

/* libpng reports errors through a callback that must not return: keep the message
 * and jump back to encode()'s setjmp. */
static void on_png_error(png_structp png, png_const_charp msg) {
    char *buf = png_get_error_ptr(png);
    snprintf(buf, MSG_LEN, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Encode to f; returns 0, or -1 with libpng's message in msg (MSG_LEN bytes). */
static int encode(FILE *f, int w, int h, int color_type, int channels, const uint8_t *px,
                  char *msg) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, on_png_error,
                                              on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(msg, MSG_LEN, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, px + (size_t)y * (size_t)w * (size_t)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

static int write_png(const char *path, int w, int h, int color_type, int channels,
                     const uint8_t *px, vt_error *err) {
    if (!path || !px)
        return fail(err, "PNG: NULL %s", path ? "pixels" : "path");
    if (w <= 0 || h <= 0 || w > CLI_PNG_MAX_SIDE || h > CLI_PNG_MAX_SIDE)
        return fail(err, "%s: image of %d x %d pixels, expected 1 to %d on each side",
                    path, w, h, CLI_PNG_MAX_SIDE);
    vt_atomic_file af;
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    char msg[MSG_LEN] = "";
    if (encode(af.f, w, h, color_type, channels, px, msg) != 0) {
        fail(err, "%s: PNG encoding failed: %s", path, msg);
        vt_atomic_abort(&af);
        return -1;
    }
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}

int cli_png_write_gray(const char *path, int w, int h, const uint8_t *pixels, vt_error *err) {
    return write_png(path, w, h, PNG_COLOR_TYPE_GRAY, 1, pixels, err);
}

int cli_png_write_rgb(const char *path, int w, int h, const uint8_t *rgb, vt_error *err) {
    return write_png(path, w, h, PNG_COLOR_TYPE_RGB, 3, rgb, err);
}
