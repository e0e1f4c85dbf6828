#include "support_vae_ref.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double HALF_LOG_2PI = 0.91893853320467274178;

static double softplus_d(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

static double act_d(vt_act a, double x) {
    if (a == VT_ACT_RELU) return x > 0 ? x : 0;
    if (a == VT_ACT_TANH) return tanh(x);
    return softplus_d(x);
}

/* rows x cols in → rows x (last layer's width), every layer in double. */
static double *mlp_d(const vt_mlp *m, const double *in, int rows, int cols) {
    double *cur = malloc((size_t)rows * cols * sizeof *cur);
    memcpy(cur, in, (size_t)rows * cols * sizeof *cur);
    for (int l = 0; l < m->n_layers; l++) {
        const vt_tensor *W = m->layer[l].w, *b = m->layer[l].b;
        int o = vt_cols(W);
        assert(vt_rows(W) == cols);
        double *next = malloc((size_t)rows * o * sizeof *next);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < o; j++) {
                double s = b->data[j];
                for (int i = 0; i < cols; i++) s += cur[(size_t)r * cols + i] * W->data[(size_t)i * o + j];
                next[(size_t)r * o + j] = l < m->n_layers - 1 ? act_d(m->act, s) : s;
            }
        free(cur);
        cur = next;
        cols = o;
    }
    return cur;
}

/* Rows of `a` (n x ca) followed by the one-hot label of datapoint (row mod R). */
static double *with_label(const double *a, int n, int ca, const uint8_t *labels, int R, int C) {
    double *out = calloc((size_t)n * (ca + C), sizeof *out);
    for (int s = 0; s < n; s++) {
        memcpy(out + (size_t)s * (ca + C), a + (size_t)s * ca, (size_t)ca * sizeof *out);
        if (C) out[(size_t)s * (ca + C) + ca + labels[s % R]] = 1.0;
    }
    return out;
}

/* Posterior of each datapoint: mu, log σ and the lower-triangular factor L (Z x Z). */
typedef struct { int Z; double *mu, *ls, *L; } posterior_d;

static posterior_d encode(const vt_vae *v, const float *x, const uint8_t *labels, int R) {
    int D = v->cfg.x_dim, Z = v->cfg.latent, C = v->cfg.n_classes;
    double *xd = malloc((size_t)R * D * sizeof *xd);
    for (int i = 0; i < R * D; i++) xd[i] = x[i];
    double *in = with_label(xd, R, D, labels, R, C);
    double *o = mlp_d(&v->enc, in, R, D + C);
    int oc = vt_cols(v->enc.layer[v->enc.n_layers - 1].w);
    posterior_d q = {Z, malloc((size_t)R * Z * sizeof(double)), malloc((size_t)R * Z * sizeof(double)),
                     calloc((size_t)R * Z * Z, sizeof(double))};
    for (int r = 0; r < R; r++)
        for (int i = 0; i < Z; i++) {
            const double *row = o + (size_t)r * oc;
            q.mu[r * Z + i] = row[i];
            q.ls[r * Z + i] = row[Z + i];
            double *L = q.L + (size_t)r * Z * Z;
            L[i * Z + i] = exp(row[Z + i]);
            if (v->cfg.posterior == VT_POSTERIOR_FULLCOV)
                for (int j = 0; j < i; j++) L[i * Z + j] = row[2 * Z + i * Z + j];
        }
    free(xd);
    free(in);
    free(o);
    return q;
}

static void posterior_free(posterior_d *q) { free(q->mu); free(q->ls); free(q->L); }

/* log N(z; mu, L Lᵀ) from z: y = L⁻¹(z − mu) by forward substitution. */
static double log_q(const posterior_d *q, int r, const double *z) {
    int Z = q->Z;
    const double *L = q->L + (size_t)r * Z * Z, *mu = q->mu + (size_t)r * Z;
    double y[64], acc = 0;
    assert(Z <= 64);
    for (int i = 0; i < Z; i++) {
        double s = z[i] - mu[i];
        for (int j = 0; j < i; j++) s -= L[i * Z + j] * y[j];
        y[i] = s / L[i * Z + i];
        acc += -0.5 * y[i] * y[i] - log(L[i * Z + i]) - HALF_LOG_2PI;
    }
    return acc;
}

