/* Every op of ops.h against central finite differences (vt_gradcheck), on shapes that
 * include 1 x 1, 1 x N, N x 1 and row broadcasts; and proof that a wrong backward is
 * caught.
 *
 * TOLERANCE (docs/testing.md repeats it). vt_gradcheck's defaults: step h = 1e-2 ·
 * max(1, |x|), element passes when |num − ana| ≤ 1e-3 + 1e-2·|num|. The checked scalar
 * is f = Σ y ⊙ G with G ~ N(0, 1), y in float32, f summed in double.
 *   Truncation of the central difference: (h²/6)·|f'''|, i.e. a relative error of
 *   (h²/6)·|f'''/f'| ≈ 1.7e-5 · |f'''/f'|. The inputs below keep |f'''/f'| ≲ 10 (log and
 *   sqrt stay in [0.5, 3], exp in [-2, 2], logsig in [-1, 1]), so ≲ 2e-4 relative:
 *   50× under rtol.
 *   Round-off: only the outputs that depend on the perturbed element change, each
 *   rounded to float32 (a few u, u = 6e-8); the difference quotient therefore carries
 *   ~ c·u·S/h with S = Σ|y_i G_i| over those outputs. With S ≲ 20 here that is
 *   ≲ 3·6e-8·20/1e-2 ≈ 4e-4 in the worst case, typically 10× less: under atol.
 *   Kinks: relu and clamp_min inputs stay 0.05 away from the kink, farther than any h
 *   used (h ≤ 0.03 for |x| ≤ 3), so no difference straddles one.
 * Set VT_GRADCHECK_VERBOSE=1 to print every check's worst errors (docs/testing.md lists
 * the measured worsts). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "vtape/vtape.h"

static const vt_gradcheck_opts OPTS = {.step = 1e-2, .atol = 1e-3, .rtol = 1e-2, .seed = 7};

/* ------------------------------------------------------------------ inputs */

static uint64_t next_seed = 1000;

/* A leaf of values uniform in [lo, hi) and at least `gap` away from `avoid`. */
static vt_tensor *leaf_away(int rows, int cols, float lo, float hi, float avoid, float gap) {
    size_t n = (size_t)rows * (size_t)cols;
    float *v = malloc(n * sizeof *v);
    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        for (int tries = 0;; tries++) {
            vt_test_fill_uniform(&v[i], 1, lo, hi, next_seed++);
            if (gap <= 0 || fabsf(v[i] - avoid) >= gap) break;
            cr_assert(tries < 1000, "cannot draw away from %g", avoid);
        }
    }
    vt_tensor *t = vt_leaf_new(2, (int[]){rows, cols}, v);
    free(v);
    cr_assert_not_null(t);
    return t;
}

static vt_tensor *leaf(int rows, int cols, float lo, float hi) {
    return leaf_away(rows, cols, lo, hi, 0.0f, 0.0f);
}

/* A persistent tensor that takes no gradient: noise and targets. */
static vt_tensor *constant(int rows, int cols, float lo, float hi) {
    vt_tensor *t = leaf(rows, cols, lo, hi);
    t->flags &= ~(uint32_t)VT_REQUIRES_GRAD;
    return t;
}

/* "r" in a shape is a random size in [2, 5]; the shape list covers the degenerate
 * cases every op must handle. */
typedef struct shape2 { int rows, cols; } shape2;

static int rand_dim(void) {
    float u;
    vt_test_fill_uniform(&u, 1, 2.0f, 6.0f, next_seed++);
    return (int)u;
}

/* 1 x 1, 1 x N, N x 1, R x D */
static void shapes(shape2 out[4]) {
    out[0] = (shape2){1, 1};
    out[1] = (shape2){1, rand_dim()};
    out[2] = (shape2){rand_dim(), 1};
    out[3] = (shape2){rand_dim(), rand_dim()};
}

/* Extra per-check data a forward function may need besides its inputs. */
typedef struct extra {
    vt_tensor *k[2];     /* constants */
    float s, t;
    int i, j;
    int ndim, shape[VT_MAX_DIMS];
} extra;

/* ------------------------------------------------------------------ checking */

