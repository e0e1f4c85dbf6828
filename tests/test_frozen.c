/* Frozen-parameter mode (vt_set_params_frozen): ops recorded while it is on pass no
 * gradient to parameters (persistent tensors: a store's, vt_leaf_new's) and the usual
 * gradient to everything else; an op whose only differentiable inputs are parameters
 * records nothing; the mode ends with vt_ctx_reset. */
#include <criterion/criterion.h>
#include "vtape/vtape.h"

Test(frozen, parameters_take_no_gradient_other_inputs_do) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_store *s = vt_store_new();
    vt_tensor *w = vt_store_param(s, "w", 2, (int[]){2, 1}, NULL);
    w->data[0] = 3, w->data[1] = -1;
    vt_tensor *leaf = vt_leaf_new(2, (int[]){1, 1}, (float[]){2});
    /* z = u² on the tape (not persistent), u an arena leaf */
    vt_tensor *u = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, 2}, (float[]){1, 2}));
    vt_tensor *z = vt_square(ctx, u);
    cr_assert_eq(vt_set_params_frozen(ctx, 1), 0);
    vt_tensor *y = vt_matmul(ctx, z, w);                       /* 1 x 1: 3·1 − 1·4 = −1 */
    vt_tensor *only_params = vt_mul(ctx, vt_reshape(ctx, w, 2, (int[]){1, 2}),
                                    vt_reshape(ctx, w, 2, (int[]){1, 2}));
    cr_assert(!vt_needs_grad(only_params), "an op of parameters alone records nothing");
    vt_tensor *out = vt_add(ctx, vt_mul(ctx, y, leaf), vt_sum(ctx, only_params));
    cr_assert_eq(vt_set_params_frozen(ctx, 0), 1);
    cr_assert_float_eq(out->data[0], -2.0f + 10.0f, 1e-6);
    cr_assert_eq(vt_backward(ctx, out, NULL), 0, "%s", vt_ctx_error(ctx));
    cr_assert_float_eq(w->grad[0], 0.0f, 0);
    cr_assert_float_eq(w->grad[1], 0.0f, 0);
    cr_assert_float_eq(leaf->grad[0], 0.0f, 0);
    /* d out / d u_j = leaf · w_j · 2 u_j: the path through z is kept */
    cr_assert_float_eq(u->grad[0], 2 * 3 * 2 * 1, 1e-5);
    cr_assert_float_eq(u->grad[1], 2 * -1 * 2 * 2, 1e-5);
    vt_leaf_free(leaf);
    vt_store_free(s);
    vt_ctx_free(ctx);
}

Test(frozen, reset_ends_the_mode_and_unfrozen_ops_are_unchanged) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    vt_tensor *leaf = vt_leaf_new(2, (int[]){1, 2}, (float[]){1, 2});
    vt_set_params_frozen(ctx, 1);
    vt_ctx_reset(ctx);
    cr_assert_eq(vt_set_params_frozen(ctx, 0), 0, "vt_ctx_reset turns the mode off");
    vt_tensor *y = vt_sum(ctx, vt_square(ctx, leaf));
    cr_assert_eq(vt_backward(ctx, y, NULL), 0);
    cr_assert_float_eq(leaf->grad[1], 4.0f, 1e-6);
    cr_assert_eq(vt_set_params_frozen(NULL, 1), 0);
    vt_leaf_free(leaf);
    vt_ctx_free(ctx);
}
