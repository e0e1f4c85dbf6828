/* Small public functions whose values no other suite checks: name tables and parsers,
 * errors, activations and linear layers against their formulas, the op kit (an op
 * written with it, checked by value and by vt_gradcheck), poison dists, uniform noise
 * streams, the parallel loop and the context's accessors. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"
#include "vtape/opkit.h"

Test(api, name_tables_and_parsers_round_trip) {
    static const char *const names[] = {"alpha", "Beta"};
    const vt_names t = VT_NAMES(names);
    cr_assert_eq(vt_names_find(&t, "ALPHA"), 0);
    cr_assert_eq(vt_names_find(&t, "beta"), 1);
    cr_assert_eq(vt_names_find(&t, "gamma"), -1);
    cr_assert_str_eq(vt_names_get(&t, 1), "Beta");
    cr_assert_str_eq(vt_names_get(&t, 2), "unknown");
    cr_assert(vt_name_eq("Adam", "aDAM") && !vt_name_eq("adam", "adamw") && !vt_name_eq(NULL, "a"));
    for (int e = VT_EST_GENERIC; e <= VT_EST_IWAE; e++)
        cr_assert_eq(vt_estimator_parse(vt_estimator_name((vt_estimator)e)), e);
    cr_assert_eq(vt_estimator_parse("analytic"), VT_EST_ANALYTIC);
    cr_assert_eq(vt_estimator_parse("vimco"), -1);
    /* gradient estimators: each name in the table round-trips, spelled as documented */
    static const char *const grads[] = {"reparam", "stl", "dreg"};
    cr_assert_eq(vt_grad_estimator_names.count, 3);
    for (int g = VT_GRAD_REPARAM; g <= VT_GRAD_DREG; g++) {
        cr_assert_str_eq(vt_grad_estimator_name((vt_grad_estimator)g), grads[g]);
        cr_assert_eq(vt_grad_estimator_parse(grads[g]), g);
    }
    cr_assert_eq(vt_grad_estimator_parse("DReG"), VT_GRAD_DREG);   /* case-insensitive */
    cr_assert_eq(vt_grad_estimator_parse("iwae"), -1);
    cr_assert_eq(vt_grad_estimator_parse("st"), -1);                /* no prefixes */
    cr_assert_eq(vt_grad_estimator_parse(""), -1);
    cr_assert_eq(vt_grad_estimator_parse(NULL), -1);
    cr_assert_str_eq(vt_grad_estimator_name((vt_grad_estimator)3), "unknown");
    cr_assert_str_eq(vt_grad_estimator_name((vt_grad_estimator)-1), "unknown");
    for (int a = VT_ACT_RELU; a <= VT_ACT_TANH; a++)
        cr_assert_eq(vt_act_parse(vt_act_name((vt_act)a)), a);
    cr_assert_eq(vt_act_parse("gelu"), -1);
}

Test(api, errors_carry_code_and_message) {
    vt_error e;
    cr_assert_eq(vt_error_set(&e, VT_ETRUNC, "file %s at %d", "x.gz", 16), VT_ETRUNC);
    cr_assert_eq(e.code, VT_ETRUNC);
    cr_assert_str_eq(e.msg, "file x.gz at 16");
    vt_error_clear(&e);
    cr_assert_eq(e.code, VT_OK);
    cr_assert_eq(vt_error_set(NULL, VT_EARG, "ignored"), VT_EARG);   /* err may be NULL */
    vt_optim_config c = vt_optim_defaults(VT_ADAMW);
    cr_assert_eq(vt_optim_config_check(&c, &e), 0);
    c.beta2 = 1.0f;
    cr_assert_neq(vt_optim_config_check(&c, &e), 0);
    cr_assert(strstr(e.msg, "beta2"), "%s", e.msg);
    c = vt_optim_defaults(VT_ADAM);
    vt_store *s = vt_store_new();
    vt_optim *o = vt_optim_new(s, &c, NULL);
    cr_assert_eq(memcmp(vt_optim_get_config(o), &c, sizeof c), 0);
    vt_optim_free(o);
    vt_store_free(s);
}

