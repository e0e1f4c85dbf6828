/* Optimizers, clipping and schedules.
 *
 * The optimizer tests compare against reference implementations written here in
 * double precision straight from the PyTorch formulas (no folded bias corrections, no
 * flush), fed the very same float gradients. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "vtape/core.h"
#include "vtape/elbo.h"
#include "vtape/optim.h"

/* Tolerance for float32 optimizer vs float64 reference: each step rounds ~10 float
 * operations per element, each by at most 2^-24 ≈ 6e-8 relative, on quantities no
 * larger than max(|p|, lr·|update ratio|) where Adam's ratio mhat/(sqrt(vhat)+eps) is
 * at most ~3 here. Over STEPS = 8 steps, errors add at worst linearly:
 * 8 · 10 · 6e-8 · (|p| + 0.3) ≈ 5e-6 · (1 + |p|). We allow 1e-5 · (1 + |p|), while a
 * formula mistake (bias correction, L2 vs decoupled decay, Nesterov) moves p by
 * ~lr · 0.1 = 5e-3 or more — hundreds of times the tolerance. */
#define STEPS 8
#define TOL 1e-5

/* A store with three parameters; the store pads each to a 16-float boundary, so the
 * optimizers also run over padding (which must stay 0). Returns the element count. */
#define MAXN 64
static vt_store *make_store(void) {
    vt_store *s = vt_store_new();
    cr_assert_not_null(s);
    cr_assert_not_null(vt_store_param(s, "w", 2, (int[]){3, 5}, NULL));
    cr_assert_not_null(vt_store_param(s, "b", 1, (int[]){4}, NULL));
    cr_assert_not_null(vt_store_param(s, "u", 3, (int[]){2, 2, 3}, NULL));
    int j = 0;
    for (int k = 0; k < vt_store_count(s); k++) {
        vt_tensor *t = vt_store_get(s, k);
        for (size_t i = 0; i < vt_numel(t); i++, j++) t->data[i] = (float)(0.5 * cos(j));
    }
    return s;
}

/* Known gradient of logical element j at step t (1-based). Three scales: w ~ 1,
 * b ~ 1e-3 (near Adam's small-gradient regime), u ~ 10; element 3 never gets one. */
static float known_grad(int k, int j, int t) {
    static const double scale[3] = {1.0, 1e-3, 10.0};
    if (j == 3) return 0.0f;
    return (float)(scale[k] * (0.8 * sin(0.37 * j + 1.1 * t) + 0.3 * ((t + j) % 3 - 1)));
}

static void set_grads(vt_store *s, int t) {
    vt_store_zero_grad(s);
    int j = 0;
    for (int k = 0; k < vt_store_count(s); k++) {
        vt_tensor *p = vt_store_get(s, k);
        for (size_t i = 0; i < vt_numel(p); i++, j++) p->grad[i] = known_grad(k, j, t);
    }
}

/* Gather the logical elements (no padding) of the store and of a slot. */
static int gather(vt_store *s, const float *block, double *out) {
    int j = 0;
    const float *base = vt_store_values(s);
    for (int k = 0; k < vt_store_count(s); k++) {
        vt_tensor *p = vt_store_get(s, k);
        size_t off = (size_t)(p->data - base);
        for (size_t i = 0; i < vt_numel(p); i++, j++) out[j] = block[off + i];
    }
    return j;
}

static void assert_padding_zero(vt_store *s) {
    float *v = vt_store_values(s);
    size_t n = vt_store_numel(s);
    char used[256] = {0};
    for (int k = 0; k < vt_store_count(s); k++) {
        vt_tensor *p = vt_store_get(s, k);
        for (size_t i = 0; i < vt_numel(p); i++) used[(size_t)(p->data - v) + i] = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!used[i]) cr_assert_eq(v[i], 0.0f, "padding %zu became %g", i, v[i]);
}

static float lr_at_step(int t) { return 0.05f * (1.0f + 0.1f * (float)t); }

static void assert_close(const double *got, const double *want, int n, const char *what,
                         int t) {
    for (int j = 0; j < n; j++)
        cr_assert(fabs(got[j] - want[j]) <= TOL * (1.0 + fabs(want[j])),
                  "%s[%d] at step %d: %.9g vs reference %.9g", what, j, t, got[j], want[j]);
}

/* Moments are as small as their gradients (b's second moment is ~1e-9), so an
 * absolute term of 1e-5 would pass anything: the tolerance is relative to the
 * element's own gradient scale g_k (m: |m| ≤ g_k, with cancellation when g changes
 * sign, so TOL·(|m| + g_k)), and plainly relative for v (a sum of squares: no
 * cancellation, TOL·|v|; v = 0 exactly where the gradient is always 0). */
