/* Layers over parameters of a vt_store: linear, MLP, gated linear. */
#ifndef VTAPE_LAYERS_H
#define VTAPE_LAYERS_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { VT_ACT_RELU, VT_ACT_SOFTPLUS, VT_ACT_TANH } vt_act;
extern const vt_names vt_act_names;   /* "relu", "softplus", "tanh" */
int vt_act_parse(const char *name);   /* the activation, or -1 if unknown */
const char *vt_act_name(vt_act a);
vt_tensor *vt_activate(vt_ctx *ctx, vt_act a, vt_tensor *x);

/* y = x W + b with W: in x out (parameters "<name>.W", "<name>.b"), initialised as
 * PyTorch's nn.Linear: U(−1/√in, 1/√in) for both, from Philox keyed by `seed`. */
typedef struct { vt_tensor *w, *b; } vt_linear_layer;
int vt_linear_layer_init(vt_linear_layer *l, vt_store *s, const char *name, int in, int out,
                         uint64_t seed, vt_error *err);
vt_tensor *vt_linear_layer_forward(vt_ctx *ctx, const vt_linear_layer *l, vt_tensor *x);

/* dims[0] → dims[1] → … → dims[n−1]; activation after every layer but the last.
 * Layers are named "<prefix>0", "<prefix>1", …, and the last "<prefix>_out". */
#define VT_MLP_MAX_LAYERS 8
typedef struct {
    int n_layers;
    vt_act act;
    vt_linear_layer layer[VT_MLP_MAX_LAYERS];
} vt_mlp;
int vt_mlp_init(vt_mlp *m, vt_store *s, const char *prefix, int n_dims, const int *dims,
                vt_act act, uint64_t seed, vt_error *err);
vt_tensor *vt_mlp_forward(vt_ctx *ctx, const vt_mlp *m, vt_tensor *x);

/* (x W1 + b1) ⊙ sigmoid(x W2 + b2), parameters "<name>.value.*" and "<name>.gate.*". */
typedef struct { vt_linear_layer value, gate; } vt_gated_layer;
int vt_gated_layer_init(vt_gated_layer *g, vt_store *s, const char *name, int in, int out,
                        uint64_t seed, vt_error *err);
/* The same on raw tensors: (x w1 + b1) ⊙ sigmoid(x w2 + b2). */
vt_tensor *vt_gated_linear(vt_ctx *ctx, vt_tensor *x, vt_tensor *w1, vt_tensor *b1,
                           vt_tensor *w2, vt_tensor *b2);
vt_tensor *vt_gated_layer_forward(vt_ctx *ctx, const vt_gated_layer *g, vt_tensor *x);

#ifdef __cplusplus
}
#endif
#endif
