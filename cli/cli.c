/* Failure reporting and small file-system helpers shared by the subcommands. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <cblas.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

static void report(const char *cmd, const char *kind, const char *fmt, va_list ap) {
    fprintf(stderr, "vtape %s: %s", cmd, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_fail(const char *cmd, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(cmd, "", fmt, ap);
    va_end(ap);
    return status;
}

void cli_warn(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(cmd, "warning: ", fmt, ap);
    va_end(ap);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_join(char *buf, size_t len, const char *dir, const char *name) {
    size_t n = strlen(dir);
    const char *sep = n && dir[n - 1] == '/' ? "" : "/";
    int w = snprintf(buf, len, "%s%s%s", dir, sep, name);
    return w >= 0 && (size_t)w < len ? 0 : -1;
}

int cli_mkdirs(const char *dir) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Create each prefix in turn; existing directories are fine. */
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) return -1;
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int cli_set_blas_threads(const char *cmd, int wanted) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int n = wanted;
    /* More OpenBLAS threads than CPUs only costs memory (a buffer per thread), and
     * where memory is limited OpenBLAS can stall when it cannot get them. */
    if (cpus > 0 && n > cpus) {
        cli_warn(cmd, "--blas-threads %d: this machine has %ld CPUs; using %ld", wanted, cpus, cpus);
        n = (int)cpus;
    }
    openblas_set_num_threads(n);
    return n;
}
