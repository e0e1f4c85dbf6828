/* Gradient check: vt_backward against central finite differences.
 *
 * Built only on the public API, so it checks the core exactly as a user sees it.
 * The checked scalar is f = Σ y ⊙ G for a fixed random G, accumulated in double so
 * that the subtraction f(x+h) − f(x−h) loses as little as possible. */
#include "vtape/gradcheck.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vt_tensor *vt_leaf_new(int ndim, const int *shape, const float *data) {
    if (ndim < 1 || ndim > VT_MAX_DIMS || vt_shape_numel(ndim, shape) == 0) return NULL;
    vt_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1) { free(t); return NULL; }
        t->shape[i] = shape[i];
    }
    size_t n = vt_numel(t);
    t->data = malloc(n * sizeof *t->data);
    t->grad = calloc(n, sizeof *t->grad);
    if (!t->data || !t->grad) { vt_leaf_free(t); return NULL; }
    if (data) memcpy(t->data, data, n * sizeof *t->data);
    else memset(t->data, 0, n * sizeof *t->data);
    t->flags = VT_REQUIRES_GRAD;
    t->gen = 0;   /* persistent: valid across resets */
    return t;
}

void vt_leaf_free(vt_tensor *t) {
    if (t) free(t->data), free(t->grad);
    free(t);
}

