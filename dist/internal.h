/* Private to dist/: what the family files share with the KL registry. */
#ifndef VT_DIST_INTERNAL_H
#define VT_DIST_INTERNAL_H

#include "vtape/dist.h"
#include "vtape/opkit.h"

/* Built-in closed-form KL rules, registered in dist/kl.c. */
vt_tensor *vt_kl_rule_normal_std(vt_ctx *ctx, vt_dist *q, vt_dist *p);
vt_tensor *vt_kl_rule_normal_normal(vt_ctx *ctx, vt_dist *q, vt_dist *p);
vt_tensor *vt_kl_fullcov_std(vt_ctx *ctx, vt_dist *q, vt_dist *p);
vt_tensor *vt_kl_concrete(vt_ctx *ctx, vt_dist *q, vt_dist *p);
vt_tensor *vt_kl_binary_concrete(vt_ctx *ctx, vt_dist *q, vt_dist *p);

/* 1 when every tensor may be used (else the context error names `op`). */
int vt_dist_params_ok(vt_ctx *ctx, const char *op, int n, vt_tensor *const *t);

#endif
