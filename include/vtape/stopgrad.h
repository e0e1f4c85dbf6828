/* Stopping and reweighting gradients on the tape: what the "sticking the landing" and
 * DReG gradient estimators need, and the straight-through estimator of discrete draws. */
#ifndef VTAPE_STOPGRAD_H
#define VTAPE_STOPGRAD_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The same values, cut from the tape: no gradient flows back through the result. No
 * copy (the result shares x's data). */
vt_tensor *vt_detach(vt_ctx *ctx, vt_tensor *x);
/* Identity forward; backward multiplies row i's gradient by scale[i]. scale (rows x 1)
 * is a constant read when vt_backward runs, so it may be filled after this call (DReG
 * fills it with importance weights computed further down the forward pass). */
vt_tensor *vt_scale_grad_rows(vt_ctx *ctx, vt_tensor *x, vt_tensor *scale);
/* Straight-through (Bengio et al. 2013; Jang et al. 2017): hard − stop(soft) + soft, with
 * the forward exactly hard (copied, so no rounding of the sum) and the backward the
 * identity into soft. hard takes no gradient; same shapes. */
vt_tensor *vt_straight_through(vt_ctx *ctx, vt_tensor *hard, vt_tensor *soft);

#ifdef __cplusplus
}
#endif
#endif