Test(api, activations_and_linear_layer_match_their_formulas) {
    float xv[6] = {-3.0f, -0.5f, 0.0f, 0.25f, 2.0f, 30.0f};
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){1, 6}, xv);
    for (int a = VT_ACT_RELU; a <= VT_ACT_TANH; a++) {
        vt_tensor *y = vt_activate(ctx, (vt_act)a, x);
        for (int i = 0; i < 6; i++) {
            double v = xv[i];
            double want = a == VT_ACT_RELU ? fmax(v, 0) : a == VT_ACT_TANH ? tanh(v)
                                                                           : log1p(exp(v));
            cr_assert(fabs(y->data[i] - want) < 1e-6 * (1 + fabs(want)), "%s(%g) = %g, want %g",
                      vt_act_name((vt_act)a), v, y->data[i], want);
        }
    }
    vt_store *s = vt_store_new();
    vt_linear_layer l;
    vt_error err;
    cr_assert_eq(vt_linear_layer_init(&l, s, "lin", 6, 2, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(vt_store_find(s, "lin.W"), l.w);
    cr_assert_eq(vt_store_find(s, "lin.b"), l.b);
    double bound = 1 / sqrt(6.0);   /* PyTorch's nn.Linear initialisation */
    for (int i = 0; i < 12; i++) cr_assert(fabs(l.w->data[i]) <= bound);
    vt_tensor *y = vt_linear_layer_forward(ctx, &l, x);
    for (int j = 0; j < 2; j++) {
        double want = l.b->data[j];
        for (int i = 0; i < 6; i++) want += (double)xv[i] * l.w->data[i * 2 + j];
        cr_assert(fabs(y->data[j] - want) < 1e-5 * (1 + fabs(want)));
    }
    vt_store_free(s);
    vt_ctx_free(ctx);
}

/* ---- an op written with the op kit: y = 2x + row, the example of opkit.h extended
 * with a row-broadcast operand (vt_shares_rows) ---- */
static void twice_plus_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *row = node->in[1], *y = node->out;
    float *gx = vt_grad(ctx, x), *gr = vt_grad(ctx, row);
    size_t C = (size_t)vt_cols(x);
    for (size_t i = 0; i < vt_numel(x); i++) {
        if (gx) gx[i] += 2 * y->grad[i];
        if (gr) gr[i % C] += y->grad[i];
    }
}

static vt_tensor *twice_plus(vt_ctx *ctx, vt_tensor *x, vt_tensor *row) {
    const char *op = "twice_plus";
    vt_tensor *in[2] = {x, row};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_shares_rows(row, x) || vt_rows(row) != 1) {
        char a[48], b[48];
        return vt_fail(ctx, "%s: x %s, row %s", op, vt_shape_str(x, a), vt_shape_str(row, b));
    }
    vt_tensor *y = vt_out_like(ctx, x, 2, in);
    if (vt_is_poison(y)) return y;
    size_t C = (size_t)vt_cols(x);
    for (size_t i = 0; i < vt_numel(x); i++) y->data[i] = 2 * x->data[i] + row->data[i % C];
    vt_record(ctx, op, y, twice_plus_backward, 2, in, 0);
    return y;
}

static vt_tensor *twice_plus_fn(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    (void)user;
    return twice_plus(ctx, in[0], in[1]);
}