static void assert_moment(vt_store *s, const double *got, const double *want, int n,
                          int power, const char *what, int t) {
    static const double scale[3] = {1.0, 1e-3, 10.0};   /* as known_grad */
    int j = 0;
    for (int k = 0; k < vt_store_count(s); k++)
        for (size_t i = 0; i < vt_numel(vt_store_get(s, k)) && j < n; i++, j++) {
            double tol = power == 1 ? TOL * (fabs(want[j]) + scale[k]) : TOL * fabs(want[j]);
            cr_assert(fabs(got[j] - want[j]) <= tol, "%s[%d] at step %d: %.9g vs reference %.9g",
                      what, j, t, got[j], want[j]);
        }
}

/* ---- Adam / AdamW against the reference ---- */

static void adam_reference(const vt_optim_config *c, double *p, double *m, double *v,
                           const double *g0, int n, int t, double lr) {
    double b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    for (int j = 0; j < n; j++) {
        double g = g0[j];
        if (c->kind == VT_ADAMW) p[j] -= lr * wd * p[j];
        else g += wd * p[j];
        m[j] = b1 * m[j] + (1 - b1) * g;
        v[j] = b2 * v[j] + (1 - b2) * g * g;
        double mhat = m[j] / (1 - pow(b1, t)), vhat = v[j] / (1 - pow(b2, t));
        p[j] -= lr * mhat / (sqrt(vhat) + eps);
    }
}

static void check_adam(vt_optim_config cfg) {
    vt_store *s = make_store();
    vt_error err = {0};
    vt_optim *opt = vt_optim_new(s, &cfg, &err);
    cr_assert_not_null(opt, "%s", err.msg);
    double p[MAXN], m[MAXN] = {0}, v[MAXN] = {0}, g[MAXN], got[MAXN];
    int n = gather(s, vt_store_values(s), p);
    for (int t = 1; t <= STEPS; t++) {
        set_grads(s, t);
        gather(s, vt_store_grads(s), g);
        float lr = lr_at_step(t);
        vt_error oe;
        cr_assert_eq(vt_optim_step(opt, lr, &oe), 0, "%s", oe.msg);
        cr_assert_eq(vt_optim_get_step(opt), t);
        adam_reference(&cfg, p, m, v, g, n, t, lr);
        gather(s, vt_store_values(s), got);
        assert_close(got, p, n, "p", t);
        gather(s, vt_store_slot(s, 0), got);
        assert_moment(s, got, m, n, 1, "m", t);
        gather(s, vt_store_slot(s, 1), got);
        assert_moment(s, got, v, n, 2, "v", t);
    }
    assert_padding_zero(s);
    vt_optim_free(opt);
    vt_store_free(s);
}

Test(optim, adam_matches_double_reference) { check_adam(vt_optim_defaults(VT_ADAM)); }

Test(optim, adam_l2_weight_decay_matches_reference) {
    vt_optim_config c = vt_optim_defaults(VT_ADAM);
    c.weight_decay = 0.1f;
    c.beta1 = 0.8f;
    c.beta2 = 0.99f;
    check_adam(c);
}

Test(optim, adamw_decoupled_decay_matches_reference) {
    vt_optim_config c = vt_optim_defaults(VT_ADAMW);
    c.weight_decay = 0.1f;
    check_adam(c);
}

/* ---- SGD against the reference ---- */

static void sgd_reference(const vt_optim_config *c, double *p, double *b, const double *g0,
                          int n, int t, double lr) {
    double mu = c->momentum, wd = c->weight_decay;
    for (int j = 0; j < n; j++) {
        double g = g0[j] + wd * p[j];
        if (mu == 0) {
            p[j] -= lr * g;
            continue;
        }
        b[j] = t == 1 ? g : mu * b[j] + g;   /* PyTorch: the first buffer is g itself */
        p[j] -= lr * (c->nesterov ? g + mu * b[j] : b[j]);
    }
}

static void check_sgd(float momentum, int nesterov, float wd) {
    vt_optim_config cfg = vt_optim_defaults(VT_SGD);
    cfg.momentum = momentum;
    cfg.nesterov = nesterov;
    cfg.weight_decay = wd;
    vt_store *s = make_store();
    vt_error err = {0};
    vt_optim *opt = vt_optim_new(s, &cfg, &err);
    cr_assert_not_null(opt, "%s", err.msg);
    double p[MAXN], b[MAXN] = {0}, g[MAXN], got[MAXN];
    int n = gather(s, vt_store_values(s), p);
    for (int t = 1; t <= STEPS; t++) {
        set_grads(s, t);
        gather(s, vt_store_grads(s), g);
        /* SGD's step is lr·|g| with |g| up to ~10 here, so use a smaller rate. */
        float lr = lr_at_step(t) * 0.2f;
        vt_error oe;
        cr_assert_eq(vt_optim_step(opt, lr, &oe), 0, "%s", oe.msg);
        sgd_reference(&cfg, p, b, g, n, t, lr);
        gather(s, vt_store_values(s), got);
        assert_close(got, p, n, "p", t);
        if (momentum > 0) {
            gather(s, vt_store_slot(s, 0), got);
            assert_close(got, b, n, "velocity", t);
        }
    }
    assert_padding_zero(s);
    vt_optim_free(opt);
    vt_store_free(s);
}

