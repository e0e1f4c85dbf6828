/* The trace a guide and a model share (models/trace.c, include/vtape/trace.h), read
 * from inside a two-site model written here: the guide draws "b" then "a" (q(a | b)
 * uses b's draw), the model asks for "a" then "b" (p(b | a)), so the guide and model
 * orders differ. Checked while the estimator runs it:
 *   - vt_trace_samples and vt_trace_rows give K and R; sites have K·R rows;
 *   - vt_trace_n_sites and vt_trace_site give the sites drawn so far in guide order,
 *     each with its q, value and q_order, and p / p_order once the model asks for it;
 *     the model gets back the guide's values;
 *   - vt_trace_expand repeats R rows to K·R sample-major (row s·R + r is row r), is the
 *     identity for K·R rows or K = 1, passes K copies of gradient back, and refuses any
 *     other row count or a NULL trace with a message;
 *   - vt_model_from_latent runs a one-latent model as one site "z" whose ELBO is
 *     vt_elbo's and whose log p(x) is exact with the exact posterior. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "vtape/vtape.h"

enum { K = 3, R = 4, D = 2 };

typedef struct {
    int expand_bad;                 /* the guide expands a tensor of the wrong rows */
    vt_tensor *leaf;                /* R x D, expanded in the guide */
    int k, r, sites_at_start, sites_after_b;
    const vt_site *none_yet, *beyond, *negative;
    vt_site b_in_guide, before[2], a_asked, b_unasked, after[2];
    vt_dist *qa, *qb, *pa, *pb;
    vt_tensor *za, *zb, *za_model, *zb_model, *x_expanded, *x_same, *leaf_expanded, *x;
    int model_sites;
} record;

static int guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    record *r = m->self;
    r->k = vt_trace_samples(tr), r->r = vt_trace_rows(tr);
    r->sites_at_start = vt_trace_n_sites(tr);
    r->none_yet = vt_trace_site(tr, 0);
    r->x = x;
    r->x_expanded = vt_trace_expand(ctx, tr, x);
    r->x_same = vt_trace_expand(ctx, tr, r->x_expanded);
    r->leaf_expanded = vt_trace_expand(ctx, tr, r->leaf);
    if (r->expand_bad) vt_trace_expand(ctx, tr, vt_zeros(ctx, 2, (int[]){3, D}));
    vt_tensor *unit = vt_zeros(ctx, 2, (int[]){1, D});   /* log σ = 0 */
    /* q(b | x): K·R rows of parameters, drawn once each */
    r->qb = vt_normal(ctx, vt_scale(ctx, r->x_expanded, 0.5f), unit);
    r->zb = vt_trace_sample(ctx, tr, "b", r->qb);
    r->sites_after_b = vt_trace_n_sites(tr);
    r->b_in_guide = *vt_trace_site(tr, 0);
    r->qa = vt_normal(ctx, vt_scale(ctx, r->zb, 0.25f), unit);   /* q(a | b) */
    r->za = vt_trace_sample(ctx, tr, "a", r->qa);
    return vt_ctx_error(ctx) ? -1 : 0;
}

static vt_dist *model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    record *r = m->self;
    r->model_sites = vt_trace_n_sites(tr);
    for (int i = 0; i < 2; i++) r->before[i] = *vt_trace_site(tr, i);
    vt_tensor *unit = vt_zeros(ctx, 2, (int[]){1, D});
    r->pa = vt_std_normal(ctx, vt_trace_rows(tr), D);   /* R rows, scoring K·R */
    r->za_model = vt_trace_latent(ctx, tr, "a", r->pa);
    r->a_asked = *vt_trace_site(tr, 1);
    r->b_unasked = *vt_trace_site(tr, 0);
    r->pb = vt_normal(ctx, r->za_model, unit);   /* p(b | a) */
    r->zb_model = vt_trace_latent(ctx, tr, "b", r->pb);
    for (int i = 0; i < 2; i++) r->after[i] = *vt_trace_site(tr, i);
    r->beyond = vt_trace_site(tr, 2);
    r->negative = vt_trace_site(tr, -1);
    return vt_normal(ctx, r->zb_model, unit);   /* p(x | b) */
}

static const float X[R * D] = {0.5f, -1, 2, 0.25f, -3, 1.5f, 0, 4};

static int run(vt_ctx *ctx, record *r, int k, vt_elbo_terms *t) {
    vt_model m = {guide, model, r};
    vt_elbo_opts o = vt_elbo_defaults();
    o.estimator = VT_EST_GENERIC;
    o.k = k;
    return vt_model_elbo(ctx, &m, vt_from_data(ctx, 2, (int[]){R, D}, X), NULL, &o, t);
}

