/* Stop-gradient (detach), per-row gradient scaling, straight-through. */
#include "vtape/stopgrad.h"
#include "vtape/opkit.h"

vt_tensor *vt_detach(vt_ctx *ctx, vt_tensor *x) {
    if (!vt_check(ctx, "vt_detach", x)) return vt_poison(ctx, "vt_detach");
    /* a new header over the same data, marked external: the arena never frees it and
     * it takes no gradient */
    return vt_tensor_wrap(ctx, x->ndim, x->shape, x->data);
}

static void scale_grad_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *s = node->aux ? *(vt_tensor **)node->aux : NULL, *y = node->out;
    float *gx = vt_grad(ctx, x);
    if (!gx || !s) return;
    int R = vt_rows(x), C = vt_cols(x);
    for (int r = 0; r < R; r++) {
        float w = s->data[r];
        for (int c = 0; c < C; c++) gx[(size_t)r * C + c] += w * y->grad[(size_t)r * C + c];
    }
}

vt_tensor *vt_scale_grad_rows(vt_ctx *ctx, vt_tensor *x, vt_tensor *scale) {
    const char *op = "vt_scale_grad_rows";
    vt_tensor *in[2] = {x, scale};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (vt_rows(scale) != vt_rows(x) || vt_cols(scale) != 1) {
        char a[48], b[48];
        return vt_fail(ctx, "%s: x %s, scale %s (need R x 1)", op, vt_shape_str(x, a),
                       vt_shape_str(scale, b));
    }
    vt_tensor *y = vt_out_like(ctx, x, 1, &x);
    if (vt_is_poison(y)) return y;
    for (size_t i = 0; i < vt_numel(x); i++) y->data[i] = x->data[i];
    vt_node *node = vt_record(ctx, op, y, scale_grad_backward, 1, &x, sizeof(vt_tensor *));
    if (node) *(vt_tensor **)node->aux = scale;
    return y;
}

/* ---- straight-through: the value of `hard`, the gradient of `soft` ---- */
static void straight_through_backward(vt_ctx *ctx, vt_node *node) {
    float *gs = vt_grad(ctx, node->in[0]);
    if (!gs) return;
    const float *gy = node->out->grad;
    for (size_t i = 0, n = vt_numel(node->out); i < n; i++) gs[i] += gy[i];
}

vt_tensor *vt_straight_through(vt_ctx *ctx, vt_tensor *hard, vt_tensor *soft) {
    const char *op = "vt_straight_through";
    vt_tensor *in[2] = {hard, soft};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    if (!vt_check_same_shape(ctx, op, "hard", hard, "soft", soft)) return vt_poison(ctx, op);
    /* copied, not computed as hard − soft + soft, so the forward is exactly hard */
    vt_tensor *y = vt_out_like(ctx, soft, 1, &soft);
    if (vt_is_poison(y)) return y;
    for (size_t i = 0; i < vt_numel(y); i++) y->data[i] = hard->data[i];
    vt_record(ctx, op, y, straight_through_backward, 1, &soft, 0);
    return y;
}