static void check(const char *what, vt_gradcheck_fn fn, int n, vt_tensor **in, extra *x) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 3});
    cr_assert_not_null(ctx);
    vt_gradcheck_report rep;
    int ok = vt_gradcheck(ctx, fn, n, in, x, &OPTS, &rep);
    double worst_err = fabs(rep.worst_numeric - rep.worst_analytic);
    double used = worst_err / (OPTS.atol + OPTS.rtol * fabs(rep.worst_numeric));
    if (getenv("VT_GRADCHECK_VERBOSE"))
        fprintf(stderr, "gradcheck %-40s abs %.2e rel %.2e (%.3f of tol) %zu elements\n", what,
                rep.max_abs_err, rep.max_rel_err, used, rep.checked);
    cr_expect(ok, "%s: %s worst at input %d [%zu]: numeric %.7g analytic %.7g "
                  "(max abs %.3g, max rel %.3g)",
              what, rep.error, rep.worst_input, rep.worst_index, rep.worst_numeric,
              rep.worst_analytic, rep.max_abs_err, rep.max_rel_err);
    cr_expect(rep.error[0] || rep.checked > 0, "%s: nothing checked", what);
    vt_ctx_free(ctx);
    for (int i = 0; i < n; i++) vt_leaf_free(in[i]);
    if (x) { vt_leaf_free(x->k[0]); vt_leaf_free(x->k[1]); }
}

#define FN(NAME, EXPR) \
    static vt_tensor *NAME(vt_ctx *c, vt_tensor *const *in, void *user) { \
        extra *x = user; (void)x; (void)in; return EXPR; }

/* ------------------------------------------------------------------ linear algebra */

FN(f_matmul, vt_matmul(c, in[0], in[1]))
FN(f_matmul_tb, vt_matmul_tb(c, in[0], in[1]))
FN(f_matmul_ta, vt_matmul_ta(c, in[0], in[1]))
FN(f_linear, vt_linear(c, in[0], in[1], in[2]))
FN(f_linear_nobias, vt_linear(c, in[0], in[1], NULL))

/* Every combination of M, K, N in {1, random}. */
Test(gradcheck_ops, matmul_family) {
    for (int m = 0; m < 8; m++) {
        int M = m & 1 ? rand_dim() : 1, K = m & 2 ? rand_dim() : 1, N = m & 4 ? rand_dim() : 1;
        char what[96];
        snprintf(what, sizeof what, "matmul %dx%d @ %dx%d", M, K, K, N);
        check(what, f_matmul, 2, (vt_tensor *[]){leaf(M, K, -1, 1), leaf(K, N, -1, 1)}, NULL);
        snprintf(what, sizeof what, "matmul_tb %dx%d @ (%dx%d)T", M, K, N, K);
        check(what, f_matmul_tb, 2, (vt_tensor *[]){leaf(M, K, -1, 1), leaf(N, K, -1, 1)}, NULL);
        snprintf(what, sizeof what, "matmul_ta (%dx%d)T @ %dx%d", K, M, K, N);
        check(what, f_matmul_ta, 2, (vt_tensor *[]){leaf(K, M, -1, 1), leaf(K, N, -1, 1)}, NULL);
        snprintf(what, sizeof what, "linear %dx%d @ %dx%d + 1x%d", M, K, K, N, N);
        check(what, f_linear, 3,
              (vt_tensor *[]){leaf(M, K, -1, 1), leaf(K, N, -1, 1), leaf(1, N, -1, 1)}, NULL);
        snprintf(what, sizeof what, "linear %dx%d @ %dx%d, no bias", M, K, K, N);
        check(what, f_linear_nobias, 2, (vt_tensor *[]){leaf(M, K, -1, 1), leaf(K, N, -1, 1)},
              NULL);
    }
}

/* vt_linear_relu, away from the kink: x in [0.5, 1], w in [-0.5, 0.5] and K <= 3 keep
 * |x w| <= 1.5, and biases of +2.5 / -2.5 put every pre-activation at least 1 from 0
 * (the checks' h is <= 0.01 here). Columns with negative bias check the zero branch. */
FN(f_linear_relu, vt_linear_relu(c, in[0], in[1], in[2]))
FN(f_linear_relu_nobias, vt_linear_relu(c, in[0], in[1], NULL))

