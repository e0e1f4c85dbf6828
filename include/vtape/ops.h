/* vtape ops: each returns a new tensor in the context's arena and records its
 * backward on the tape. Shapes are "rows x cols" (rows = product of leading dims).
 * "Row broadcast": a 1 x D operand is applied to every row of an R x D one.
 * Per-row results ("_rows") are R x 1. On misuse an op sets the context error
 * (naming the op and the shapes) and returns a poison tensor. */
#ifndef VTAPE_OPS_H
#define VTAPE_OPS_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- linear algebra ----
 * Matrix products run on vtape's AVX-512 kernel when the CPU has AVX-512F (split over
 * the context's threads, vt_ctx_opts.threads) and on OpenBLAS otherwise (its own
 * threads, openblas_set_num_threads). VT_GEMM=openblas in the environment, or
 * vt_gemm_use("openblas" | "avx512" | "auto"), overrides the choice (-1: unknown name
 * or no AVX-512). Results are deterministic for a given backend and thread count. */
const char *vt_gemm_backend(void);   /* "avx512" or "openblas" */
int vt_gemm_use(const char *name);
vt_tensor *vt_matmul(vt_ctx *, vt_tensor *a, vt_tensor *b);        /* a @ b   */
vt_tensor *vt_matmul_tb(vt_ctx *, vt_tensor *a, vt_tensor *b);     /* a @ bᵀ  */
vt_tensor *vt_matmul_ta(vt_ctx *, vt_tensor *a, vt_tensor *b);     /* aᵀ @ b  */
vt_tensor *vt_linear(vt_ctx *, vt_tensor *x, vt_tensor *w, vt_tensor *b); /* x@w + b; b may be NULL */
/* relu(x@w + b) as one op (one tensor, one pass after the GEMM, one masked gradient):
 * the same values and gradients as vt_relu(vt_linear(...)), faster. */
vt_tensor *vt_linear_relu(vt_ctx *, vt_tensor *x, vt_tensor *w, vt_tensor *b);

/* ---- element-wise (SLEEF vector functions where transcendental) ---- */
vt_tensor *vt_exp(vt_ctx *, vt_tensor *x);
vt_tensor *vt_log(vt_ctx *, vt_tensor *x);
vt_tensor *vt_softplus(vt_ctx *, vt_tensor *x);     /* log(1 + eˣ), no overflow */
vt_tensor *vt_sigmoid(vt_ctx *, vt_tensor *x);
vt_tensor *vt_log_sigmoid(vt_ctx *, vt_tensor *x);  /* −softplus(−x) */
vt_tensor *vt_tanh(vt_ctx *, vt_tensor *x);
vt_tensor *vt_relu(vt_ctx *, vt_tensor *x);
vt_tensor *vt_square(vt_ctx *, vt_tensor *x);
vt_tensor *vt_sqrt(vt_ctx *, vt_tensor *x);
vt_tensor *vt_scale(vt_ctx *, vt_tensor *x, float s);
vt_tensor *vt_add_scalar(vt_ctx *, vt_tensor *x, float c);
/* add/sub/mul: b is the same shape as a, a row (1 x D), a column (R x 1) or a
 * scalar (1 x 1), broadcast over a; its gradient is summed back to its shape. */
vt_tensor *vt_add(vt_ctx *, vt_tensor *a, vt_tensor *b);
vt_tensor *vt_sub(vt_ctx *, vt_tensor *a, vt_tensor *b);
vt_tensor *vt_mul(vt_ctx *, vt_tensor *a, vt_tensor *b);
/* a + b·s in one op (the weighted sums of ELBO terms). Same shapes only. */
vt_tensor *vt_axpby(vt_ctx *, float sa, vt_tensor *a, float sb, vt_tensor *b);
/* max(x, floor) element-wise with a constant floor; gradient flows where x > floor. */
vt_tensor *vt_clamp_min(vt_ctx *, vt_tensor *x, float floor);

/* ---- reductions ---- */
vt_tensor *vt_sum(vt_ctx *, vt_tensor *x);               /* → 1 x 1 */
vt_tensor *vt_mean(vt_ctx *, vt_tensor *x);              /* → 1 x 1 */
vt_tensor *vt_sum_rows(vt_ctx *, vt_tensor *x);          /* R x D → R x 1 */
vt_tensor *vt_mean_cols(vt_ctx *, vt_tensor *x);         /* R x D → 1 x D (mean over rows) */
vt_tensor *vt_logsumexp_rows(vt_ctx *, vt_tensor *x);    /* R x D → R x 1, max-shifted */
vt_tensor *vt_log_softmax_rows(vt_ctx *, vt_tensor *x);  /* R x D → R x D */
/* logw is K x B (sample k of datapoint b): log (1/K) Σ_k exp(logw[k,b]) → B x 1. */
vt_tensor *vt_logmeanexp_samples(vt_ctx *, vt_tensor *logw);

/* ---- shape ---- */
vt_tensor *vt_concat_cols(vt_ctx *, vt_tensor *a, vt_tensor *b);
vt_tensor *vt_slice_cols(vt_ctx *, vt_tensor *x, int start, int len);
vt_tensor *vt_reshape(vt_ctx *, vt_tensor *x, int ndim, const int *shape);
/* R x D → (K·R) x D: copy k of row r at row k·R + r (samples are the outer index). */
vt_tensor *vt_repeat_rows(vt_ctx *, vt_tensor *x, int k);

/* The ops that are a distribution family's math (reparameterized samples,
 * log-densities, KL) are declared with their family in dist.h. */

#ifdef __cplusplus
}
#endif
#endif