Test(optim, sgd_plain_matches_reference) { check_sgd(0.0f, 0, 0.0f); }
Test(optim, sgd_momentum_matches_reference) { check_sgd(0.9f, 0, 0.01f); }
Test(optim, sgd_nesterov_matches_reference) { check_sgd(0.9f, 1, 0.01f); }

/* ---- behaviour ---- */

/* f(p) = ½ Σ a_i (p_i − c_i)², curvatures spanning three decades. */
static void quadratic_converges(vt_optim_config cfg, vt_lr_schedule sched, long steps) {
    enum { N = 6 };
    const float a[N] = {0.1f, 0.5f, 1.0f, 5.0f, 20.0f, 100.0f};
    const float c[N] = {1.0f, -2.0f, 0.5f, 3.0f, -0.25f, 0.0f};
    vt_store *s = vt_store_new();
    vt_tensor *x = vt_store_param(s, "x", 1, (int[]){N}, NULL);
    vt_error err = {0};
    vt_optim *opt = vt_optim_new(s, &cfg, &err);
    cr_assert_not_null(opt, "%s", err.msg);
    for (long step = 0; step < steps; step++) {
        for (int i = 0; i < N; i++) x->grad[i] = a[i] * (x->data[i] - c[i]);
        cr_assert_eq(vt_optim_step(opt, vt_lr_at(&sched, step), NULL), 0);
    }
    for (int i = 0; i < N; i++)
        cr_assert(fabsf(x->data[i] - c[i]) < 1e-3f, "x[%d] = %g, minimum at %g", i,
                  x->data[i], c[i]);
    vt_optim_free(opt);
    vt_store_free(s);
}

Test(optim, adam_converges_on_quadratic) {
    vt_lr_schedule sched = {.kind = VT_LR_COSINE, .lr = 0.1f, .warmup_steps = 20,
                            .decay_steps = 2000, .lr_min = 0.0f};
    quadratic_converges(vt_optim_defaults(VT_ADAM), sched, 2020);
}

Test(optim, sgd_momentum_converges_on_quadratic) {
    vt_optim_config cfg = vt_optim_defaults(VT_SGD);
    cfg.momentum = 0.9f;
    cfg.nesterov = 1;
    /* Stable while lr · a_max < 2(1 + momentum). */
    vt_lr_schedule sched = {.kind = VT_LR_CONSTANT, .lr = 0.01f};
    quadratic_converges(cfg, sched, 3000);
}

/* A weight whose gradient becomes zero: its moments decay geometrically and would
 * pass through the subnormal range; they must be flushed to exact zeros instead. */
Test(optim, adam_moments_never_subnormal) {
    vt_store *s = vt_store_new();
    vt_tensor *x = vt_store_param(s, "x", 1, (int[]){4}, NULL);
    vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &cfg, NULL);
    cr_assert_not_null(opt);
    const float g0[4] = {1.0f, -1e-3f, 1e-6f, 30.0f};
    memcpy(x->grad, g0, sizeof g0);
    size_t n = vt_store_numel(s);
    /* v shrinks by 0.999 a step: from ~1e-15 to 1e-30 takes ~35,000 steps. */
    for (int t = 0; t < 80000; t++) {
        cr_assert_eq(vt_optim_step(opt, 1e-3f, NULL), 0);
        if (t == 0) vt_store_zero_grad(s);
        for (int k = 0; k < 2; k++) {
            const float *mv = vt_store_slot(s, k);
            for (size_t i = 0; i < n; i++)
                cr_assert(fpclassify(mv[i]) != FP_SUBNORMAL, "slot %d[%zu] = %g at step %d",
                          k, i, mv[i], t);
        }
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++) cr_assert_eq(vt_store_slot(s, k)[i], 0.0f);
    for (int i = 0; i < 4; i++) cr_assert(isfinite(x->data[i]));
    vt_optim_free(opt);
    vt_store_free(s);
}

/* Saving t and the moment slots, then restoring them into a fresh store and optimizer,
 * continues bit for bit. */
