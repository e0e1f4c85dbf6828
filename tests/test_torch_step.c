/* The same training step as an independent implementation: ../shared/bench/torch_vae.py
 * --dump-step writes one step of the PyTorch VAE (x, eps, every weight, the loss and
 * every gradient). Given the same weights, x and eps, vtape must give the same loss
 * and gradients.
 *
 * The fixed eps enters through a user-defined posterior: a diagonal Normal whose
 * rsample uses the dumped noise — the vtable is the public way to swap a posterior.
 *
 * Tolerances (float32 both sides, different summation orders and exp/log kernels):
 *   loss: relative 1e-5 (a sum of ~10⁵ terms of size ~1, each rounded at 6e-8);
 *   gradients, per tensor: |g − g_ref| ≤ 2e-5·max|g_ref| + 1e-4·|g_ref|. GEMMs of length
 *   up to 784 accumulate in different orders (OpenBLAS kernels vs PyTorch's); tiny
 *   entries are dominated by cancellation, hence the term scaled to the tensor's
 *   largest gradient. Measured: worst 6e-7 of the tensor's max (margin ~30x). A wrong
 *   gradient (a missing term, a transposed weight) is off by O(1) of that scale. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "skip.h"
#include "vtape/vtape.h"

#define SHARED_BENCH VT_SOURCE_DIR "/../shared/bench/torch_vae.py"

static int torch_available(void) {
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* The dump for `model`, made now when CI has not made it yet. NULL: skip. */
static const char *dump_dir(const char *model, char *buf, size_t len) {
    snprintf(buf, len, "%s/torch-dump/%s", VT_BUILD_DIR, model);
    char man[600];
    snprintf(man, sizeof man, "%s/manifest.json", buf);
    struct stat st;
    if (stat(man, &st) == 0) return buf;
    if (!torch_available()) return NULL;
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s --model %s --dump-step %s >/dev/null",
             SHARED_BENCH, model, buf);
    cr_assert_eq(system(cmd), 0, "torch_vae.py --dump-step failed: %s", cmd);
    return buf;
}

static float *read_f32(const char *dir, const char *file, size_t n) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    float *buf = malloc(n * sizeof *buf);
    cr_assert_eq(fread(buf, sizeof *buf, n, f), n, "%s is short", path);
    fclose(f);
    return buf;
}

static double manifest_number(const char *dir, const char *key) {
    char path[700], text[1 << 16];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(text, pat);
    cr_assert_not_null(at, "%s missing from manifest", key);
    return strtod(at + strlen(pat), NULL);
}

/* ---- a posterior that reuses given noise ---- */
static vt_tensor *fixed_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    d->eps = d->user;
    return d->sample = vt_reparam_diag(ctx, d->p[0], d->p[1], d->eps);
}
static vt_tensor *fixed_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z) {
    return vt_normal_logprob_rows(ctx, z, d->p[0], d->p[1]);
}
static const vt_dist_ops fixed_noise_normal = {"fixed_noise_normal", fixed_rsample, fixed_log_prob};
static vt_tensor *fixed_kl(vt_ctx *ctx, vt_dist *q, vt_dist *p) {
    return vt_kl_normal_std_rows(ctx, q->p[0], q->p[1]);
}

typedef struct { vt_latent_model inner; vt_tensor *eps; } fixed_model;

static vt_dist *fixed_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const fixed_model *fm = m->self;
    vt_dist *q = fm->inner.posterior(ctx, &fm->inner, x, c);
    vt_dist *f = vt_dist_new(ctx, &fixed_noise_normal, q->rows, q->dim);
    f->p[0] = q->p[0];
    f->p[1] = q->p[1];
    f->user = fm->eps;
    return f;
}
static vt_dist *inner_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    const fixed_model *fm = m->self;
    return fm->inner.prior(ctx, &fm->inner, rows, c);
}
static vt_dist *inner_likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    const fixed_model *fm = m->self;
    return fm->inner.likelihood(ctx, &fm->inner, z, c);
}

