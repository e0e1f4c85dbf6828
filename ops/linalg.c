/* Matrix products (ops/gemm: AVX-512 kernel or OpenBLAS): C = op(A) op(B), and
 * linear = x @ w + b. */
#include "ops/gemm/gemm.h"
#include "ops/linear.h"
#include "vtape/opkit.h"

#include "core/simd.h"

typedef struct { int ta, tb; } matmul_aux;

/* dA = dC op(B)ᵀ (or op(B) dCᵀ when A is transposed); dB = op(A)ᵀ dC (or dCᵀ op(A)). */
static void matmul_backward(vt_ctx *ctx, vt_node *node) {
    const matmul_aux *m = node->aux;
    vt_tensor *a = node->in[0], *b = node->in[1], *c = node->out;
    int M = vt_rows(c), N = vt_cols(c);
    int K = m->ta ? vt_rows(a) : vt_cols(a);
    int lda = vt_cols(a), ldb = vt_cols(b);
    float *ga = vt_grad(ctx, a), *gb = vt_grad(ctx, b);
    if (ga) {
        if (!m->ta)   /* A: M x K; dA = dC (M x N) · op(B)ᵀ (N x K) */
            vt_sgemm_ctx(ctx, 0, !m->tb, M, K, N, c->grad, N, b->data, ldb, 1.0f, ga, lda);
        else          /* A: K x M; dA = op(B) (K x N) · dCᵀ (N x M) */
            vt_sgemm_ctx(ctx, m->tb, 1, K, M, N, b->data, ldb, c->grad, N, 1.0f, ga, lda);
    }
    if (gb) {
        if (!m->tb)   /* B: K x N; dB = op(A)ᵀ (K x M) · dC (M x N) */
            vt_sgemm_ctx(ctx, !m->ta, 0, K, N, M, a->data, lda, c->grad, N, 1.0f, gb, ldb);
        else          /* B: N x K; dB = dCᵀ (N x M) · op(A) (M x K) */
            vt_sgemm_ctx(ctx, 1, m->ta, N, K, M, c->grad, N, a->data, lda, 1.0f, gb, ldb);
    }
}

static vt_tensor *matmul(vt_ctx *ctx, const char *op, vt_tensor *a, vt_tensor *b, int ta,
                         int tb) {
    vt_tensor *in[2] = {a, b};
    if (!vt_check_all(ctx, op, 2, in)) return vt_poison(ctx, op);
    int ar = vt_rows(a), ac = vt_cols(a), br = vt_rows(b), bc = vt_cols(b);
    int M = ta ? ac : ar, K = ta ? ar : ac, Kb = tb ? bc : br, N = tb ? br : bc;
    if (K != Kb) {
        char sa[48], sb[48];
        return vt_fail(ctx, "%s: inner dimensions differ: a is %s, b is %s", op,
                       vt_shape_str(a, sa), vt_shape_str(b, sb));
    }
    vt_tensor *c = vt_out2(ctx, M, N, 2, in);
    if (vt_is_poison(c)) return c;
    vt_sgemm_ctx(ctx, ta, tb, M, N, K, a->data, ac, b->data, bc, 0.0f, c->data, N);
    vt_node *node = vt_record(ctx, op, c, matmul_backward, 2, in, sizeof(matmul_aux));
    if (node) *(matmul_aux *)node->aux = (matmul_aux){ta, tb};
    return c;
}

vt_tensor *vt_matmul(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) {
    return matmul(ctx, "vt_matmul", a, b, 0, 0);
}
vt_tensor *vt_matmul_tb(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) {
    return matmul(ctx, "vt_matmul_tb", a, b, 0, 1);
}
vt_tensor *vt_matmul_ta(vt_ctx *ctx, vt_tensor *a, vt_tensor *b) {
    return matmul(ctx, "vt_matmul_ta", a, b, 1, 0);
}

typedef struct {
    int rows, cols;
    const float *dy, *y;
    float *dz, *db;
} bias_grad_job;

/* Columns [j0, j1) of every row, at most BIAS_STRIP of them: each column's sum runs
 * over the rows in order (in a register strip, stored once), so the bits do not depend
 * on how the columns are split. */
