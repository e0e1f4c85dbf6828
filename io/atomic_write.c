/* Temporary file, fsync, rename, fsync of the directory: the one way vtape writes. */
#include "vtape/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vt_atomic_begin(vt_atomic_file *af, const char *path, vt_error *err) {
    memset(af, 0, sizeof *af);
    if (!path || !*path) return vt_error_set(err, VT_EARG, "atomic write: no path given");
    size_t n = strlen(path);
    af->path = malloc(n + 1);
    af->tmp = malloc(n + sizeof ".tmp");
    if (!af->path || !af->tmp) {
        vt_atomic_abort(af);
        return vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
    }
    memcpy(af->path, path, n + 1);
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp", sizeof ".tmp");
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        vt_error_set(err, VT_EIO, "%s: cannot create: %s", af->tmp, strerror(e));
        vt_atomic_abort(af);
        return VT_EIO;
    }
    return 0;
}

void vt_atomic_abort(vt_atomic_file *af) {
    if (af->f) fclose(af->f);
    if (af->tmp) remove(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}

/* The rename is only durable once the directory entry is on disk. */
static void sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(n + 2);
    if (!dir) return;
    if (!slash) strcpy(dir, ".");
    else if (n == 0) strcpy(dir, "/");
    else memcpy(dir, path, n), dir[n] = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int vt_atomic_commit(vt_atomic_file *af, vt_error *err) {
    if (!af || !af->f) return vt_error_set(err, VT_EARG, "atomic write: nothing open");
    FILE *f = af->f;
    af->f = NULL;
    const char *what = NULL, *who = af->tmp;
    if (ferror(f) || fflush(f) != 0) what = "cannot write";
    else if (fsync(fileno(f)) != 0) what = "cannot sync";
    int e = errno;
    if (fclose(f) != 0 && !what) what = "cannot close", e = errno;
    if (!what && rename(af->tmp, af->path) != 0)
        what = "cannot move into place", who = af->path, e = errno;
    if (what) {
        vt_error_set(err, VT_EIO, "%s: %s: %s", who, what, strerror(e ? e : EIO));
        vt_atomic_abort(af);
        return VT_EIO;
    }
    sync_dir(af->path);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
    return 0;
}

int vt_atomic_write(const char *path, const void *data, size_t len, vt_error *err) {
    vt_atomic_file af;
    int rc = vt_atomic_begin(&af, path, err);
    if (rc != 0) return rc;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno;
        vt_error_set(err, VT_EIO, "%s: cannot write: %s", af.tmp, strerror(e ? e : EIO));
        vt_atomic_abort(&af);
        return VT_EIO;
    }
    return vt_atomic_commit(&af, err);
}