Test(gradcheck_ops, linear_relu) {
    for (int K = 1; K <= 3; K++) {
        int M = rand_dim(), N = rand_dim();
        vt_tensor *b = leaf(1, N, 0, 1);
        for (int j = 0; j < N; j++) b->data[j] = j % 2 ? -2.5f : 2.5f;
        char what[96];
        snprintf(what, sizeof what, "linear_relu %dx%d @ %dx%d + 1x%d", M, K, K, N, N);
        check(what, f_linear_relu, 3, (vt_tensor *[]){leaf(M, K, 0.5f, 1), leaf(K, N, -0.5f, 0.5f), b},
              NULL);
        snprintf(what, sizeof what, "linear_relu %dx%d @ %dx%d, no bias", M, K, K, N);
        check(what, f_linear_relu_nobias, 2,
              (vt_tensor *[]){leaf(M, K, 0.5f, 1), leaf(K, N, 0.05f, 0.5f)}, NULL);
    }
}

/* ------------------------------------------------------------------ element-wise */

FN(f_exp, vt_exp(c, in[0]))
FN(f_log, vt_log(c, in[0]))
FN(f_softplus, vt_softplus(c, in[0]))
FN(f_sigmoid, vt_sigmoid(c, in[0]))
FN(f_log_sigmoid, vt_log_sigmoid(c, in[0]))
FN(f_tanh, vt_tanh(c, in[0]))
FN(f_relu, vt_relu(c, in[0]))
FN(f_square, vt_square(c, in[0]))
FN(f_sqrt, vt_sqrt(c, in[0]))
FN(f_scale, vt_scale(c, in[0], x->s))
FN(f_add_scalar, vt_add_scalar(c, in[0], x->s))
FN(f_clamp_min, vt_clamp_min(c, in[0], x->s))

typedef struct unary_case {
    const char *name;
    vt_gradcheck_fn fn;
    float lo, hi, avoid, gap, s;
} unary_case;

static const unary_case UNARY[] = {
    {"exp", f_exp, -2, 2, 0, 0, 0},
    {"log", f_log, 0.5f, 3, 0, 0, 0},
    {"softplus", f_softplus, -4, 4, 0, 0, 0},
    {"sigmoid", f_sigmoid, -4, 4, 0, 0, 0},
    {"log_sigmoid", f_log_sigmoid, -4, 4, 0, 0, 0},
    {"tanh", f_tanh, -2, 2, 0, 0, 0},
    {"relu", f_relu, -2, 2, 0, 0.05f, 0},
    {"square", f_square, -2, 2, 0, 0, 0},
    {"sqrt", f_sqrt, 0.5f, 3, 0, 0, 0},
    {"scale 0.37", f_scale, -2, 2, 0, 0, 0.37f},
    {"scale -1.5", f_scale, -2, 2, 0, 0, -1.5f},
    {"add_scalar 1.5", f_add_scalar, -2, 2, 0, 0, 1.5f},
    {"clamp_min 0.2", f_clamp_min, -1, 1.5f, 0.2f, 0.05f, 0.2f},
};

Test(gradcheck_ops, elementwise) {
    for (size_t u = 0; u < sizeof UNARY / sizeof UNARY[0]; u++) {
        const unary_case *k = &UNARY[u];
        shape2 sh[4];
        shapes(sh);
        for (int i = 0; i < 4; i++) {
            char what[96];
            snprintf(what, sizeof what, "%s %dx%d", k->name, sh[i].rows, sh[i].cols);
            extra x = {.s = k->s};
            vt_tensor *in = leaf_away(sh[i].rows, sh[i].cols, k->lo, k->hi, k->avoid, k->gap);
            check(what, k->fn, 1, &in, &x);
        }
    }
}

FN(f_add, vt_add(c, in[0], in[1]))
FN(f_sub, vt_sub(c, in[0], in[1]))
FN(f_mul, vt_mul(c, in[0], in[1]))
FN(f_axpby, vt_axpby(c, 0.7f, in[0], -1.3f, in[1]))