Test(optim, state_slots_and_step_restore_exactly) {
    vt_optim_config cfg = vt_optim_defaults(VT_ADAMW);
    vt_store *a = make_store();
    vt_optim *oa = vt_optim_new(a, &cfg, NULL);
    for (int t = 1; t <= 5; t++) {
        set_grads(a, t);
        cr_assert_eq(vt_optim_step(oa, 0.01f, NULL), 0);
    }
    int slots[VT_OPTIM_MAX_SLOTS];
    cr_assert_eq(vt_optim_state_slots(oa, slots), 2);
    cr_assert_eq(slots[0], 0);
    cr_assert_eq(slots[1], 1);

    vt_store *b = make_store();
    vt_optim *ob = vt_optim_new(b, &cfg, NULL);
    size_t n = vt_store_numel(a);
    cr_assert_eq(vt_store_numel(b), n);
    memcpy(vt_store_values(b), vt_store_values(a), n * sizeof(float));
    for (int k = 0; k < 2; k++)
        memcpy(vt_store_slot(b, slots[k]), vt_store_slot(a, slots[k]), n * sizeof(float));
    cr_assert_eq(vt_optim_set_step(ob, vt_optim_get_step(oa), NULL), 0);

    for (int t = 6; t <= 8; t++) {
        set_grads(a, t);
        set_grads(b, t);
        cr_assert_eq(vt_optim_step(oa, 0.01f, NULL), 0);
        cr_assert_eq(vt_optim_step(ob, 0.01f, NULL), 0);
    }
    cr_assert_eq(memcmp(vt_store_values(a), vt_store_values(b), n * sizeof(float)), 0);
    vt_optim_free(oa);
    vt_optim_free(ob);
    vt_store_free(a);
    vt_store_free(b);
}

Test(optim, state_slot_counts_per_kind) {
    vt_store *s = make_store();
    int slots[VT_OPTIM_MAX_SLOTS];
    vt_optim_config c = vt_optim_defaults(VT_SGD);
    vt_optim *o = vt_optim_new(s, &c, NULL);
    cr_assert_eq(vt_optim_state_slots(o, slots), 0);
    vt_optim_free(o);
    c.momentum = 0.5f;
    o = vt_optim_new(s, &c, NULL);
    cr_assert_eq(vt_optim_state_slots(o, slots), 1);
    cr_assert_eq(slots[0], 0);
    vt_error e;
    cr_assert_eq(vt_optim_set_step(o, -1, &e), VT_EARG);
    cr_assert_not_null(strstr(e.msg, "step"));
    vt_optim_free(o);
    vt_store_free(s);
}

/* Parameters added after the optimizer was made are updated too (the store's blocks
 * may move as it grows). */
Test(optim, parameters_added_later_are_updated) {
    vt_store *s = vt_store_new();
    vt_tensor *a = vt_store_param(s, "a", 1, (int[]){8}, NULL);
    vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &cfg, NULL);
    a->grad[0] = 1.0f;
    cr_assert_eq(vt_optim_step(opt, 0.1f, NULL), 0);
    double a1 = a->data[0];
    vt_tensor *big = vt_store_param(s, "big", 2, (int[]){100, 100}, NULL);   /* grows blocks */
    cr_assert_not_null(big);
    vt_store_zero_grad(s);
    big->grad[9999] = -2.0f;
    cr_assert_eq(vt_optim_step(opt, 0.1f, NULL), 0);
    /* Step t = 2 by Adam's formulas: `a` moves on its moments from step 1 (gradient 1
     * then 0), `big` takes its first step with gradient −2 but the optimizer's t = 2. */
    double b1 = 0.9, b2 = 0.999, c1 = 1 - b1 * b1, c2 = 1 - b2 * b2;
    double ma = b1 * (1 - b1), va = b2 * (1 - b2);
    double mb = (1 - b1) * -2.0, vb = (1 - b2) * 4.0;
    double a_want = a1 - 0.1 * (ma / c1) / (sqrt(va / c2) + 1e-8);
    double big_want = -0.1 * (mb / c1) / (sqrt(vb / c2) + 1e-8);
    cr_assert(fabs(a->data[0] - a_want) < 1e-6, "a: %.8f, want %.8f (was %.8f)", a->data[0],
              a_want, a1);
    cr_assert(fabs(big->data[9999] - big_want) < 1e-6, "big: %.8f, want %.8f", big->data[9999],
              big_want);
    vt_optim_free(opt);
    vt_store_free(s);
}

Test(optim, empty_store_steps_do_nothing) {
    vt_store *s = vt_store_new();
    vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &cfg, NULL);
    cr_assert_not_null(opt);
    cr_assert_eq(vt_optim_step(opt, 0.1f, NULL), 0);
    cr_assert_eq(vt_clip_grad_norm(s, 1.0f), 0.0f);
    vt_optim_free(opt);
    vt_store_free(s);
}

/* ---- clipping ---- */

static double grad_norm(vt_store *s) {
    double acc = 0;
    const float *g = vt_store_grads(s);
    for (size_t i = 0; i < vt_store_numel(s); i++) acc += (double)g[i] * g[i];
    return sqrt(acc);
}

