/* Tensors carved from the arena, and the checks every op runs on its inputs. */
#include "core/internal.h"
#include <stdio.h>
#include <string.h>

static int shape_ok(int ndim, const int *shape) {
    return ndim >= 1 && ndim <= VT_MAX_DIMS && vt_shape_numel(ndim, shape) > 0;
}

static vt_tensor *new_header(vt_ctx *ctx, int ndim, const int *shape) {
    if (!ctx) return vt_null_ctx_poison();
    if (!shape_ok(ndim, shape)) {
        char buf[64] = "";
        int off = 0;
        for (int i = 0; shape && i < ndim && i < VT_MAX_DIMS && off < 48; i++)
            off += snprintf(buf + off, sizeof buf - off, i ? " x %d" : "%d", shape[i]);
        return vt_fail(ctx, "vt_tensor_new: bad shape [%s] (ndim %d; need 1..%d dims, each "
                       ">= 1, at most %zu elements in all)", buf, ndim, VT_MAX_DIMS, VT_MAX_NUMEL);
    }
    vt_tensor *t = vt_arena_alloc(ctx, sizeof *t);
    if (!t) return &ctx->poison;
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->gen = ctx->gen;
    return t;
}

vt_tensor *vt_tensor_new(vt_ctx *ctx, int ndim, const int *shape) {
    vt_tensor *t = new_header(ctx, ndim, shape);
    if (t->flags & VT_POISON) return t;
    t->data = vt_arena_alloc(ctx, vt_numel(t) * sizeof(float));   /* numel <= INT_MAX */
    return t->data ? t : &ctx->poison;
}

vt_tensor *vt_zeros(vt_ctx *ctx, int ndim, const int *shape) {
    vt_tensor *t = vt_tensor_new(ctx, ndim, shape);
    if (!(t->flags & VT_POISON)) memset(t->data, 0, vt_numel(t) * sizeof(float));
    return t;
}

vt_tensor *vt_mat(vt_ctx *ctx, int rows, int cols) {
    return vt_tensor_new(ctx, 2, (int[]){rows, cols});
}

vt_tensor *vt_from_data(vt_ctx *ctx, int ndim, const int *shape, const float *data) {
    if (!data) return vt_fail(ctx, "vt_from_data: data is NULL");
    vt_tensor *t = vt_tensor_new(ctx, ndim, shape);
    if (!(t->flags & VT_POISON)) memcpy(t->data, data, vt_numel(t) * sizeof(float));
    return t;
}

vt_tensor *vt_scalar(vt_ctx *ctx, float v) {
    return vt_from_data(ctx, 2, (int[]){1, 1}, &v);
}

vt_tensor *vt_tensor_wrap(vt_ctx *ctx, int ndim, const int *shape, float *data) {
    if (!data) return vt_fail(ctx, "vt_tensor_wrap: data is NULL");
    vt_tensor *t = new_header(ctx, ndim, shape);
    if (t->flags & VT_POISON) return t;
    t->data = data;
    t->flags |= VT_EXTERNAL;
    return t;
}

vt_tensor *vt_requires_grad(vt_tensor *t) {
    if (t && !(t->flags & VT_POISON)) t->flags |= VT_REQUIRES_GRAD;
    return t;
}

int vt_check(vt_ctx *ctx, const char *op, const vt_tensor *t) {
    if (!ctx) return 0;
    if (!op) op = "op";
    if (!t) {
        vt_fail(ctx, "%s: input tensor is NULL", op);
        return 0;
    }
    if (VT_RELEASED(t, sizeof *t)) {   /* sanitizer builds: its arena space was released */
        vt_fail(ctx, "%s: input tensor was made before vt_ctx_reset; tensors live for one "
                "step only", op);
        return 0;
    }
    if (t->flags & VT_POISON) {
        /* The op that made it has already set the error; just pass it on. */
        if (!ctx->has_error) vt_fail(ctx, "%s: input is the result of a failed op", op);
        return 0;
    }
    if (t->gen != 0 && t->gen != ctx->gen) {
        vt_fail(ctx, "%s: input tensor was made before vt_ctx_reset (generation %llu, "
                "context is at %llu); tensors live for one step only",
                op, (unsigned long long)t->gen, (unsigned long long)ctx->gen);
        return 0;
    }
    return 1;
}

const char *vt_shape_str(const vt_tensor *t, char *buf) {
    if (!t) {
        snprintf(buf, 48, "NULL");
        return buf;
    }
    int off = 0;
    for (int i = 0; i < t->ndim && i < VT_MAX_DIMS && off < 40; i++)
        off += snprintf(buf + off, 48 - off, i ? " x %d" : "%d", t->shape[i]);
    return buf;
}