Test(gradcheck_ops, binary_same_shape_and_row_broadcast) {
    static const struct { const char *name; vt_gradcheck_fn fn; } OPS[] = {
        {"add", f_add}, {"sub", f_sub}, {"mul", f_mul}};
    shape2 sh[4];
    shapes(sh);
    for (size_t o = 0; o < 3; o++)
        for (int i = 0; i < 4; i++) {
            int R = sh[i].rows, D = sh[i].cols;
            char what[96];
            snprintf(what, sizeof what, "%s %dx%d, %dx%d", OPS[o].name, R, D, R, D);
            check(what, OPS[o].fn, 2, (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, D, -2, 2)},
                  NULL);
            snprintf(what, sizeof what, "%s %dx%d, 1x%d (broadcast)", OPS[o].name, R, D, D);
            check(what, OPS[o].fn, 2, (vt_tensor *[]){leaf(R, D, -2, 2), leaf(1, D, -2, 2)},
                  NULL);
            /* ops/binary.c also broadcasts a column and a scalar (not yet in ops.h). */
            snprintf(what, sizeof what, "%s %dx%d, %dx1 (column)", OPS[o].name, R, D, R);
            check(what, OPS[o].fn, 2, (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, 1, -2, 2)},
                  NULL);
            snprintf(what, sizeof what, "%s %dx%d, 1x1 (scalar)", OPS[o].name, R, D);
            check(what, OPS[o].fn, 2, (vt_tensor *[]){leaf(R, D, -2, 2), leaf(1, 1, -2, 2)},
                  NULL);
        }
    for (int i = 0; i < 4; i++) {
        char what[96];
        snprintf(what, sizeof what, "axpby %dx%d", sh[i].rows, sh[i].cols);
        check(what, f_axpby, 2,
              (vt_tensor *[]){leaf(sh[i].rows, sh[i].cols, -2, 2),
                              leaf(sh[i].rows, sh[i].cols, -2, 2)}, NULL);
    }
}

/* ------------------------------------------------------------------ reductions */

FN(f_sum, vt_sum(c, in[0]))
FN(f_mean, vt_mean(c, in[0]))
FN(f_sum_rows, vt_sum_rows(c, in[0]))
FN(f_mean_cols, vt_mean_cols(c, in[0]))
FN(f_logsumexp_rows, vt_logsumexp_rows(c, in[0]))
FN(f_log_softmax_rows, vt_log_softmax_rows(c, in[0]))
FN(f_logmeanexp_samples, vt_logmeanexp_samples(c, in[0]))

Test(gradcheck_ops, reductions) {
    static const struct { const char *name; vt_gradcheck_fn fn; } OPS[] = {
        {"sum", f_sum}, {"mean", f_mean}, {"sum_rows", f_sum_rows},
        {"mean_cols", f_mean_cols}, {"logsumexp_rows", f_logsumexp_rows},
        {"log_softmax_rows", f_log_softmax_rows},
        {"logmeanexp_samples", f_logmeanexp_samples}};
    for (size_t o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
        shape2 sh[4];
        shapes(sh);
        for (int i = 0; i < 4; i++) {
            char what[96];
            snprintf(what, sizeof what, "%s %dx%d", OPS[o].name, sh[i].rows, sh[i].cols);
            vt_tensor *in = leaf(sh[i].rows, sh[i].cols, -3, 3);
            check(what, OPS[o].fn, 1, &in, NULL);
        }
    }
}

/* ------------------------------------------------------------------ shape */

FN(f_concat_cols, vt_concat_cols(c, in[0], in[1]))
FN(f_slice_cols, vt_slice_cols(c, in[0], x->i, x->j))
FN(f_reshape, vt_reshape(c, in[0], x->ndim, x->shape))
FN(f_repeat_rows, vt_repeat_rows(c, in[0], x->i))