Test(clip, large_norm_scaled_exactly_to_max) {
    vt_store *s = make_store();
    set_grads(s, 3);
    size_t n = vt_store_numel(s);
    float before[MAXN];
    memcpy(before, vt_store_grads(s), n * sizeof(float));
    double want = grad_norm(s);
    cr_assert(want > 10.0);
    float got = vt_clip_grad_norm(s, 1.0f);
    cr_assert(fabs(got - want) <= 1e-6 * want, "norm %g vs %g", got, want);
    /* One float rounding of the scale plus one per element: a few 1e-8 relative. */
    cr_assert(fabs(grad_norm(s) - 1.0) < 1e-6, "clipped norm %.9g", grad_norm(s));
    const float *g = vt_store_grads(s);
    for (size_t i = 0; i < n; i++)   /* the direction is kept */
        cr_assert(fabs(g[i] - before[i] / want) <= 1e-6 * fabs(before[i] / want) + 1e-12);
    vt_store_free(s);
}

Test(clip, small_norm_left_untouched) {
    vt_store *s = make_store();
    vt_tensor *w = vt_store_find(s, "w");
    w->grad[0] = 0.3f;
    w->grad[7] = -0.4f;
    size_t n = vt_store_numel(s);
    float before[MAXN];
    memcpy(before, vt_store_grads(s), n * sizeof(float));
    cr_assert_float_eq(vt_clip_grad_norm(s, 1.0f), 0.5f, 1e-7f);
    cr_assert_eq(memcmp(before, vt_store_grads(s), n * sizeof(float)), 0);
    /* max_norm <= 0 only measures */
    set_grads(s, 2);
    memcpy(before, vt_store_grads(s), n * sizeof(float));
    cr_assert(vt_clip_grad_norm(s, 0.0f) > 1.0f);
    cr_assert_eq(memcmp(before, vt_store_grads(s), n * sizeof(float)), 0);
    vt_store_free(s);
}

Test(clip, non_finite_norm_reported_and_grads_untouched) {
    vt_store *s = make_store();
    size_t n = vt_store_numel(s);
    float before[MAXN];
    const float bad[3] = {NAN, INFINITY, FLT_MAX};   /* FLT_MAX: norm beyond float range */
    for (int c = 0; c < 3; c++) {
        set_grads(s, 1);
        vt_store_find(s, "b")->grad[2] = bad[c];
        if (c == 2) vt_store_find(s, "u")->grad[0] = FLT_MAX;
        memcpy(before, vt_store_grads(s), n * sizeof(float));
        float norm = vt_clip_grad_norm(s, 1.0f);
        cr_assert(!isfinite(norm), "case %d: norm %g", c, norm);
        if (c == 0) cr_assert(isnan(norm));
        else cr_assert(isinf(norm) && norm > 0);
        cr_assert_eq(memcmp(before, vt_store_grads(s), n * sizeof(float)), 0, "case %d", c);
    }
    vt_store_free(s);
}

/* ---- learning-rate schedules ---- */

Test(schedule, constant) {
    vt_lr_schedule s = {.kind = VT_LR_CONSTANT, .lr = 3e-4f};
    cr_assert_eq(vt_lr_at(&s, 0), 3e-4f);
    cr_assert_eq(vt_lr_at(&s, 123456), 3e-4f);
    cr_assert_eq(vt_lr_at(&s, -5), 3e-4f);
}

Test(schedule, warmup_is_linear_then_reaches_lr) {
    vt_lr_schedule s = {.kind = VT_LR_CONSTANT, .lr = 1.0f, .warmup_steps = 10};
    for (long k = 0; k < 10; k++)
        cr_assert_float_eq(vt_lr_at(&s, k), (float)(k + 1) / 10.0f, 1e-7f, "step %ld", k);
    cr_assert_eq(vt_lr_at(&s, 9), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 10), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 1000), 1.0f);
}

Test(schedule, step_decay) {
    vt_lr_schedule s = {.kind = VT_LR_STEP, .lr = 1.0f, .step_size = 100, .gamma = 0.5f};
    cr_assert_eq(vt_lr_at(&s, 0), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 99), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 100), 0.5f);
    cr_assert_eq(vt_lr_at(&s, 199), 0.5f);
    cr_assert_eq(vt_lr_at(&s, 250), 0.25f);
    s.warmup_steps = 5;   /* the decay counts from the end of warm-up */
    cr_assert_eq(vt_lr_at(&s, 104), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 105), 0.5f);
}

