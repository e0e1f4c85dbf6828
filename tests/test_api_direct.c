/* Public functions that the other suites reach only through others, called directly
 * and checked against what their headers promise: the NPY and CSV readers, the
 * detached copy of a dist, the latent-model wrappers (one-latent model, log p(x) of a
 * model, the trace's accessors), the gradient-estimator names, and the VAE's model,
 * evaluation options and temperature schedule. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

static char dir[64];   /* made on first use; removed by the test that used it */

static const char *tmp_file(const char *name, const void *bytes, size_t n) {
    static char path[128];
    if (!dir[0]) cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(bytes, 1, n, f);
    fclose(f);
    return path;
}

Test(direct, npy_and_csv_readers) {
    /* NPY v1.0: magic, version, header length (little-endian), a dict padded with spaces
     * to a multiple of 64 bytes ending in a newline, then 2 x 3 little-endian float32 */
    char bytes[128 + 24];
    memcpy(bytes, "\x93NUMPY\x01\x00\x76\x00", 10);
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    memset(bytes + 10, ' ', 118);
    memcpy(bytes + 10, dict, strlen(dict));
    bytes[127] = '\n';
    float v[6] = {1, -2, 3.5f, 0, 5, 6};
    memcpy(bytes + 128, v, sizeof v);
    vt_npy npy;
    vt_error err = {0};
    cr_assert_eq(vt_npy_read(&npy, tmp_file("a.npy", bytes, sizeof bytes), &err), 0, "%s", err.msg);
    cr_assert(npy.ndim == 2 && npy.dims[0] == 2 && npy.dims[1] == 3 && npy.kind == 'f' &&
              npy.elem_size == 4 && npy.count == 6);
    cr_assert_eq(memcmp(npy.data, v, sizeof v), 0);
    vt_npy_free(&npy);
    cr_assert_null(npy.data);

    const char *csv = "1,2,0\n3,4.5,1\n";
    vt_dataset ds;
    cr_assert_eq(vt_dataset_read_csv(&ds, tmp_file("a.csv", csv, strlen(csv)), 2, &err), 0,
                 "%s", err.msg);
    cr_assert(ds.n == 2 && ds.dim == 2 && ds.labels && ds.labels[1] == 1 && ds.n_classes == 2);
    cr_assert(ds.pixels[0] == 1 && ds.pixels[3] == 4.5f);
    vt_dataset_free(&ds);
    cr_assert_eq(vt_test_rmtree(dir), 0);
}

Test(direct, detached_dist_scores_the_same_value_without_parameter_gradients) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *mu = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){0.5f, -1}));
    vt_tensor *ls = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){0.1f, -0.3f}));
    vt_tensor *z = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){1, 2}));
    vt_dist *q = vt_normal(ctx, mu, ls), *d = vt_dist_detach(ctx, q);
    vt_tensor *a = vt_dist_log_prob(ctx, q, z), *b = vt_dist_log_prob(ctx, d, z);
    cr_assert_eq(a->data[0], b->data[0]);
    cr_assert_eq(vt_backward(ctx, b, NULL), 0, "%s", vt_ctx_error(ctx));
    cr_assert(!mu->grad && !ls->grad, "the copy's parameters take no gradient");
    /* d/dz log N(z; μ, σ²) = −(z − μ)/σ² */
    cr_assert_float_eq(z->grad[0], -(1 - 0.5f) / expf(0.2f), 1e-6);
    cr_assert_eq(vt_dist_detach(ctx, NULL)->ops, vt_dist_poison(ctx)->ops);
    vt_ctx_free(ctx);
}

Test(direct, gradient_estimator_names_round_trip) {
    for (int g = VT_GRAD_REPARAM; g <= VT_GRAD_DREG; g++)
        cr_assert_eq(vt_grad_estimator_parse(vt_grad_estimator_name((vt_grad_estimator)g)), g);
    cr_assert_eq(vt_grad_estimator_parse("nope"), -1);
    cr_assert_str_eq(vt_grad_estimator_name(VT_GRAD_STL), "stl");
}

