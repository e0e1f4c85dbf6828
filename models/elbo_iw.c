/* The importance-weighted bounds on log w = log p(x, z) − log q(z | x), K samples:
 *   IWAE   L_K = log (1/K) Σ_k w_k                              (Burda et al. 2016)
 *   MIWAE  (1/M) Σ_m L_K over M independent groups of K samples (Rainforth et al. 2018)
 *   CIWAE  β ELBO_K + (1 − β) L_K                                (ibid.)
 * and the doubly reparameterized gradient (DReG, Tucker et al. 2019) of IWAE/MIWAE.
 * Sample s = k·M + m sits at rows s·R + r, so group (m, r) is column m·R + r of the
 * K x (M·R) reshape. */
#include "models/elbo_internal.h"
#include "vtape/ops.h"
#include <math.h>
#include <string.h>

/* DReG: normalised weights w̃ within each group into tr->grad_scale (the per-row
 * gradient weight the guide's samples carry, see vt_trace_sample), and the surrogate
 * −(1/G) Σ stop(w̃) log w. Its gradient is Σ w̃ ∇θ log w for the model and
 * Σ w̃² (∂ log w/∂z)(∂z/∂φ) for the guide (log q scored with detached parameters). */
int vt_elbo_groups(const vt_elbo_opts *o) {
    int grouped = o->estimator == VT_EST_MIWAE || o->estimator == VT_EST_PIWAE;
    return grouped && o->miwae_m > 0 ? o->miwae_m : 1;
}

vt_tensor *vt_elbo_dreg_surrogate(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, int K, int G) {
    float *w = tr->grad_scale->data;
    const float *lw = log_w->data;
    for (int g = 0; g < G; g++) {
        double mx = -INFINITY, sum = 0;
        for (int k = 0; k < K; k++) mx = fmax(mx, lw[(size_t)k * G + g]);
        for (int k = 0; k < K; k++) sum += exp(lw[(size_t)k * G + g] - mx);
        for (int k = 0; k < K; k++)
            w[(size_t)k * G + g] = mx == -INFINITY ? 0.0f : (float)(exp(lw[(size_t)k * G + g] - mx) / sum);
    }
    return vt_scale(ctx, vt_sum(ctx, vt_mul(ctx, log_w, tr->grad_scale)), -1.0f / (float)G);
}

int vt_elbo_iw(vt_ctx *ctx, vt_trace *tr, vt_tensor *log_w, const vt_elbo_opts *o,
               vt_elbo_terms *out) {
    int R = tr->rows, M = o->estimator == VT_EST_MIWAE ? vt_elbo_groups(o) : 1;
    int K = tr->k / M, G = M * R;
    vt_tensor *iw = vt_logmeanexp_samples(ctx, vt_reshape(ctx, log_w, 2, (int[]){K, G}));
    if (vt_ctx_error(ctx)) return -1;
    float *rows = out->elbo_rows;
    for (int r = 0; r < R; r++) {
        double s = 0;
        for (int m = 0; m < M; m++) s += iw->data[(size_t)m * R + r];
        rows[r] = (float)(s / M);
    }
    if (o->estimator == VT_EST_CIWAE) {
        float b = o->ciwae_beta;
        out->loss = vt_axpby(ctx, -b, vt_mean(ctx, log_w), -(1.0f - b), vt_mean(ctx, iw));
        float *mean_w = vt_arena_alloc(ctx, (size_t)R * sizeof(float));
        if (!mean_w) return -1;
        vt_elbo_mean_over_samples(log_w, K, R, mean_w);
        for (int r = 0; r < R; r++) rows[r] = b * mean_w[r] + (1.0f - b) * rows[r];
    } else if (o->grad == VT_GRAD_DREG) {
        out->loss = vt_elbo_dreg_surrogate(ctx, tr, log_w, K, G);
    } else {
        out->loss = vt_scale(ctx, vt_mean(ctx, iw), -1.0f);
    }
    return vt_ctx_error(ctx) ? -1 : 0;
}
