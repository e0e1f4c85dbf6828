/* Private to models/: the trace the estimators run a latent model through. */
#ifndef VT_MODELS_TRACE_INTERNAL_H
#define VT_MODELS_TRACE_INTERNAL_H

#include "vtape/elbo.h"
#include "vtape/trace.h"

typedef enum { VT_TRACE_GUIDE, VT_TRACE_REPLAY, VT_TRACE_GENERATE, VT_TRACE_RESCORE } vt_trace_mode;

struct vt_trace {
    vt_trace_mode mode;
    int k, rows;              /* K samples of R datapoints */
    int n_sites, n_model;     /* sites drawn by the guide; asked for by the model */
    vt_site site[VT_TRACE_MAX_SITES];
    vt_tensor *grad_scale;    /* DReG: K·R x 1 gradient weights of each sample, or NULL */
    int freeze_model;         /* PIWAE: the model's log-densities take no parameter gradient */
    const vt_model *m;        /* what vt_trace_run ran, for a second run of the model */
    vt_tensor *x, *c;
    /* STL/DReG with several sites: q_s rebuilt by a second run of the guide with its
     * parameters frozen, on the sites' values (vt_trace_rescore); NULL otherwise */
    vt_dist *q_fixed[VT_TRACE_MAX_SITES];
    int n_rescored;
};

void vt_trace_init(vt_trace *tr, vt_trace_mode mode, int k, int rows);
/* Run the guide then the model (replaying the guide's values); returns the likelihood,
 * or NULL with the context error set. Works for both ways of writing a model. */
vt_dist *vt_trace_run(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c,
                      vt_trace *tr);
/* Run the model again against the sites' values as they are now (the caller may have
 * replaced them, e.g. by detached copies): every site gets the new prior factor, and
 * the new likelihood is returned (NULL with the error set on failure). */
vt_dist *vt_trace_replay(vt_ctx *ctx, vt_trace *tr);
/* log d(v) for a factor of the model (likelihood or prior): with tr->freeze_model, with
 * parameters frozen (vt_set_params_frozen), so only the values take a gradient. */
vt_tensor *vt_trace_model_log_prob(vt_ctx *ctx, const vt_trace *tr, vt_dist *d, vt_tensor *v);
/* STL/DReG for guides of several sites: run the guide again with its parameters frozen
 * (vt_set_params_frozen), each vt_trace_sample returning the site's value instead of
 * drawing, and keep each factor it builds in q_fixed. A factor built from an earlier
 * site then depends on that site's value but not on the weights. 0, or −1 with the
 * context error set (also when the second run draws other sites than the first). */
int vt_trace_rescore(vt_ctx *ctx, vt_trace *tr);
/* vt_trace_sample during vt_trace_rescore. */
vt_tensor *vt_trace_rescore_site(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *q);
/* Run only the model, drawing every site from its prior (generation). */
vt_dist *vt_trace_generate(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr);
/* 1 when KL(q_s ‖ p_s) in closed form is the right term for site s: a rule exists and
 * every site the prior could depend on (asked for earlier by the model) was drawn
 * before s by the guide, so p_s is fixed given what q_s conditions on. */
int vt_trace_site_analytic_ok(const vt_trace *tr, int s);
/* The ordering half of that: every site p_s could depend on was drawn before s. */
int vt_trace_site_order_ok(const vt_trace *tr, int s);

#endif
