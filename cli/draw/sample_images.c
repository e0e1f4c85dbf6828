/* Samples, reconstructions, class rows and latent interpolations as PNG grids. */
#include "cli/draw/sample_images.h"
#include "cli/draw/latent_images.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/draw/image.h"
#include "vtape/ops.h"

enum { GRID_COLS = 8, INTERP_ROWS = 8 };

typedef struct picture_ctx {
    vt_ctx *ctx;
    vt_vae *v;
    const cli_fixed_test *test;
    const char *dir;
    int side_h, side_w;      /* image shape: square when the pixel count is */
    vt_error *err;
} picture_ctx;

/* Write n images (rows of `pixels`) as a grid into dir/name. */
static int grid(picture_ctx *p, const char *name, const float *pixels, int n, int rows, int cols) {
    char path[4200];
    if (cli_join(path, sizeof path, p->dir, name) != 0) {
        vt_error_set(p->err, VT_EARG, "%s: directory name too long", p->dir);
        return -1;
    }
    return cli_image_grid(path, pixels, n, p->side_h, p->side_w, rows, cols, p->err);
}

static int model_failed(picture_ctx *p, const char *what) {
    vt_error_set(p->err, VT_EARG, "%s: %s", what, vt_ctx_error(p->ctx));
    return -1;
}

/* Conditions for a CVAE: labels i mod C (NULL for an unconditional model). */
static vt_tensor *cycling_labels(picture_ctx *p, int n) {
    int C = p->v->cfg.n_classes;
    if (!C) return NULL;
    vt_tensor *c = vt_zeros(p->ctx, 2, (int[]){n, C});
    if (!(c->flags & VT_POISON))
        for (int i = 0; i < n; i++) c->data[(size_t)i * C + i % C] = 1.0f;
    return c;
}

static vt_tensor *test_condition(picture_ctx *p, int first, int n) {
    int C = p->v->cfg.n_classes;
    if (!C) return NULL;
    /* The fixed test set holds 10-class one-hots; a model with C classes takes C columns. */
    vt_tensor *c = vt_zeros(p->ctx, 2, (int[]){n, C});
    if (!(c->flags & VT_POISON))
        for (int i = 0; i < n; i++)
            if (p->test->labels[first + i] < C) c->data[(size_t)i * C + p->test->labels[first + i]] = 1.0f;
    return c;
}

static vt_tensor *test_images(picture_ctx *p, int first, int n) {
    return vt_tensor_wrap(p->ctx, 2, (int[]){n, p->test->dim},
                          p->test->x + (size_t)first * p->test->dim);
}

static int write_samples(picture_ctx *p, int n) {
    vt_ctx_reset(p->ctx);
    vt_tensor *x = vt_vae_generate(p->ctx, p->v, n, cycling_labels(p, n));
    if (vt_ctx_error(p->ctx)) return model_failed(p, "samples.png");
    return grid(p, "samples.png", x->data, n, 0, n < GRID_COLS ? n : GRID_COLS);
}

/* Columns in pairs: test image, then its reconstruction. */
static int write_reconstructions(picture_ctx *p, int n) {
    vt_ctx_reset(p->ctx);
    int dim = p->test->dim;
    vt_tensor *rec = vt_vae_reconstruct(p->ctx, p->v, test_images(p, 0, n), test_condition(p, 0, n));
    float *pairs = vt_arena_alloc(p->ctx, (size_t)2 * n * dim * sizeof *pairs);
    if (vt_ctx_error(p->ctx) || !pairs) return model_failed(p, "reconstructions.png");
    for (int i = 0; i < n; i++) {
        memcpy(pairs + (size_t)(2 * i) * dim, p->test->x + (size_t)i * dim, dim * sizeof *pairs);
        memcpy(pairs + (size_t)(2 * i + 1) * dim, rec->data + (size_t)i * dim, dim * sizeof *pairs);
    }
    int cols = 2 * (n < GRID_COLS ? n : GRID_COLS);
    return grid(p, "reconstructions.png", pairs, 2 * n, 0, cols);
}