Test(trace, sites_orders_and_values_seen_by_guide_and_model) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 7});
    record r = {.leaf = vt_leaf_new(2, (int[]){R, D}, X)};
    vt_elbo_terms t;
    cr_assert_eq(run(ctx, &r, K, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert_eq(r.k, K);
    cr_assert_eq(r.r, R);
    cr_assert_eq(r.sites_at_start, 0);
    cr_assert_null(r.none_yet);
    cr_assert_eq(vt_rows(r.zb), K * R);
    cr_assert_eq(vt_rows(r.za), K * R);
    /* in the guide, after the first draw */
    cr_assert_eq(r.sites_after_b, 1);
    cr_assert_str_eq(r.b_in_guide.name, "b");
    cr_assert(r.b_in_guide.q == r.qb && r.b_in_guide.z == r.zb && !r.b_in_guide.p);
    cr_assert_eq(r.b_in_guide.q_order, 0);
    cr_assert_eq(r.b_in_guide.p_order, -1);
    /* in the model: both sites, guide order, no prior yet */
    cr_assert_eq(r.model_sites, 2);
    cr_assert_str_eq(r.before[0].name, "b");
    cr_assert_str_eq(r.before[1].name, "a");
    cr_assert(r.before[1].q == r.qa && r.before[1].z == r.za);
    cr_assert_eq(r.before[1].q_order, 1);
    for (int i = 0; i < 2; i++) {
        cr_assert_null(r.before[i].p);
        cr_assert_eq(r.before[i].p_order, -1);
    }
    /* the model gets the guide's values and each site its prior in model order */
    cr_assert(r.za_model == r.za && r.zb_model == r.zb);
    cr_assert(r.a_asked.p == r.pa && r.a_asked.p_order == 0);
    cr_assert(!r.b_unasked.p && r.b_unasked.p_order == -1);
    cr_assert(r.after[0].p == r.pb && r.after[0].p_order == 1 && r.after[0].q_order == 0);
    cr_assert(r.after[1].p == r.pa && r.after[1].p_order == 0 && r.after[1].q_order == 1);
    cr_assert_null(r.beyond);
    cr_assert_null(r.negative);
    /* the estimator reports the sites in guide order */
    cr_assert_eq(t.n_sites, 2);
    cr_assert_str_eq(t.site_kl[0].name, "b");
    cr_assert_str_eq(t.site_kl[1].name, "a");
    vt_ctx_free(ctx);
    vt_leaf_free(r.leaf);
}

Test(trace, expand_repeats_rows_sample_major) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 7});
    record r = {.leaf = vt_leaf_new(2, (int[]){R, D}, X)};
    vt_elbo_terms t;
    cr_assert_eq(run(ctx, &r, K, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_rows(r.x_expanded), K * R);
    cr_assert_eq(vt_cols(r.x_expanded), D);
    for (int s = 0; s < K; s++)
        for (int i = 0; i < R * D; i++)
            cr_assert_eq(r.x_expanded->data[s * R * D + i], X[i], "sample %d, element %d", s, i);
    cr_assert(r.x_same == r.x_expanded, "K·R rows are already the sites' rows");
    /* K copies: the gradient of their sum is K for every element */
    cr_assert_eq(vt_backward(ctx, vt_sum(ctx, r.leaf_expanded), NULL), 0, "%s", vt_ctx_error(ctx));
    for (int i = 0; i < R * D; i++) cr_assert_eq(r.leaf->grad[i], (float)K);
    /* K = 1: no copy */
    vt_ctx_reset(ctx);
    cr_assert_eq(run(ctx, &r, 1, &t), 0, "%s", vt_ctx_error(ctx));
    cr_assert(r.x_expanded == r.x);
    cr_assert_eq(vt_rows(r.za), R);
    vt_ctx_free(ctx);
    vt_leaf_free(r.leaf);
}

