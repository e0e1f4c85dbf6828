/* vtape: reverse-mode automatic differentiation in C, with latent-variable models.
 * Include this one header for everything. Read this first.
 *
 * THE TAPE. Every differentiable op (vt_matmul, vt_softplus, vt_reparam_diag, ...) is a
 * C function that checks its inputs, computes its output at once, and — when an input
 * needs a gradient — records a node {backward, inputs, output} on the context's tape.
 * vt_backward(ctx, loss, NULL) walks the tape in reverse and adds each gradient into
 * its inputs. Nothing is model-specific: a VAE's ELBO gradients for encoder and
 * decoder come from backprop through the reparameterized sample z = mu + sigma * eps.
 *
 * MEMORY. Two owners, nothing else allocates:
 *   vt_ctx   — an arena for one step: every tensor, gradient, tape node and op scratch.
 *              vt_ctx_reset() drops them all in O(1); once the arena has grown to fit
 *              the largest step, a step makes zero heap calls. Tensors live one step.
 *   vt_store — the parameters: values, gradients and optimizer moments, each one
 *              contiguous block, so an update is one streaming pass and zeroing the
 *              gradients one memset. Parameter pointers stay valid across resets.
 *   Caller memory can be viewed without a copy (vt_tensor_wrap).
 *
 * ERRORS (vtape/error.h). Nothing exits or aborts on user error.
 *   With a vt_ctx: the first failing op sets the context's sticky error, naming the op
 *   and the shapes ("vt_matmul: inner dimensions differ: a is 2 x 3, b is 4 x 5"), and
 *   returns a poison tensor; later ops pass poison through silently and vt_backward
 *   returns -1. Check vt_ctx_error(ctx) once per step.
 *   Without one (files, data, configurations, optimizer, store): the call takes a
 *   `vt_error *err` last, returns NULL or a negative VT_E* code and fills err->msg with
 *   the file, offset or field and what was expected.
 *
 * A COMPLETE PROGRAM (examples/first_steps.c): fit y = 3x - 1 with Adam.
 *
 *     vt_error err;
 *     vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 1});
 *     vt_store *params = vt_store_new();
 *     vt_tensor *w = vt_store_param(params, "w", 2, (int[]){1, 1}, &err);
 *     vt_tensor *b = vt_store_param(params, "b", 2, (int[]){1, 1}, &err);
 *     vt_optim_config cfg = vt_optim_defaults(VT_ADAM);
 *     vt_optim *opt = vt_optim_new(params, &cfg, &err);
 *     for (int step = 0; step < 500; step++) {
 *         vt_ctx_reset(ctx);                          // O(1): drops the last step
 *         vt_tensor *x = vt_randn(ctx, 64, 1);        // noise keyed by (seed, step)
 *         vt_tensor *y = vt_add_scalar(ctx, vt_scale(ctx, x, 3.0f), -1.0f);
 *         vt_tensor *yhat = vt_linear(ctx, x, w, b);
 *         vt_tensor *loss = vt_mean(ctx, vt_square(ctx, vt_sub(ctx, yhat, y)));
 *         if (vt_backward(ctx, loss, NULL) != 0)
 *             return fprintf(stderr, "%s\n", vt_ctx_error(ctx)), 1;
 *         if (vt_optim_step(opt, 0.05f, &err) != 0)
 *             return fprintf(stderr, "%s\n", err.msg), 1;
 *         vt_store_zero_grad(params);
 *     }
 *
 * WHERE NEXT. core.h: context, tensors, parameters, tape, noise, threads. ops.h: the
 * built-in ops. opkit.h: writing your own op exactly as the built-ins are written.
 * dist.h: distribution families (rsample, log_prob, closed-form KL). elbo.h: latent
 * models and the ELBO estimators, importance-sampled log p(x). vae.h: the VAE family.
 * optim.h, checkpoint.h, data.h, gradcheck.h. docs/design.md and docs/models.md. */
#ifndef VTAPE_H
#define VTAPE_H

#include "vtape/core.h"
#include "vtape/ops.h"
#include "vtape/opkit.h"
#include "vtape/gradcheck.h"
#include "vtape/layers.h"
#include "vtape/dist.h"
#include "vtape/elbo.h"
#include "vtape/stopgrad.h"
#include "vtape/trace.h"
#include "vtape/optim.h"
#include "vtape/vae.h"
#include "vtape/checkpoint.h"
#include "vtape/data.h"
#include "vtape/diagnostics.h"

#endif
