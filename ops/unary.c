/* Element-wise ops of one tensor. Each op is a forward and a backward loop side by
 * side; one generic driver splits the work into fixed chunks over threads.
 * Transcendentals go through SLEEF (ops/vmath.h); the rest is plain C the compiler
 * vectorises. Stable forms: with e = exp(−|x|) ∈ (0, 1], nothing overflows. */
#include "vtape/opkit.h"
#include "ops/vmath.h"
#include <math.h>

#define BLK 256   /* stack scratch per block, so chunks stay allocation-free */

typedef void (*fwd_fn)(size_t n, const float *x, float *y, float p);
typedef void (*bwd_fn)(size_t n, const float *x, const float *y, const float *gy, float *gx,
                       float p);
typedef struct { const char *name; fwd_fn fwd; bwd_fn bwd; } unary_kind;

/* e[i] = exp(−|x[i]|) */
static void exp_neg_abs(size_t n, const float *x, float *e) {
    for (size_t i = 0; i < n; i++) e[i] = -fabsf(x[i]);
    vt_vexp(n, e, e);
}

/* ---- exp ---- */
static void exp_f(size_t n, const float *x, float *y, float p) { vt_vexp(n, x, y); }
static void exp_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    for (size_t i = 0; i < n; i++) gx[i] += gy[i] * y[i];
}

/* ---- log ---- */
static void log_f(size_t n, const float *x, float *y, float p) { vt_vlog(n, x, y); }
static void log_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    for (size_t i = 0; i < n; i++) gx[i] += gy[i] / x[i];
}

/* ---- softplus: max(x, 0) + log1p(exp(−|x|)) ---- */
static void softplus_f(size_t n, const float *x, float *y, float p) {
    exp_neg_abs(n, x, y);
    vt_vlog1p(n, y, y);
    for (size_t i = 0; i < n; i++) y[i] += x[i] > 0 ? x[i] : 0;
}
/* d/dx = sigmoid(x) = 1/(1+e) for x ≥ 0, e/(1+e) otherwise */
static void softplus_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                       float p) {
    float e[BLK];
    for (size_t b = 0; b < n; b += BLK) {
        size_t m = n - b < BLK ? n - b : BLK;
        exp_neg_abs(m, x + b, e);
        for (size_t i = 0; i < m; i++)
            gx[b + i] += gy[b + i] * (x[b + i] >= 0 ? 1.0f : e[i]) / (1.0f + e[i]);
    }
}

/* ---- sigmoid ---- */
static void sigmoid_f(size_t n, const float *x, float *y, float p) {
    exp_neg_abs(n, x, y);
    for (size_t i = 0; i < n; i++) y[i] = (x[i] >= 0 ? 1.0f : y[i]) / (1.0f + y[i]);
}
static void sigmoid_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                      float p) {
    for (size_t i = 0; i < n; i++) gx[i] += gy[i] * y[i] * (1.0f - y[i]);
}

/* ---- log_sigmoid: min(x, 0) − log1p(exp(−|x|)) ---- */
static void log_sigmoid_f(size_t n, const float *x, float *y, float p) {
    exp_neg_abs(n, x, y);
    vt_vlog1p(n, y, y);
    for (size_t i = 0; i < n; i++) y[i] = (x[i] < 0 ? x[i] : 0) - y[i];
}
/* d/dx = sigmoid(−x) = e/(1+e) for x ≥ 0, 1/(1+e) otherwise */
static void log_sigmoid_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                          float p) {
    float e[BLK];
    for (size_t b = 0; b < n; b += BLK) {
        size_t m = n - b < BLK ? n - b : BLK;
        exp_neg_abs(m, x + b, e);
        for (size_t i = 0; i < m; i++)
            gx[b + i] += gy[b + i] * (x[b + i] >= 0 ? e[i] : 1.0f) / (1.0f + e[i]);
    }
}

/* ---- tanh ---- */
static void tanh_f(size_t n, const float *x, float *y, float p) { vt_vtanh(n, x, y); }
static void tanh_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    for (size_t i = 0; i < n; i++) gx[i] += gy[i] * (1.0f - y[i] * y[i]);
}

/* ---- relu ---- */
static void relu_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}
static void relu_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    /* Load gy unconditionally: a select, not a branch, so the loop vectorizes. */
    for (size_t i = 0; i < n; i++) {
        float g = gy[i];
        gx[i] += x[i] > 0 ? g : 0.0f;
    }
}

/* ---- square ---- */
static void square_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] * x[i];
}
static void square_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                     float p) {
    for (size_t i = 0; i < n; i++) gx[i] += 2.0f * x[i] * gy[i];
}

/* ---- sqrt ---- */
static void sqrt_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = sqrtf(x[i]);
}
static void sqrt_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    for (size_t i = 0; i < n; i++) gx[i] += 0.5f * gy[i] / y[i];
}

