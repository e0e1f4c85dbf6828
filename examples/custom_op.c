/* A user-defined op in one file: the scaled ELU
 *     selu(x) = λ x                 for x > 0
 *             = λ α (exp(x) − 1)    otherwise
 * written with the op kit (vtape/opkit.h) exactly as vtape's own ops are: check the
 * inputs, make the output, compute it, record the node — then checked against finite
 * differences with vt_gradcheck. */
#include <math.h>
#include <stdio.h>
#include "vtape/opkit.h"
#include "vtape/vtape.h"

static const float LAMBDA = 1.0507009873554805f, ALPHA = 1.6732632423543772f;

/* dy/dx = λ for x > 0, else λ α exp(x) = y + λ α */
static void selu_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *y = node->out;
    float *gx = vt_grad(ctx, x);   /* NULL when x takes no gradient */
    if (!gx) return;
    for (size_t i = 0; i < vt_numel(x); i++)
        gx[i] += y->grad[i] * (x->data[i] > 0 ? LAMBDA : y->data[i] + LAMBDA * ALPHA);
}

static vt_tensor *selu(vt_ctx *ctx, vt_tensor *x) {
    const char *op = "selu";
    if (!vt_check_all(ctx, op, 1, &x)) return vt_poison(ctx, op);   /* NULL, poison, stale */
    vt_tensor *y = vt_out_like(ctx, x, 1, &x);                       /* arena; grad flag */
    if (vt_is_poison(y)) return y;
    for (size_t i = 0; i < vt_numel(x); i++) {
        float v = x->data[i];
        y->data[i] = v > 0 ? LAMBDA * v : LAMBDA * ALPHA * expm1f(v);
    }
    vt_record(ctx, op, y, selu_backward, 1, &x, 0);   /* no-op when nothing needs a gradient */
    return y;
}

/* The function checked: the row sums of selu(x) ⊙ w. */
static vt_tensor *model(vt_ctx *ctx, vt_tensor *const *in, void *user) {
    return vt_sum_rows(ctx, vt_mul(ctx, selu(ctx, in[0]), in[1]));
}

int main(void) {
    float xs[12], ws[12];
    vt_philox_normal(1, 0, 0, 0, 12, xs);
    vt_philox_normal(1, 0, 1, 0, 12, ws);
    /* SELU's slope jumps at 0 (λα vs λ): keep x clear of the finite-difference step. */
    for (int i = 0; i < 12; i++) xs[i] += xs[i] >= 0 ? 0.1f : -0.1f;
    vt_tensor *x = vt_leaf_new(2, (int[]){4, 3}, xs), *w = vt_leaf_new(2, (int[]){4, 3}, ws);
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_gradcheck_report r;
    vt_gradcheck(ctx, model, 2, (vt_tensor *[]){x, w}, NULL, NULL, &r);
    printf("selu gradient check: %s (worst abs err %.2e, rel err %.2e over %zu elements)\n",
           r.ok ? "ok" : "FAILED", r.max_abs_err, r.max_rel_err, r.checked);
    if (!r.ok && r.error[0]) printf("error: %s\n", r.error);
    vt_ctx_free(ctx);
    vt_leaf_free(x);
    vt_leaf_free(w);
    return r.ok ? 0 : 1;
}
