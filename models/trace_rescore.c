/* log q with the guide's parameters held fixed, for "sticking the landing" (Roeder et
 * al. 2017) and DReG (Tucker et al. 2019) on guides of several sites.
 *
 * Both need ∂ log w / ∂z: the derivative with respect to the sample values with the
 * variational parameters φ (the weights) held fixed. For a factor q(z2 | z1) whose
 * parameters are a function h_φ(z1), log q(z1, z2) depends on z1 also through
 * h_φ(z1), and that dependence is part of the path derivative: only ∂/∂φ at fixed z
 * (the score, zero in expectation) is to be dropped. Detaching the factor's parameters
 * h_φ(z1) would drop both. (For STL the extra loss, −∂ log q(z2|z1)/∂z1 · dz1/dφ, is
 * itself zero in expectation, so that estimator stays unbiased but is no longer exactly
 * zero at the exact posterior; for DReG it is multiplied by w̃², which depends on z2,
 * and the result is in general biased.) So the guide is run a second time with its
 * parameters frozen, on the sites' values: each factor's parameters are rebuilt as
 * functions of the earlier sites' values with φ constant. */
#include "models/trace_internal.h"
#include <string.h>

vt_tensor *vt_trace_rescore_site(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *q) {
    const char *who = "vt_trace_sample";
    int i = tr->n_rescored;
    if (i >= tr->n_sites || !name || strcmp(tr->site[i].name, name) != 0)
        return vt_fail(ctx, "%s: the guide's second run (to score log q with its parameters "
                            "fixed, for STL/DReG) drew site %s where the first drew %s: the "
                            "guide must draw the same sites in the same order every time", who,
                       name ? name : "?", i < tr->n_sites ? tr->site[i].name : "nothing");
    if (!vt_dist_ok(ctx, who, q)) return vt_fail(ctx, "%s: site %s has no distribution", who, name);
    tr->q_fixed[i] = q;
    tr->n_rescored++;
    return tr->site[i].z;
}

int vt_trace_rescore(vt_ctx *ctx, vt_trace *tr) {
    tr->mode = VT_TRACE_RESCORE;
    tr->n_rescored = 0;
    vt_ctx_set_scope(ctx, "guide, second run: log q with its parameters fixed (STL/DReG)");
    int frozen = vt_set_params_frozen(ctx, 1);
    int rc = tr->m->guide(ctx, tr->m, tr->x, tr->c, tr);
    vt_set_params_frozen(ctx, frozen);
    vt_ctx_set_scope(ctx, NULL);
    tr->mode = VT_TRACE_REPLAY;
    if (rc != 0 || vt_ctx_error(ctx)) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the guide's second run failed");
        return -1;
    }
    if (tr->n_rescored != tr->n_sites) {
        vt_fail(ctx, "vt_elbo: the guide's second run (STL/DReG) drew %d sites, the first %d",
                tr->n_rescored, tr->n_sites);
        return -1;
    }
    return 0;
}
