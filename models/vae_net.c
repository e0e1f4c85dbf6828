/* The VAE's networks: an MLP whose hidden layers are linear + activation (exactly
 * vt_mlp, same parameter names) or gated, (hW + b) ⊙ sigmoid(hV + c) (Dauphin et al.
 * 2017; the VampPrior paper's encoder and decoder), with a linear output layer. */
#include "models/vae_internal.h"
#include <stdio.h>

int vt_vae_net_init(vt_vae_net *n, vt_store *s, const char *prefix, int n_dims, const int *dims,
                    vt_act act, vt_layer_kind kind, uint64_t seed, vt_error *err) {
    n->n_gated = 0;
    if (kind == VT_LAYER_LINEAR)
        return vt_mlp_init(&n->mlp, s, prefix, n_dims, dims, act, seed, err);
    if (n_dims - 2 > VT_VAE_MAX_HIDDEN)
        return vt_error_set(err, VT_EARG, "%s: %d hidden layers (at most %d)", prefix, n_dims - 2,
                            VT_VAE_MAX_HIDDEN);
    for (int i = 0; i + 2 < n_dims; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s%d", prefix, i);
        if (vt_gated_layer_init(&n->gated[i], s, name, dims[i], dims[i + 1], seed, err) != 0)
            return -1;
        n->n_gated++;
    }
    char out[96];
    snprintf(out, sizeof out, "%s_out", prefix);
    n->mlp.n_layers = 1;
    n->mlp.act = act;
    return vt_linear_layer_init(&n->mlp.layer[0], s, out, dims[n_dims - 2], dims[n_dims - 1],
                                seed, err);
}

vt_tensor *vt_vae_net_forward(vt_ctx *ctx, const vt_vae_net *n, vt_tensor *x) {
    for (int i = 0; i < n->n_gated; i++) x = vt_gated_layer_forward(ctx, &n->gated[i], x);
    return vt_mlp_forward(ctx, &n->mlp, x);
}
