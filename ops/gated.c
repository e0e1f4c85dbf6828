/* Gated linear unit: (x w1 + b1) ⊙ sigmoid(x w2 + b2), composed from recorded ops,
 * so its gradient needs no code of its own. */
#include "ops/op_util.h"

vt_tensor *vt_gated_linear(vt_ctx *ctx, vt_tensor *x, vt_tensor *w1, vt_tensor *b1,
                           vt_tensor *w2, vt_tensor *b2) {
    vt_tensor *value = vt_linear(ctx, x, w1, b1);
    vt_tensor *gate = vt_sigmoid(ctx, vt_linear(ctx, x, w2, b2));
    return vt_mul(ctx, value, gate);
}
