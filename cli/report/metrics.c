/* metrics.csv reading and writing. */
#include "cli/report/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"

int cli_metrics_format_row(char *buf, size_t len, const cli_metrics_row *r) {
    /* %.9g keeps float-level precision; β and lr are floats, so %.7g shows them as set. */
    int n = snprintf(buf, len, "%ld,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.7g,%.7g,%.9g,%.9g\n",
                     r->epoch, r->step, r->train_nelbo, r->train_rec, r->train_kl, r->test_nelbo,
                     r->test_rec, r->test_kl, r->beta, r->lr, r->images_per_s, r->epoch_seconds);
    return n > 0 && (size_t)n < len ? n : -1;
}

int cli_metrics_parse_row(const char *line, cli_metrics_row *r) {
    int used = 0;
    int got = sscanf(line, "%ld,%ld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf%n", &r->epoch,
                     &r->step, &r->train_nelbo, &r->train_rec, &r->train_kl, &r->test_nelbo,
                     &r->test_rec, &r->test_kl, &r->beta, &r->lr, &r->images_per_s,
                     &r->epoch_seconds, &used);
    return got == 12 && (line[used] == '\n' || line[used] == '\0') ? 0 : -1;
}

int cli_metrics_write(const char *path, const cli_metrics_row *rows, int n, vt_error *err) {
    vt_atomic_file af;
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    fprintf(af.f, "%s\n", CLI_METRICS_HEADER);
    char line[512];
    for (int i = 0; i < n; i++)
        if (cli_metrics_format_row(line, sizeof line, &rows[i]) > 0) fputs(line, af.f);
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}

int cli_metrics_read(const char *path, cli_metrics_row **rows, int *n, vt_error *err) {
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        vt_error_set(err, VT_EIO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    if (!fgets(line, sizeof line, f) || strncmp(line, CLI_METRICS_HEADER, strlen(CLI_METRICS_HEADER))) {
        vt_error_set(err, VT_EARG, "%s: line 1: expected the header '%s'", path, CLI_METRICS_HEADER);
        fclose(f);
        return -1;
    }
    int cap = 0, rc = 0;
    for (int line_no = 2; fgets(line, sizeof line, f); line_no++) {
        if (line[0] == '\n') continue;
        cli_metrics_row r;
        if (cli_metrics_parse_row(line, &r) != 0) {
            vt_error_set(err, VT_EARG, "%s: line %d: expected 12 comma-separated numbers", path, line_no);
            rc = -1;
            break;
        }
        if (*n == cap) {
            cli_metrics_row *p = realloc(*rows, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *p);
            if (!p) {
                vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
                rc = -1;
                break;
            }
            *rows = p;
        }
        (*rows)[(*n)++] = r;
    }
    fclose(f);
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
