/* The README's `vtape` commands run as written. Every line of the README's command
 * block that starts with `build/vtape` runs, in order, with its words unchanged; only
 * sizes are appended so that it runs in seconds (one epoch on a small random data set,
 * few importance samples; the command takes the last of a repeated option), and paths
 * are moved into a scratch directory (out/…, x.npy, y.npy). A command of the README that
 * stops working fails here, with its line. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "support.h"

#define VTAPE VT_BUILD_DIR "/vtape"
#define README VT_SOURCE_DIR "/README.md"

/* dir/name: an NPY file of n rows of `cols` elements (cols 1: a vector). */
static void write_npy(const char *dir, const char *name, const char *descr, int n, int cols,
                      const void *data, size_t elem) {
    char dict[128];
    if (cols > 1)
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, n, cols);
    else
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%d,), }", descr, n);
    size_t bytes = elem * (size_t)n * (size_t)cols;
    uint8_t *file = malloc(bytes + 256);
    cr_assert_not_null(file);
    cr_assert_not_null(vt_test_write_file(dir, name, file,
                                          vt_test_make_npy(file, 1, dict, data, bytes, NULL)));
    free(file);
}

/* `line` with `from` replaced by `to` everywhere, into out. */
static void replace_all(char *out, size_t len, const char *line, const char *from, const char *to) {
    size_t o = 0, nf = strlen(from), nt = strlen(to);
    for (const char *p = line; *p && o + 1 < len;) {
        if (strncmp(p, from, nf) == 0 && o + nt + 1 < len) {
            memcpy(out + o, to, nt);
            o += nt;
            p += nf;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static const char *sizes_for(const char *cmd) {
    if (strncmp(cmd, "train", 5) == 0)
        return " --train-limit 256 --test-limit 64 --epochs 1 --iw-k 4 --iw-n 8 --force";
    if (strncmp(cmd, "eval", 4) == 0) return " --test-limit 64 --iw-k 4 --iw-n 8 --gap-n 4 --gap-steps 2 --stats-n 32 --mi-points 16";
    if (strncmp(cmd, "sample", 6) == 0) return " --n 4";
    return "";
}

Test(readme, every_vtape_command_runs_as_written, .timeout = 600) {
    char dir[64], data[128], path[160];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(data, sizeof data, "%s/fashion", dir);
    mkdir(data, 0755);
    cr_assert_eq(vt_test_fake_fashion(data, 300, 100), 0);
    enum { N = 120, D = 784 };
    float *x = malloc(sizeof(float) * N * D);
    unsigned char y[N];
    vt_test_fill_uniform(x, (size_t)N * D, 0, 1, 3);
    for (int i = 0; i < N; i++) y[i] = (unsigned char)(i % 10);
    write_npy(dir, "x.npy", "<f4", N, D, x, sizeof(float));
    write_npy(dir, "y.npy", "|u1", N, 1, y, 1);
    free(x);

    FILE *f = fopen(README, "r");
    cr_assert_not_null(f, "cannot read %s", README);
    char line[1024], a[2048], b[2048], c[2048], cmd[4096], outdir[96], xnpy[96], ynpy[96];
    snprintf(outdir, sizeof outdir, " %s/out/", dir);
    snprintf(xnpy, sizeof xnpy, " %s/x.npy", dir);
    snprintf(ynpy, sizeof ynpy, " %s/y.npy", dir);
    int ran = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "build/vtape ", 12) != 0) continue;
        line[strcspn(line, "\n")] = '\0';
        char *hash = strstr(line, "  #");   /* the README's comment after a command */
        if (hash) *hash = '\0';
        replace_all(a, sizeof a, line + 12, " out/", outdir);
        replace_all(b, sizeof b, a, " x.npy", xnpy);
        replace_all(c, sizeof c, b, " y.npy", ynpy);
        for (size_t n = strlen(line); n > 0 && line[n - 1] == ' ';) line[--n] = '\0';
        int plot = strncmp(c, "plot", 4) == 0;   /* reads a metrics file, no data */
        snprintf(cmd, sizeof cmd, "%s %s%s%s%s > %s/last.log 2>&1", VTAPE, c,
                 plot ? "" : " --data-dir ", plot ? "" : data, sizes_for(c), dir);
        int st = system(cmd);
        char log[512] = "";
        snprintf(path, sizeof path, "%s/last.log", dir);
        FILE *l = fopen(path, "r");
        if (l) {
            size_t n = fread(log, 1, sizeof log - 1, l);
            log[n] = '\0';
            fclose(l);
        }
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "README: `%s` failed (status %d):\n%s",
                  line, WIFEXITED(st) ? WEXITSTATUS(st) : -1, log);
        ran++;
    }
    fclose(f);
    cr_assert_geq(ran, 10, "only %d vtape commands found in the README", ran);
    vt_test_rmtree(dir);
}