Test(trace, misuse_is_an_error_not_a_crash) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    record r = {.leaf = vt_leaf_new(2, (int[]){R, D}, X), .expand_bad = 1};
    vt_elbo_terms t;
    cr_assert_eq(run(ctx, &r, K, &t), -1);
    cr_assert(strstr(vt_ctx_error(ctx), "vt_trace_expand: 3 rows, expected the trace's 4 "
                     "datapoints (or 12 samples of them)"), "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    vt_tensor *p = vt_trace_expand(ctx, NULL, vt_zeros(ctx, 2, (int[]){R, D}));
    cr_assert(p->flags & VT_POISON);
    cr_assert(strstr(vt_ctx_error(ctx), "the trace is NULL"), "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_trace_samples(NULL), 0);
    cr_assert_eq(vt_trace_rows(NULL), 0);
    cr_assert_eq(vt_trace_n_sites(NULL), 0);
    cr_assert_null(vt_trace_site(NULL, 0));
    vt_ctx_free(ctx);
    vt_leaf_free(r.leaf);
}

/* ---- one latent: z ~ N(0, 1), x | z ~ N(z, 1); the exact posterior is N(x/2, 1/2) ---- */
static vt_dist *post(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    /* log σ R x D (the closed-form KL takes q's parameters row by row) */
    vt_tensor *ls = vt_add_scalar(ctx, vt_zeros(ctx, 2, (int[]){vt_rows(x), D}), 0.5f * logf(0.5f));
    return vt_normal(ctx, vt_scale(ctx, x, 0.5f), ls);
}
static vt_dist *prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    return vt_std_normal(ctx, rows, D);
}
static vt_dist *lik(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    return vt_normal(ctx, z, vt_zeros(ctx, 2, (int[]){1, D}));
}

typedef struct { vt_model inner; int n_sites; vt_site in_guide, in_model; } wrapped;
static int wrap_guide(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr) {
    wrapped *w = m->self;
    int rc = w->inner.guide(ctx, &w->inner, x, c, tr);
    w->n_sites = vt_trace_n_sites(tr);
    if (w->n_sites > 0) w->in_guide = *vt_trace_site(tr, 0);
    return rc;
}
static vt_dist *wrap_model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    wrapped *w = m->self;
    vt_dist *d = w->inner.model(ctx, &w->inner, c, tr);
    w->in_model = *vt_trace_site(tr, 0);
    return d;
}

Test(trace, from_latent_is_one_site_z_with_vt_elbo_values) {
    vt_latent_model lm = {post, prior, lik, NULL};
    wrapped w = {.inner = vt_model_from_latent(&lm)};
    vt_model m = {wrap_guide, wrap_model, &w};
    vt_ctx *a = vt_ctx_new(&(vt_ctx_opts){.seed = 3}), *b = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    vt_elbo_opts o = vt_elbo_defaults();
    o.k = 2;
    vt_elbo_terms ta, tb;
    cr_assert_eq(vt_model_elbo(a, &m, vt_from_data(a, 2, (int[]){R, D}, X), NULL, &o, &ta), 0,
                 "%s", vt_ctx_error(a));
    cr_assert_eq(vt_elbo(b, &lm, vt_from_data(b, 2, (int[]){R, D}, X), NULL, &o, &tb), 0);
    cr_assert_eq(w.n_sites, 1);
    cr_assert_str_eq(w.in_guide.name, "z");
    cr_assert(w.in_guide.q && w.in_guide.q->ops == &vt_normal_ops && w.in_guide.q_order == 0);
    cr_assert(w.in_model.p && w.in_model.p->ops == &vt_std_normal_ops && w.in_model.p_order == 0);
    cr_assert_eq(ta.elbo, tb.elbo);
    cr_assert_eq(ta.kl, tb.kl);
    cr_assert_eq(ta.rec, tb.rec);
    /* exact posterior: every importance weight is p(x), x_j ~ N(0, 2) independently
     * (float32 log-densities of size ~10: 1e-4 is ~20x their rounding) */
    double lp[R];
    cr_assert_eq(vt_model_log_px(a, &w.inner, X, NULL, R, D, 0, 8, 0, lp), 0, "%s", vt_ctx_error(a));
    for (int i = 0; i < R; i++) {
        double want = 0;
        for (int j = 0; j < D; j++) want += -0.5 * log(4 * 3.14159265358979323846) - X[i * D + j] * X[i * D + j] / 4;
        cr_assert(fabs(lp[i] - want) < 1e-4, "x%d: %.7f vs exact %.7f", i, lp[i], want);
    }
    /* a NULL latent model: refused by the estimators with a message */
    vt_model none = vt_model_from_latent(NULL);
    vt_ctx_reset(a);
    cr_assert_eq(vt_model_elbo(a, &none, vt_from_data(a, 2, (int[]){R, D}, X), NULL, &o, &ta), -1);
    cr_assert(strstr(vt_ctx_error(a), "needs a guide and a model"), "%s", vt_ctx_error(a));
    vt_ctx_reset(a);
    cr_assert_eq(vt_model_log_px(a, &none, X, NULL, R, D, 0, 8, 0, lp), -1);
    cr_assert(strstr(vt_ctx_error(a), "needs a guide and a model"), "%s", vt_ctx_error(a));
    vt_ctx_free(a);
    vt_ctx_free(b);
}
