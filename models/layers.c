/* Linear, MLP and gated layers. Parameters live in a vt_store under their names. */
#include "vtape/layers.h"
#include "vtape/ops.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const act_names[] = {"relu", "softplus", "tanh"};
const vt_names vt_act_names = VT_NAMES(act_names);

int vt_act_parse(const char *name) { return vt_names_find(&vt_act_names, name); }

const char *vt_act_name(vt_act a) { return vt_names_get(&vt_act_names, (int)a); }



vt_tensor *vt_activate(vt_ctx *ctx, vt_act a, vt_tensor *x) {
    switch (a) {
    case VT_ACT_RELU: return vt_relu(ctx, x);
    case VT_ACT_SOFTPLUS: return vt_softplus(ctx, x);
    default: return vt_tanh(ctx, x);
    }
}

/* FNV-1a of the name: each parameter gets its own Philox stream. */
static uint64_t name_stream(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static void init_uniform(vt_tensor *t, float bound, uint64_t seed) {
    size_t n = vt_numel(t);
    vt_philox_uniform(seed, 0, name_stream(t->name), 0, n, t->data);
    for (size_t i = 0; i < n; i++) t->data[i] = bound * (2.0f * t->data[i] - 1.0f);
}

int vt_linear_layer_init(vt_linear_layer *l, vt_store *s, const char *name, int in, int out,
                         uint64_t seed, vt_error *err) {
    char wn[128], bn[128];
    snprintf(wn, sizeof wn, "%s.W", name);
    snprintf(bn, sizeof bn, "%s.b", name);
    l->w = vt_store_param(s, wn, 2, (int[]){in, out}, err);
    l->b = l->w ? vt_store_param(s, bn, 2, (int[]){1, out}, err) : NULL;
    if (!l->w || !l->b) return -1;
    float bound = 1.0f / sqrtf((float)in);
    init_uniform(l->w, bound, seed);
    init_uniform(l->b, bound, seed);
    return 0;
}

vt_tensor *vt_linear_layer_forward(vt_ctx *ctx, const vt_linear_layer *l, vt_tensor *x) {
    if (!l) return vt_fail(ctx, "vt_linear_layer_forward: the layer is NULL");
    return vt_linear(ctx, x, l->w, l->b);
}

int vt_mlp_init(vt_mlp *m, vt_store *s, const char *prefix, int n_dims, const int *dims,
                vt_act act, uint64_t seed, vt_error *err) {
    if (n_dims < 2 || n_dims - 1 > VT_MLP_MAX_LAYERS)
        return vt_error_set(err, VT_EARG, "vt_mlp_init: %s: %d sizes (2..%d)", prefix, n_dims,
                            VT_MLP_MAX_LAYERS + 1);
    m->n_layers = n_dims - 1;
    m->act = act;
    for (int i = 0; i < m->n_layers; i++) {
        char name[96];
        if (i == m->n_layers - 1) snprintf(name, sizeof name, "%s_out", prefix);
        else snprintf(name, sizeof name, "%s%d", prefix, i);
        if (vt_linear_layer_init(&m->layer[i], s, name, dims[i], dims[i + 1], seed, err) != 0)
            return -1;
    }
    return 0;
}

vt_tensor *vt_mlp_forward(vt_ctx *ctx, const vt_mlp *m, vt_tensor *x) {
    if (!m) return vt_fail(ctx, "vt_mlp_forward: the MLP is NULL");
    for (int i = 0; i < m->n_layers; i++) {
        const vt_linear_layer *l = &m->layer[i];
        int hidden = i < m->n_layers - 1;
        if (hidden && m->act == VT_ACT_RELU) {   /* one fused op: no pre-activation copy */
            x = vt_linear_relu(ctx, x, l->w, l->b);
            continue;
        }
        x = vt_linear_layer_forward(ctx, l, x);
        if (hidden) x = vt_activate(ctx, m->act, x);
    }
    return x;
}

int vt_gated_layer_init(vt_gated_layer *g, vt_store *s, const char *name, int in, int out,
                        uint64_t seed, vt_error *err) {
    char n1[112], n2[112];
    snprintf(n1, sizeof n1, "%s.value", name);
    snprintf(n2, sizeof n2, "%s.gate", name);
    if (vt_linear_layer_init(&g->value, s, n1, in, out, seed, err) != 0) return -1;
    return vt_linear_layer_init(&g->gate, s, n2, in, out, seed, err);
}

/* (x w1 + b1) ⊙ sigmoid(x w2 + b2), composed from recorded ops, so its gradient needs
 * no code of its own. */
vt_tensor *vt_gated_linear(vt_ctx *ctx, vt_tensor *x, vt_tensor *w1, vt_tensor *b1,
                           vt_tensor *w2, vt_tensor *b2) {
    vt_tensor *value = vt_linear(ctx, x, w1, b1);
    vt_tensor *gate = vt_sigmoid(ctx, vt_linear(ctx, x, w2, b2));
    return vt_mul(ctx, value, gate);
}

vt_tensor *vt_gated_layer_forward(vt_ctx *ctx, const vt_gated_layer *g, vt_tensor *x) {
    if (!g) return vt_fail(ctx, "vt_gated_layer_forward: the layer is NULL");
    return vt_gated_linear(ctx, x, g->value.w, g->value.b, g->gate.w, g->gate.b);
}
