/* Error reporting for the data module: a code plus a formatted message. */
#include <stdarg.h>
#include <stdio.h>

#include "data_internal.h"

int vt_data_fail(vt_data_err *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
