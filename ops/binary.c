/* add, sub, mul of two tensors. `a` sets the shape; `b` is the same shape, a row
 * (1 x D, broadcast over rows), a column (R x 1) or a scalar (1 x 1). Backward sums
 * the gradient over the broadcast dimensions. */
#include "vtape/opkit.h"

enum { OP_ADD, OP_SUB, OP_MUL };
typedef struct { int kind; } binary_aux;
static const char *const NAMES[] = {"vt_add", "vt_sub", "vt_mul"};

/* Index of b for element (r, c) of a. */
static inline size_t bidx(int br, int bc, int r, int c) {
    return (size_t)(br == 1 ? 0 : r) * bc + (bc == 1 ? 0 : c);
}

typedef struct {
    int kind, R, C, br, bc;
    const float *a, *b;
    float *y;
} binary_job;

static void fwd_rows(void *arg, size_t r0, size_t r1) {
    const binary_job *j = arg;
    for (size_t r = r0; r < r1; r++) {
        const float *a = j->a + r * j->C;
        float *y = j->y + r * j->C;
        if (j->bc == j->C) {   /* contiguous b row: the common, vectorisable case */
            const float *b = j->b + (j->br == 1 ? 0 : r * j->C);
            if (j->kind == OP_ADD) for (int c = 0; c < j->C; c++) y[c] = a[c] + b[c];
            else if (j->kind == OP_SUB) for (int c = 0; c < j->C; c++) y[c] = a[c] - b[c];
            else for (int c = 0; c < j->C; c++) y[c] = a[c] * b[c];
        } else {
            float b = j->b[j->br == 1 ? 0 : r];
            if (j->kind == OP_ADD) for (int c = 0; c < j->C; c++) y[c] = a[c] + b;
            else if (j->kind == OP_SUB) for (int c = 0; c < j->C; c++) y[c] = a[c] - b;
            else for (int c = 0; c < j->C; c++) y[c] = a[c] * b;
        }
    }
}

static void binary_backward(vt_ctx *ctx, vt_node *node) {
    int kind = ((const binary_aux *)node->aux)->kind;
    vt_tensor *a = node->in[0], *b = node->in[1], *y = node->out;
    int R = vt_rows(a), C = vt_cols(a), br = vt_rows(b), bc = vt_cols(b);
    float *ga = vt_grad(ctx, a), *gb = vt_grad(ctx, b);
    const float *gy = y->grad;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            size_t i = (size_t)r * C + c, k = bidx(br, bc, r, c);
            float g = gy[i];
            if (ga) ga[i] += kind == OP_MUL ? g * b->data[k] : g;
            if (gb) gb[k] += kind == OP_MUL ? g * a->data[i] : kind == OP_SUB ? -g : g;
        }
}

static vt_tensor *binary(vt_ctx *ctx, int kind, vt_tensor *a, vt_tensor *b) {
    const char *op = NAMES[kind];
    vt_tensor *in[2] = {a, b};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    int R = vt_rows(a), C = vt_cols(a), br = vt_rows(b), bc = vt_cols(b);
    if ((br != R && br != 1) || (bc != C && bc != 1)) {
        char sa[48], sb[48];
        return vt_fail(ctx, "%s: shapes %s and %s do not match (b may be R x C, 1 x C, "
                       "R x 1 or 1 x 1)", op, vt_shape_str(a, sa), vt_shape_str(b, sb));
    }
    vt_tensor *y = vt_out_like(ctx, a, 2, in);
    if (vt_is_poison(y)) return y;
    binary_job j = {kind, R, C, br, bc, a->data, b->data, y->data};
    size_t grain = C >= VT_GRAIN ? 1 : VT_GRAIN / (size_t)C;
    vt_parallel_for(ctx, (size_t)R, grain, fwd_rows, &j);
    vt_node *node = vt_record(ctx, op, y, binary_backward, 2, in, sizeof(binary_aux));
    if (node) ((binary_aux *)node->aux)->kind = kind;
    return y;
}

vt_tensor *vt_add(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) { return binary(ctx, OP_ADD, a, b); }
vt_tensor *vt_sub(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) { return binary(ctx, OP_SUB, a, b); }
vt_tensor *vt_mul(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) { return binary(ctx, OP_MUL, a, b); }

/* ---- y = sa·a + sb·b ---- */
typedef struct { float sa, sb; } axpby_aux;

static void axpby_backward(vt_ctx *ctx, vt_node *node) {
    const axpby_aux *s = node->aux;
    vt_tensor *y = node->out;
    size_t n = vt_numel(y);
    float *ga = vt_grad(ctx, node->in[0]), *gb = vt_grad(ctx, node->in[1]);
    if (ga) for (size_t i = 0; i < n; i++) ga[i] += s->sa * y->grad[i];
    if (gb) for (size_t i = 0; i < n; i++) gb[i] += s->sb * y->grad[i];
}

vt_tensor *vt_axpby(vt_ctx *ctx, float sa, vt_tensor *a, float sb, vt_tensor *b) {
    const char *op = "vt_axpby";
    vt_tensor *in[2] = {a, b};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_check_same_shape(ctx, op, "a", a, "b", b)) return vt_poison(ctx, op);
    vt_tensor *y = vt_out_like(ctx, a, 2, in);
    if (vt_is_poison(y)) return y;
    size_t n = vt_numel(y);
    for (size_t i = 0; i < n; i++) y->data[i] = sa * a->data[i] + sb * b->data[i];
    vt_node *node = vt_record(ctx, op, y, axpby_backward, 2, in, sizeof(axpby_aux));
    if (node) *(axpby_aux *)node->aux = (axpby_aux){sa, sb};
    return y;
}
