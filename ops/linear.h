/* Private to ops/: the forward of a linear layer, shared by vt_linear and the fused
 * vt_linear_relu, which record their own backward. */
#ifndef VT_OPS_LINEAR_H
#define VT_OPS_LINEAR_H

#include "vtape/opkit.h"

/* y = x @ w + b (b may be NULL) with the checks of vt_linear, named `op`; nothing is
 * recorded. A poison tensor on error. */
vt_tensor *vt_linear_unrecorded(vt_ctx *ctx, const char *op, vt_tensor *x, vt_tensor *w,
                                vt_tensor *b);

#endif
