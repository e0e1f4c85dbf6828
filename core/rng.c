/* Counter-based noise (Philox4x32-10, Salmon et al. 2011): a draw is a pure function
 * of (seed, step, stream, index), so no state is shared between threads or batches. */
#include "core/internal.h"
#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox4x32(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4]) {
    uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* Block j of (seed, step, stream): counter = (j, stream, step), key = seed. */
static void block(uint64_t seed, uint64_t step, uint64_t stream, uint64_t j, uint32_t out[4]) {
    uint32_t ctr[4] = {(uint32_t)j, (uint32_t)(j >> 32) ^ (uint32_t)(stream << 16),
                       (uint32_t)step, (uint32_t)(step >> 32) ^ (uint32_t)(stream >> 16)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    philox4x32(ctr, key, out);
}

/* 24 high bits → float in [0, 1); (u + 0.5) form keeps log() finite in Box–Muller. */
static inline float unit(uint32_t u) { return (float)(u >> 8) * (1.0f / 16777216.0f); }
static inline float unit_open(uint32_t u) { return ((float)(u >> 8) + 0.5f) * (1.0f / 16777216.0f); }

void vt_philox_uniform(uint64_t seed, uint64_t step, uint64_t stream, uint64_t offset,
                       size_t n, float *out) {
    uint32_t b[4];
    uint64_t cur = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = offset + i;
        if (idx / 4 != cur) {
            cur = idx / 4;
            block(seed, step, stream, cur, b);
        }
        out[i] = unit(b[idx % 4]);
    }
}

/* Normal i uses block i/2: one Box–Muller pair per two uniforms, both outputs used. */
void vt_philox_normal(uint64_t seed, uint64_t step, uint64_t stream, uint64_t offset,
                      size_t n, float *out) {
    uint32_t b[4];
    uint64_t cur = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = offset + i;
        if (idx / 2 != cur) {
            cur = idx / 2;
            block(seed, step, stream ^ 0x5A5A000000000000ull, cur, b);
        }
        /* Box–Muller in double: the radius of a 24-bit uniform is accurate far into
         * the tails, and the cost is small next to a GEMM. */
        double r = sqrt(-2.0 * log((double)unit_open(b[0]))) ;
        double th = 6.283185307179586 * (double)unit(b[1]);
        out[i] = (float)(idx % 2 ? r * sin(th) : r * cos(th));
    }
}

typedef struct {
    uint64_t seed, step, stream;
    float *out;
} normal_job;

static void normal_range(void *arg, size_t b, size_t e) {
    const normal_job *j = arg;
    vt_philox_normal(j->seed, j->step, j->stream, b, e - b, j->out + b);
}

/* Draw i is a function of its index alone, so the pool can split the draws anywhere:
 * the values are those of one call. (A step's noise is 4 096 normals at batch 128, and
 * Box–Muller's log and sincos in double cost more than the matrix products next to
 * them at small batches.) */
vt_tensor *vt_randn(vt_ctx *ctx, int rows, int cols) {
    vt_tensor *t = vt_tensor_new(ctx, 2, (int[]){rows, cols});
    if (t->flags & VT_POISON) return t;
    normal_job j = {ctx->seed, ctx->step, ctx->stream++, t->data};
    vt_parallel_for(ctx, vt_numel(t), 1024, normal_range, &j);
    return t;
}

vt_tensor *vt_randu(vt_ctx *ctx, int rows, int cols) {
    vt_tensor *t = vt_tensor_new(ctx, 2, (int[]){rows, cols});
    if (t->flags & VT_POISON) return t;
    vt_philox_uniform(ctx->seed, ctx->step, ctx->stream++, 0, vt_numel(t), t->data);
    return t;
}
