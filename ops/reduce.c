/* Reductions. Sums accumulate in double; log-sum-exp shifts by the max so nothing
 * overflows, and a row of all −inf gives −inf rather than NaN. */
#include "vtape/opkit.h"
#include "ops/vmath.h"
#include <math.h>

/* ---- sum / mean over everything → 1 x 1 ---- */
typedef struct { float scale; } sum_aux;

static void sum_backward(vt_ctx *ctx, vt_node *node) {
    float *gx = vt_grad(ctx, node->in[0]);
    float g = node->out->grad[0] * ((const sum_aux *)node->aux)->scale;
    size_t n = vt_numel(node->in[0]);
    for (size_t i = 0; i < n; i++) gx[i] += g;
}

static vt_tensor *sum_scaled(vt_ctx *ctx, const char *op, vt_tensor *x, int mean) {
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    vt_tensor *y = vt_out2(ctx, 1, 1, 1, &x);
    if (vt_is_poison(y)) return y;
    size_t n = vt_numel(x);
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x->data[i];
    float scale = mean ? 1.0f / (float)n : 1.0f;
    y->data[0] = (float)(mean ? s / (double)n : s);
    vt_node *node = vt_record(ctx, op, y, sum_backward, 1, &x, sizeof(sum_aux));
    if (node) ((sum_aux *)node->aux)->scale = scale;
    return y;
}

vt_tensor *vt_sum(vt_ctx *ctx, vt_tensor *x) { return sum_scaled(ctx, "vt_sum", x, 0); }
vt_tensor *vt_mean(vt_ctx *ctx, vt_tensor *x) { return sum_scaled(ctx, "vt_mean", x, 1); }

/* ---- sum over each row → R x 1 ---- */
static void sum_rows_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0];
    float *gx = vt_grad(ctx, x);
    int R = vt_rows(x), C = vt_cols(x);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) gx[(size_t)r * C + c] += node->out->grad[r];
}

vt_tensor *vt_sum_rows(vt_ctx *ctx, vt_tensor *x) {
    const char *op = "vt_sum_rows";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x);
    vt_tensor *y = vt_out2(ctx, R, 1, 1, &x);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        double s = 0;
        for (int c = 0; c < C; c++) s += x->data[(size_t)r * C + c];
        y->data[r] = (float)s;
    }
    vt_record(ctx, op, y, sum_rows_backward, 1, &x, 0);
    return y;
}

/* ---- mean over rows → 1 x D ---- */
static void mean_cols_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0];
    float *gx = vt_grad(ctx, x);
    int R = vt_rows(x), C = vt_cols(x);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) gx[(size_t)r * C + c] += node->out->grad[c] / (float)R;
}

vt_tensor *vt_mean_cols(vt_ctx *ctx, vt_tensor *x) {
    const char *op = "vt_mean_cols";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x);
    vt_tensor *y = vt_out2(ctx, 1, C, 1, &x);
    if (vt_is_poison(y)) return y;
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int r = 0; r < R; r++) s += x->data[(size_t)r * C + c];
        y->data[c] = (float)(s / R);
    }
    vt_record(ctx, op, y, mean_cols_backward, 1, &x, 0);
    return y;
}

/* Max and Σ exp(x − max) over n values spaced `stride` apart, the sum in double. */
static float max_and_sumexp(const float *x, int n, size_t stride, double *sum) {
    float m = -INFINITY;
    for (int i = 0; i < n; i++) m = fmaxf(m, x[i * stride]);
    double s = 0;
    if (m != -INFINITY && m != INFINITY)
        for (int i = 0; i < n; i++) s += exp((double)x[i * stride] - (double)m);
    *sum = s;
    return m;
}

/* log Σ exp, shifted by the max. */
static float lse_strided(const float *x, int n, size_t stride) {
    double s;
    float m = max_and_sumexp(x, n, stride, &s);
    if (m == -INFINITY || m == INFINITY) return m;
    return (float)((double)m + log(s));
}

/* gx += g · softmax(x). The weights are recomputed from the max-shifted
 * exponentials rather than as exp(x − lse): lse is rounded to float, and for
 * large |x| that rounding error would be amplified into every weight. */
