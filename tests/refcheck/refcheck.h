/* Reference checker: reads the float64 reference cases of shared/reference (format in
 * its README.md) and runs each one through vtape's public API, comparing the forward
 * value and every input gradient in float32. */
#ifndef VTAPE_REFCHECK_H
#define VTAPE_REFCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "vtape/core.h"

#define RC_MAX_FILE_DIMS 8   /* the format allows any rank; vtape takes up to 4 */

/* One `in`, `out`, `gout` or `gin` line. ndim 0 is a scalar (numel 1). */
typedef struct rc_tensor {
    char *arg;              /* input name for in/gin, NULL for out/gout */
    int ndim;
    int shape[RC_MAX_FILE_DIMS];
    size_t numel;
    double *v;
    int line;
} rc_tensor;

typedef struct rc_attr {
    char *key, *value;
} rc_attr;

typedef struct rc_case {
    char *name, *op;
    const char *path;       /* file it came from (owned by the rc_file) */
    int line;               /* of its `case` line */
    rc_attr *attrs;
    int n_attrs;
    rc_tensor *in, *gin;
    int n_in, n_gin;
    rc_tensor out, gout;    /* v is NULL when absent */
} rc_case;

typedef struct rc_file {
    char *path;
    rc_case *cases;
    int n_cases;
} rc_file;

/* Parse a whole file. On a malformed file returns -1 and writes "PATH:LINE: why" into
 * err; the partial result is freed. */
int rc_parse_file(const char *path, rc_file *out, char *err, size_t err_len);
void rc_file_free(rc_file *f);

/* Run one case on ctx (reset first). Returns 1 when it passed. Writes a `FAIL` line for a
 * failure, and with verbose an `ok` line with the worst errors for a pass, to `log`. */
int rc_run_case(vt_ctx *ctx, const rc_case *c, int verbose, FILE *log);

/* The single tolerance rule: |got − want| ≤ RC_ATOL + RC_RTOL·|want| (see refcheck.c). */
extern const double RC_ATOL, RC_RTOL;

#endif
