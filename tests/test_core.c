/* Core behaviour: gradient accumulation, no-grad mode, misuse errors, noise, threads. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

static vt_ctx *new_ctx(int threads) {
    vt_ctx_opts o = {.threads = threads, .seed = 42};
    vt_ctx *ctx = vt_ctx_new(&o);
    cr_assert_not_null(ctx);
    return ctx;
}

Test(core, shared_value_receives_sum_of_gradients) {
    vt_ctx *ctx = new_ctx(1);
    float xs[6] = {-1.5f, -0.2f, 0.1f, 0.7f, 1.3f, 2.0f};
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){2, 3}, xs));
    /* x feeds exp, square and mul(x, x): d/dx = exp(x) + 2x + 2x */
    vt_tensor *loss = vt_add(ctx, vt_add(ctx, vt_sum(ctx, vt_exp(ctx, x)),
                                         vt_sum(ctx, vt_square(ctx, x))),
                             vt_sum(ctx, vt_mul(ctx, x, x)));
    cr_assert_eq(vt_backward(ctx, loss, NULL), 0, "%s", vt_ctx_error(ctx));
    for (int i = 0; i < 6; i++) {
        float want = expf(xs[i]) + 4.0f * xs[i];
        cr_assert_float_eq(x->grad[i], want, 1e-5f * (1 + fabsf(want)), "i=%d %g vs %g", i,
                           x->grad[i], want);
    }
    vt_ctx_free(ctx);
}

Test(core, parameter_gradient_accumulates_until_zeroed) {
    vt_ctx *ctx = new_ctx(1);
    vt_store *s = vt_store_new();
    vt_tensor *w = vt_store_param(s, "w", 2, (int[]){1, 3}, NULL);
    float init[3] = {0.5f, -1.0f, 2.0f};
    memcpy(w->data, init, sizeof init);
    for (int step = 1; step <= 3; step++) {
        vt_ctx_reset(ctx);
        vt_tensor *loss = vt_sum(ctx, vt_square(ctx, w));   /* d/dw = 2w */
        cr_assert_eq(vt_backward(ctx, loss, NULL), 0);
        for (int i = 0; i < 3; i++) cr_assert_float_eq(w->grad[i], 2.0f * init[i] * step, 1e-6f);
    }
    vt_store_zero_grad(s);
    for (int i = 0; i < 3; i++) cr_assert_eq(w->grad[i], 0.0f);
    vt_store_free(s);
    vt_ctx_free(ctx);
}

/* Every position of a store bigger than any vector width, tail included: one NaN, +inf
 * or −inf anywhere is found; the largest finite value, denormals and −0 are finite. */
Test(core, store_grads_finite_finds_every_non_finite_value) {
    vt_store *s = vt_store_new();
    cr_assert(vt_store_grads_finite(s), "an empty store");
    vt_store_param(s, "a", 2, (int[]){7, 5}, NULL);
    vt_store_param(s, "b", 1, (int[]){4}, NULL);
    cr_assert(!vt_store_grads_finite(NULL));
    float *g = vt_store_grads(s);
    size_t n = vt_store_numel(s);
    cr_assert(vt_store_grads_finite(s), "zero gradients");
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        g[i] = i % 3 == 0 ? FLT_MAX : i % 3 == 1 ? 1e-42f : -0.0f;
    }
    cr_assert(vt_store_grads_finite(s), "extreme finite values");
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            float keep = g[i];
            g[i] = bad[k];
            cr_assert(!vt_store_grads_finite(s), "%g at %zu of %zu", (double)bad[k], i, n);
            g[i] = keep;
        }
    vt_store_free(s);
}

Test(core, second_backward_on_same_tape_adds_the_same_gradient) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){1, 2}));
    vt_tensor *loss = vt_sum(ctx, vt_exp(ctx, vt_scale(ctx, x, 0.5f)));
    cr_assert_eq(vt_backward(ctx, loss, NULL), 0);
    cr_assert_eq(vt_backward(ctx, loss, NULL), 0);
    for (int i = 0; i < 2; i++) {
        float want = 2 * 0.5f * expf(0.5f * (float)(i + 1));
        cr_assert_float_eq(x->grad[i], want, 1e-5f);
    }
    vt_ctx_free(ctx);
}

