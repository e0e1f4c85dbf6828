/* Pieces the latent models are built from, against their documented properties:
 *   - vt_dist_detach: for each family that scores values, log-densities equal to the
 *     undetached dist's, the same gradient for the value, none for the parameters (the
 *     undetached one's is not zero); refused for families that score only their own
 *     sample, and for NULL or poison, with a message;
 *   - vt_concrete_categories: C for a Gumbel-softmax, 1 for a relaxed Bernoulli, 0 for
 *     every other family (flows and user families keep other state in d->user);
 *   - vt_made_forward: the masked two-layer net against a float64 recomputation; the
 *     autoregressive property in both orders (output i unchanged when any input not
 *     before i in the step's order changes, changed by the input just before it); with
 *     a context h the outputs depend on h; gradients by finite differences; misuse is an
 *     error with poison outputs. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, D = 4 };

/* ---- vt_dist_detach ---- */
typedef vt_dist *(*make_fn)(vt_ctx *ctx, vt_tensor *const *p);
static vt_dist *mk_normal(vt_ctx *ctx, vt_tensor *const *p) { return vt_normal(ctx, p[0], p[1]); }
static vt_dist *mk_shared(vt_ctx *ctx, vt_tensor *const *p) { return vt_normal(ctx, p[0], p[2]); }
static vt_dist *mk_mog(vt_ctx *ctx, vt_tensor *const *p) { return vt_mog(ctx, R, p[3], p[4], p[5]); }
static vt_dist *mk_concrete(vt_ctx *ctx, vt_tensor *const *p) { return vt_concrete(ctx, p[0], 2, 0.7f, 0); }
static vt_dist *mk_binary(vt_ctx *ctx, vt_tensor *const *p) { return vt_binary_concrete(ctx, p[0], 0.7f, 0); }

typedef struct { float lp[R]; float gz[R * D]; double gparams; } pass;

static pass score(make_fn make, vt_tensor *const *p, int np, vt_tensor *z, int detach) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    for (int i = 0; i < np; i++) memset(p[i]->grad, 0, vt_numel(p[i]) * sizeof(float));
    memset(z->grad, 0, vt_numel(z) * sizeof(float));
    vt_dist *d = make(ctx, p);
    if (detach) d = vt_dist_detach(ctx, d);
    vt_tensor *lp = vt_dist_log_prob(ctx, d, z);
    cr_assert_eq(vt_backward(ctx, vt_sum(ctx, lp), NULL), 0, "%s", vt_ctx_error(ctx));
    pass out = {.gparams = 0};
    memcpy(out.lp, lp->data, sizeof out.lp);
    memcpy(out.gz, z->grad, sizeof out.gz);
    for (int i = 0; i < np; i++)
        for (size_t j = 0; j < vt_numel(p[i]); j++) out.gparams += fabs(p[i]->grad[j]);
    vt_ctx_free(ctx);
    return out;
}

Test(detach, same_density_value_gradient_only) {
    float mu[R * D], ls[R * D], z[R * D], shared[D], logits[2], means[2 * D], logsigs[2 * D];
    vt_test_fill_normal(mu, R * D, 1, 1);
    vt_test_fill_normal(ls, R * D, 0.3f, 2);
    vt_test_fill_normal(z, R * D, 1.5f, 3);
    vt_test_fill_normal(shared, D, 0.3f, 4);
    vt_test_fill_normal(logits, 2, 1, 5);
    vt_test_fill_normal(means, 2 * D, 1, 6);
    vt_test_fill_normal(logsigs, 2 * D, 0.3f, 7);
    vt_tensor *p[6] = {vt_leaf_new(2, (int[]){R, D}, mu), vt_leaf_new(2, (int[]){R, D}, ls),
                       vt_leaf_new(2, (int[]){1, D}, shared), vt_leaf_new(2, (int[]){1, 2}, logits),
                       vt_leaf_new(2, (int[]){2, D}, means), vt_leaf_new(2, (int[]){2, D}, logsigs)};
    vt_tensor *zt = vt_leaf_new(2, (int[]){R, D}, z);
    /* a relaxed one-hot in log space per group of 2, and logits for the relaxed bits */
    float lz[R * D];
    for (int i = 0; i < R * D; i += 2) {
        double m = fmax(z[i], z[i + 1]), s = m + log(exp(z[i] - m) + exp(z[i + 1] - m));
        lz[i] = (float)(z[i] - s), lz[i + 1] = (float)(z[i + 1] - s);
    }
    vt_tensor *lzt = vt_leaf_new(2, (int[]){R, D}, lz);
    const struct { const char *name; make_fn make; vt_tensor *z; } fam[] = {
        {"normal", mk_normal, zt}, {"normal, shared log σ", mk_shared, zt}, {"mixture", mk_mog, zt},
        {"concrete", mk_concrete, lzt}, {"binary concrete", mk_binary, zt}};
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        pass a = score(fam[f].make, p, 6, fam[f].z, 0), b = score(fam[f].make, p, 6, fam[f].z, 1);
        for (int r = 0; r < R; r++)
            cr_assert_eq(a.lp[r], b.lp[r], "%s row %d: %g vs %g", fam[f].name, r, a.lp[r], b.lp[r]);
        for (int i = 0; i < R * D; i++)
            cr_assert_float_eq(a.gz[i], b.gz[i], 1e-6 * (1 + fabsf(a.gz[i])), "%s: value gradient %d",
                               fam[f].name, i);
        cr_assert_gt(a.gparams, 0, "%s: no gradient reaches the parameters undetached", fam[f].name);
        cr_assert_eq(b.gparams, 0, "%s: gradient %g reached detached parameters", fam[f].name,
                     b.gparams);
    }
    /* the value's gradient is the Normal's score, −(z − μ)/σ², detached or not */
    pass n = score(mk_normal, p, 6, zt, 1);
    for (int i = 0; i < R * D; i++)
        cr_assert_float_eq(n.gz[i], -(z[i] - mu[i]) * expf(-2 * ls[i]), 1e-5 * (1 + fabsf(n.gz[i])));
    for (int i = 0; i < 6; i++) vt_leaf_free(p[i]);
    vt_leaf_free(zt);
    vt_leaf_free(lzt);
}

