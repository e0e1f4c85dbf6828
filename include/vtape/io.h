/* Writing files so that a crash never leaves half of one.
 *
 * Every file vtape writes goes to "<path>.tmp" first, is flushed and fsync'd, then
 * renamed over <path>, and the directory is fsync'd so the rename itself is durable.
 * Readers therefore see either the old file or the new one, whole. */
#ifndef VTAPE_IO_H
#define VTAPE_IO_H

#include <stddef.h>
#include <stdio.h>

#include "vtape/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A file being written: f is the temporary; write to it with stdio. */
typedef struct vt_atomic_file {
    FILE *f;
    char *path, *tmp;
} vt_atomic_file;

/* Open <path>.tmp for writing. 0, or a negative VT_E* code with err filled. */
int vt_atomic_begin(vt_atomic_file *af, const char *path, vt_error *err);
/* Flush, fsync, close, rename over the path, fsync the directory. On any failure the
 * temporary is removed, the old file is left as it was and err says what failed.
 * Always releases af. */
int vt_atomic_commit(vt_atomic_file *af, vt_error *err);
/* Give up: close and remove the temporary (the old file stays). */
void vt_atomic_abort(vt_atomic_file *af);
/* The whole file in one call. */
int vt_atomic_write(const char *path, const void *data, size_t len, vt_error *err);

#ifdef __cplusplus
}
#endif
#endif
