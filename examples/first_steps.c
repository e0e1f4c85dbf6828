/* The example that opens include/vtape/vtape.h, as a program: fit y = 3x − 1 with one
 * linear layer and Adam. Exits 0 when the fitted weight and bias are within 0.05. */
#include <math.h>
#include <stdio.h>
#include "vtape/vtape.h"

int main(void) {
    vt_error err;
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 1});   /* per-step memory: an arena */
    vt_store *params = vt_store_new();                     /* parameters live here */
    vt_tensor *w = vt_store_param(params, "w", 2, (int[]){1, 1}, &err);
    vt_tensor *b = vt_store_param(params, "b", 2, (int[]){1, 1}, &err);
    vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(params, &cfg, &err);
    if (!w || !b || !opt) return fprintf(stderr, "%s\n", err.msg), 1;
    for (int step = 0; step < 500; step++) {
        vt_ctx_reset(ctx);                                 /* O(1): drops the last step */
        vt_tensor *x = vt_randn(ctx, 64, 1);               /* noise keyed by (seed, step) */
        vt_tensor *y = vt_add_scalar(ctx, vt_scale(ctx, x, 3.0f), -1.0f);
        vt_tensor *loss = vt_mean(ctx, vt_square(ctx, vt_sub(ctx, vt_linear(ctx, x, w, b), y)));
        if (vt_backward(ctx, loss, NULL) != 0)             /* errors name the op and shapes */
            return fprintf(stderr, "%s\n", vt_ctx_error(ctx)), 1;
        if (vt_optim_step(opt, 0.05f, &err) != 0) return fprintf(stderr, "%s\n", err.msg), 1;
        vt_store_zero_grad(params);
    }
    printf("w = %.3f (3), b = %.3f (-1)\n", w->data[0], b->data[0]);
    int ok = fabsf(w->data[0] - 3.0f) < 0.05f && fabsf(b->data[0] + 1.0f) < 0.05f;
    vt_optim_free(opt);
    vt_store_free(params);
    vt_ctx_free(ctx);
    return ok ? 0 : 1;
}
