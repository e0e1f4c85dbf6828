/* Importance-sampled log p(x) = log (1/L) Σ_l p(x, z_l) / q(z_l | x), z_l ~ q(z | x):
 * what `vtape eval` reports. Samples are drawn in pieces of bounded size and combined
 * with a running log-sum-exp in double, so memory does not grow with L. */
#include "models/trace_internal.h"
#include "vtape/ops.h"
#include <math.h>
#include <stdlib.h>

/* log w = log p(x|z) + Σ_s log p_s(z_s) − log q_s(z_s) for K samples of R datapoints
 * (K·R x 1), for a model of any number of latent sites. */
static vt_tensor *log_weights(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c,
                              int K) {
    vt_trace tr;
    vt_trace_init(&tr, VT_TRACE_GUIDE, K, vt_rows(x));
    vt_dist *lik = vt_trace_run(ctx, m, x, c, &tr);
    if (!lik) return vt_fail(ctx, "vt_log_px: the model failed");
    vt_tensor *log_w = vt_dist_log_prob(ctx, lik, x);
    for (int i = 0; i < tr.n_sites; i++) {
        const vt_site *s = &tr.site[i];
        log_w = vt_add(ctx, log_w, vt_sub(ctx, vt_dist_log_prob(ctx, s->p, s->z),
                                          vt_dist_log_prob(ctx, s->q, s->z)));
    }
    return log_w;
}

/* Fold K·R weights into the running (max, Σ exp(w − max)) of each datapoint. */
static void lse_accumulate(const float *log_w, int K, int R, double *max, double *sum) {
    for (int k = 0; k < K; k++)
        for (int r = 0; r < R; r++) {
            double w = log_w[(size_t)k * R + r];
            if (w == -INFINITY) continue;   /* zero weight */
            if (w > max[r]) {
                sum[r] = sum[r] * exp(max[r] - w) + 1.0;
                max[r] = w;
            } else {
                sum[r] += exp(w - max[r]);
            }
        }
}

int vt_log_px(vt_ctx *ctx, const vt_latent_model *m, const float *x, const float *c, int n,
              int d, int dc, int samples, int chunk_rows, double *out) {
    vt_model g = vt_model_from_latent(m);
    return vt_model_log_px(ctx, m ? &g : NULL, x, c, n, d, dc, samples, chunk_rows, out);
}

int vt_model_log_px(vt_ctx *ctx, const vt_model *m, const float *x, const float *c, int n,
                    int d, int dc, int samples, int chunk_rows, double *out) {
    if (!ctx) return -1;
    if (!m || !m->guide || !m->model || !x || !out || n < 1 || d < 1 ||
        samples < 1 || (c && dc < 1)) {
        vt_fail(ctx, "vt_log_px: bad arguments (model %s, n %d, d %d, samples %d)",
                m ? "given" : "NULL", n, d, samples);
        return -1;
    }
    if (chunk_rows <= 0) chunk_rows = 50000;
    int per_chunk = chunk_rows / samples > 0 ? chunk_rows / samples : 1;  /* datapoints */
    int k_piece = samples < chunk_rows ? samples : chunk_rows;          /* samples */
    double *sum = malloc((size_t)per_chunk * sizeof *sum);   /* one buffer per call */
    if (!sum) {
        vt_fail(ctx, "vt_log_px: out of memory");
        return -1;
    }
    int prev = vt_set_grad_enabled(ctx, 0), rc = 0;
    for (int i0 = 0; i0 < n && rc == 0; i0 += per_chunk) {
        int R = n - i0 < per_chunk ? n - i0 : per_chunk;
        double *max = out + i0;
        for (int r = 0; r < R; r++) { max[r] = -INFINITY; sum[r] = 0; }
        for (int k0 = 0; k0 < samples && rc == 0; k0 += k_piece) {
            int K = samples - k0 < k_piece ? samples - k0 : k_piece;
            vt_ctx_reset(ctx);
            vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){R, d}, (float *)x + (size_t)i0 * d);
            vt_tensor *cb = c ? vt_tensor_wrap(ctx, 2, (int[]){R, dc}, (float *)c + (size_t)i0 * dc)
                              : NULL;
            vt_tensor *log_w = log_weights(ctx, m, xb, cb, K);
            if (vt_ctx_error(ctx)) rc = -1;   /* the error stays on ctx for the caller */
            else lse_accumulate(log_w->data, K, R, max, sum);
        }
        for (int r = 0; r < R && rc == 0; r++) out[i0 + r] = max[r] + log(sum[r]) - log((double)samples);
    }
    vt_set_grad_enabled(ctx, prev);
    free(sum);
    return rc;
}