Test(core, no_grad_mode_records_nothing) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){1, 2}));
    int prev = vt_set_grad_enabled(ctx, 0);
    cr_assert_eq(prev, 1);
    vt_tensor *y = vt_sum(ctx, vt_exp(ctx, x));
    cr_assert_eq(vt_ctx_tape_len(ctx), 0);
    cr_assert_not(vt_needs_grad(y));
    cr_assert_float_eq(y->data[0], expf(1) + expf(2), 1e-5f);
    cr_assert_neq(vt_backward(ctx, y, NULL), 0);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "does not depend"));
    vt_set_grad_enabled(ctx, 1);
    vt_ctx_free(ctx);
}

/* ---- misuse: an error that names the op and the shapes, a poison result, no crash ---- */

Test(misuse, shape_mismatch_names_op_and_shapes) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *a = vt_zeros(ctx, 2, (int[]){2, 3});
    vt_tensor *b = vt_zeros(ctx, 2, (int[]){4, 5});
    vt_tensor *c = vt_matmul(ctx, a, b);
    cr_assert(c->flags & VT_POISON);
    const char *e = vt_ctx_error(ctx);
    cr_assert_not_null(e);
    cr_assert_not_null(strstr(e, "vt_matmul"), "%s", e);
    cr_assert_not_null(strstr(e, "2 x 3"), "%s", e);
    cr_assert_not_null(strstr(e, "4 x 5"), "%s", e);
    /* Later ops pass the poison on and keep the first message. */
    vt_tensor *d = vt_sum(ctx, vt_exp(ctx, c));
    cr_assert(d->flags & VT_POISON);
    cr_assert_str_eq(vt_ctx_error(ctx), e);
    cr_assert_neq(vt_backward(ctx, d, NULL), 0);
    vt_ctx_free(ctx);
}

Test(misuse, every_binary_and_row_op_checks_shapes) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *a = vt_zeros(ctx, 2, (int[]){3, 4}), *b = vt_zeros(ctx, 2, (int[]){2, 4});
    struct { const char *op; vt_tensor *out; } cases[] = {
        {"vt_add", NULL}, {"vt_linear", NULL}, {"vt_concat_cols", NULL},
        {"vt_slice_cols", NULL}, {"vt_normal_logprob_rows", NULL}, {"vt_kl_normal_std_rows", NULL},
        {"vt_reshape", NULL}, {"vt_bce_logits_rows", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vt_ctx_reset(ctx);
        a = vt_zeros(ctx, 2, (int[]){3, 4});
        b = vt_zeros(ctx, 2, (int[]){2, 4});
        vt_tensor *y = NULL;
        switch (i) {
        case 0: y = vt_add(ctx, a, b); break;
        case 1: y = vt_linear(ctx, a, b, NULL); break;
        case 2: y = vt_concat_cols(ctx, a, b); break;
        case 3: y = vt_slice_cols(ctx, a, 3, 2); break;
        case 4: y = vt_normal_logprob_rows(ctx, a, b, b); break;
        case 5: y = vt_kl_normal_std_rows(ctx, a, b); break;
        case 6: y = vt_reshape(ctx, a, 2, (int[]){5, 2}); break;
        case 7: y = vt_bce_logits_rows(ctx, a, b); break;
        }
        cr_assert(y->flags & VT_POISON, "%s accepted bad shapes", cases[i].op);
        cr_assert_not_null(strstr(vt_ctx_error(ctx), cases[i].op), "%s: %s", cases[i].op,
                           vt_ctx_error(ctx));
    }
    vt_ctx_free(ctx);
}

Test(misuse, null_inputs) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *y = vt_exp(ctx, NULL);
    cr_assert(y->flags & VT_POISON);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "vt_exp: input tensor is NULL"));
    vt_ctx_reset(ctx);
    cr_assert_null(vt_ctx_error(ctx));
    cr_assert(vt_matmul(ctx, vt_zeros(ctx, 2, (int[]){1, 1}), NULL)->flags & VT_POISON);
    cr_assert_neq(vt_backward(ctx, NULL, NULL), 0);
    cr_assert(vt_from_data(ctx, 2, (int[]){1, 1}, NULL)->flags & VT_POISON);
    vt_ctx_free(ctx);
}

