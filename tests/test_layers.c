/* The gated layer, (x W1 + b1) ⊙ sigmoid(x W2 + b2): its value against the formula in
 * double, its gradients against finite differences (vt_gradcheck), and the layer form
 * (vt_gated_layer_init / _forward) naming and using its own parameters. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, IN = 4, OUT = 5 };

static double gated_ref(const float *x, const float *w1, const float *b1, const float *w2,
                        const float *b2, int r, int j) {
    double v = b1[j], g = b2[j];
    for (int i = 0; i < IN; i++) {
        v += (double)x[r * IN + i] * w1[i * OUT + j];
        g += (double)x[r * IN + i] * w2[i * OUT + j];
    }
    return v / (1 + exp(-g));
}

static vt_tensor *gated_fn(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    (void)user;
    return vt_gated_linear(ctx, in[0], in[1], in[2], in[3], in[4]);
}

Test(layers, gated_linear_value_and_gradients) {
    static const int rows[5] = {R, IN, 1, IN, 1}, cols[5] = {IN, OUT, OUT, OUT, OUT};
    vt_tensor *in[5];
    float buf[5][IN * OUT];
    for (int k = 0; k < 5; k++) {
        vt_test_fill_normal(buf[k], (size_t)rows[k] * cols[k], 0.8f, 60 + (uint64_t)k);
        in[k] = vt_leaf_new(2, (int[]){rows[k], cols[k]}, buf[k]);
        cr_assert_not_null(in[k]);
    }
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *y = gated_fn(ctx, in, NULL);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    cr_assert_eq(vt_rows(y), R);
    cr_assert_eq(vt_cols(y), OUT);
    for (int r = 0; r < R; r++)
        for (int j = 0; j < OUT; j++) {
            double want = gated_ref(buf[0], buf[1], buf[2], buf[3], buf[4], r, j);
            /* float32 sums of 5 terms of size ~1: ~1e-6 */
            cr_assert(fabs(y->data[r * OUT + j] - want) < 1e-5 * (1 + fabs(want)),
                      "[%d,%d]: %.7g vs %.7g", r, j, y->data[r * OUT + j], want);
        }
    /* The gradcheck default tolerance (|num − ana| ≤ 1e-3 + 1e-2·|num|, h = 1e-2): the
     * layer is smooth, so central differences are accurate to O(h²) ≈ 1e-4 here. */
    vt_gradcheck_opts o = {.step = 1e-2, .atol = 1e-3, .rtol = 1e-2, .seed = 5};
    vt_gradcheck_report rep;
    cr_assert(vt_gradcheck(ctx, gated_fn, 5, in, NULL, &o, &rep),
              "input %d [%zu]: numeric %g, analytic %g %s", rep.worst_input, rep.worst_index,
              rep.worst_numeric, rep.worst_analytic, rep.error);
    cr_assert_eq(rep.checked, (size_t)(R * IN + 2 * (IN * OUT + OUT)));
    vt_ctx_free(ctx);
    for (int k = 0; k < 5; k++) vt_leaf_free(in[k]);
}

Test(layers, gated_layer_uses_its_value_and_gate_parameters) {
    vt_store *s = vt_store_new();
    vt_gated_layer g;
    vt_error err;
    cr_assert_eq(vt_gated_layer_init(&g, s, "g", IN, OUT, 9, &err), 0, "%s", err.msg);
    static const char *names[] = {"g.value.W", "g.value.b", "g.gate.W", "g.gate.b"};
    vt_tensor *p[4] = {g.value.w, g.value.b, g.gate.w, g.gate.b};
    for (int k = 0; k < 4; k++) cr_assert_eq(vt_store_find(s, names[k]), p[k], "%s", names[k]);
    /* Value and gate are initialised from different streams (their names differ). */
    cr_assert(memcmp(g.value.w->data, g.gate.w->data, IN * OUT * sizeof(float)) != 0);
    float x[R * IN];
    vt_test_fill_normal(x, R * IN, 1.0f, 70);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *y = vt_gated_layer_forward(ctx, &g, vt_from_data(ctx, 2, (int[]){R, IN}, x));
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    for (int r = 0; r < R; r++)
        for (int j = 0; j < OUT; j++) {
            double want = gated_ref(x, g.value.w->data, g.value.b->data, g.gate.w->data,
                                    g.gate.b->data, r, j);
            cr_assert(fabs(y->data[r * OUT + j] - want) < 1e-5 * (1 + fabs(want)));
        }
    vt_ctx_free(ctx);
    vt_store_free(s);
}
