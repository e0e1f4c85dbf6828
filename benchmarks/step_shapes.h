/* The 17 GEMMs of one VAE training step (784-512-256, latent 32) at batch B, shared
 * by bench_gemm.c and gemm_libs/gemm_libs.c. Row-major C (M x N) = op(A) op(B) + beta C:
 * forward y = x W (NN), backward dx = dy Wᵀ (NT; none for the input layer) and
 * dW += xᵀ dy (TN). */
#ifndef VT_STEP_SHAPES_H
#define VT_STEP_SHAPES_H

typedef struct { const char *what; int ta, tb, M, N, K; float beta; } step_shape;

/* Fills sh[0..17) and returns 17. */
static inline int step_shapes(int B, step_shape sh[17]) {
    static const int layers[6][3] = {   /* in, out, has dx */
        {784, 512, 0}, {512, 256, 1}, {256, 64, 1}, {32, 256, 1}, {256, 512, 1}, {512, 784, 1},
    };
    int n = 0;
    for (int l = 0; l < 6; l++) {
        int i = layers[l][0], o = layers[l][1];
        sh[n++] = (step_shape){"fwd x W", 0, 0, B, o, i, 1.0f};
        if (layers[l][2]) sh[n++] = (step_shape){"bwd dy Wt", 0, 1, B, i, o, 1.0f};
        sh[n++] = (step_shape){"bwd xt dy", 1, 0, i, o, B, 1.0f};
    }
    return n;
}

#endif