Test(misuse, backward_of_non_scalar_needs_upstream_gradient) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *x = vt_requires_grad(vt_zeros(ctx, 2, (int[]){2, 3}));
    vt_tensor *y = vt_exp(ctx, x);
    cr_assert_neq(vt_backward(ctx, y, NULL), 0);
    const char *e = vt_ctx_error(ctx);
    cr_assert_not_null(strstr(e, "2 x 3"), "%s", e);
    cr_assert_not_null(strstr(e, "upstream gradient"), "%s", e);
    vt_ctx_clear_error(ctx);
    float g[6] = {1, 1, 1, 1, 1, 1};
    cr_assert_eq(vt_backward(ctx, y, g), 0);
    cr_assert_float_eq(x->grad[0], 1.0f, 1e-6f);
    vt_ctx_free(ctx);
}

Test(misuse, use_after_reset_is_reported) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *old = vt_requires_grad(vt_zeros(ctx, 2, (int[]){2, 2}));
    vt_tensor *old_loss = vt_sum(ctx, vt_exp(ctx, old));
    vt_ctx_reset(ctx);
    vt_tensor *y = vt_exp(ctx, old);
    cr_assert(y->flags & VT_POISON);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "before vt_ctx_reset"), "%s",
                       vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    cr_assert_neq(vt_backward(ctx, old_loss, NULL), 0);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "before vt_ctx_reset"));
    vt_ctx_free(ctx);
}

Test(misuse, bad_shapes_and_store_names) {
    vt_ctx *ctx = new_ctx(1);
    cr_assert(vt_tensor_new(ctx, 5, (int[]){1, 1, 1, 1, 1})->flags & VT_POISON);
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "vt_tensor_new"));
    vt_ctx_reset(ctx);
    cr_assert(vt_mat(ctx, 0, 3)->flags & VT_POISON);
    vt_store *s = vt_store_new();
    cr_assert_not_null(vt_store_param(s, "w", 2, (int[]){2, 2}, NULL));
    vt_error e;
    cr_assert_null(vt_store_param(s, "w", 2, (int[]){2, 2}, &e));
    cr_assert_not_null(strstr(e.msg, "duplicate"));
    cr_assert_null(vt_store_param(s, "v", 2, (int[]){2, -1}, NULL));
    cr_assert_eq(vt_store_count(s), 1);
    vt_store_free(s);
    vt_ctx_free(ctx);
}

Test(misuse, custom_op_without_backward) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *x = vt_requires_grad(vt_zeros(ctx, 2, (int[]){1, 2}));
    vt_tensor *y = vt_op_output(ctx, 2, (int[]){1, 2}, 1, &x);
    cr_assert_null(vt_record(ctx, "my_op", y, NULL, 1, &x, 0));
    cr_assert_not_null(strstr(vt_ctx_error(ctx), "my_op"));
    vt_ctx_free(ctx);
}

/* ---- store layout ---- */
Test(store, parameters_are_contiguous_and_survive_growth) {
    vt_store *s = vt_store_new();
    vt_tensor *a = vt_store_param(s, "a", 2, (int[]){3, 5}, NULL);
    a->data[14] = 7.0f;
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        cr_assert_not_null(vt_store_param(s, name, 2, (int[]){20, 20}, NULL));
    }
    cr_assert_eq(a->data[14], 7.0f);
    cr_assert_eq(a->data, vt_store_values(s));
    vt_tensor *last = vt_store_get(s, vt_store_count(s) - 1);
    cr_assert(last->data + 400 <= vt_store_values(s) + vt_store_numel(s));
    cr_assert_eq(vt_store_find(s, "p3"), vt_store_get(s, 4));
    vt_store_free(s);
}

/* ---- noise ---- */
Test(rng, counter_based_draws_do_not_depend_on_split) {
    float whole[1000], part[1000];
    vt_philox_normal(5, 3, 1, 0, 1000, whole);
    vt_philox_normal(5, 3, 1, 0, 333, part);
    vt_philox_normal(5, 3, 1, 333, 667, part + 333);
    cr_assert_arr_eq(whole, part, sizeof whole);
    float other[1000];
    vt_philox_normal(5, 4, 1, 0, 1000, other);
    cr_assert(memcmp(whole, other, sizeof whole) != 0, "steps must differ");
}

