/* SGD as torch.optim.SGD with dampening 0:
 *   g = grad + wd * p
 *   b = momentum * b + g                         (velocity, store slot 0)
 *   p -= lr * (nesterov ? g + momentum * b : b)  (p -= lr * g without momentum)
 * The zero-initialised velocity gives PyTorch's first step (b = g) exactly. */
#include "optim/internal.h"
#include <math.h>

/* restrict parameters (not locals) are what tells GCC the blocks do not overlap. */
static void plain_range(float lr, float wd, size_t n, float *restrict p,
                        const float *restrict g) {
    size_t i = 0;
    for (; i + VT_OPTIM_BLOCK <= n; i += VT_OPTIM_BLOCK)
        for (size_t k = i; k < i + VT_OPTIM_BLOCK; k++) p[k] -= lr * (g[k] + wd * p[k]);
    for (; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
}

/* The velocity of a weight with zero gradient decays like Adam's moments: flush it
 * the same way (see VT_MOMENT_FLUSH). */
static inline void momentum_element(float lr, float wd, float mu, int nesterov,
                                    float *restrict p, const float *restrict g,
                                    float *restrict b, size_t i) {
    float gi = g[i] + wd * p[i];
    float bi = mu * b[i] + gi;
    bi = fabsf(bi) < VT_MOMENT_FLUSH ? 0.0f : bi;
    b[i] = bi;
    p[i] -= lr * (nesterov ? gi + mu * bi : bi);
}

/* nesterov is a compile-time constant at each call, so each copy has no branch. */
static inline void momentum_range(float lr, float wd, float mu, int nesterov, size_t n,
                                  float *restrict p, const float *restrict g,
                                  float *restrict b) {
    size_t i = 0;
    for (; i + VT_OPTIM_BLOCK <= n; i += VT_OPTIM_BLOCK)
        for (size_t k = i; k < i + VT_OPTIM_BLOCK; k++)
            momentum_element(lr, wd, mu, nesterov, p, g, b, k);
    for (; i < n; i++) momentum_element(lr, wd, mu, nesterov, p, g, b, i);
}

int vt_sgd_update(vt_optim *opt, float lr, vt_error *err) {
    size_t n = vt_store_numel(opt->store);
    if (n == 0) return 0;
    float *p = vt_store_values(opt->store), *g = vt_store_grads(opt->store);
    const float wd = opt->cfg.weight_decay, mu = opt->cfg.momentum;
    if (mu == 0.0f) {
        plain_range(lr, wd, n, p, g);
        return 0;
    }
    float *b = vt_store_slot(opt->store, 0);
    if (!b) return vt_error_set(err, VT_ENOMEM, "vt_optim_step: out of memory for SGD velocity");
    if (opt->cfg.nesterov) momentum_range(lr, wd, mu, 1, n, p, g, b);
    else momentum_range(lr, wd, mu, 0, n, p, g, b);
    return 0;
}