static int write_classes(picture_ctx *p) {
    int C = p->v->cfg.n_classes, dim = p->v->cfg.x_dim;
    vt_ctx_reset(p->ctx);
    float *all = vt_arena_alloc(p->ctx, (size_t)C * CLI_CLASS_SAMPLES * dim * sizeof *all);
    if (!all) return model_failed(p, "classes.png");
    for (int cls = 0; cls < C; cls++) {
        vt_tensor *x = vt_cvae_generate_class(p->ctx, p->v, CLI_CLASS_SAMPLES, cls);
        if (vt_ctx_error(p->ctx)) return model_failed(p, "classes.png");
        memcpy(all + (size_t)cls * CLI_CLASS_SAMPLES * dim, x->data,
               (size_t)CLI_CLASS_SAMPLES * dim * sizeof *all);
    }
    return grid(p, "classes.png", all, C * CLI_CLASS_SAMPLES, C, CLI_CLASS_SAMPLES);
}

/* Row r walks from the posterior mean of test image 2r to that of 2r+1 (a CVAE's
 * condition moves along with it), decoded at CLI_INTERP_STEPS evenly spaced points. */
static int write_interpolation(picture_ctx *p, int rows) {
    vt_ctx_reset(p->ctx);
    int C = p->v->cfg.n_classes, S = CLI_INTERP_STEPS;
    vt_tensor *cond = test_condition(p, 0, 2 * rows);
    vt_tensor *mu = vt_vae_encode_mean(p->ctx, p->v, test_images(p, 0, 2 * rows), cond);
    int Z = vt_cols(mu);   /* the latent's value width (categories x variables for gumbel) */
    vt_tensor *z = vt_mat(p->ctx, rows * S, Z);
    vt_tensor *c = C ? vt_mat(p->ctx, rows * S, C) : NULL;
    if (vt_ctx_error(p->ctx)) return model_failed(p, "interpolation.png");
    for (int r = 0; r < rows; r++)
        for (int s = 0; s < S; s++) {
            float t = (float)s / (float)(S - 1);
            size_t row = (size_t)r * S + s;
            for (int j = 0; j < Z; j++)
                z->data[row * Z + j] = (1 - t) * mu->data[(size_t)(2 * r) * Z + j] +
                                       t * mu->data[(size_t)(2 * r + 1) * Z + j];
            for (int j = 0; j < C; j++)
                c->data[row * C + j] = (1 - t) * cond->data[(size_t)(2 * r) * C + j] +
                                       t * cond->data[(size_t)(2 * r + 1) * C + j];
        }
    vt_tensor *x = vt_vae_decode_mean(p->ctx, p->v, z, c);
    if (vt_ctx_error(p->ctx)) return model_failed(p, "interpolation.png");
    return grid(p, "interpolation.png", x->data, rows * S, rows, S);
}

int cli_sample_images_write(vt_vae *v, const cli_fixed_test *test, int n, uint64_t seed,
                           int threads, const char *dir, vt_error *err) {
    if (test->n < 1 || test->dim != v->cfg.x_dim) {
        vt_error_set(err, VT_EARG, "images: need test images of %d pixels (have %d of %d)",
                 v->cfg.x_dim, test->n, test->dim);
        return -1;
    }
    picture_ctx p = {.v = v, .test = test, .dir = dir, .err = err};
    int side = (int)lround(sqrt((double)v->cfg.x_dim));
    p.side_h = side * side == v->cfg.x_dim ? side : 1;
    p.side_w = v->cfg.x_dim / p.side_h;
    p.ctx = vt_ctx_new(&(vt_ctx_opts){.seed = seed, .threads = threads});
    if (!p.ctx) {
        vt_error_set(err, VT_ENOMEM, "images: out of memory");
        return -1;
    }
    vt_set_grad_enabled(p.ctx, 0);
    int pairs = n < test->n ? n : test->n;
    int rows = test->n / 2 < INTERP_ROWS ? test->n / 2 : INTERP_ROWS;
    int rc = write_samples(&p, n);
    if (rc == 0) rc = write_reconstructions(&p, pairs);
    if (rc == 0 && v->cfg.n_classes > 0) rc = write_classes(&p);
    if (rc == 0 && rows > 0) rc = write_interpolation(&p, rows);   /* needs a pair */
    if (rc == 0 && cli_latent_images_compute_and_write(v, test, seed, threads, dir, err) < 0) rc = -1;
    vt_ctx_free(p.ctx);
    return rc;
}
