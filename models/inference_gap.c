/* The inference-gap split of Cremer et al. 2018 (vtape/diagnostics.h): each point's
 * own diagonal Gaussian q_i, started at the encoder's output, is refined with Adam on
 * that point's ELBO while the decoder and prior stay fixed. All points are refined in
 * one batch: the loss is a sum of per-point terms, each depending only on its own
 * (μ_i, log σ_i), and Adam updates element-wise, so this is n independent E-steps.
 * Adam is written out here on the two parameter blocks (models/ sits below optim/). */
#include "vtape/diagnostics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A latent model whose posterior is the refined q_i of the rows it is given; prior and
 * likelihood are the VAE's. Rows are found from where x points into the data. */
typedef struct refined {
    vt_latent_model m;          /* first, so the callbacks can find the rest */
    vt_vae *v;
    const float *x;             /* the n x D data the chunks point into */
    int D, Z;
    vt_tensor *mu, *logsig;     /* n x Z parameters in their own store */
} refined;

static vt_dist *refined_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x, vt_tensor *c) {
    const refined *r = (const refined *)m;
    int R = vt_rows(x), i0 = (int)((x->data - r->x) / r->D);
    if (i0 == 0 && R == vt_rows(r->mu)) return vt_normal(ctx, r->mu, r->logsig);  /* with gradients */
    vt_tensor *mu = vt_tensor_wrap(ctx, 2, (int[]){R, r->Z}, r->mu->data + (size_t)i0 * r->Z);
    vt_tensor *ls = vt_tensor_wrap(ctx, 2, (int[]){R, r->Z}, r->logsig->data + (size_t)i0 * r->Z);
    return vt_normal(ctx, mu, ls);
}
static vt_dist *refined_prior(vt_ctx *ctx, const vt_latent_model *m, int rows, vt_tensor *c) {
    vt_vae *v = ((const refined *)m)->v;
    return v->model.prior(ctx, &v->model, rows, c);
}
static vt_dist *refined_likelihood(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *z, vt_tensor *c) {
    vt_vae *v = ((const refined *)m)->v;
    return v->model.likelihood(ctx, &v->model, z, c);
}

static vt_tensor *wrap_rows(vt_ctx *ctx, const float *p, int i0, int R, int cols) {
    return cols ? vt_tensor_wrap(ctx, 2, (int[]){R, cols}, (float *)p + (size_t)i0 * cols) : NULL;
}

/* Per-point ELBO of model m (K draws, closed-form KL where registered) into out. */
static int elbo_rows(vt_ctx *ctx, const vt_latent_model *m, const float *x, const float *c,
                     int n, int D, int C, int K, int chunk, double *out) {
    int per = chunk / K > 0 ? chunk / K : 1, prev = vt_set_grad_enabled(ctx, 0), rc = 0;
    vt_elbo_opts eo = vt_elbo_defaults();
    eo.k = K;
    for (int i0 = 0; i0 < n && rc == 0; i0 += per) {
        int R = n - i0 < per ? n - i0 : per;
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        rc = vt_elbo(ctx, m, wrap_rows(ctx, x, i0, R, D), wrap_rows(ctx, c, i0, R, C), &eo, &t);
        for (int r = 0; r < R && rc == 0; r++) out[i0 + r] = t.elbo_rows[r];
    }
    vt_set_grad_enabled(ctx, prev);
    return rc;
}

/* μ, log σ from the encoder into the refined model's parameters. */
static int init_from_encoder(vt_ctx *ctx, vt_vae *v, refined *r, const float *c, int n) {
    int prev = vt_set_grad_enabled(ctx, 0), C = v->cfg.n_classes;
    vt_ctx_reset(ctx);
    v->model.self = v;
    vt_dist *q = v->model.posterior(ctx, &v->model, wrap_rows(ctx, r->x, 0, n, r->D),
                                    wrap_rows(ctx, c, 0, n, C));
    vt_set_grad_enabled(ctx, prev);
    if (vt_ctx_error(ctx) || !q) return -1;
    if (q->ops != &vt_normal_ops || vt_rows(q->p[1]) != n) {
        vt_fail(ctx, "inference gap: the posterior is %s, expected a diagonal Gaussian",
                q->ops->name);
        return -1;
    }
    memcpy(r->mu->data, q->p[0]->data, vt_numel(r->mu) * sizeof(float));
    memcpy(r->logsig->data, q->p[1]->data, vt_numel(r->logsig) * sizeof(float));
    return 0;
}

/* One Adam step (β 0.9, 0.999, ε 1e-8, bias-corrected at step t >= 1) on p. */
static void adam_step(vt_tensor *p, float *m, float *v2, long t, float lr) {
    double c1 = 1 - pow(0.9, (double)t), c2 = 1 - pow(0.999, (double)t);
    if (!p->grad) return;   /* no gradient reached it */
    for (size_t i = 0; i < vt_numel(p); i++) {
        float g = p->grad[i];
        m[i] = 0.9f * m[i] + 0.1f * g;
        v2[i] = 0.999f * v2[i] + 0.001f * g * g;
        p->data[i] -= lr * (float)(m[i] / c1 / (sqrt(v2[i] / c2) + 1e-8));
    }
}

