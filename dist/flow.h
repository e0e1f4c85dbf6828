/* Private to dist/: what the flow families share. */
#ifndef VT_DIST_FLOW_H
#define VT_DIST_FLOW_H

#include "dist/internal.h"
#include "vtape/flows.h"

/* The flow's state for one step: the base, the steps' parameters, log q of the last
 * sample. */
typedef struct {
    int depth;
    const void *steps;       /* IAF: the MADEs */
    vt_tensor *context;      /* IAF: the MADEs' context h (R rows), or NULL */
    vt_tensor *log_q;        /* of d->sample */
    vt_tensor *z0, *log_q0;  /* the base draw behind d->sample and log q0(z0) */
} vt_flow_aux;

vt_dist *vt_flow_new(vt_ctx *ctx, const char *op, const vt_dist_ops *ops, vt_tensor *mu,
                     vt_tensor *logsig, int depth, const void *steps);
/* z0 ~ q0 with k draws per row; log q0(z0) into aux->log_q (and aux->log_q0). */
vt_tensor *vt_flow_base_sample(vt_ctx *ctx, vt_dist *d, int k);
vt_tensor *vt_flow_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *z);

#endif