Test(api, an_op_written_with_the_op_kit) {
    float xv[6] = {1, -2, 3, 0.5f, 4, -1}, rv[3] = {10, 20, 30};
    vt_tensor *in[2] = {vt_leaf_new(2, (int[]){2, 3}, xv), vt_leaf_new(2, (int[]){1, 3}, rv)};
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *y = twice_plus(ctx, in[0], in[1]);
    for (int i = 0; i < 6; i++) cr_assert_eq(y->data[i], 2 * xv[i] + rv[i % 3]);
    vt_gradcheck_report rep;
    cr_assert(vt_gradcheck(ctx, twice_plus_fn, 2, in, NULL, NULL, &rep), "%s", rep.error);
    /* Misuse: the error names the op and the shapes, and poison passes through. */
    vt_ctx_reset(ctx);
    vt_tensor *bad = twice_plus(ctx, in[0], vt_out2(ctx, 1, 2, 0, NULL));
    cr_assert(vt_is_poison(bad));
    cr_assert(strstr(vt_ctx_error(ctx), "twice_plus: x 2 x 3, row 1 x 2"), "%s", vt_ctx_error(ctx));
    cr_assert(vt_is_poison(vt_exp(ctx, bad)));
    cr_assert_eq(vt_check(ctx, "next", bad), 0);
    vt_ctx_free(ctx);
    vt_leaf_free(in[0]);
    vt_leaf_free(in[1]);
}

Test(api, poison_dists_and_no_grad_mode) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_dist *ok = vt_std_normal(ctx, 2, 3);
    cr_assert(vt_dist_ok(ctx, "test", ok));
    cr_assert_not(vt_dist_ok(ctx, "test", vt_dist_poison(ctx)));
    vt_dist *bad = vt_normal(ctx, vt_zeros(ctx, 2, (int[]){2, 3}), vt_zeros(ctx, 2, (int[]){2, 4}));
    cr_assert_not(vt_dist_ok(ctx, "test", bad));
    cr_assert_not_null(vt_ctx_error(ctx));
    cr_assert(vt_is_poison(vt_dist_rsample(ctx, bad, 1)));
    vt_ctx_clear_error(ctx);
    cr_assert_null(vt_ctx_error(ctx));
    cr_assert_eq(vt_grad_enabled(ctx), 1);
    cr_assert_eq(vt_set_grad_enabled(ctx, 0), 1);
    cr_assert_eq(vt_grad_enabled(ctx), 0);
    vt_tensor *s = vt_scalar(ctx, 2.5f);
    cr_assert(s->data[0] == 2.5f && vt_numel(s) == 1);
    cr_assert_gt(vt_ctx_arena_used(ctx), 0);
    cr_assert_geq(vt_ctx_arena_capacity(ctx), vt_ctx_arena_used(ctx));
    vt_ctx_free(ctx);
}

/* vt_randu draws what vt_philox_uniform gives for (seed, step, stream): stream 0 first. */
Test(api, uniform_noise_streams) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 77});
    cr_assert_eq(vt_ctx_seed(ctx), 77);
    vt_ctx_set_step(ctx, 5);
    vt_tensor *u0 = vt_randu(ctx, 3, 4), *u1 = vt_randu(ctx, 3, 4);
    float w0[12], w1[12];
    vt_philox_uniform(77, 5, 0, 0, 12, w0);
    vt_philox_uniform(77, 5, 1, 0, 12, w1);
    cr_assert_arr_eq(u0->data, w0, sizeof w0);
    cr_assert_arr_eq(u1->data, w1, sizeof w1);
    double mean = 0;
    float big[20000];
    vt_philox_uniform(77, 0, 3, 0, 20000, big);
    for (int i = 0; i < 20000; i++) {
        cr_assert(big[i] >= 0.0f && big[i] < 1.0f);
        mean += big[i] / 20000;
    }
    cr_assert(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / 20000), "mean %g", mean);   /* 5 SE */
    vt_ctx_free(ctx);
}

typedef struct { int *hits; } mark_arg;
static void mark(void *arg, size_t b, size_t e) {
    for (size_t i = b; i < e; i++) __atomic_add_fetch(&((mark_arg *)arg)->hits[i], 1, __ATOMIC_RELAXED);
}

Test(api, parallel_for_visits_every_index_once) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = 2});
    enum { N = 100003 };
    static int hits[N];
    mark_arg a = {hits};
    vt_parallel_for(ctx, N, 1000, mark, &a);
    for (int i = 0; i < N; i++) cr_assert_eq(hits[i], 1, "index %d visited %d times", i, hits[i]);
    vt_ctx_free(ctx);
}
