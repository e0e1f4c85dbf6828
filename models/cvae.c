/* The conditional VAE: encoder q(z | x, y) and decoder p(x | z, y) both see the
 * one-hot label y; the prior is N(0, I). It is the VAE of vae.c with n_classes > 0:
 * the condition is concatenated to each network's input. */
#include "vtape/vae.h"
#include "vtape/ops.h"
#include <stdio.h>
#include <string.h>

int vt_cvae_init(vt_vae *v, const vt_vae_config *cfg, int n_classes, vt_error *err) {
    if (!v || !cfg) return vt_error_set(err, VT_EARG, "vt_cvae_init: model and configuration are required");
    vt_vae_config c = *cfg;
    c.n_classes = n_classes;
    if (n_classes < 1) {
        vt_error_set(err, VT_EARG, "cvae: needs at least one class (got %d)", n_classes);
        return -1;
    }
    return vt_vae_init(v, &c, err);
}

vt_tensor *vt_one_hot_tensor(vt_ctx *ctx, const uint8_t *labels, int n, int n_classes) {
    vt_tensor *t = vt_zeros(ctx, 2, (int[]){n, n_classes});
    if (t->flags & VT_POISON) return t;
    if (!labels) return vt_fail(ctx, "vt_one_hot_tensor: labels are NULL");
    for (int i = 0; i < n; i++) {
        if (labels[i] >= n_classes)
            return vt_fail(ctx, "vt_one_hot_tensor: label %d at row %d is not below %d", labels[i], i,
                           n_classes);
        t->data[(size_t)i * n_classes + labels[i]] = 1.0f;
    }
    return t;
}

vt_tensor *vt_cvae_generate_class(vt_ctx *ctx, vt_vae *v, int n, int cls) {
    if (!v) return vt_fail(ctx, "vt_cvae_generate_class: the model is NULL");
    if (cls < 0 || cls >= v->cfg.n_classes)
        return vt_fail(ctx, "vt_cvae_generate_class: class %d outside 0..%d", cls,
                       v->cfg.n_classes - 1);
    vt_tensor *c = vt_zeros(ctx, 2, (int[]){n, v->cfg.n_classes});
    if (c->flags & VT_POISON) return c;
    for (int i = 0; i < n; i++) c->data[(size_t)i * v->cfg.n_classes + cls] = 1.0f;
    return vt_vae_generate(ctx, v, n, c);
}