/* ---- the trace's accessors, seen from inside a model ---- */
static int seen_k, seen_sites;
static const char *seen_first;
static int two_guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    vt_tensor *a = vt_trace_sample(ctx, tr, "a", vt_std_normal(ctx, vt_rows(x), 2));
    vt_trace_sample(ctx, tr, "b", vt_normal(ctx, a, vt_zeros(ctx, 2, (int[]){1, 2})));
    return 0;
}
static vt_dist *two_model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    seen_k = vt_trace_samples(tr);
    seen_sites = vt_trace_n_sites(tr);
    seen_first = vt_trace_site(tr, 0) ? vt_trace_site(tr, 0)->name : NULL;
    cr_assert_null(vt_trace_site(tr, 2));
    vt_tensor *a = vt_trace_latent(ctx, tr, "a", vt_std_normal(ctx, vt_trace_rows(tr), 2));
    vt_tensor *b = vt_trace_latent(ctx, tr, "b", vt_normal(ctx, a, vt_zeros(ctx, 2, (int[]){1, 2})));
    return vt_bernoulli_logits(ctx, b);
}

Test(direct, trace_accessors_inside_a_model) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_model m = {two_guide, two_model, NULL};
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_GENERIC;
    o.k = 3;
    vt_elbo_terms t;
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){2, 2}, (float[]){1, 0, 0, 1});
    cr_assert_eq(vt_model_elbo(ctx, &m, x, NULL, &o, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert(seen_k == 3 && seen_sites == 2 && seen_first && !strcmp(seen_first, "a"));
    vt_ctx_free(ctx);
}

/* ---- the VAE's model, evaluation options, temperature; a one-latent model's log p(x) ---- */
Test(direct, vae_model_wrappers_and_schedule) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 6, cfg.n_hidden = 0, cfg.latent = 2;
    vt_vae v;
    cr_assert_eq(vt_vae_init(&v, &cfg, NULL), 0);
    float xs[12];
    vt_test_fill_uniform(xs, 12, 0, 1, 3);
    vt_elbo_terms a, b;
    vt_ctx *c1 = vt_ctx_new(&(vt_ctx_opts){.seed = 2}), *c2 = vt_ctx_new(&(vt_ctx_opts){.seed = 2});
    vt_model m = vt_vae_model(&v), one = vt_model_from_latent(&v.model);
    cr_assert_eq(vt_model_elbo(c1, &m, vt_from_data(c1, 2, (int[]){2, 6}, xs), NULL, NULL, &a), 0);
    cr_assert_eq(vt_model_elbo(c2, &one, vt_from_data(c2, 2, (int[]){2, 6}, xs), NULL, NULL, &b), 0);
    cr_assert_eq(a.elbo, b.elbo, "one latent: vt_vae_model is the one-site model");
    double lp1[2], lp2[2];
    cr_assert_eq(vt_model_log_px(c1, &one, xs, NULL, 2, 6, 0, 50, 0, lp1), 0, "%s", vt_ctx_error(c1));
    cr_assert_eq(vt_log_px(c2, &v.model, xs, NULL, 2, 6, 0, 50, 0, lp2), 0, "%s", vt_ctx_error(c2));
    cr_assert(lp1[0] == lp2[0] && lp1[1] == lp2[1], "the same estimate for the same noise");
    cr_assert_eq(vt_vae_eval_opts(&v).estimator, VT_EST_ANALYTIC);
    v.cfg.posterior = VT_POSTERIOR_PLANAR;   /* a flow: no closed-form KL */
    cr_assert_eq(vt_vae_eval_opts(&v).estimator, VT_EST_GENERIC);
    v.cfg.temperature = 2, v.cfg.temp_min = 0.5f, v.cfg.temp_rate = 1e-2f;
    cr_assert_float_eq(vt_vae_set_step(&v, 0), 2.0f, 1e-6);
    cr_assert_float_eq(vt_vae_set_step(&v, 100), 2 * expf(-1), 1e-5);
    cr_assert_float_eq(vt_vae_set_step(&v, 1000), 0.5f, 1e-6);
    cr_assert_eq(v.tau, 0.5f);
    vt_ctx_free(c1), vt_ctx_free(c2);
    vt_vae_free(&v);
}