Test(rng, normal_moments) {
    enum { N = 200000 };
    static float x[N];
    vt_philox_normal(11, 0, 0, 0, N, x);
    double m = 0, v = 0, k = 0;
    for (int i = 0; i < N; i++) m += x[i];
    m /= N;
    for (int i = 0; i < N; i++) {
        double d = x[i] - m;
        v += d * d;
        k += d * d * d * d;
    }
    v /= N;
    k /= N;
    /* Standard errors at N = 2e5: mean 0.0022, variance 0.0032, 4th moment ~0.022; 5 SE. */
    cr_assert(fabs(m) < 0.011, "mean %g", m);
    cr_assert(fabs(v - 1) < 0.016, "var %g", v);
    cr_assert(fabs(k - 3) < 0.11, "kurtosis %g", k);
}

Test(rng, randn_streams_and_steps) {
    vt_ctx *ctx = new_ctx(1);
    vt_tensor *a = vt_randn(ctx, 4, 8), *b = vt_randn(ctx, 4, 8);
    cr_assert(memcmp(a->data, b->data, 32 * sizeof(float)) != 0);
    float first[32];
    memcpy(first, a->data, sizeof first);
    vt_ctx_set_step(ctx, vt_ctx_step(ctx));   /* same step again */
    vt_ctx_reset(ctx);
    vt_ctx_set_step(ctx, 0);
    vt_tensor *c = vt_randn(ctx, 4, 8);
    cr_assert_arr_eq(c->data, first, sizeof first);
    vt_ctx_free(ctx);
}

/* More chunks than a job may have (2^26 indices at grain 1; the pool's 32-bit chunk
 * counters would overflow past 2^32): every index is still covered exactly once, in
 * at most 2^24 chunks (the grain grows), with no hang. */
typedef struct { size_t covered, calls, max_end; } span_sum;
static void add_span(void *arg, size_t b, size_t e) {
    span_sum *s = arg;
    __atomic_fetch_add(&s->covered, e - b, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->calls, 1, __ATOMIC_RELAXED);
    size_t m = __atomic_load_n(&s->max_end, __ATOMIC_RELAXED);
    while (e > m && !__atomic_compare_exchange_n(&s->max_end, &m, e, 0, __ATOMIC_RELAXED,
                                                  __ATOMIC_RELAXED)) {}
}

Test(threads, more_chunks_than_the_counters_hold, .timeout = 60) {
    for (int t = 1; t <= 2; t++) {
        vt_ctx *ctx = new_ctx(t);
        span_sum s = {0, 0, 0};
        size_t n = (size_t)1 << 26;
        vt_parallel_for(ctx, n, 1, add_span, &s);
        cr_assert_eq(s.covered, n, "threads %d: %zu of %zu indices", t, s.covered, n);
        cr_assert_eq(s.max_end, n);
        cr_assert(s.calls <= (size_t)1 << 24 && s.calls >= 4, "%zu chunks", s.calls);
        vt_ctx_free(ctx);
    }
}

/* A range function may itself call vt_parallel_for (or an op, or vt_grad, that does):
 * the inner call runs inline on the thread that runs the chunk, and every inner and
 * outer index runs exactly once, for 2 and 3 threads. */
typedef struct { vt_ctx *ctx; int *count; } nested_job;
static void nested_inner(void *arg, size_t b, size_t e) {
    int *count = arg;
    for (size_t i = b; i < e; i++) __atomic_fetch_add(&count[i], 1, __ATOMIC_RELAXED);
}
static void nested_outer(void *arg, size_t b, size_t e) {
    nested_job *j = arg;
    for (size_t i = b; i < e; i++) vt_parallel_for(j->ctx, 1000, 10, nested_inner, j->count + i * 1000);
}

Test(threads, parallel_for_inside_a_chunk_runs_inline, .timeout = 60) {   /* re-entering the pool hangs */
    static int count[64 * 1000];
    for (int t = 2; t <= 3; t++) {
        vt_ctx *ctx = new_ctx(t);
        memset(count, 0, sizeof count);
        nested_job j = {ctx, count};
        for (int rep = 0; rep < 50; rep++) vt_parallel_for(ctx, 64, 1, nested_outer, &j);
        for (int i = 0; i < 64 * 1000; i++) cr_assert_eq(count[i], 50, "threads %d, index %d", t, i);
        vt_ctx_free(ctx);
    }
}

/* vt_randn splits its draws over the pool: the values of one vt_philox_normal call for
 * any thread count (3 000 draws: chunks of 1 024 and a ragged tail). */