/* A tiny local generator for G, so the check does not disturb the context's noise. */
static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform_open(uint64_t *s) {   /* in (0, 1) */
    return ((double)(splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void fill_normal(uint64_t seed, size_t n, float *out) {
    uint64_t s = seed;
    for (size_t i = 0; i < n; i += 2) {
        double r = sqrt(-2.0 * log(uniform_open(&s)));
        double a = 6.283185307179586 * uniform_open(&s);
        out[i] = (float)(r * cos(a));
        if (i + 1 < n) out[i + 1] = (float)(r * sin(a));
    }
}

typedef struct check_run {
    vt_ctx *ctx;
    vt_gradcheck_fn fn;
    vt_tensor *const *inputs;
    void *user;
    uint64_t step;          /* noise step pinned so every evaluation sees the same noise */
    uint64_t g_seed;
    float *G;               /* upstream gradient, one per output element */
    size_t n_out;
    vt_gradcheck_report *report;
} check_run;

/* Record why the check could not run; returns 0 for `return fail(...)`. */
__attribute__((format(printf, 2, 3)))
static int fail(check_run *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->report->error, sizeof r->report->error, fmt, ap);
    va_end(ap);
    r->report->ok = 0;
    return 0;
}

/* A fresh step in the given grad mode: reset, pin the noise, record fn.
 * NULL (with report->error set) on failure. */
static vt_tensor *run_fn(check_run *r, int grad_enabled) {
    vt_ctx_reset(r->ctx);
    vt_ctx_set_step(r->ctx, r->step);
    vt_set_grad_enabled(r->ctx, grad_enabled);
    vt_tensor *y = r->fn(r->ctx, r->inputs, r->user);
    const char *err = vt_ctx_error(r->ctx);
    if (err) { fail(r, "%s", err); return NULL; }
    if (!y || !y->data) { fail(r, "gradcheck: fn returned no tensor"); return NULL; }
    return y;
}

/* f = Σ y ⊙ G without recording anything. Returns 0 on failure. */
static int eval_objective(check_run *r, double *f) {
    vt_tensor *y = run_fn(r, 0);
    if (!y) return 0;
    if (vt_numel(y) != r->n_out)
        return fail(r, "gradcheck: fn output size changed between evaluations");
    double acc = 0.0;
    for (size_t i = 0; i < r->n_out; i++) acc += (double)y->data[i] * (double)r->G[i];
    *f = acc;
    return 1;
}

/* Record fn with gradients on, draw G for its output, run backward. The analytic
 * gradients are left in the inputs' grad buffers. */
static int record_and_backward(check_run *r, int n_inputs) {
    for (int i = 0; i < n_inputs; i++) {
        vt_tensor *t = r->inputs[i];
        if (!vt_needs_grad(t))
            return fail(r, "gradcheck: input %d does not take a gradient", i);
        if (t->grad) memset(t->grad, 0, vt_numel(t) * sizeof *t->grad);
    }
    vt_tensor *y = run_fn(r, 1);
    if (!y) return 0;
    r->n_out = vt_numel(y);
    r->G = malloc((r->n_out ? r->n_out : 1) * sizeof *r->G);
    if (!r->G) return fail(r, "gradcheck: out of memory");
    fill_normal(r->g_seed, r->n_out, r->G);
    if (vt_backward(r->ctx, y, r->G) != 0) {
        const char *err = vt_ctx_error(r->ctx);
        return fail(r, "%s", err ? err : "gradcheck: vt_backward failed");
    }
    return 1;
}

/* Central difference of f along element j of input t, with the step that float32 can
 * actually represent, leaving t->data[j] exactly as it was. */
static int numeric_grad(check_run *r, vt_tensor *t, size_t j, double step, double *out) {
    float x0 = t->data[j];
    double h = step * fmax(1.0, fabs((double)x0));
    float xp = (float)((double)x0 + h), xm = (float)((double)x0 - h);
    double fp = 0.0, fm = 0.0;
    t->data[j] = xp;
    int ok = eval_objective(r, &fp);
    t->data[j] = xm;
    ok = ok && eval_objective(r, &fm);
    t->data[j] = x0;
    if (!ok) return 0;
    *out = (fp - fm) / ((double)xp - (double)xm);
    return 1;
}

/* A NaN error is the worst of all and stays. */
static void keep_worst(double *worst, double err) {
    if (isnan(*worst)) return;
    if (isnan(err) || err > *worst) *worst = err;
}

/* Compare every element's numeric gradient with the analytic one (ana, in input
 * order) and fill the report: worst errors, where the worst sits, and ok. */
static int compare_all(check_run *r, int n_inputs, const double *ana, double step,
                       double atol, double rtol) {
    vt_gradcheck_report *report = r->report;
    int all_pass = 1;
    double worst_ratio = -1.0;
    size_t k = 0;
    for (int i = 0; i < n_inputs; i++) {
        for (size_t j = 0; j < vt_numel(r->inputs[i]); j++, k++) {
            double num;
            if (!numeric_grad(r, r->inputs[i], j, step, &num)) return 0;
            double err = fabs(num - ana[k]);
            double tol = atol + rtol * fabs(num);
            int pass = err <= tol;            /* false for NaN */
            double ratio = isnan(err) ? INFINITY : err / tol;
            all_pass &= pass;
            keep_worst(&report->max_abs_err, err);
            keep_worst(&report->max_rel_err, err / fmax(fabs(num), atol));
            if (ratio > worst_ratio) {
                worst_ratio = ratio;
                report->worst_input = i;
                report->worst_index = j;
                report->worst_numeric = num;
                report->worst_analytic = ana[k];
            }
            report->checked++;
        }
    }
    report->ok = all_pass;
    return 1;
}

int vt_gradcheck(vt_ctx *ctx, vt_gradcheck_fn fn, int n_inputs, vt_tensor *const *inputs,
                 void *user, const vt_gradcheck_opts *opts, vt_gradcheck_report *report) {
    vt_gradcheck_report local;
    if (!report) report = &local;
    memset(report, 0, sizeof *report);
    report->worst_input = -1;
    double step = opts && opts->step > 0 ? opts->step : 1e-2;
    double atol = opts && opts->atol > 0 ? opts->atol : 1e-3;
    double rtol = opts && opts->rtol > 0 ? opts->rtol : 1e-2;

    check_run r = {ctx, fn, inputs, user, 0, opts ? opts->seed : 0, NULL, 0, report};
    if (!ctx || !fn || n_inputs < 0 || (n_inputs > 0 && !inputs))
        return fail(&r, "gradcheck: bad arguments");
    for (int i = 0; i < n_inputs; i++)
        if (!inputs[i] || !inputs[i]->data)
            return fail(&r, "gradcheck: an input is NULL");
    r.step = vt_ctx_step(ctx);
    int grad_mode = vt_grad_enabled(ctx);

    size_t total = 0;
    for (int i = 0; i < n_inputs; i++) total += vt_numel(inputs[i]);
    double *ana = malloc((total ? total : 1) * sizeof *ana);
    if (!ana) return fail(&r, "gradcheck: out of memory");
    if (!record_and_backward(&r, n_inputs)) goto done;

    /* Copy the analytic gradients before the evaluations below. */
    size_t k = 0;
    for (int i = 0; i < n_inputs; i++)
        for (size_t j = 0; j < vt_numel(inputs[i]); j++)
            ana[k++] = inputs[i]->grad ? (double)inputs[i]->grad[j] : 0.0;

    if (!compare_all(&r, n_inputs, ana, step, atol, rtol)) goto done;

done:
    /* Leave the context clean, in the grad mode the caller had. */
    vt_ctx_reset(ctx);
    vt_ctx_set_step(ctx, r.step);
    vt_set_grad_enabled(ctx, grad_mode);
    free(ana);
    free(r.G);
    if (report->error[0]) report->ok = 0;
    return report->ok;
}
