#include "cli/draw/latent_images.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/draw/image.h"
#include "cli/draw/latent_plots.h"

enum { SWEEP = 11, MAX_ROWS = 8, GRID = 15 };

typedef struct pictures {
    vt_vae *v;
    const cli_fixed_test *test;
    vt_ctx *ctx;
    const char *dir;
    int h, w;            /* example shape for the grids */
    vt_error *err;
} pictures;

static int fail(pictures *p, const char *name) {
    vt_error_set(p->err, VT_EARG, "%s: %s", name, vt_ctx_error(p->ctx));
    return -1;
}

static int path_of(pictures *p, const char *name, char *buf, size_t len) {
    if (cli_join(buf, len, p->dir, name) == 0) return 0;
    vt_error_set(p->err, VT_EARG, "%s/%s: path too long", p->dir, name);
    return -1;
}

/* A CVAE decodes under the first test example's label. */
static vt_tensor *condition(pictures *p, int rows) {
    int C = p->v->cfg.n_classes;
    if (!C) return NULL;
    vt_tensor *c = vt_mat(p->ctx, rows, C);
    for (int r = 0; r < rows && !vt_ctx_error(p->ctx); r++)
        memcpy(c->data + (size_t)r * C, p->test->c, (size_t)C * sizeof(float));
    return c;
}

static int decode_grid(pictures *p, const char *name, vt_tensor *z, int rows, int cols) {
    char path[4200];
    vt_tensor *x = vt_vae_decode_mean(p->ctx, p->v, z, condition(p, vt_rows(z)));
    if (vt_ctx_error(p->ctx)) return fail(p, name);
    if (path_of(p, name, path, sizeof path) != 0) return -1;
    return cli_image_grid(path, x->data, rows * cols, p->h, p->w, rows, cols, p->err);
}

static int write_traversal(pictures *p, const vt_latent_stats *s) {
    int Z = s->latent, rows = Z < MAX_ROWS ? Z : MAX_ROWS, dims[MAX_ROWS];
    vt_latent_stats_top_dims(s, rows, dims);
    vt_ctx_reset(p->ctx);
    vt_tensor *z = vt_zeros(p->ctx, 2, (int[]){rows * SWEEP, Z});
    if (vt_ctx_error(p->ctx)) return fail(p, "traversal.png");
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < SWEEP; k++)
            z->data[((size_t)r * SWEEP + k) * Z + dims[r]] = -3.0f + 6.0f * k / (SWEEP - 1);
    return decode_grid(p, "traversal.png", z, rows, SWEEP);
}

static int write_map(pictures *p, const vt_latent_stats *s, int n) {
    int Z = s->latent;
    vt_ctx_reset(p->ctx);
    if (Z == 2) {
        vt_tensor *z = vt_mat(p->ctx, GRID * GRID, 2);
        if (vt_ctx_error(p->ctx)) return fail(p, "latent_map.png");
        for (int i = 0; i < GRID; i++)      /* rows top to bottom: z_1 from +3 to -3 */
            for (int j = 0; j < GRID; j++) {
                z->data[(size_t)(i * GRID + j) * 2] = -3.0f + 6.0f * j / (GRID - 1);
                z->data[(size_t)(i * GRID + j) * 2 + 1] = 3.0f - 6.0f * i / (GRID - 1);
            }
        return decode_grid(p, "latent_map.png", z, GRID, GRID);
    }
    int dims[2];
    vt_latent_stats_top_dims(s, 2, dims);
    int C = p->v->cfg.n_classes;
    vt_tensor *x = vt_tensor_wrap(p->ctx, 2, (int[]){n, p->v->cfg.x_dim}, p->test->x);
    vt_tensor *c = C ? vt_tensor_wrap(p->ctx, 2, (int[]){n, C}, p->test->c) : NULL;
    vt_tensor *mu = vt_vae_encode_mean(p->ctx, p->v, x, c);
    float *xs = vt_arena_alloc(p->ctx, 2 * (size_t)n * sizeof *xs);
    if (vt_ctx_error(p->ctx) || !xs) return fail(p, "latent_map.png");
    for (int i = 0; i < n; i++) {
        xs[i] = mu->data[(size_t)i * Z + dims[0]];
        xs[n + i] = mu->data[(size_t)i * Z + dims[1]];
    }
    char path[4200], xl[32], yl[32];
    snprintf(xl, sizeof xl, "z%d (posterior mean)", dims[0]);
    snprintf(yl, sizeof yl, "z%d", dims[1]);
    if (path_of(p, "latent_map.png", path, sizeof path) != 0) return -1;
    return cli_scatter_plot(path, xs, xs + n, p->test->labels, n,
                           "test set on the two dimensions of largest KL", xl, yl, p->err);
}

int cli_latent_images_write(vt_vae *v, const cli_fixed_test *test, const vt_latent_stats *s,
                           double threshold, int threads, const char *dir, vt_error *err) {
    pictures p = {.v = v, .test = test, .dir = dir, .err = err};
    int side = (int)lround(sqrt((double)v->cfg.x_dim));
    p.h = side * side == v->cfg.x_dim ? side : 1;
    p.w = v->cfg.x_dim / p.h;
    p.ctx = vt_ctx_new(&(vt_ctx_opts){.threads = threads});
    if (!p.ctx) return vt_error_set(err, VT_ENOMEM, "pictures: out of memory"), -1;
    vt_set_grad_enabled(p.ctx, 0);
    char path[4200];
    int n = test->n < CLI_STATS_POINTS ? test->n : CLI_STATS_POINTS;
    int rc = path_of(&p, "kl.png", path, sizeof path);
    if (rc == 0) rc = cli_kl_bar_chart(path, s, threshold, err);
    if (rc == 0) rc = write_traversal(&p, s);
    if (rc == 0) rc = write_map(&p, s, n);
    vt_ctx_free(p.ctx);
    return rc;
}

int cli_latent_images_compute_and_write(vt_vae *v, const cli_fixed_test *test, uint64_t seed,
                                       int threads, const char *dir, vt_error *err) {
    if (v->cfg.posterior != VT_POSTERIOR_DIAG || v->cfg.latent_type != VT_LATENT_GAUSSIAN ||
        v->cfg.levels != 1)
        return 1;   /* pictures of one diagonal-Gaussian latent */
    vt_latent_stats s;
    int n = test->n < CLI_STATS_POINTS ? test->n : CLI_STATS_POINTS;
    vt_latent_stats_opts o = {.seed = seed, .threads = threads};
    if (vt_latent_stats_compute(v, test->x, test->c, n, &o, &s, err) != 0) return -1;
    int rc = cli_latent_images_write(v, test, &s, 0.01, threads, dir, err);
    vt_latent_stats_free(&s);
    return rc;
}