Test(gradcheck_ops, shape_ops) {
    shape2 sh[4];
    shapes(sh);
    for (int i = 0; i < 4; i++) {
        int R = sh[i].rows, D = sh[i].cols, D2 = i & 1 ? 1 : rand_dim();
        char what[96];
        snprintf(what, sizeof what, "concat_cols %dx%d | %dx%d", R, D, R, D2);
        check(what, f_concat_cols, 2, (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, D2, -2, 2)},
              NULL);

        extra sl = {.i = D / 3, .j = D - D / 3 - (D > 2)};   /* interior when D > 2 */
        snprintf(what, sizeof what, "slice_cols %dx%d [%d, +%d)", R, D, sl.i, sl.j);
        check(what, f_slice_cols, 1, (vt_tensor *[]){leaf(R, D, -2, 2)}, &sl);

        extra flat = {.ndim = 1, .shape = {R * D}};
        snprintf(what, sizeof what, "reshape %dx%d -> %d", R, D, R * D);
        check(what, f_reshape, 1, (vt_tensor *[]){leaf(R, D, -2, 2)}, &flat);
        extra three = {.ndim = 3, .shape = {D, 1, R}};
        snprintf(what, sizeof what, "reshape %dx%d -> %dx1x%d", R, D, D, R);
        check(what, f_reshape, 1, (vt_tensor *[]){leaf(R, D, -2, 2)}, &three);

        extra rep = {.i = 3};
        snprintf(what, sizeof what, "repeat_rows %dx%d x3", R, D);
        check(what, f_repeat_rows, 1, (vt_tensor *[]){leaf(R, D, -2, 2)}, &rep);
    }
}

/* ------------------------------------------------------------------ sampling */

FN(f_reparam_diag, vt_reparam_diag(c, in[0], in[1], x->k[0]))
FN(f_reparam_fullcov, vt_reparam_fullcov(c, in[0], in[1], in[2], x->k[0]))
FN(f_fullcov_logq_rows, vt_fullcov_logq_rows(c, x->k[0], in[0]))

Test(gradcheck_ops, sampling_nodes) {
    shape2 sh[4];
    shapes(sh);
    for (int i = 0; i < 4; i++) {
        int B = sh[i].rows, Z = sh[i].cols;
        char what[96];
        extra e = {.k = {constant(B, Z, -2, 2)}};
        snprintf(what, sizeof what, "reparam_diag %dx%d", B, Z);
        check(what, f_reparam_diag, 2, (vt_tensor *[]){leaf(B, Z, -2, 2), leaf(B, Z, -1, 1)}, &e);

        e = (extra){.k = {constant(B, Z, -2, 2)}};
        snprintf(what, sizeof what, "reparam_fullcov B=%d Z=%d", B, Z);
        check(what, f_reparam_fullcov, 3,
              (vt_tensor *[]){leaf(B, Z, -2, 2), leaf(B, Z, -1, 1), leaf(B, Z * Z, -1, 1)}, &e);

        e = (extra){.k = {constant(B, Z, -2, 2)}};
        snprintf(what, sizeof what, "fullcov_logq_rows %dx%d", B, Z);
        check(what, f_fullcov_logq_rows, 1, (vt_tensor *[]){leaf(B, Z, -1, 1)}, &e);
    }
}

/* ------------------------------------------------------------------ densities, KL */

FN(f_bce_logits_rows, vt_bce_logits_rows(c, in[0], x->k[0]))
FN(f_bernoulli_logprob_rows, vt_bernoulli_logprob_rows(c, in[0], x->k[0]))
FN(f_normal_logprob_rows, vt_normal_logprob_rows(c, in[0], in[1], in[2]))
FN(f_std_normal_logprob_rows, vt_std_normal_logprob_rows(c, in[0]))
FN(f_kl_normal_std_rows, vt_kl_normal_std_rows(c, in[0], in[1]))
FN(f_kl_normal_normal_rows, vt_kl_normal_normal_rows(c, in[0], in[1], in[2], in[3]))
FN(f_mog_logprob_rows, vt_mog_logprob_rows(c, in[0], in[1], in[2], in[3]))

