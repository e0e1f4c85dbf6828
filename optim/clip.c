/* Clipping by the global L2 norm of every gradient in the store. */
#include "optim/internal.h"
#include <float.h>
#include <math.h>

float vt_clip_grad_norm(vt_store *store, float max_norm) {
    size_t n = vt_store_numel(store);
    if (n == 0) return 0.0f;
    float *g = vt_store_grads(store);

    /* Squares summed in double (no overflow below ~1e154 per element, and the rounding
     * of millions of terms stays far below float precision); four partial sums keep
     * the adds independent, and the fixed order keeps the result reproducible. */
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) acc[k] += (double)g[i + k] * (double)g[i + k];
    for (; i < n; i++) acc[0] += (double)g[i] * (double)g[i];
    double norm = sqrt((acc[0] + acc[1]) + (acc[2] + acc[3]));

    /* A norm beyond float range is reported as +Inf (converting it would be undefined). */
    if (isnan(norm)) return (float)norm;
    if (norm > FLT_MAX) return INFINITY;
    if (max_norm > 0.0f && norm > max_norm) {
        float scale = (float)(max_norm / norm);
        for (size_t j = 0; j < n; j++) g[j] *= scale;
    }
    return (float)norm;
}