/* moments: 4 blocks of n x Z floats (m and v of μ, then of log σ), zeroed. */
static int refine(vt_ctx *ctx, vt_vae *v, refined *r, float *moments, vt_store *own,
                  const float *c, int n, const vt_gap_opts *o) {
    vt_elbo_opts eo = vt_elbo_defaults();
    eo.k = o->step_samples;
    size_t nz = vt_numel(r->mu);
    for (int s = 0; s < o->steps; s++) {
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        if (vt_elbo(ctx, &r->m, wrap_rows(ctx, r->x, 0, n, r->D),
                    wrap_rows(ctx, c, 0, n, v->cfg.n_classes), &eo, &t) != 0 ||
            vt_backward(ctx, t.loss, NULL) != 0)
            return -1;
        adam_step(r->mu, moments, moments + nz, s + 1, o->lr);
        adam_step(r->logsig, moments + 2 * nz, moments + 3 * nz, s + 1, o->lr);
        vt_store_zero_grad(own);
        vt_store_zero_grad(v->store);   /* the decoder's gradients are not used */
    }
    return 0;
}

static vt_gap_opts gap_defaults(const vt_gap_opts *in) {
    vt_gap_opts o = in ? *in : (vt_gap_opts){0};
    if (o.steps <= 0) o.steps = 200;
    if (!(o.lr > 0)) o.lr = 1e-2f;
    if (o.step_samples <= 0) o.step_samples = 4;
    if (o.elbo_samples <= 0) o.elbo_samples = 1000;
    if (o.iw_samples <= 0) o.iw_samples = 1000;
    if (o.chunk_rows <= 0) o.chunk_rows = 50000;
    return o;
}

static void summarize(const double *lp, const double *enc, const double *ref, int n,
                      vt_gap_result *out) {
    *out = (vt_gap_result){.n = n};
    for (int i = 0; i < n; i++) {
        out->log_px += lp[i] / n;
        out->elbo_encoder += enc[i] / n;
        out->elbo_refined += ref[i] / n;
    }
    out->approximation_gap = out->log_px - out->elbo_refined;
    out->amortization_gap = out->elbo_refined - out->elbo_encoder;
    out->total_gap = out->log_px - out->elbo_encoder;
}

int vt_inference_gap(vt_vae *v, const float *x, const float *c, int n, const vt_gap_opts *opts,
                     vt_gap_result *out, vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!v || !x || !out || n < 1 || (v->cfg.n_classes > 0 && !c))
        return vt_error_set(err, VT_EARG, "vt_inference_gap: NULL model or data, n %d, or a "
                            "CVAE without labels", n);
    vt_gap_opts o = gap_defaults(opts);
    int Z = v->cfg.latent, D = v->cfg.x_dim, C = v->cfg.n_classes;
    vt_store *own = vt_store_new();
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = o.seed, .threads = o.threads});
    double *lp = malloc(3 * (size_t)n * sizeof *lp);
    refined r = {{refined_posterior, refined_prior, refined_likelihood, NULL}, v, x, D, Z, NULL, NULL};
    if (own) {
        r.mu = vt_store_param(own, "q.mu", 2, (int[]){n, Z}, NULL);
        r.logsig = vt_store_param(own, "q.logsig", 2, (int[]){n, Z}, NULL);
    }
    float *moments = calloc(4 * (size_t)n * Z, sizeof *moments);
    int rc = VT_ENOMEM;
    if (ctx && lp && moments && r.mu && r.logsig) {
        double *enc = lp + n, *ref = lp + 2 * (size_t)n;
        v->model.self = v;
        r.m.self = &r;
        rc = elbo_rows(ctx, &v->model, x, c, n, D, C, o.elbo_samples, o.chunk_rows, enc) ||
             init_from_encoder(ctx, v, &r, c, n) || refine(ctx, v, &r, moments, own, c, n, &o) ||
             elbo_rows(ctx, &r.m, x, c, n, D, C, o.elbo_samples, o.chunk_rows, ref) ||
             vt_log_px(ctx, &r.m, x, C ? c : NULL, n, D, C, o.iw_samples, o.chunk_rows, lp)
                 ? VT_EARG : VT_OK;
        if (rc != VT_OK) vt_error_set(err, rc, "inference gap: %s", vt_ctx_error(ctx));
        else summarize(lp, enc, ref, n, out);
    }
    if (rc == VT_ENOMEM && (!err || !err->code))
        vt_error_set(err, rc, "inference gap: out of memory for %d points", n);
    free(moments);
    vt_ctx_free(ctx);
    vt_store_free(own);
    free(lp);
    return rc;
}