Test(gradcheck_ops, densities_and_kl) {
    shape2 sh[4];
    shapes(sh);
    for (int i = 0; i < 4; i++) {
        int R = sh[i].rows, D = sh[i].cols;
        char what[96];
        extra e = {.k = {constant(R, D, 0, 1)}};
        snprintf(what, sizeof what, "bce_logits_rows %dx%d", R, D);
        check(what, f_bce_logits_rows, 1, (vt_tensor *[]){leaf(R, D, -4, 4)}, &e);
        e = (extra){.k = {constant(R, D, 0, 1)}};
        snprintf(what, sizeof what, "bernoulli_logprob_rows %dx%d", R, D);
        check(what, f_bernoulli_logprob_rows, 1, (vt_tensor *[]){leaf(R, D, -4, 4)}, &e);

        snprintf(what, sizeof what, "normal_logprob_rows %dx%d", R, D);
        check(what, f_normal_logprob_rows, 3,
              (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, D, -2, 2), leaf(R, D, -1, 1)}, NULL);
        snprintf(what, sizeof what, "normal_logprob_rows %dx%d, 1x%d mu/logsig", R, D, D);
        check(what, f_normal_logprob_rows, 3,
              (vt_tensor *[]){leaf(R, D, -2, 2), leaf(1, D, -2, 2), leaf(1, D, -1, 1)}, NULL);
        snprintf(what, sizeof what, "std_normal_logprob_rows %dx%d", R, D);
        check(what, f_std_normal_logprob_rows, 1, (vt_tensor *[]){leaf(R, D, -2, 2)}, NULL);

        snprintf(what, sizeof what, "kl_normal_std_rows %dx%d", R, D);
        check(what, f_kl_normal_std_rows, 2,
              (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, D, -1, 1)}, NULL);
        snprintf(what, sizeof what, "kl_normal_normal_rows %dx%d", R, D);
        check(what, f_kl_normal_normal_rows, 4,
              (vt_tensor *[]){leaf(R, D, -2, 2), leaf(R, D, -1, 1), leaf(R, D, -2, 2),
                              leaf(R, D, -1, 1)}, NULL);

        int C = i & 1 ? 1 : 3;
        snprintf(what, sizeof what, "mog_logprob_rows %dx%d, C=%d", R, D, C);
        check(what, f_mog_logprob_rows, 4,
              (vt_tensor *[]){leaf(R, D, -2, 2), leaf(1, C, -1, 1), leaf(C, D, -1, 1),
                              leaf(C, D, -0.5f, 0.5f)}, NULL);
    }
}

/* ------------------------------------------------------------------ layers */

FN(f_gated_linear, vt_gated_linear(c, in[0], in[1], in[2], in[3], in[4]))

Test(gradcheck_ops, gated_linear) {
    for (int m = 0; m < 8; m++) {
        int B = m & 1 ? rand_dim() : 1, I = m & 2 ? rand_dim() : 1, H = m & 4 ? rand_dim() : 1;
        char what[96];
        snprintf(what, sizeof what, "gated_linear %dx%d -> %d", B, I, H);
        check(what, f_gated_linear, 5,
              (vt_tensor *[]){leaf(B, I, -1, 1), leaf(I, H, -1, 1), leaf(1, H, -1, 1),
                              leaf(I, H, -1, 1), leaf(1, H, -1, 1)}, NULL);
    }
}

/* A small VAE step: 2-layer encoder, reparameterized sample from the context's own
 * noise (vt_gradcheck pins the noise step, so every evaluation sees the same eps),
 * Bernoulli decoder, analytic KL. */
static vt_tensor *f_vae(vt_ctx *c, vt_tensor *const *p, void *user) {
    extra *x = user;
    vt_tensor *data = x->k[0];
    vt_tensor *h = vt_tanh(c, vt_linear(c, data, p[0], p[1]));
    vt_tensor *mu = vt_linear(c, h, p[2], p[3]);
    vt_tensor *logsig = vt_scale(c, vt_linear(c, h, p[4], p[5]), 0.5f);
    vt_tensor *eps = vt_randn(c, vt_rows(mu), vt_cols(mu));
    vt_tensor *z = vt_reparam_diag(c, mu, logsig, eps);
    vt_tensor *logits = vt_linear(c, vt_relu(c, z), p[6], p[7]);
    vt_tensor *loss_rows = vt_add(c, vt_bce_logits_rows(c, logits, data),
                                  vt_kl_normal_std_rows(c, mu, logsig));
    return vt_mean(c, loss_rows);
}

Test(gradcheck_ops, composite_vae_step) {
    int B = 4, D = 5, H = 4, Z = 2;
    extra x = {.k = {constant(B, D, 0, 1)}};
    vt_tensor *p[8] = {leaf(D, H, -0.8f, 0.8f), leaf(1, H, -0.3f, 0.3f),
                       leaf(H, Z, -0.8f, 0.8f), leaf(1, Z, -0.3f, 0.3f),
                       leaf(H, Z, -0.8f, 0.8f), leaf(1, Z, -0.3f, 0.3f),
                       leaf(Z, D, -0.8f, 0.8f), leaf(1, D, -0.3f, 0.3f)};
    check("composite VAE step", f_vae, 8, p, &x);
}

