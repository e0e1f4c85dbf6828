/* vt_made_forward (dist/flow_iaf.c), the IAF's autoregressive net, on its own:
 *   - values: relu(z (W1 ⊙ M1) + h Wc + b1) through (Wm ⊙ M2, bm) and (Ws ⊙ M2, bs),
 *     recomputed in float64 from the struct's weights and masks;
 *   - the autoregressive property, in both orders: output i (mean and gate) is
 *     bit-for-bit unchanged when any input at or after i in the step's order changes,
 *     and changes with the input just before it; the first output in the order is its
 *     biases alone (no hidden unit lies below it);
 *   - with a context, every other output depends on h;
 *   - gradients for z, h and every weight by central finite differences;
 *   - misuse (a MADE never built, h missing or extra or of the wrong rows, NULL outputs)
 *     sets the error and gives poison, never a crash.
 * Weights: the output layers start at zero (the flow starts as the identity), so every
 * all-zero parameter is filled with N(0, 0.5²) values first. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "support.h"
#include "vtape/vtape.h"

enum { R = 3, Z = 4, H = 12, C = 2 };

typedef struct { vt_store *s; vt_made m; float z[R * Z], h[R * C]; } net;

static void make(net *n, int context, int reversed) {
    n->s = vt_store_new();
    vt_error err;
    cr_assert_eq(vt_made_init(&n->m, n->s, "made", Z, context, H, reversed, 11, &err), 0, "%s",
                 err.msg);
    vt_test_randomize_store(n->s, 0.5f, 21);
    vt_test_fill_normal(n->z, R * Z, 1, 31);
    vt_test_fill_normal(n->h, R * C, 1, 41);
}
static void unmake(net *n) {
    vt_made_free(&n->m);
    vt_store_free(n->s);
}

/* mean and gate (R x Z each) for inputs z and h (h NULL without context). */
static void forward(const net *n, const float *z, const float *h, float *mean, float *gate) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *m, *g;
    vt_made_forward(ctx, &n->m, vt_from_data(ctx, 2, (int[]){R, Z}, z),
                    h ? vt_from_data(ctx, 2, (int[]){R, C}, h) : NULL, &m, &g);
    cr_assert_null(vt_ctx_error(ctx), "%s", vt_ctx_error(ctx));
    memcpy(mean, m->data, sizeof(float) * R * Z);
    memcpy(gate, g->data, sizeof(float) * R * Z);
    vt_ctx_free(ctx);
}

/* Also the smallest |pre-activation| of a hidden unit: its distance from relu's kink. */
static double reference(const net *n, const float *h, double *mean, double *gate) {
    const vt_made *m = &n->m;
    double closest = INFINITY;
    for (int r = 0; r < R; r++) {
        double hid[H];
        for (int j = 0; j < H; j++) {
            double a = m->b1->data[j];
            for (int i = 0; i < Z; i++) a += n->z[r * Z + i] * m->w1->data[i * H + j] * m->mask1.data[i * H + j];
            for (int c = 0; h && c < C; c++) a += h[r * C + c] * m->wc->data[c * H + j];
            hid[j] = a > 0 ? a : 0;
            closest = fmin(closest, fabs(a));
        }
        for (int i = 0; i < Z; i++) {
            double a = m->bm->data[i], b = m->bs->data[i];
            for (int j = 0; j < H; j++) {
                a += hid[j] * m->wm->data[j * Z + i] * m->mask2.data[j * Z + i];
                b += hid[j] * m->ws->data[j * Z + i] * m->mask2.data[j * Z + i];
            }
            mean[r * Z + i] = a, gate[r * Z + i] = b;
        }
    }
    return closest;
}

static void values_and_order(int context, int reversed) {
    net n;
    make(&n, context ? C : 0, reversed);
    const float *h = context ? n.h : NULL;
    float m0[R * Z], g0[R * Z], m1[R * Z], g1[R * Z];
    double rm[R * Z], rg[R * Z];
    forward(&n, n.z, h, m0, g0);
    reference(&n, h, rm, rg);
    for (int i = 0; i < R * Z; i++) {   /* float32 sums of ~16 terms of size ~1 */
        cr_assert(fabs(m0[i] - rm[i]) < 1e-5 * (1 + fabs(rm[i])), "mean %d: %g vs %g", i, m0[i], rm[i]);
        cr_assert(fabs(g0[i] - rg[i]) < 1e-5 * (1 + fabs(rg[i])), "gate %d: %g vs %g", i, g0[i], rg[i]);
    }
    /* position of input/output i in the step's order */
#define POS(i) (reversed ? Z - 1 - (i) : (i))
    for (int j = 0; j < Z; j++) {
        float z[R * Z];
        memcpy(z, n.z, sizeof z);
        for (int r = 0; r < R; r++) z[r * Z + j] += 1.7f;
        forward(&n, z, h, m1, g1);
        for (int i = 0; i < Z; i++) {
            int changed = 0;
            for (int r = 0; r < R; r++)
                changed |= m1[r * Z + i] != m0[r * Z + i] || g1[r * Z + i] != g0[r * Z + i];
            if (POS(j) >= POS(i))
                cr_assert(!changed, "order %d: output %d moved with input %d", reversed, i, j);
            else if (POS(j) == POS(i) - 1)
                cr_assert(changed, "order %d: output %d ignores input %d", reversed, i, j);
        }
    }
    /* the first output in the order has no hidden unit below it (hidden degrees start
     * at 1): its mean and gate are the output biases, with or without h */
    int first = reversed ? Z - 1 : 0;
    for (int r = 0; r < R; r++) {
        cr_assert_eq(m0[r * Z + first], n.m.bm->data[first], "row %d: first mean", r);
        cr_assert_eq(g0[r * Z + first], n.m.bs->data[first], "row %d: first gate", r);
    }
    if (context) {   /* every other output sees h through the hidden layer */
        float h2[R * C];
        for (int i = 0; i < R * C; i++) h2[i] = n.h[i] + 0.9f;
        forward(&n, n.z, h2, m1, g1);
        for (int i = 0; i < Z; i++) {
            int changed = 0;
            for (int r = 0; r < R; r++) changed |= m1[r * Z + i] != m0[r * Z + i];
            cr_assert_eq(changed, i != first, "order %d: output %d and h", reversed, i);
        }
    }
#undef POS
    unmake(&n);
}