static void add_softmax_strided(const float *x, int n, size_t stride, float g, float *gx) {
    double s;
    float m = max_and_sumexp(x, n, stride, &s);
    if (m == -INFINITY || m == INFINITY || g == 0) return;   /* no mass: no gradient */
    double scale = (double)g / s;
    for (int i = 0; i < n; i++)
        gx[i * stride] += (float)(scale * exp((double)x[i * stride] - (double)m));
}

/* ---- log-sum-exp of each row → R x 1;  d/dx = softmax(x) ---- */
static void lse_rows_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *y = node->out;
    float *gx = vt_grad(ctx, x);
    int R = vt_rows(x), C = vt_cols(x);
    for (int r = 0; r < R; r++)
        add_softmax_strided(x->data + (size_t)r * C, C, 1, y->grad[r], gx + (size_t)r * C);
}

vt_tensor *vt_logsumexp_rows(vt_ctx *ctx, vt_tensor *x) {
    const char *op = "vt_logsumexp_rows";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x);
    vt_tensor *y = vt_out2(ctx, R, 1, 1, &x);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) y->data[r] = lse_strided(x->data + (size_t)r * C, C, 1);
    vt_record(ctx, op, y, lse_rows_backward, 1, &x, 0);
    return y;
}

/* ---- log-softmax of each row;  dx = dy − softmax · Σ dy ---- */
static void log_softmax_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *y = node->out;
    float *gx = vt_grad(ctx, x);
    int R = vt_rows(x), C = vt_cols(x);
    for (int r = 0; r < R; r++) {
        const float *gr = y->grad + (size_t)r * C;
        float *gxr = gx + (size_t)r * C;
        double gs = 0;
        for (int c = 0; c < C; c++) gs += gr[c];
        for (int c = 0; c < C; c++) gxr[c] += gr[c];
        add_softmax_strided(x->data + (size_t)r * C, C, 1, (float)-gs, gxr);
    }
}

vt_tensor *vt_log_softmax_rows(vt_ctx *ctx, vt_tensor *x) {
    const char *op = "vt_log_softmax_rows";
    if (!vt_check(ctx, op, x)) return vt_poison(ctx, op);
    int R = vt_rows(x), C = vt_cols(x);
    vt_tensor *y = vt_out_like(ctx, x, 1, &x);
    if (vt_is_poison(y)) return y;
    for (int r = 0; r < R; r++) {
        const float *xr = x->data + (size_t)r * C;
        double sum;
        float m = max_and_sumexp(xr, C, 1, &sum);
        /* (x − m) − log s keeps the small differences exact for large |x|. */
        double logs = (m == -INFINITY || m == INFINITY) ? (double)m : log(sum);
        for (int c = 0; c < C; c++)
            y->data[(size_t)r * C + c] = (float)(((double)xr[c] - (double)m) - logs);
    }
    vt_record(ctx, op, y, log_softmax_backward, 1, &x, 0);
    return y;
}

/* ---- log-mean-exp over samples: logw K x B → B x 1 ----
 * d/dlogw[k,b] = exp(logw[k,b] − lse_b): the normalised importance weights. */
static void lme_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *w = node->in[0], *y = node->out;
    float *gw = vt_grad(ctx, w);
    int K = vt_rows(w), B = vt_cols(w);
    for (int b = 0; b < B; b++) add_softmax_strided(w->data + b, K, (size_t)B, y->grad[b], gw + b);
}

vt_tensor *vt_logmeanexp_samples(vt_ctx *ctx, vt_tensor *logw) {
    const char *op = "vt_logmeanexp_samples";
    if (!vt_check(ctx, op, logw)) return vt_poison(ctx, op);
    int K = vt_rows(logw), B = vt_cols(logw);
    vt_tensor *y = vt_out2(ctx, B, 1, 1, &logw);
    if (vt_is_poison(y)) return y;
    double logk = log((double)K);
    for (int b = 0; b < B; b++)
        y->data[b] = (float)((double)lse_strided(logw->data + b, K, (size_t)B) - logk);
    vt_record(ctx, op, y, lme_backward, 1, &logw, 0);
    return y;
}