/* ------------------------------------------------------------------ the check can fail */

/* y = 2x, recorded with vt_record like any user op; `factor` is what backward uses. */
typedef struct doubling { float factor; } doubling;

static void double_backward(vt_ctx *ctx, vt_node *node) {
    float factor = ((doubling *)node->aux)->factor;
    float *gx = vt_grad(ctx, node->in[0]);
    if (!gx) return;
    for (size_t i = 0; i < vt_numel(node->out); i++) gx[i] += factor * node->out->grad[i];
}

static vt_tensor *f_double(vt_ctx *c, vt_tensor *const *in, void *user) {
    vt_tensor *x = in[0];
    vt_tensor *y = vt_op_output(c, x->ndim, x->shape, 1, &x);
    if (vt_ctx_error(c)) return y;
    for (size_t i = 0; i < vt_numel(x); i++) y->data[i] = 2.0f * x->data[i];
    vt_node *node = vt_record(c, "double", y, double_backward, 1, &x, sizeof(doubling));
    if (node) ((doubling *)node->aux)->factor = *(float *)user;
    return y;
}

static int run_double(float factor, vt_gradcheck_report *rep) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *x = leaf(2, 3, -1, 1);
    int ok = vt_gradcheck(ctx, f_double, 1, &x, &factor, &OPTS, rep);
    vt_leaf_free(x);
    vt_ctx_free(ctx);
    return ok;
}

Test(gradcheck_ops, correct_custom_op_passes) {
    vt_gradcheck_report rep;
    cr_expect(run_double(2.0f, &rep), "%s max abs %g", rep.error, rep.max_abs_err);
    cr_expect_eq(rep.checked, 6);
}

Test(gradcheck_ops, wrong_backward_is_caught) {
    vt_gradcheck_report rep;
    cr_expect_not(run_double(2.2f, &rep), "a backward 10%% too large passed");
    cr_expect_eq(rep.ok, 0);
    cr_expect_eq(rep.error[0], '\0', "not an error, a mismatch: %s", rep.error);
    cr_expect(fabs(rep.worst_analytic / rep.worst_numeric - 1.1) < 1e-3, "num %g ana %g",
              rep.worst_numeric, rep.worst_analytic);
}

FN(f_bad_shapes, vt_add(c, in[0], in[1]))

Test(gradcheck_ops, op_error_is_reported_not_fatal) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *in[2] = {leaf(2, 3, -1, 1), leaf(3, 2, -1, 1)};
    vt_gradcheck_report rep;
    cr_expect_not(vt_gradcheck(ctx, f_bad_shapes, 2, in, NULL, NULL, &rep));
    cr_expect_neq(rep.error[0], '\0', "the op's error message should be in the report");
    cr_expect_null(vt_ctx_error(ctx), "gradcheck leaves the context clean");
    vt_leaf_free(in[0]);
    vt_leaf_free(in[1]);
    vt_ctx_free(ctx);
}

/* Parameters of a vt_store are valid gradcheck inputs too (they outlive resets). */
Test(gradcheck_ops, store_parameters_as_inputs) {
    vt_store *s = vt_store_new();
    vt_tensor *p[3] = {vt_store_param(s, "x", 2, (int[]){3, 4}, NULL),
                       vt_store_param(s, "w", 2, (int[]){4, 2}, NULL),
                       vt_store_param(s, "b", 2, (int[]){1, 2}, NULL)};
    for (int i = 0; i < 3; i++) {
        cr_assert_not_null(p[i]);
        vt_test_fill_uniform(p[i]->data, vt_numel(p[i]), -1, 1, next_seed++);
    }
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_gradcheck_report rep;
    cr_expect(vt_gradcheck(ctx, f_linear, 3, p, NULL, &OPTS, &rep),
              "%s num %g ana %g", rep.error, rep.worst_numeric, rep.worst_analytic);
    cr_expect_eq(rep.checked, 12 + 8 + 2);
    vt_ctx_free(ctx);
    vt_store_free(s);
}