/* ---- scale by a constant p ---- */
static void scale_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = p * x[i];
}
static void scale_b(size_t n, const float *x, const float *y, const float *gy, float *gx, float p) {
    for (size_t i = 0; i < n; i++) gx[i] += p * gy[i];
}

/* ---- add a constant p ---- */
static void add_scalar_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] + p;
}
static void add_scalar_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                         float p) {
    for (size_t i = 0; i < n; i++) gx[i] += gy[i];
}

/* ---- max(x, p) ---- */
static void clamp_min_f(size_t n, const float *x, float *y, float p) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > p ? x[i] : p;
}
static void clamp_min_b(size_t n, const float *x, const float *y, const float *gy, float *gx,
                        float p) {
    for (size_t i = 0; i < n; i++) {
        float g = gy[i];
        gx[i] += x[i] > p ? g : 0.0f;
    }
}

static const unary_kind K_EXP = {"vt_exp", exp_f, exp_b};
static const unary_kind K_LOG = {"vt_log", log_f, log_b};
static const unary_kind K_SOFTPLUS = {"vt_softplus", softplus_f, softplus_b};
static const unary_kind K_SIGMOID = {"vt_sigmoid", sigmoid_f, sigmoid_b};
static const unary_kind K_LOG_SIGMOID = {"vt_log_sigmoid", log_sigmoid_f, log_sigmoid_b};
static const unary_kind K_TANH = {"vt_tanh", tanh_f, tanh_b};
static const unary_kind K_RELU = {"vt_relu", relu_f, relu_b};
static const unary_kind K_SQUARE = {"vt_square", square_f, square_b};
static const unary_kind K_SQRT = {"vt_sqrt", sqrt_f, sqrt_b};
static const unary_kind K_SCALE = {"vt_scale", scale_f, scale_b};
static const unary_kind K_ADD_SCALAR = {"vt_add_scalar", add_scalar_f, add_scalar_b};
static const unary_kind K_CLAMP_MIN = {"vt_clamp_min", clamp_min_f, clamp_min_b};

/* ---- the generic driver ---- */
typedef struct { const unary_kind *kind; float p; } unary_aux;
typedef struct {
    const unary_kind *kind;
    float p;
    const float *x, *y, *gy;
    float *out;
} unary_job;

static void fwd_range(void *arg, size_t b, size_t e) {
    unary_job *j = arg;
    j->kind->fwd(e - b, j->x + b, j->out + b, j->p);
}
static void bwd_range(void *arg, size_t b, size_t e) {
    unary_job *j = arg;
    j->kind->bwd(e - b, j->x + b, j->y + b, j->gy + b, j->out + b, j->p);
}

static void unary_backward(vt_ctx *ctx, vt_node *node) {
    const unary_aux *a = node->aux;
    vt_tensor *x = node->in[0], *y = node->out;
    float *gx = vt_grad(ctx, x);
    if (!gx) return;
    unary_job j = {a->kind, a->p, x->data, y->data, y->grad, gx};
    vt_parallel_for(ctx, vt_numel(x), VT_GRAIN, bwd_range, &j);
}

static vt_tensor *unary(vt_ctx *ctx, const unary_kind *kind, vt_tensor *x, float p) {
    if (!vt_check(ctx, kind->name, x)) return vt_poison(ctx, kind->name);
    vt_tensor *y = vt_out_like(ctx, x, 1, &x);
    if (vt_is_poison(y)) return y;
    unary_job j = {kind, p, x->data, NULL, NULL, y->data};
    vt_parallel_for(ctx, vt_numel(x), VT_GRAIN, fwd_range, &j);
    vt_node *node = vt_record(ctx, kind->name, y, unary_backward, 1, &x, sizeof(unary_aux));
    if (node) *(unary_aux *)node->aux = (unary_aux){kind, p};
    return y;
}

vt_tensor *vt_exp(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_EXP, x, 0); }
vt_tensor *vt_log(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_LOG, x, 0); }
vt_tensor *vt_softplus(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_SOFTPLUS, x, 0); }
vt_tensor *vt_sigmoid(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_SIGMOID, x, 0); }
vt_tensor *vt_log_sigmoid(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_LOG_SIGMOID, x, 0); }
vt_tensor *vt_tanh(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_TANH, x, 0); }
vt_tensor *vt_relu(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_RELU, x, 0); }
vt_tensor *vt_square(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_SQUARE, x, 0); }
vt_tensor *vt_sqrt(vt_ctx *ctx, vt_tensor *x) { return unary(ctx, &K_SQRT, x, 0); }
vt_tensor *vt_scale(vt_ctx *ctx, vt_tensor *x, float s) { return unary(ctx, &K_SCALE, x, s); }
vt_tensor *vt_add_scalar(vt_ctx *ctx, vt_tensor *x, float c) {
    return unary(ctx, &K_ADD_SCALAR, x, c);
}
vt_tensor *vt_clamp_min(vt_ctx *ctx, vt_tensor *x, float floor) {
    return unary(ctx, &K_CLAMP_MIN, x, floor);
}