static double log_prior(const vt_vae *v, const double *z) {
    int Z = v->cfg.latent;
    if (v->cfg.prior == VT_PRIOR_STD_NORMAL) {
        double acc = 0;
        for (int i = 0; i < Z; i++) acc += -0.5 * z[i] * z[i] - HALF_LOG_2PI;
        return acc;
    }
    int C = v->cfg.mog_components;
    double a[64], mx = -INFINITY, lse = 0, s = 0;
    assert(C <= 64);
    for (int c = 0; c < C; c++) mx = fmax(mx, v->mog_logits->data[c]);
    for (int c = 0; c < C; c++) lse += exp(v->mog_logits->data[c] - mx);
    lse = mx + log(lse);   /* log Σ_c exp(logit_c): softmax normaliser */
    double amax = -INFINITY;
    for (int c = 0; c < C; c++) {
        a[c] = v->mog_logits->data[c] - lse;
        for (int i = 0; i < Z; i++) {
            double sd = exp(v->mog_logsigs->data[c * Z + i]);
            double u = (z[i] - v->mog_means->data[c * Z + i]) / sd;
            a[c] += -0.5 * u * u - log(sd) - HALF_LOG_2PI;
        }
        amax = fmax(amax, a[c]);
    }
    for (int c = 0; c < C; c++) s += exp(a[c] - amax);
    return amax + log(s);
}

static double log_lik(const vt_vae *v, const double *mean, const float *x) {
    double acc = 0;
    for (int j = 0; j < v->cfg.x_dim; j++) {
        if (v->cfg.likelihood == VT_LIK_BERNOULLI) {
            acc += x[j] * mean[j] - softplus_d(mean[j]);   /* x log σ(l) + (1−x) log(1 − σ(l)) */
        } else {
            double sd = exp(v->lik_logsig->data[j]), u = (x[j] - mean[j]) / sd;
            acc += -0.5 * u * u - log(sd) - HALF_LOG_2PI;
        }
    }
    return acc;
}

/* Closed-form KL(N(mu, LLᵀ) ‖ N(0, I)) per dimension i (off-diagonal terms of row i). */
static double kl_dim(const posterior_d *q, int r, int i) {
    int Z = q->Z;
    const double *L = q->L + (size_t)r * Z * Z;
    double mu = q->mu[r * Z + i], off = 0;
    for (int j = 0; j < i; j++) off += L[i * Z + j] * L[i * Z + j];
    return 0.5 * (mu * mu + L[i * Z + i] * L[i * Z + i] - 1.0) - log(L[i * Z + i]) + 0.5 * off;
}

static double kl_row(const posterior_d *q, int r) {
    double s = 0;
    for (int i = 0; i < q->Z; i++) s += kl_dim(q, r, i);
    return s;
}

static double free_bits(const vt_vae *v, const posterior_d *q, int R, const vt_elbo_opts *o) {
    int Z = q->Z, G = o->fb_groups > 0 ? o->fb_groups : Z;
    double g[64] = {0}, total = 0;
    assert(G <= 64 && Z % G == 0 && v->cfg.posterior == VT_POSTERIOR_DIAG);
    for (int r = 0; r < R; r++)
        for (int i = 0; i < Z; i++) g[i / (Z / G)] += kl_dim(q, r, i) / R;
    for (int k = 0; k < G; k++) total += fmax(o->free_bits, g[k]);
    return total;
}

void vae_ref_group_kl(const vt_vae *v, const float *x, const uint8_t *labels, int R, int G,
                      double *group_kl) {
    posterior_d q = encode(v, x, labels, R);
    int Z = q.Z;
    for (int k = 0; k < G; k++) group_kl[k] = 0;
    for (int r = 0; r < R; r++)
        for (int i = 0; i < Z; i++) group_kl[i / (Z / G)] += kl_dim(&q, r, i) / R;
    posterior_free(&q);
}