Test(schedule, cosine_endpoints_midpoint_and_monotone) {
    vt_lr_schedule s = {.kind = VT_LR_COSINE, .lr = 1.0f, .lr_min = 0.1f, .decay_steps = 100};
    cr_assert_eq(vt_lr_at(&s, 0), 1.0f);
    cr_assert_float_eq(vt_lr_at(&s, 50), 0.55f, 1e-7f);
    cr_assert_eq(vt_lr_at(&s, 100), 0.1f);
    cr_assert_eq(vt_lr_at(&s, 100000), 0.1f);
    /* symmetric about the midpoint: lr(25) − mid = mid − lr(75) */
    cr_assert_float_eq(vt_lr_at(&s, 25) - 0.55f, 0.55f - vt_lr_at(&s, 75), 1e-6f);
    cr_assert_float_eq(vt_lr_at(&s, 25), 0.1f + 0.9f * 0.5f * (1.0f + sqrtf(0.5f)), 1e-6f);
    for (long k = 1; k <= 100; k++) cr_assert(vt_lr_at(&s, k) <= vt_lr_at(&s, k - 1));

    s.warmup_steps = 10;   /* warm-up, then the same curve shifted by 10 */
    cr_assert_float_eq(vt_lr_at(&s, 0), 0.1f, 1e-7f);
    cr_assert_eq(vt_lr_at(&s, 9), 1.0f);
    cr_assert_eq(vt_lr_at(&s, 10), 1.0f);
    cr_assert_float_eq(vt_lr_at(&s, 60), 0.55f, 1e-7f);
    cr_assert_eq(vt_lr_at(&s, 110), 0.1f);
}

