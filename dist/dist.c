/* What every distribution shares: construction in the arena, the poison dist that a
 * failed constructor returns, and the calls through the vtable that pass poison on. */
#include "dist/internal.h"
#include "vtape/stopgrad.h"
#include <string.h>

vt_dist *vt_dist_new(vt_ctx *ctx, const vt_dist_ops *ops, int rows, int dim) {
    if (!ctx) return vt_dist_poison(NULL);
    if (!ops || !ops->rsample || !ops->log_prob || rows < 1 || dim < 1) {
        vt_fail(ctx, "vt_dist_new: %s needs rsample and log_prob and a shape of at least "
                     "1 x 1 (got %d x %d)", ops && ops->name ? ops->name : "a family", rows, dim);
        return vt_dist_poison(ctx);
    }
    vt_dist *d = vt_arena_alloc(ctx, sizeof *d);
    if (!d) return vt_dist_poison(ctx);
    memset(d, 0, sizeof *d);
    d->ops = ops;
    d->rows = rows;
    d->dim = dim;
    return d;
}

int vt_dist_params_ok(vt_ctx *ctx, const char *op, int n, vt_tensor *const *t) {
    for (int i = 0; i < n; i++)
        if (!vt_check(ctx, op, t[i])) return 0;
    return 1;
}

/* The poison family: every call gives a poison tensor (the error is already set). */
static vt_tensor *poison_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    return vt_fail(ctx, "rsample of a poison dist");
}
static vt_tensor *poison_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    return vt_fail(ctx, "log_prob of a poison dist");
}
static const vt_dist_ops poison_ops = {"poison", poison_rsample, poison_log_prob};

vt_dist *vt_dist_poison(vt_ctx *ctx) {
    static const vt_dist proto = {.ops = &poison_ops, .rows = 1, .dim = 1};
    vt_dist *d = ctx ? vt_arena_alloc(ctx, sizeof *d) : NULL;
    if (!d) return (vt_dist *)&proto;   /* read-only; its methods never write to it */
    *d = proto;
    return d;
}

int vt_dist_ok(vt_ctx *ctx, const char *op, const vt_dist *d) {
    if (!d) {
        vt_fail(ctx, "%s: the distribution is NULL", op);
        return 0;
    }
    return d->ops != &poison_ops && d->ops && d->ops->rsample && d->ops->log_prob;
}

vt_tensor *vt_dist_rsample(vt_ctx *ctx, vt_dist *d, int k) {
    if (!vt_dist_ok(ctx, "vt_dist_rsample", d)) return vt_fail(ctx, "vt_dist_rsample: no dist");
    if (k < 1) return vt_fail(ctx, "vt_dist_rsample: %s: k = %d samples (need >= 1)", d->ops->name, k);
    return d->ops->rsample(ctx, d, k);
}

vt_tensor *vt_dist_log_prob(vt_ctx *ctx, vt_dist *d, vt_tensor *x) {
    if (!vt_dist_ok(ctx, "vt_dist_log_prob", d)) return vt_fail(ctx, "vt_dist_log_prob: no dist");
    if (!vt_check(ctx, d->ops->name, x)) return vt_fail(ctx, "%s.log_prob: bad input", d->ops->name);
    return d->ops->log_prob(ctx, d, x);
}

vt_dist *vt_dist_detach(vt_ctx *ctx, vt_dist *d) {
    if (!vt_dist_ok(ctx, "vt_dist_detach", d)) return vt_dist_poison(ctx);
    /* a family that scores its own draw from its noise has no density of the value to
     * keep: cutting its parameters would cut the value's gradient too */
    if (d->flags & VT_DIST_OWN_SAMPLE) {
        vt_fail(ctx, "vt_dist_detach: %s scores only its own sample, not a value, so it "
                     "cannot be detached", d->ops->name);
        return vt_dist_poison(ctx);
    }
    vt_dist *c = vt_dist_new(ctx, d->ops, d->rows, d->dim);
    if (c->ops != d->ops) return c;
    *c = *d;
    for (int i = 0; i < 4; i++)
        if (d->p[i]) c->p[i] = vt_detach(ctx, d->p[i]);
    return c;
}