Test(detach, own_sample_families_null_and_poison_are_refused) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *mu = vt_zeros(ctx, 2, (int[]){R, 2}), *ls = vt_zeros(ctx, 2, (int[]){R, 2});
    vt_dist *full = vt_fullcov_normal(ctx, mu, ls, vt_zeros(ctx, 2, (int[]){R, 4}));
    vt_dist *planar = vt_planar_flow(ctx, mu, ls, vt_zeros(ctx, 2, (int[]){R, 5}), 1);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    const struct { vt_dist *d; const char *msg; } cases[] = {
        {full, "fullcov_normal scores only its own sample"},
        {planar, "planar_flow scores only its own sample"},
        {NULL, "the distribution is NULL"}};
    for (int i = 0; i < 3; i++) {
        vt_ctx_clear_error(ctx);
        vt_dist *d = vt_dist_detach(ctx, cases[i].d);
        cr_assert(vt_ctx_error(ctx) && strstr(vt_ctx_error(ctx), cases[i].msg), "case %d: %s", i,
                  vt_ctx_error(ctx));
        cr_assert(vt_dist_log_prob(ctx, d, mu)->flags & VT_POISON);
    }
    vt_ctx_clear_error(ctx);
    vt_dist *p = vt_dist_detach(ctx, vt_dist_poison(ctx));
    cr_assert_not_null(p);
    cr_assert(vt_dist_rsample(ctx, p, 1)->flags & VT_POISON);
    vt_ctx_free(ctx);
}

/* ---- vt_concrete_categories ---- */
static vt_tensor *my_rsample(vt_ctx *ctx, vt_dist *d, int k) { return vt_zeros(ctx, 2, (int[]){k * d->rows, d->dim}); }
static vt_tensor *my_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) { return vt_zeros(ctx, 2, (int[]){vt_rows(x), 1}); }
static const vt_dist_ops my_ops = {"mine", my_rsample, my_log_prob};

Test(concrete, categories_by_family) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_store *s = vt_store_new();
    vt_made made;
    cr_assert_eq(vt_made_init(&made, s, "iaf", 2, 0, 4, 0, 1, NULL), 0);
    vt_tensor *logits = vt_zeros(ctx, 2, (int[]){R, 6}), *mu = vt_zeros(ctx, 2, (int[]){R, 2});
    cr_assert_eq(vt_concrete_categories(vt_concrete(ctx, logits, 3, 0.5f, 0)), 3);
    cr_assert_eq(vt_concrete_categories(vt_concrete(ctx, logits, 6, 0.5f, 1)), 6);
    cr_assert_eq(vt_concrete_categories(vt_binary_concrete(ctx, logits, 0.5f, 0)), 1);
    cr_assert_eq(vt_concrete_categories(vt_normal(ctx, mu, mu)), 0);
    cr_assert_eq(vt_concrete_categories(vt_std_normal(ctx, R, 2)), 0);
    cr_assert_eq(vt_concrete_categories(vt_bernoulli_logits(ctx, logits)), 0);
    /* flows keep their depth and steps in d->user: still 0 */
    int depth3 = 3;
    cr_assert_eq(vt_concrete_categories(vt_planar_flow(ctx, mu, mu, vt_zeros(ctx, 2, (int[]){R, 15}),
                                                       depth3)), 0);
    cr_assert_eq(vt_concrete_categories(vt_iaf(ctx, mu, mu, NULL, &made, 1)), 0);
    vt_dist *mine = vt_dist_new(ctx, &my_ops, R, 2);
    mine->user = &depth3;
    cr_assert_eq(vt_concrete_categories(mine), 0);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_concrete_categories(NULL), 0);
    cr_assert_eq(vt_concrete_categories(vt_concrete(ctx, logits, 4, 0.5f, 0)), 0);   /* poison */
    cr_assert_not_null(vt_ctx_error(ctx));
    vt_made_free(&made);
    vt_store_free(s);
    vt_ctx_free(ctx);
}