Test(schedule, invalid_lr_schedules_rejected) {
    struct { vt_lr_schedule s; const char *msg; } bad[] = {
        {{.kind = VT_LR_CONSTANT, .lr = -1.0f}, "lr must be"},
        {{.kind = VT_LR_CONSTANT, .lr = NAN}, "lr must be"},
        {{.kind = VT_LR_CONSTANT, .lr = 1.0f, .warmup_steps = -3}, "warmup_steps"},
        {{.kind = VT_LR_STEP, .lr = 1.0f, .step_size = 0, .gamma = 0.5f}, "step_size"},
        {{.kind = VT_LR_STEP, .lr = 1.0f, .step_size = 10, .gamma = 0.0f}, "gamma"},
        {{.kind = VT_LR_STEP, .lr = 1.0f, .step_size = 10, .gamma = 10.0f}, "gamma"},
        {{.kind = VT_LR_COSINE, .lr = 1.0f, .decay_steps = 0}, "decay_steps"},
        {{.kind = VT_LR_COSINE, .lr = 1.0f, .decay_steps = 10, .lr_min = 2.0f}, "lr_min"},
        {{.kind = (vt_lr_kind)7, .lr = 1.0f}, "unknown kind"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_error err = {0};
        cr_assert_eq(vt_lr_schedule_check(&bad[i].s, &err), -1, "case %zu", i);
        cr_assert_not_null(strstr(err.msg, bad[i].msg), "case %zu: '%s'", i, err.msg);
        cr_assert(isnan(vt_lr_at(&bad[i].s, 0)), "case %zu", i);
    }
    cr_assert(isnan(vt_lr_at(NULL, 0)));
}

/* ---- KL-weight schedules ---- */

Test(schedule, beta_constant_and_linear) {
    vt_beta_schedule c = {.kind = VT_BETA_CONSTANT, .beta = 4.0f};
    cr_assert_eq(vt_beta_at(&c, 0), 4.0f);
    cr_assert_eq(vt_beta_at(&c, 99999), 4.0f);

    vt_beta_schedule l = {.kind = VT_BETA_LINEAR, .beta = 2.0f, .warmup_steps = 100};
    cr_assert_eq(vt_beta_at(&l, 0), 0.0f);
    for (long k = 0; k <= 100; k++)
        cr_assert_float_eq(vt_beta_at(&l, k), 2.0f * (float)k / 100.0f, 1e-6f, "step %ld", k);
    cr_assert_eq(vt_beta_at(&l, 100), 2.0f);
    cr_assert_eq(vt_beta_at(&l, 5000), 2.0f);
    l.warmup_steps = 0;
    cr_assert_eq(vt_beta_at(&l, 0), 2.0f);
}

Test(schedule, beta_cyclical_period_ramp_and_hold) {
    /* 4 cycles of 250 steps, rising over the first half of each. */
    vt_beta_schedule s = {.kind = VT_BETA_CYCLICAL, .beta = 1.0f, .total_steps = 1000,
                          .cycles = 4, .ramp = 0.5f};
    cr_assert_eq(vt_beta_at(&s, 0), 0.0f);
    cr_assert_float_eq(vt_beta_at(&s, 50), 0.4f, 1e-7f);
    cr_assert_eq(vt_beta_at(&s, 125), 1.0f);
    cr_assert_eq(vt_beta_at(&s, 200), 1.0f);
    cr_assert_eq(vt_beta_at(&s, 249), 1.0f);
    cr_assert_eq(vt_beta_at(&s, 250), 0.0f);
    cr_assert_eq(vt_beta_at(&s, 750), 0.0f);
    for (long k = 0; k < 750; k++)
        cr_assert_eq(vt_beta_at(&s, k), vt_beta_at(&s, k + 250), "step %ld", k);
    for (long k = 1; k < 125; k++)   /* rises linearly within a cycle */
        cr_assert_float_eq(vt_beta_at(&s, k) - vt_beta_at(&s, k - 1), 1.0f / 125.0f, 1e-6f);
    cr_assert_eq(vt_beta_at(&s, 1000), 1.0f);   /* holds after the last cycle */
    cr_assert_eq(vt_beta_at(&s, 50000), 1.0f);

    s.ramp = 1.0f;   /* a saw-tooth: rises over the whole cycle */
    cr_assert_float_eq(vt_beta_at(&s, 125), 0.5f, 1e-7f);
    cr_assert_float_eq(vt_beta_at(&s, 249), 249.0f / 250.0f, 1e-6f);
}

Test(schedule, invalid_beta_schedules_rejected) {
    struct { vt_beta_schedule s; const char *msg; } bad[] = {
        {{.kind = VT_BETA_CONSTANT, .beta = -0.5f}, "beta must be"},
        {{.kind = VT_BETA_CONSTANT, .beta = INFINITY}, "beta must be"},
        {{.kind = VT_BETA_LINEAR, .beta = 1.0f, .warmup_steps = -1}, "warmup_steps"},
        {{.kind = VT_BETA_CYCLICAL, .beta = 1.0f, .total_steps = 100, .cycles = 0,
          .ramp = 0.5f}, "cycles"},
        {{.kind = VT_BETA_CYCLICAL, .beta = 1.0f, .total_steps = 3, .cycles = 4,
          .ramp = 0.5f}, "total_steps"},
        {{.kind = VT_BETA_CYCLICAL, .beta = 1.0f, .total_steps = 100, .cycles = 4,
          .ramp = 0.0f}, "ramp"},
        {{.kind = VT_BETA_CYCLICAL, .beta = 1.0f, .total_steps = 100, .cycles = 4,
          .ramp = 1.5f}, "ramp"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_error err = {0};
        cr_assert_eq(vt_beta_schedule_check(&bad[i].s, &err), -1, "case %zu", i);
        cr_assert_not_null(strstr(err.msg, bad[i].msg), "case %zu: '%s'", i, err.msg);
        cr_assert(isnan(vt_beta_at(&bad[i].s, 0)), "case %zu", i);
    }
}

/* ---- configuration errors and parsing ---- */

Test(optim, invalid_configs_rejected_with_messages) {
    vt_optim_config adam = vt_optim_defaults(VT_ADAM), sgd = vt_optim_defaults(VT_SGD);
    struct { vt_optim_config c; const char *msg; } bad[] = {
        {adam, "beta1"}, {adam, "beta2"}, {adam, "beta1"}, {adam, "eps"}, {adam, "eps"},
        {adam, "weight_decay"}, {sgd, "momentum"}, {sgd, "momentum"}, {sgd, "Nesterov"},
        {sgd, "weight_decay"}, {adam, "unknown optimizer kind"},
    };
    bad[0].c.beta1 = 1.0f;
    bad[1].c.beta2 = -0.1f;
    bad[2].c.beta1 = NAN;
    bad[3].c.eps = 0.0f;
    bad[4].c.eps = INFINITY;
    bad[5].c.weight_decay = -1e-4f;
    bad[6].c.momentum = 1.5f;
    bad[7].c.momentum = -0.1f;
    bad[8].c.nesterov = 1;
    bad[9].c.weight_decay = NAN;
    bad[10].c.kind = (vt_optim_kind)9;
    vt_store *s = make_store();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_error err = {0};
        cr_assert_null(vt_optim_new(s, &bad[i].c, &err), "case %zu", i);
        cr_assert_not_null(strstr(err.msg, bad[i].msg), "case %zu: '%s'", i, err.msg);
    }
    vt_error err = {0};
    cr_assert_null(vt_optim_new(NULL, &adam, &err));
    cr_assert_not_null(strstr(err.msg, "store"));
    cr_assert_null(vt_optim_new(s, NULL, &err));
    cr_assert_null(vt_optim_new(s, &bad[0].c, NULL));   /* no buffer: still no crash */
    vt_store_free(s);
}

Test(optim, bad_lr_rejected_and_nothing_changes) {
    vt_store *s = make_store();
    vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &cfg, NULL);
    set_grads(s, 1);
    size_t n = vt_store_numel(s);
    float before[MAXN];
    memcpy(before, vt_store_values(s), n * sizeof(float));
    const float bad[3] = {-0.1f, NAN, INFINITY};
    for (int i = 0; i < 3; i++) {
        vt_error e;
        cr_assert_eq(vt_optim_step(opt, bad[i], &e), VT_EARG);
        cr_assert_not_null(strstr(e.msg, "lr"), "%s", e.msg);
    }
    cr_assert_eq(vt_optim_get_step(opt), 0);
    cr_assert_eq(memcmp(before, vt_store_values(s), n * sizeof(float)), 0);
    cr_assert_eq(vt_optim_step(opt, 0.01f, NULL), 0);
    vt_optim_free(opt);
    vt_store_free(s);
}

