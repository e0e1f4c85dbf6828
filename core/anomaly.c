/* Anomaly mode: find the op where a NaN or infinity is born, forward or backward. */
#include "core/internal.h"
#include <math.h>
#include <stdio.h>

int vt_set_anomaly(vt_ctx *ctx, int enabled) {
    if (!ctx) return 0;
    int prev = ctx->anomaly;
    ctx->anomaly = enabled != 0;
    return prev;
}

const char *vt_ctx_set_scope(vt_ctx *ctx, const char *label) {
    if (!ctx) return NULL;
    const char *prev = ctx->scope;
    ctx->scope = label;
    return prev;
}

/* Index of the first non-finite of x[0..n), or n. */
static size_t first_nonfinite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

static const char *kind(float v) { return isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf"; }

static void scope_note(const char *scope, char *buf, size_t len) {
    if (scope) snprintf(buf, len, " in %s", scope);
    else buf[0] = '\0';
}

int vt_anomaly_check_forward(vt_ctx *ctx, const char *op, const vt_tensor *out) {
    if (!out->data || (out->flags & VT_POISON)) return 1;
    size_t n = vt_numel(out), i = first_nonfinite(out->data, n);
    if (i == n) return 1;
    char s[48], sc[96];
    scope_note(ctx->scope, sc, sizeof sc);
    vt_fail(ctx, "anomaly: %s%s produced %s at element %zu of its %s output", op, sc,
            kind(out->data[i]), i, vt_shape_str(out, s));
    return 0;
}

int vt_anomaly_check_backward(vt_ctx *ctx, const vt_node *node) {
    for (int k = 0; k < node->n_in; k++) {
        const vt_tensor *t = node->in[k];
        if (!t || !t->grad) continue;
        size_t n = vt_numel(t), i = first_nonfinite(t->grad, n);
        if (i == n) continue;
        char s[48], so[48], sc[96];
        scope_note(node->scope, sc, sizeof sc);
        vt_fail(ctx, "anomaly: backward of %s%s (output %s) gave input %d (%s%s%s) a %s "
                "gradient at element %zu", node->op, sc, vt_shape_str(node->out, so), k,
                t->name ? t->name : "", t->name ? ", " : "", vt_shape_str(t, s),
                kind(t->grad[i]), i);
        return 0;
    }
    return 1;
}
