/* run.txt: a run's options as "name=value" lines beside its checkpoint, with the run's
 * id, written atomically and read back by --resume, eval and sample. */
#include "cli/options/train_options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"

int cli_run_file_write(const char *path, const cli_opt *table, const char *run_id, vt_error *err) {
    vt_atomic_file af;
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    fprintf(af.f, "# vtape train options of this run (read by --resume, eval and sample)\n");
    if (run_id) fprintf(af.f, "# run-id: %s\n", run_id);
    for (const cli_opt *o = table; o->name; o++) {
        if (!strcmp(o->name, "resume") || !strcmp(o->name, "force")) continue;   /* how it was started */
        const cli_opt one[2] = {*o, CLI_OPT_END};
        cli_opts_write(af.f, one);
    }
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}

int cli_run_file_id(const char *path, char *id, size_t len) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int rc = -1;
    const char *key = "# run-id: ";
    while (rc != 0 && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) {
            const char *v = line + strlen(key);
            size_t n = strcspn(v, "\n");
            if (n > 0 && n < len) {
                memcpy(id, v, n);
                id[n] = '\0';
                rc = 0;
            }
        }
    fclose(f);
    return rc;
}

int cli_run_file_read(const char *path, cli_opt *table, char **buf, vt_error *err) {
    *buf = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        vt_error_set(err, VT_EIO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* The whole file stays in *buf: string options point into it. */
    size_t cap = 0, n = 0;
    char *text = NULL;
    for (int c; (c = fgetc(f)) != EOF;) {
        if (n + 2 > cap) {
            char *t = realloc(text, cap = cap ? 2 * cap : 4096);
            if (!t) { free(text); fclose(f); vt_error_set(err, VT_ENOMEM, "%s: out of memory", path); return -1; }
            text = t;
        }
        text[n++] = (char)c;
    }
    fclose(f);
    if (!text) {
        vt_error_set(err, VT_EARG, "%s: empty file", path);
        return -1;
    }
    text[n] = '\0';
    *buf = text;
    int line_no = 0;
    for (char *line = text, *next; line && *line; line = next) {
        line_no++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (line[0] == '#' || !line[0]) continue;
        char *eq = strchr(line, '=');
        vt_error msg = {0};
        if (!eq) {
            vt_error_set(err, VT_EARG, "%s: line %d: expected name=value", path, line_no);
            return -1;
        }
        *eq = '\0';
        if (cli_opts_set(table, line, eq + 1, &msg) != 0) {
            vt_error_set(err, VT_EARG, "%s: %s", path, msg.msg);
            return -1;
        }
    }
    return 0;
}