Test(rng, randn_is_one_philox_call_for_any_thread_count) {
    enum { R = 30, C = 100 };
    static float want[R * C];
    for (int t = 1; t <= 3; t++) {
        vt_ctx *ctx = new_ctx(t);
        vt_ctx_set_step(ctx, 7);
        vt_tensor *a = vt_randn(ctx, R, C);
        if (t == 1) vt_philox_normal(vt_ctx_seed(ctx), 7, 0, 0, R * C, want);
        cr_assert_arr_eq(a->data, want, sizeof want, "threads %d", t);
        vt_ctx_free(ctx);
    }
}

/* ---- threads: the same bits for any thread count ---- */
static void run_ops(vt_ctx *ctx, vt_tensor **out, float *grad) {
    enum { R = 300, C = 784 };
    static float xs[R * C], ts[R * C];
    vt_test_fill_normal(xs, R * C, 3.0f, 1);
    vt_test_fill_uniform(ts, R * C, 0, 1, 2);
    vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){R, C}, xs));
    vt_tensor *t = vt_from_data(ctx, 2, (int[]){R, C}, ts);
    vt_tensor *h = vt_mul(ctx, vt_softplus(ctx, x), vt_tanh(ctx, x));
    vt_tensor *l = vt_sum(ctx, vt_bce_logits_rows(ctx, h, t));
    cr_assert_eq(vt_backward(ctx, l, NULL), 0, "%s", vt_ctx_error(ctx));
    *out = l;
    memcpy(grad, x->grad, sizeof(float) * R * C);
}

Test(threads, results_identical_for_any_thread_count) {
    static float g1[300 * 784], g2[300 * 784];
    vt_ctx *c1 = new_ctx(1), *c2 = new_ctx(2);
    vt_tensor *l1, *l2;
    run_ops(c1, &l1, g1);
    run_ops(c2, &l2, g2);
    cr_assert_eq(vt_ctx_threads(c2), 2);
    cr_assert_eq(memcmp(l1->data, l2->data, sizeof(float)), 0, "%.9g vs %.9g", l1->data[0],
                 l2->data[0]);
    cr_assert_eq(memcmp(g1, g2, sizeof g1), 0);
    vt_ctx_free(c1);
    vt_ctx_free(c2);
}

/* ---- arena ---- */
Test(arena, grows_once_then_stays) {
    vt_ctx_opts o = {.arena_bytes = 4096};
    vt_ctx *ctx = vt_ctx_new(&o);
    size_t cap = 0;
    for (int step = 0; step < 5; step++) {
        vt_ctx_reset(ctx);
        for (int i = 0; i < 20; i++) vt_zeros(ctx, 2, (int[]){64, 64});
        cr_assert_null(vt_ctx_error(ctx));
        if (step == 2) cap = vt_ctx_arena_capacity(ctx);
        if (step > 2) cr_assert_eq(vt_ctx_arena_capacity(ctx), cap);
    }
    cr_assert(cap >= 20 * 64 * 64 * sizeof(float));
    vt_ctx_free(ctx);
}

/* The pool under many short jobs (as a step hands it): every index runs exactly once
 * per job, whichever thread claims it (its own share or another's), for 2 to 4 threads
 * and jobs of 2 to 200 indices, so some jobs have fewer chunks than threads. */
typedef struct { int *count; } pool_stress;
static void pool_stress_range(void *arg, size_t b, size_t e) {
    pool_stress *s = arg;
    for (size_t i = b; i < e; i++) __atomic_fetch_add(&s->count[i], 1, __ATOMIC_RELAXED);
}

Test(threads, pool_runs_every_chunk_once_in_many_short_jobs) {
    static int count[200];
    for (int t = 2; t <= 4; t++) {
        vt_ctx *ctx = new_ctx(t);
        memset(count, 0, sizeof count);
        pool_stress s = {count};
        const int jobs = 20000;
        int expect[200] = {0};
        for (int j = 0; j < jobs; j++) {
            size_t n = 2 + (size_t)(j % 199);
            vt_parallel_for(ctx, n, 1 + (size_t)(j % 7), pool_stress_range, &s);
            for (size_t i = 0; i < n; i++) expect[i]++;
        }
        for (int i = 0; i < 200; i++)
            cr_assert_eq(count[i], expect[i], "threads %d, index %d: %d", t, i, count[i]);
        vt_ctx_free(ctx);
    }
}
