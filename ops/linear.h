/* Private to ops/: the forward of a linear layer, shared by vt_linear and the fused
 * vt_linear_relu, which record their own backward. */
#ifndef VT_OPS_LINEAR_H
#define VT_OPS_LINEAR_H

#include "vtape/opkit.h"

/* y = x @ w + b (b may be NULL), then max(y, 0) when relu, with the checks of vt_linear,
 * named `op`; nothing is recorded. A poison tensor on error. */
vt_tensor *vt_linear_unrecorded(vt_ctx *ctx, const char *op, vt_tensor *x, vt_tensor *w,
                                vt_tensor *b, int relu);

/* The element-wise part of a linear layer's backward, over column strips on ctx's pool:
 * when y is given, dz = dy where y > 0, else 0 (the rectifier's backward); then
 * db += Σ_rows dz (dz = dy without y), when db is not NULL. dy, y, dz: rows x cols. */
void vt_linear_bias_grad(vt_ctx *ctx, int rows, int cols, const float *dy, const float *y,
                         float *dz, float *db);

#endif
