/* Private to the reference checker: how the op of a case is called. refcheck.c holds the
 * table of the ops of ../shared/reference; refcheck_latent.c those the latent models
 * added (tests/reference/extra_ops.txt). */
#ifndef VTAPE_REFCHECK_OPS_H
#define VTAPE_REFCHECK_OPS_H

#include "refcheck.h"

/* The case being run; why a call could not be made. */
typedef struct op_call {
    const rc_case *c;
    char why[160];
} op_call;

typedef vt_tensor *(*op_fn)(vt_ctx *ctx, vt_tensor *const *a, op_call *oc);

enum { RC_MAX_ARGS = 11 };

/* Argument names in call order, as the reference files spell them. "a|x" accepts either
 * name; a trailing '?' marks an optional input (passed as NULL when absent). */
typedef struct op_entry {
    const char *name;
    op_fn call;
    const char *args[RC_MAX_ARGS + 1];
} op_entry;

/* A case's attribute as a number; 0 (with oc->why set) when missing or malformed. */
int rc_attr_float(op_call *oc, const char *key, float *out);
int rc_attr_int(op_call *oc, const char *key, int *out);

extern const op_entry rc_latent_ops[];
extern const size_t rc_n_latent_ops;

#endif
