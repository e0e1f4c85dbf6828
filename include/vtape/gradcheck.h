/* Gradient check: compare vt_backward against central finite differences.
 *
 * `fn` records a forward pass on ctx from the chosen inputs and returns a tensor y;
 * the checked scalar is Σ y ⊙ G for a fixed random G (so any output shape works).
 * Inputs must outlive resets: parameters of a vt_store, or tensors made with
 * vt_leaf_new. Each evaluation resets ctx, so fn must rebuild everything it uses. */
#ifndef VTAPE_GRADCHECK_H
#define VTAPE_GRADCHECK_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef vt_tensor *(*vt_gradcheck_fn)(vt_ctx *ctx, vt_tensor *const *inputs, void *user);

typedef struct vt_gradcheck_opts {
    double step;       /* finite-difference step h relative to max(1, |x|) (0: 1e-2) */
    double atol, rtol; /* element passes if |num − ana| ≤ atol + rtol·|num| (0: 1e-3, 1e-2) */
    uint64_t seed;     /* for G */
} vt_gradcheck_opts;

typedef struct vt_gradcheck_report {
    int ok;                 /* every element passed and no error was set */
    double max_abs_err;     /* worst |num − ana| */
    double max_rel_err;     /* worst |num − ana| / max(|num|, atol) */
    int worst_input;        /* where the worst (tolerance-scaled) error sits */
    size_t worst_index;
    double worst_numeric, worst_analytic;
    size_t checked;         /* elements compared */
    char error[256];        /* context error raised by fn, if any */
} vt_gradcheck_report;

/* Leaf tensor outside the arena (malloc'd, takes a gradient); free with vt_leaf_free. */
vt_tensor *vt_leaf_new(int ndim, const int *shape, const float *data);
void vt_leaf_free(vt_tensor *t);

/* Returns report.ok. opts may be NULL. */
int vt_gradcheck(vt_ctx *ctx, vt_gradcheck_fn fn, int n_inputs, vt_tensor *const *inputs,
                 void *user, const vt_gradcheck_opts *opts, vt_gradcheck_report *report);

#ifdef __cplusplus
}
#endif
#endif
