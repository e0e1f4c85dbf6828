/* The trace: the guide draws named sites, the model pairs each with its prior factor.
 * A model given as the three one-latent callbacks runs as the one-site guide and model
 * below, so every estimator has a single path. */
#include "models/trace_internal.h"
#include "vtape/ops.h"
#include "vtape/stopgrad.h"
#include <string.h>

void vt_trace_init(vt_trace *tr, vt_trace_mode mode, int k, int rows) {
    memset(tr, 0, sizeof *tr);
    tr->mode = mode;
    tr->k = k;
    tr->rows = rows;
}

int vt_trace_samples(const vt_trace *tr) { return tr ? tr->k : 0; }
int vt_trace_rows(const vt_trace *tr) { return tr ? tr->rows : 0; }
int vt_trace_n_sites(const vt_trace *tr) { return tr ? tr->n_sites : 0; }
const vt_site *vt_trace_site(const vt_trace *tr, int i) {
    return tr && i >= 0 && i < tr->n_sites ? &tr->site[i] : NULL;
}

vt_tensor *vt_trace_expand(vt_ctx *ctx, const vt_trace *tr, vt_tensor *t) {
    if (!tr) return vt_fail(ctx, "vt_trace_expand: the trace is NULL");
    if (!vt_check(ctx, "vt_trace_expand", t)) return vt_fail(ctx, "vt_trace_expand: bad input");
    int rows = vt_rows(t), total;
    if (!vt_int_mul(tr->k, tr->rows, &total))
        return vt_fail(ctx, "vt_trace_expand: %d samples of %d rows overflow", tr->k, tr->rows);
    if (rows == total) return t;
    /* any other count would repeat into rows that are not sample-major datapoints */
    if (rows != tr->rows)
        return vt_fail(ctx, "vt_trace_expand: %d rows, expected the trace's %d datapoints (or "
                            "%d samples of them)", rows, tr->rows, total);
    return vt_repeat_rows(ctx, t, tr->k);
}

static vt_site *find(vt_trace *tr, const char *name) {
    for (int i = 0; i < tr->n_sites; i++)
        if (strcmp(tr->site[i].name, name) == 0) return &tr->site[i];
    return NULL;
}

/* Draws per parameter row so that d gives K·R rows, or 0 when it cannot. */
static int draws_for(const vt_trace *tr, const vt_dist *d) {
    int total;
    if (!vt_int_mul(tr->k, tr->rows, &total)) return 0;
    return d->rows > 0 && total % d->rows == 0 ? total / d->rows : 0;
}

static vt_tensor *draw(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *d, const char *who) {
    if (!vt_dist_ok(ctx, who, d)) return vt_fail(ctx, "%s: site %s has no distribution", who, name);
    int k = draws_for(tr, d);
    if (k < 1)
        return vt_fail(ctx, "%s: site %s: a %s over %d rows cannot give %d samples of %d rows",
                       who, name, d->ops->name, d->rows, tr->k, tr->rows);
    return vt_dist_rsample(ctx, d, k);
}

static vt_site *new_site(vt_ctx *ctx, vt_trace *tr, const char *name, const char *who) {
    if (!name || !*name) { vt_fail(ctx, "%s: a site needs a name", who); return NULL; }
    if (find(tr, name)) { vt_fail(ctx, "%s: site %s drawn twice", who, name); return NULL; }
    if (tr->n_sites == VT_TRACE_MAX_SITES) {
        vt_fail(ctx, "%s: more than %d latent sites", who, VT_TRACE_MAX_SITES);
        return NULL;
    }
    vt_site *s = &tr->site[tr->n_sites];
    *s = (vt_site){.name = name, .q_order = tr->n_sites, .p_order = -1};
    tr->n_sites++;
    return s;
}

vt_tensor *vt_trace_sample(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *q) {
    const char *who = "vt_trace_sample";
    if (tr && tr->mode == VT_TRACE_RESCORE) return vt_trace_rescore_site(ctx, tr, name, q);
    if (!tr || tr->mode != VT_TRACE_GUIDE)
        return vt_fail(ctx, "%s: site %s: only the guide draws sites", who, name ? name : "?");
    vt_site *s = new_site(ctx, tr, name, who);
    if (!s) return vt_fail(ctx, "%s: failed", who);
    vt_tensor *z = draw(ctx, tr, name, q, who);
    s->q = q;
    /* DReG: weight each sample's path gradient by its normalised importance weight. The
     * weighted view is what the model and log q see; the guide's later factors get z
     * itself, so a path through several sites is weighted once, not once per site. */
    s->z = z;
    if (tr->grad_scale && !(z->flags & VT_POISON)) s->z = vt_scale_grad_rows(ctx, z, tr->grad_scale);
    return z;
}

vt_tensor *vt_trace_latent(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *p) {
    const char *who = "vt_trace_latent";
    if (!tr || (tr->mode != VT_TRACE_REPLAY && tr->mode != VT_TRACE_GENERATE))
        return vt_fail(ctx, "%s: site %s: only the model gives priors", who, name ? name : "?");
    vt_site *s = tr->mode == VT_TRACE_REPLAY ? find(tr, name) : new_site(ctx, tr, name, who);
    if (!s) return vt_fail(ctx, "%s: site %s was not drawn by the guide", who, name ? name : "?");
    if (s->p) return vt_fail(ctx, "%s: site %s given two priors", who, name);
    if (!vt_dist_ok(ctx, who, p)) return vt_fail(ctx, "%s: site %s has no prior", who, name);
    s->p = p;
    s->p_order = tr->n_model++;
    if (tr->mode == VT_TRACE_GENERATE) s->z = draw(ctx, tr, name, p, who);
    return s->z;
}

