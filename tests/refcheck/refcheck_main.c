/* vtape-refcheck FILE... [-v]: check vtape against float64 reference cases.
 * Exit status: 0 all passed, 1 some case failed, 2 usage or malformed file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refcheck.h"

static int usage(void) {
    fprintf(stderr, "usage: vtape-refcheck [-v] FILE...\n"
                    "  -v  print every case with its worst errors\n");
    return 2;
}

int main(int argc, char **argv) {
    int verbose = 0, n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return usage();
        else if (argv[i][0] == '-' && argv[i][1]) return usage();
        else n_files++;
    }
    if (n_files == 0) return usage();

    /* Parse everything first: a malformed file stops the run before any case runs. */
    rc_file *files = calloc((size_t)n_files, sizeof *files);
    if (!files) { fprintf(stderr, "vtape-refcheck: out of memory\n"); return 2; }
    char err[1024];
    int k = 0, status = 0;
    for (int i = 1; i < argc && status == 0; i++) {
        if (strcmp(argv[i], "-v") == 0) continue;
        if (rc_parse_file(argv[i], &files[k], err, sizeof err) != 0) {
            fprintf(stderr, "vtape-refcheck: malformed input: %s\n", err);
            status = 2;
        }
        k++;
    }

    long passed = 0, failed = 0;
    if (status == 0) {
        vt_ctx *ctx = vt_ctx_new(NULL);
        if (!ctx) { fprintf(stderr, "vtape-refcheck: cannot create a context\n"); status = 2; }
        for (int f = 0; ctx && f < n_files; f++)
            for (int c = 0; c < files[f].n_cases; c++) {
                if (rc_run_case(ctx, &files[f].cases[c], verbose, stdout)) passed++;
                else failed++;
            }
        vt_ctx_free(ctx);
        if (ctx) {
            printf("%ld passed, %ld failed\n", passed, failed);
            status = failed ? 1 : 0;
        }
    }
    for (int f = 0; f < n_files; f++) rc_file_free(&files[f]);
    free(files);
    return status;
}