void vae_ref_loss(const vt_vae *v, const float *x, const uint8_t *labels, int R,
                  const float *eps, const vt_elbo_opts *o, double beta, vae_ref_terms *out) {
    int K = o->k > 0 ? o->k : 1, N = K * R, Z = v->cfg.latent, D = v->cfg.x_dim;
    int C = v->cfg.n_classes;
    posterior_d q = encode(v, x, labels, R);
    double *z = malloc((size_t)N * Z * sizeof *z);
    for (int s = 0; s < N; s++) {   /* z = mu + L eps */
        const double *L = q.L + (size_t)(s % R) * Z * Z;
        for (int i = 0; i < Z; i++) {
            double acc = q.mu[(s % R) * Z + i];
            for (int j = 0; j <= i; j++) acc += L[i * Z + j] * eps[(size_t)s * Z + j];
            z[(size_t)s * Z + i] = acc;
        }
    }
    double *din = with_label(z, N, Z, labels, R, C);
    double *mean = mlp_d(&v->dec, din, N, Z + C);
    double *lpx = malloc((size_t)N * sizeof *lpx), *lw = malloc((size_t)N * sizeof *lw);
    double rec = 0, mc_kl = 0;
    for (int s = 0; s < N; s++) {
        double lq = log_q(&q, s % R, z + (size_t)s * Z), lp = log_prior(v, z + (size_t)s * Z);
        lpx[s] = log_lik(v, mean + (size_t)s * D, x + (size_t)(s % R) * D);
        lw[s] = lpx[s] + lp - lq;
        rec -= lpx[s] / N;
        mc_kl += (lq - lp) / N;
    }
    *out = (vae_ref_terms){.rec = rec};
    if (o->estimator == VT_EST_IWAE) {
        for (int r = 0; r < R; r++) {
            double mx = -INFINITY, s = 0;
            for (int k = 0; k < K; k++) mx = fmax(mx, lw[k * R + r]);
            for (int k = 0; k < K; k++) s += exp(lw[k * R + r] - mx);
            out->elbo += (mx + log(s / K)) / R;
        }
        out->loss = -out->elbo;
        out->kl = mc_kl;
    } else if (o->estimator == VT_EST_GENERIC) {
        for (int s = 0; s < N; s++) out->elbo += lw[s] / N;
        out->kl = mc_kl;
        out->loss = rec + beta * (o->free_bits > 0 ? free_bits(v, &q, R, o) : mc_kl);
    } else {
        assert(v->cfg.prior == VT_PRIOR_STD_NORMAL);   /* closed form only */
        for (int r = 0; r < R; r++) out->kl += kl_row(&q, r) / R;
        out->elbo = -rec - out->kl;
        out->loss = rec + beta * (o->free_bits > 0 ? free_bits(v, &q, R, o) : out->kl);
    }
    free(z);
    free(din);
    free(mean);
    free(lpx);
    free(lw);
    posterior_free(&q);
}

void vae_ref_encode_mean(const vt_vae *v, const float *x, const uint8_t *labels, int R,
                         double *out) {
    posterior_d q = encode(v, x, labels, R);
    memcpy(out, q.mu, (size_t)R * q.Z * sizeof *out);
    posterior_free(&q);
}

void vae_ref_decode_mean(const vt_vae *v, const float *z, const uint8_t *labels, int n,
                         double *out) {
    int Z = v->cfg.latent, D = v->cfg.x_dim;
    double *zd = malloc((size_t)n * Z * sizeof *zd);
    for (int i = 0; i < n * Z; i++) zd[i] = z[i];
    double *in = with_label(zd, n, Z, labels, n, v->cfg.n_classes);
    double *mean = mlp_d(&v->dec, in, n, Z + v->cfg.n_classes);
    for (int i = 0; i < n * D; i++)
        out[i] = v->cfg.likelihood == VT_LIK_BERNOULLI ? 1 / (1 + exp(-mean[i])) : mean[i];
    free(zd);
    free(in);
    free(mean);
}

/* ---- capturing the estimator's noise ---- */
static vt_latent_model captured_inner;
static vt_dist *captured_q;

static vt_dist *capture_posterior(vt_ctx *ctx, const vt_latent_model *m, vt_tensor *x,
                                  vt_tensor *c) {
    (void)m;
    return captured_q = captured_inner.posterior(ctx, &captured_inner, x, c);
}

void vae_ref_capture(vt_vae *v) {
    v->model.self = v;
    captured_inner = v->model;
    v->model.posterior = capture_posterior;
}

const float *vae_ref_eps(void) {
    return captured_q && captured_q->eps ? captured_q->eps->data : NULL;
}