int vt_trace_site_order_ok(const vt_trace *tr, int s) {
    const vt_site *a = &tr->site[s];
    for (int i = 0; i < tr->n_sites; i++) {
        const vt_site *b = &tr->site[i];
        if (b->p_order < a->p_order && b->q_order > a->q_order) return 0;
    }
    return 1;
}

int vt_trace_site_analytic_ok(const vt_trace *tr, int s) {
    const vt_site *a = &tr->site[s];
    return vt_kl_has_closed_form(a->q, a->p) && a->q->rows % a->p->rows == 0 &&
           vt_trace_site_order_ok(tr, s);
}

/* ---- the one-latent form: site "z" ---- */
static int one_site_guide(vt_ctx *ctx, const vt_model *g, vt_tensor *x, vt_tensor *c,
                          vt_trace *tr) {
    const vt_latent_model *m = g->self;
    vt_dist *q = m->posterior(ctx, m, x, c);
    if (!q) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the model gave no posterior");
        return -1;
    }
    vt_trace_sample(ctx, tr, "z", q);
    return vt_ctx_error(ctx) ? -1 : 0;
}

static vt_dist *one_site_model(vt_ctx *ctx, const vt_model *g, vt_tensor *c, vt_trace *tr) {
    const vt_latent_model *m = g->self;
    vt_dist *p = m->prior(ctx, m, tr->rows, c);
    if (!p) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the model gave no prior");
        return NULL;
    }
    vt_tensor *z = vt_trace_latent(ctx, tr, "z", p);
    if (vt_ctx_error(ctx)) return NULL;
    return m->likelihood(ctx, m, z, c);
}

vt_model vt_model_from_latent(const vt_latent_model *m) {
    return (vt_model){one_site_guide, one_site_model, (void *)m};
}

static int check_model(vt_ctx *ctx, const vt_model *m) {
    if (m && m->guide && m->model) {
        if (m->guide != one_site_guide) return 1;
        const vt_latent_model *lm = m->self;
        if (lm && lm->posterior && lm->prior && lm->likelihood) return 1;
    }
    vt_fail(ctx, "latent model: needs a guide and a model (or posterior, prior and likelihood)");
    return 0;
}

static vt_dist *run_model(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    int frozen = vt_set_params_frozen(ctx, tr->freeze_model);
    vt_dist *lik = m->model(ctx, m, c, tr);
    vt_set_params_frozen(ctx, frozen);
    if (!lik && !vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the model gave no likelihood");
    return vt_ctx_error(ctx) ? NULL : lik;
}

vt_tensor *vt_trace_model_log_prob(vt_ctx *ctx, const vt_trace *tr, vt_dist *d, vt_tensor *v) {
    int frozen = vt_set_params_frozen(ctx, tr->freeze_model);
    vt_tensor *lp = vt_dist_log_prob(ctx, d, v);
    vt_set_params_frozen(ctx, frozen);
    return lp;
}

/* Every site drawn by the guide has a prior: else the model skipped one. */
static vt_dist *check_priors(vt_ctx *ctx, vt_trace *tr, vt_dist *lik) {
    for (int i = 0; lik && i < tr->n_sites; i++)
        if (!tr->site[i].p) {
            vt_fail(ctx, "vt_elbo: site %s has no prior (the model never asked for it)",
                    tr->site[i].name);
            return NULL;
        }
    return lik;
}

vt_dist *vt_trace_replay(vt_ctx *ctx, vt_trace *tr) {
    tr->mode = VT_TRACE_REPLAY;
    tr->n_model = 0;
    for (int i = 0; i < tr->n_sites; i++) tr->site[i].p = NULL, tr->site[i].p_order = -1;
    vt_ctx_set_scope(ctx, "model: prior p(z) and likelihood p(x|z)");
    vt_dist *lik = run_model(ctx, tr->m, tr->c, tr);
    vt_ctx_set_scope(ctx, NULL);
    return check_priors(ctx, tr, lik);
}

vt_dist *vt_trace_run(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c,
                      vt_trace *tr) {
    if (!check_model(ctx, m)) return NULL;
    tr->mode = VT_TRACE_GUIDE;
    tr->m = m, tr->x = x, tr->c = c;
    vt_ctx_set_scope(ctx, "guide: posterior q(z|x) and its samples");
    int rc = m->guide(ctx, m, x, c, tr);
    if (rc != 0 || vt_ctx_error(ctx)) {
        if (!vt_ctx_error(ctx)) vt_fail(ctx, "vt_elbo: the guide failed");
        return NULL;
    }
    if (tr->n_sites == 0) {
        vt_fail(ctx, "vt_elbo: the guide drew no latent site");
        return NULL;
    }
    return vt_trace_replay(ctx, tr);
}

vt_dist *vt_trace_generate(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr) {
    if (!check_model(ctx, m)) return NULL;
    tr->mode = VT_TRACE_GENERATE;
    return run_model(ctx, m, c, tr);
}
