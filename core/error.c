/* The error type of everything that has no context: a code plus a message. */
#include <stdarg.h>
#include <stdio.h>

#include "vtape/error.h"

int vt_error_set(vt_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void vt_error_clear(vt_error *err) {
    if (err) {
        err->code = VT_OK;
        err->msg[0] = '\0';
    }
}
