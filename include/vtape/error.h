/* vtape's error model, in two rules:
 *
 * 1. Anything given a vt_ctx reports through the context: the first failure sets the
 *    context's sticky error (vt_ctx_error) naming the op and the shapes, and the call
 *    returns a *poison* value (a poison tensor, or a poison dist whose methods return
 *    poison) that later calls pass through without a new message. Check once per step.
 *
 * 2. Everything else (files, data, configurations, optimizers, the parameter store)
 *    takes a `vt_error *err` as its last argument, which may be NULL, and returns a
 *    negative VT_E* code (or NULL) with err->msg naming the file, the byte offset or the
 *    field and what was expected:
 *
 *        vt_error err;
 *        if (vt_checkpoint_load(path, store, opt, &state, &err) != 0)
 *            fprintf(stderr, "%s\n", err.msg);
 *
 * Nothing in the library exits or aborts on user error; on failure the caller's data
 * and the last good state are left as they were. */
#ifndef VTAPE_ERROR_H
#define VTAPE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    VT_OK        = 0,
    VT_EIO       = -1, /* cannot open, read or write a file (or a gzip stream error) */
    VT_EFORMAT   = -2, /* bad magic, unsupported type, wrong dims, trailing bytes */
    VT_ETRUNC    = -3, /* file ends early */
    VT_ETOOBIG   = -4, /* a size beyond a documented limit, or one that overflows */
    VT_EMISMATCH = -5, /* two parts disagree (label count, parameter shape, ...) */
    VT_ELABEL    = -6, /* label value out of range */
    VT_ENOMEM    = -7,
    VT_EARG      = -8, /* invalid argument or configuration (NULL, zero size, ...) */
    VT_ENONFINITE = -9, /* NaN or infinity where a finite value is required */
};

typedef struct vt_error {
    int code;       /* one of VT_E*, VT_OK when nothing failed */
    char msg[512];
} vt_error;

/* Fill err (may be NULL) and return code, so callers can `return vt_error_set(...)`. */
int vt_error_set(vt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Mark err (may be NULL) as "no error". */
void vt_error_clear(vt_error *err);

#ifdef __cplusplus
}
#endif
#endif