Test(optim, names_parse_both_ways) {
    cr_assert_eq(vt_optim_kind_parse("sgd"), VT_SGD);
    cr_assert_eq(vt_optim_kind_parse("adam"), VT_ADAM);
    cr_assert_eq(vt_optim_kind_parse("AdamW"), VT_ADAMW);
    cr_assert_eq(vt_optim_kind_parse("adamx"), -1);
    cr_assert_eq(vt_optim_kind_parse("ada"), -1);
    cr_assert_eq(vt_optim_kind_parse(""), -1);
    cr_assert_eq(vt_optim_kind_parse(NULL), -1);
    cr_assert_eq(vt_lr_kind_parse("cosine"), VT_LR_COSINE);
    cr_assert_eq(vt_lr_kind_parse("Step"), VT_LR_STEP);
    cr_assert_eq(vt_lr_kind_parse("constant"), VT_LR_CONSTANT);
    cr_assert_eq(vt_lr_kind_parse("exp"), -1);
    cr_assert_eq(vt_beta_kind_parse("cyclical"), VT_BETA_CYCLICAL);
    cr_assert_eq(vt_beta_kind_parse("linear"), VT_BETA_LINEAR);
    cr_assert_eq(vt_beta_kind_parse("constant"), VT_BETA_CONSTANT);
    cr_assert_eq(vt_beta_kind_parse("cosine"), -1);
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(vt_optim_kind_parse(vt_optim_kind_name((vt_optim_kind)k)), k);
        cr_assert_eq(vt_lr_kind_parse(vt_lr_kind_name((vt_lr_kind)k)), k);
        cr_assert_eq(vt_beta_kind_parse(vt_beta_kind_name((vt_beta_kind)k)), k);
    }
    cr_assert_str_eq(vt_optim_kind_name((vt_optim_kind)42), "unknown");
}

/* vt_optim_step_zero_grad is vt_optim_step then vt_store_zero_grad, bit for bit, for
 * every kind; over a store big enough for several parallel chunks on two threads. */
static void check_step_zero_grad(vt_optim_kind kind, float momentum) {
    enum { N = 70000 };   /* > 4 chunks of the parallel update */
    vt_store *s[2];
    vt_optim *o[2];
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = 2});
    vt_optim_config cfg = vt_optim_defaults(kind);
    cfg.momentum = momentum;
    for (int i = 0; i < 2; i++) {
        s[i] = vt_store_new();
        vt_tensor *w = vt_store_param(s[i], "w", 1, (int[]){N}, NULL);
        vt_store_param(s[i], "b", 1, (int[]){7}, NULL);
        for (int j = 0; j < N; j++) w->data[j] = (float)sin(0.1 * j);
        o[i] = vt_optim_new(s[i], &cfg, NULL);
        cr_assert_not_null(o[i]);
        vt_optim_set_ctx(o[i], ctx);
    }
    size_t n = vt_store_numel(s[0]);
    for (int t = 1; t <= 3; t++) {
        for (int i = 0; i < 2; i++)
            for (size_t j = 0; j < n; j++)
                vt_store_grads(s[i])[j] = (float)cos(0.37 * (double)j + t) * (j % 5 ? 1.0f : 1e-4f);
        cr_assert_eq(vt_optim_step(o[0], 1e-2f, NULL), 0);
        vt_store_zero_grad(s[0]);
        cr_assert_eq(vt_optim_step_zero_grad(o[1], 1e-2f, NULL), 0);
        cr_assert_eq(memcmp(vt_store_values(s[0]), vt_store_values(s[1]), n * sizeof(float)), 0,
                     "kind %d step %d: values differ", (int)kind, t);
        for (int slot = 0; slot < 2 && (kind != VT_SGD || (momentum > 0 && slot == 0)); slot++)
            cr_assert_eq(memcmp(vt_store_slot(s[0], slot), vt_store_slot(s[1], slot), n * sizeof(float)), 0,
                         "kind %d step %d: slot %d differs", (int)kind, t, slot);
        for (size_t j = 0; j < n; j++) cr_assert_eq(vt_store_grads(s[1])[j], 0.0f, "grad %zu", j);
    }
    /* a refused step changes nothing, the gradients included */
    vt_store_grads(s[1])[5] = 3.0f;
    vt_error err;
    cr_assert_neq(vt_optim_step_zero_grad(o[1], NAN, &err), 0);
    cr_assert_eq(vt_store_grads(s[1])[5], 3.0f);
    cr_assert_eq(vt_optim_get_step(o[1]), 3);
    for (int i = 0; i < 2; i++) {
        vt_optim_free(o[i]);
        vt_store_free(s[i]);
    }
    vt_ctx_free(ctx);
}

Test(optim, step_zero_grad_is_step_then_zero_grad) {
    check_step_zero_grad(VT_ADAM, 0);
    check_step_zero_grad(VT_ADAMW, 0);
    check_step_zero_grad(VT_SGD, 0.9f);
    check_step_zero_grad(VT_SGD, 0);
}
