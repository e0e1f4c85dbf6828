/* Shape ops: concat and slice of columns, reshape, repeat of rows. */
#include "vtape/opkit.h"
#include <string.h>

/* ---- [a | b] ---- */
static void concat_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
    int R = vt_rows(a), ca = vt_cols(a), cb = vt_cols(b), C = ca + cb;
    float *ga = vt_grad(ctx, a), *gb = vt_grad(ctx, b);
    for (int r = 0; r < R; r++) {
        const float *g = y->grad + (size_t)r * C;
        if (ga) for (int c = 0; c < ca; c++) ga[(size_t)r * ca + c] += g[c];
        if (gb) for (int c = 0; c < cb; c++) gb[(size_t)r * cb + c] += g[ca + c];
    }
}

vt_tensor *vt_concat_cols(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) {
    const char *op = "vt_concat_cols";
    vt_tensor *in[2] = {a, b};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    int R = vt_rows(a), ca = vt_cols(a), cb = vt_cols(b);
    if (vt_rows(b) != R) {
        char sa[48], sb[48];
        return vt_fail(ctx, "%s: row counts differ: a is %s, b is %s", op, vt_shape_str(a, sa),
                       vt_shape_str(b, sb));
    }
    vt_tensor *y = vt_out2(ctx, R, ca + cb, 2, in);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        memcpy(y->data + (size_t)r * (ca + cb), a->data + (size_t)r * ca, ca * sizeof(float));
        memcpy(y->data + (size_t)r * (ca + cb) + ca, b->data + (size_t)r * cb, cb * sizeof(float));
    }
    vt_record(ctx, op, y, concat_backward, 2, in, 0);
    return y;
}

/* ---- x[:, start : start + len] ---- */
typedef struct { int start; } slice_aux;

static void slice_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *y = node->out;
    int start = ((const slice_aux *)node->aux)->start;
    int R = vt_rows(x), C = vt_cols(x), L = vt_cols(y);
    float *gx = vt_grad(ctx, x);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < L; c++) gx[(size_t)r * C + start + c] += y->grad[(size_t)r * L + c];
}

vt_tensor *vt_slice_cols(vt_ctx *ctx, vt_tensor *x, int start, int len) {
    const char *op = "vt_slice_cols";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x);
    if (start < 0 || len < 1 || start > C - len) {
        char s[48];
        return vt_fail(ctx, "%s: columns [%d, %d) are outside x of %s", op, start, start + len,
                       vt_shape_str(x, s));
    }
    vt_tensor *y = vt_out2(ctx, R, len, 1, &x);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++)
        memcpy(y->data + (size_t)r * len, x->data + (size_t)r * C + start, len * sizeof(float));
    vt_node *node = vt_record(ctx, op, y, slice_backward, 1, &x, sizeof(slice_aux));
    if (node) ((slice_aux *)node->aux)->start = start;
    return y;
}

/* ---- reshape: shares the data; the gradient is passed through unchanged ---- */
static void reshape_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0];
    float *gx = vt_grad(ctx, x);
    size_t n = vt_numel(x);
    for (size_t i = 0; i < n; i++) gx[i] += node->out->grad[i];
}

vt_tensor *vt_reshape(vt_ctx *ctx, vt_tensor *x, int ndim, const int *shape) {
    const char *op = "vt_reshape";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    size_t n = ndim <= VT_MAX_DIMS ? vt_shape_numel(ndim, shape) : 0;   /* 0: bad or too big */
    if (!shape || ndim < 1 || ndim > VT_MAX_DIMS || n != vt_numel(x)) {
        char s[48];
        return vt_fail(ctx, "%s: cannot reshape %s (%zu elements) to %d dims of %zu elements",
                       op, vt_shape_str(x, s), vt_numel(x), ndim, n);
    }
    vt_tensor *y = vt_tensor_wrap(ctx, ndim, shape, x->data);
    if (vt_is_poison(y)) return y;
    y->flags &= ~(uint32_t)VT_EXTERNAL;
    if (vt_grad_enabled(ctx) && vt_needs_grad(x)) y->flags |= VT_REQUIRES_GRAD;
    vt_record(ctx, op, y, reshape_backward, 1, &x, 0);
    return y;
}

/* ---- repeat rows k times: out row k·R + r = x row r ---- */
static void repeat_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *y = node->out;
    float *gx = vt_grad(ctx, x);
    size_t n = vt_numel(x), total = vt_numel(y);
    for (size_t i = 0; i < total; i++) gx[i % n] += y->grad[i];
}

vt_tensor *vt_repeat_rows(vt_ctx *ctx, vt_tensor *x, int k) {
    const char *op = "vt_repeat_rows";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x), KR = vt_sample_rows(ctx, op, k, R);
    if (KR == 0 || vt_shape_numel(2, (int[]){KR, C}) == 0) {
        char s[48];
        return vt_fail(ctx, "%s: %d copies of %s exceed %zu elements", op, k, vt_shape_str(x, s),
                       VT_MAX_NUMEL);
    }
    vt_tensor *y = vt_out2(ctx, KR, C, 1, &x);
    if (vt_is_poison(y)) return y;
    size_t n = vt_numel(x);
    for (int i = 0; i < k; i++) memcpy(y->data + (size_t)i * n, x->data, n * sizeof(float));
    vt_record(ctx, op, y, repeat_backward, 1, &x, 0);
    return y;
}