Test(made, values_and_autoregressive_order) { values_and_order(0, 0); }
Test(made, values_and_autoregressive_order_reversed) { values_and_order(0, 1); }
Test(made, values_order_and_context) { values_and_order(1, 0); }
Test(made, values_order_and_context_reversed) { values_and_order(1, 1); }

typedef struct { const vt_made *m; } gc_user;
static vt_tensor *gc_fn(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    const gc_user *u = user;
    vt_tensor *m, *g;
    vt_made_forward(ctx, u->m, in[0], in[1], &m, &g);
    return vt_concat_cols(ctx, m, g);
}

/* Step 1e-3 (relative to max(1, |x|)): a perturbation moves a pre-activation by at
 * most ~1e-3·(1 + |z| + |h|), so with every hidden unit at least 0.02 from relu's kink
 * (checked, for these seeds) each difference sees one linear piece. */
Test(made, gradients_match_finite_differences) {
    net n;
    make(&n, C, 1);
    vt_test_fill_normal(n.z, R * Z, 1, 61);   /* (51 and 81 put a unit within 0.006 of it) */
    vt_test_fill_normal(n.h, R * C, 1, 62);
    double mean[R * Z], gate[R * Z];
    double margin = reference(&n, n.h, mean, gate);
    cr_assert_gt(margin, 0.02, "a hidden unit sits %g from the kink: pick other seeds", margin);
    vt_tensor *in[9] = {vt_leaf_new(2, (int[]){R, Z}, n.z), vt_leaf_new(2, (int[]){R, C}, n.h),
                        n.m.w1, n.m.wc, n.m.b1, n.m.wm, n.m.bm, n.m.ws, n.m.bs};
    gc_user u = {&n.m};
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_gradcheck_opts o = {.step = 1e-3, .seed = 5};
    vt_gradcheck_report rep;
    vt_gradcheck(ctx, gc_fn, 9, in, &u, &o, &rep);
    cr_assert(rep.ok, "input %d [%zu]: numeric %g analytic %g (abs %g) %s", rep.worst_input,
              rep.worst_index, rep.worst_numeric, rep.worst_analytic, rep.max_abs_err, rep.error);
    vt_ctx_free(ctx);
    vt_leaf_free(in[0]);
    vt_leaf_free(in[1]);
    unmake(&n);
}

static void refused(const vt_made *m, int rows, int with_h, int h_rows, const char *msg) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *z = vt_zeros(ctx, 2, (int[]){rows, Z});
    vt_tensor *h = with_h ? vt_zeros(ctx, 2, (int[]){h_rows, C}) : NULL;
    vt_tensor *mean = NULL, *gate = NULL;
    vt_made_forward(ctx, m, z, h, &mean, &gate);
    cr_assert(vt_ctx_error(ctx) && strstr(vt_ctx_error(ctx), msg), "wanted \"%s\": %s", msg,
              vt_ctx_error(ctx));
    cr_assert(mean && (mean->flags & VT_POISON) && gate && (gate->flags & VT_POISON));
    vt_ctx_free(ctx);
}

Test(made, misuse_is_an_error_with_poison_outputs) {
    net with, without;
    make(&with, C, 0);
    make(&without, 0, 0);
    vt_made never = {0};
    refused(NULL, R, 0, 0, "the MADE is NULL or not initialised");
    refused(&never, R, 0, 0, "the MADE is NULL or not initialised");
    refused(&with.m, R, 0, 0, "h NULL; this MADE takes 2 context columns");
    refused(&without.m, R, 1, R, "this MADE takes 0 context columns (need h with z's rows, i.e. NULL)");
    refused(&with.m, R, 1, R + 1, "with context h 4 x 2");
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *g = NULL;
    vt_made_forward(ctx, &without.m, vt_zeros(ctx, 2, (int[]){R, Z}), NULL, NULL, &g);
    cr_assert(vt_ctx_error(ctx) && strstr(vt_ctx_error(ctx), "NULL output"), "%s", vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    vt_tensor *m;
    vt_made_forward(ctx, &without.m, vt_zeros(ctx, 2, (int[]){R, Z + 1}), NULL, &m, &g);   /* wide z */
    cr_assert_not_null(vt_ctx_error(ctx));
    cr_assert(m->flags & VT_POISON);
    vt_ctx_free(ctx);
    unmake(&with);
    unmake(&without);
}