static void same_step(const char *model, int n_classes) {
    char dir[512];
    if (!dump_dir(model, dir, sizeof dir))
        vt_test_skip("python3-torch (for the dump %s/torch-dump/%s)", VT_BUILD_DIR, model);
    enum { B = 128, X = 784, Z = 32 };
    vt_vae v;
    vt_error err = {0};
    vt_vae_config cfg = vt_vae_default_config();
    int rc = n_classes ? vt_cvae_init(&v, &cfg, n_classes, &err)
                       : vt_vae_init(&v, &cfg, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    static const char *layers[] = {"enc0", "enc1", "enc_out", "dec0", "dec1", "dec_out"};
    for (int l = 0; l < 6; l++)
        for (int wb = 0; wb < 2; wb++) {
            char name[64], file[64];
            snprintf(name, sizeof name, "%s.%s", layers[l], wb ? "b" : "W");
            snprintf(file, sizeof file, "%s.%s.f32", layers[l], wb ? "b" : "W");
            vt_tensor *p = vt_store_find(v.store, name);
            cr_assert_not_null(p, "%s", name);
            float *src = read_f32(dir, file, vt_numel(p));
            memcpy(p->data, src, vt_numel(p) * sizeof(float));
            free(src);
        }
    float *x = read_f32(dir, "x.f32", B * X), *eps = read_f32(dir, "eps.f32", B * Z);
    float *c = n_classes ? read_f32(dir, "c.f32", (size_t)B * n_classes) : NULL;

    vt_ctx *ctx = vt_ctx_new(NULL);
    cr_assert_eq(vt_kl_register(&fixed_noise_normal, &vt_std_normal_ops, fixed_kl), 0);
    v.model.self = &v;
    fixed_model fm = {v.model, vt_tensor_wrap(ctx, 2, (int[]){B, Z}, eps)};
    vt_latent_model m = {fixed_posterior, inner_prior, inner_likelihood, &fm};
    vt_elbo_terms t;
    vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){B, X}, x);
    vt_tensor *cb = c ? vt_tensor_wrap(ctx, 2, (int[]){B, n_classes}, c) : NULL;
    cr_assert_eq(vt_elbo(ctx, &m, xb, cb, NULL, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0, "%s", vt_ctx_error(ctx));

    double want = manifest_number(dir, "loss");
    cr_assert(fabs(t.loss->data[0] - want) <= 1e-5 * fabs(want), "loss %.7g vs torch %.7g",
              t.loss->data[0], want);
    double kl_want = manifest_number(dir, "kl_sum") / B, rec_want = manifest_number(dir, "rec_sum") / B;
    cr_assert(fabs(t.kl - kl_want) <= 1e-4 * fabs(kl_want) + 1e-4, "kl %g vs %g", t.kl, kl_want);
    cr_assert(fabs(t.rec - rec_want) <= 1e-5 * fabs(rec_want), "rec %g vs %g", t.rec, rec_want);

    double worst = 0;
    for (int l = 0; l < 6; l++)
        for (int wb = 0; wb < 2; wb++) {
            char name[64], file[64];
            snprintf(name, sizeof name, "%s.%s", layers[l], wb ? "b" : "W");
            snprintf(file, sizeof file, "%s.g%s.f32", layers[l], wb ? "b" : "W");
            vt_tensor *p = vt_store_find(v.store, name);
            size_t n = vt_numel(p);
            float *g = read_f32(dir, file, n);
            double scale = 0;
            for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(g[i]));
            for (size_t i = 0; i < n; i++) {
                double e = fabs(p->grad[i] - g[i]);
                worst = fmax(worst, e / (scale + 1e-30));
                cr_assert(e <= 2e-5 * scale + 1e-4 * fabs(g[i]),
                          "%s[%zu]: %.7g vs torch %.7g (tensor max %.3g)", name, i, p->grad[i],
                          g[i], scale);
            }
            free(g);
        }
    cr_log_info("%s: loss %.7g vs %.7g; worst gradient error %.2e of the tensor's max",
                model, t.loss->data[0], want, worst);
    vt_ctx_free(ctx);
    free(x);
    free(eps);
    free(c);
    vt_vae_free(&v);
}

Test(torch_step, vae_matches_pytorch) { same_step("vae", 0); }
Test(torch_step, cvae_matches_pytorch) { same_step("cvae", 10); }
