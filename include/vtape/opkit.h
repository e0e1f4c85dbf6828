/* The op kit: what every built-in op is written with, for writing your own.
 *
 * An op is a forward function and a backward function. The forward (1) checks its
 * inputs, (2) makes its output in the arena, (3) computes it, (4) records a node:
 *
 *     static void twice_backward(vt_ctx *ctx, vt_node *node) {
 *         vt_tensor *x = node->in[0], *y = node->out;
 *         float *gx = vt_grad(ctx, x);                 // NULL: x takes no gradient
 *         if (gx) for (size_t i = 0; i < vt_numel(x); i++) gx[i] += 2 * y->grad[i];
 *     }
 *     vt_tensor *twice(vt_ctx *ctx, vt_tensor *x) {
 *         const char *op = "twice";
 *         if (!vt_check_all(ctx, op, 1, &x)) return vt_poison(ctx, op);   // (1)
 *         vt_tensor *y = vt_out_like(ctx, x, 1, &x);                     // (2)
 *         if (vt_is_poison(y)) return y;
 *         for (size_t i = 0; i < vt_numel(x); i++) y->data[i] = 2 * x->data[i];   // (3)
 *         vt_record(ctx, op, y, twice_backward, 1, &x, 0);               // (4)
 *         return y;
 *     }
 *
 * A backward *adds* into the inputs' gradients (a value used twice gets the sum).
 * vt_record does nothing when no input needs a gradient or gradients are off, so the
 * forward never has to ask. Check a new op with vt_gradcheck (gradcheck.h);
 * examples/custom_op.c is a complete one. */
#ifndef VTAPE_OPKIT_H
#define VTAPE_OPKIT_H

#include "vtape/core.h"
#include "vtape/ops.h"

/* Elements per vt_parallel_for chunk: large enough that waking a worker pays off. */
#define VT_GRAIN 16384

/* Check every input; on failure the error is set and the caller returns poison. */
static inline int vt_check_all(vt_ctx *ctx, const char *op, int n, vt_tensor *const *in) {
    for (int i = 0; i < n; i++)
        if (!vt_check(ctx, op, in[i])) return 0;
    return 1;
}

/* A poison tensor (the context error is already set). */
static inline vt_tensor *vt_poison(vt_ctx *ctx, const char *op) {
    const char *e = vt_ctx_error(ctx);
    return vt_fail(ctx, "%s: failed (%s)", op, e ? e : "unknown");
}

static inline int vt_is_poison(const vt_tensor *t) { return (t->flags & VT_POISON) != 0; }

/* Parameters p shared by the rows of values v: same columns, and p's row count divides
 * v's (row i of v uses row i mod rows(p): a 1 x D row broadcasts, and K samples of R
 * datapoints reuse their datapoint's row). */
static inline int vt_shares_rows(const vt_tensor *p, const vt_tensor *v) {
    return vt_cols(p) == vt_cols(v) && vt_rows(v) % vt_rows(p) == 0;
}

/* Rows of k samples of `rows` rows each: k·rows, or 0 with the context error set when
 * k < 1 or the product passes INT_MAX (a 0-row shape then fails without a new message). */
static inline int vt_sample_rows(vt_ctx *ctx, const char *op, int k, int rows) {
    int n;
    if (k >= 1 && rows >= 1 && vt_int_mul(k, rows, &n)) return n;
    vt_fail(ctx, "%s: %d samples of %d rows (need k >= 1 and k x rows <= %d)", op, k, rows,
            INT_MAX);
    return 0;
}

/* a and b have the same rows x cols; else the error names op, what they are, and
 * both shapes ("vt_axpby: a 2 x 3 and b 3 x 2 differ"). */
static inline int vt_check_same_shape(vt_ctx *ctx, const char *op, const char *what_a,
                                      const vt_tensor *a, const char *what_b,
                                      const vt_tensor *b) {
    if (vt_rows(a) == vt_rows(b) && vt_cols(a) == vt_cols(b)) return 1;
    char sa[48], sb[48];
    vt_fail(ctx, "%s: %s %s and %s %s differ", op, what_a, vt_shape_str(a, sa), what_b,
            vt_shape_str(b, sb));
    return 0;
}

/* Output of R x C (ndim 2) for an op of inputs `in`. */
static inline vt_tensor *vt_out2(vt_ctx *ctx, int rows, int cols, int n, vt_tensor *const *in) {
    return vt_op_output(ctx, 2, (int[]){rows, cols}, n, in);
}

/* Output with the same shape as x. */
static inline vt_tensor *vt_out_like(vt_ctx *ctx, const vt_tensor *x, int n,
                                     vt_tensor *const *in) {
    return vt_op_output(ctx, x->ndim, x->shape, n, in);
}

#endif
