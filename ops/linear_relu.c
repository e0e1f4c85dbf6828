/* y = relu(x w + b) as one op: the GEMM's last pass over y adds the bias and applies the
 * rectifier, and the backward masks dy, sums the bias gradient and feeds both GEMMs
 * from one buffer. Saves vt_linear + vt_relu's extra B x H tensor, its
 * gradient, and two element-wise passes per hidden layer. */
#include "ops/gemm/gemm.h"
#include "ops/linear.h"
#include "vtape/opkit.h"

/* dz = dy where y > 0 (z = x w + b, y = relu(z): y > 0 exactly when z > 0);
 * dx += dz wᵀ, dw += xᵀ dz, db += Σ_rows dz. */
static void linear_relu_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    vt_tensor *y = node->out;
    int B = vt_rows(x), Din = vt_cols(x), H = vt_cols(w);
    float *gx = vt_grad(ctx, x), *gw = vt_grad(ctx, w), *gb = b ? vt_grad(ctx, b) : NULL;
    float *dz = vt_arena_alloc(ctx, (size_t)B * H * sizeof(float));
    if (!dz) return;   /* the context error is set */
    vt_linear_bias_grad(ctx, B, H, y->grad, y->data, dz, gb);
    if (gx) vt_sgemm_ctx(ctx, 0, 1, B, Din, H, dz, H, w->data, H, 1.0f, gx, Din);
    if (gw) vt_sgemm_ctx(ctx, 1, 0, Din, H, B, x->data, Din, dz, H, 1.0f, gw, H);
}

vt_tensor *vt_linear_relu(vt_ctx *ctx, vt_tensor *x, vt_tensor *w, vt_tensor *b) {
    const char *op = "vt_linear_relu";
    vt_tensor *y = vt_linear_unrecorded(ctx, op, x, w, b, 1);
    if (vt_is_poison(y)) return y;
    vt_record(ctx, op, y, linear_relu_backward, b ? 3 : 2, (vt_tensor *[]){x, w, b}, 0);
    return y;
}