#define BIAS_STRIP 64
VT_WIDE_LOOP static void bias_grad_strip(int rows, size_t cols, size_t w, const float *restrict dy,
                            const float *restrict y, float *restrict dz, float *restrict db) {
    float acc[BIAS_STRIP];
    for (size_t j = 0; j < w; j++) acc[j] = db ? db[j] : 0.0f;
    for (int r = 0; r < rows; r++) {
        size_t o = (size_t)r * cols;
        if (y) {
            for (size_t j = 0; j < w; j++) {
                float v = dy[o + j];   /* loaded on both sides of the select: vectorizes */
                v = y[o + j] > 0.0f ? v : 0.0f;
                dz[o + j] = v;
                acc[j] += v;
            }
        } else {
            for (size_t j = 0; j < w; j++) acc[j] += dy[o + j];
        }
    }
    if (db)
        for (size_t j = 0; j < w; j++) db[j] = acc[j];
}

static void bias_grad_cols(void *arg, size_t j0, size_t j1) {
    const bias_grad_job *a = arg;
    size_t c = (size_t)a->cols;
    for (size_t j = j0; j < j1; j += BIAS_STRIP) {
        size_t w = j1 - j < BIAS_STRIP ? j1 - j : BIAS_STRIP;
        bias_grad_strip(a->rows, c, w, a->dy + j, a->y ? a->y + j : NULL,
                        a->dz ? a->dz + j : NULL, a->db ? a->db + j : NULL);
    }
}

void vt_linear_bias_grad(vt_ctx *ctx, int rows, int cols, const float *dy, const float *y,
                         float *dz, float *db) {
    if (!db && !y) return;
    bias_grad_job a = {rows, cols, dy, y, dz, db};
    /* Strips of 64 columns: a strip of 128 rows is 32 KiB of dy. */
    vt_parallel_for(ctx, (size_t)cols, BIAS_STRIP, bias_grad_cols, &a);
}

/* y = x w + b: dx = dy wᵀ, dw = xᵀ dy, db = Σ_rows dy. */
static void linear_backward(vt_ctx *ctx, vt_node *node) {
    vt_tensor *x = node->in[0], *w = node->in[1], *b = node->n_in > 2 ? node->in[2] : NULL;
    vt_tensor *y = node->out;
    int B = vt_rows(x), Din = vt_cols(x), H = vt_cols(w);
    float *gx = vt_grad(ctx, x), *gw = vt_grad(ctx, w), *gb = b ? vt_grad(ctx, b) : NULL;
    if (gx)
        vt_sgemm_ctx(ctx, 0, 1, B, Din, H, y->grad, H, w->data, H, 1.0f, gx, Din);
    if (gw)
        vt_sgemm_ctx(ctx, 1, 0, Din, H, B, x->data, Din, y->grad, H, 1.0f, gw, H);
    vt_linear_bias_grad(ctx, B, H, y->grad, NULL, NULL, gb);
}

vt_tensor *vt_linear_unrecorded(vt_ctx *ctx, const char *op, vt_tensor *x, vt_tensor *w,
                                vt_tensor *b, int relu) {
    vt_tensor *in[3] = {x, w, b};
    int n_in = b ? 3 : 2;
    if (!vt_check_all(ctx, op, n_in, in)) return vt_poison(ctx, op);
    int B = vt_rows(x), Din = vt_cols(x), H = vt_cols(w);
    if (vt_rows(w) != Din || (b && (vt_numel(b) != (size_t)H || vt_rows(b) != 1))) {
        char sx[48], sw[48], sb[48];
        return vt_fail(ctx, "%s: x is %s, w is %s, b is %s; need w of %d x H and b of 1 x H",
                       op, vt_shape_str(x, sx), vt_shape_str(w, sw),
                       b ? vt_shape_str(b, sb) : "NULL", Din);
    }
    vt_tensor *y = vt_out2(ctx, B, H, n_in, in);
    if (vt_is_poison(y)) return y;
    vt_sgemm_bias_ctx(ctx, B, H, Din, x->data, Din, w->data, H, b ? b->data : NULL, relu,
                      y->data, H);
    return y;
}

vt_tensor *vt_linear(vt_ctx *ctx, vt_tensor *x, vt_tensor *w, vt_tensor *b) {
    const char *op = "vt_linear";
    vt_tensor *y = vt_linear_unrecorded(ctx, op, x, w, b, 0);
    if (!vt_is_poison(y)) vt_record(ctx, op, y, linear_backward, b ? 3 : 2, (vt_tensor *[]){x, w, b}, 0);
    return y;
}
