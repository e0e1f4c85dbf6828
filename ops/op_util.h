/* Helpers shared by the built-in ops (private to ops/). They use only the public
 * tape API, exactly as a user-defined op would. */
#ifndef VT_OPS_UTIL_H
#define VT_OPS_UTIL_H

#include "vtape/core.h"
#include "vtape/ops.h"

/* Elements per parallel chunk: large enough that waking a worker pays off. */
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
