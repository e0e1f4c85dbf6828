/* metrics.csv reading and writing. */
#include "cli/report/metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"

#define SITE_PREFIX ",test_kl_"

void cli_metrics_sites_set(cli_metrics_sites *s, int n, const char *const *names) {
    memset(s, 0, sizeof *s);
    if (n < 2) return;   /* one latent: its KL is test_kl */
    s->n = n < CLI_METRICS_MAX_SITES ? n : CLI_METRICS_MAX_SITES;
    for (int i = 0; i < s->n; i++) {
        snprintf(s->name[i], sizeof s->name[i], "%s", names[i] ? names[i] : "?");
        for (char *c = s->name[i]; *c; c++)
            if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r' || *c == ' ') *c = '_';
    }
}

int cli_metrics_format_header(char *buf, size_t len, const cli_metrics_sites *s) {
    int n = snprintf(buf, len, "%s", CLI_METRICS_HEADER);
    for (int i = 0; s && i < s->n && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, SITE_PREFIX "%s", s->name[i]);
    return n > 0 && (size_t)n < len ? n : -1;
}

int cli_metrics_parse_header(const char *line, cli_metrics_sites *s) {
    memset(s, 0, sizeof *s);
    size_t base = strlen(CLI_METRICS_HEADER);
    if (strncmp(line, CLI_METRICS_HEADER, base) != 0) return -1;
    const char *p = line + base;
    while (strncmp(p, SITE_PREFIX, strlen(SITE_PREFIX)) == 0) {
        p += strlen(SITE_PREFIX);
        size_t k = strcspn(p, ",\r\n");
        if (s->n == CLI_METRICS_MAX_SITES || k == 0 || k >= sizeof s->name[0]) return -1;
        memcpy(s->name[s->n], p, k);
        s->name[s->n++][k] = '\0';
        p += k;
    }
    return *p == '\0' || *p == '\n' || (*p == '\r' && p[1] == '\n') ? 0 : -1;
}

int cli_metrics_format_row(char *buf, size_t len, const cli_metrics_row *r, int n_sites) {
    /* %.9g keeps float-level precision; β and lr are floats, so %.7g shows them as set. */
    int n = snprintf(buf, len, "%ld,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.7g,%.7g,%.9g,%.9g",
                     r->epoch, r->step, r->train_nelbo, r->train_rec, r->train_kl, r->test_nelbo,
                     r->test_rec, r->test_kl, r->beta, r->lr, r->images_per_s, r->epoch_seconds);
    for (int i = 0; i < n_sites && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, ",%.9g", r->test_site_kl[i]);
    if (n > 0 && (size_t)n < len) n += snprintf(buf + n, len - (size_t)n, "\n");
    return n > 0 && (size_t)n < len ? n : -1;
}

int cli_metrics_parse_row(const char *line, cli_metrics_row *r, int n_sites) {
    int used = 0;
    memset(r, 0, sizeof *r);
    int got = sscanf(line, "%ld,%ld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf%n", &r->epoch,
                     &r->step, &r->train_nelbo, &r->train_rec, &r->train_kl, &r->test_nelbo,
                     &r->test_rec, &r->test_kl, &r->beta, &r->lr, &r->images_per_s,
                     &r->epoch_seconds, &used);
    if (got != 12 || n_sites < 0 || n_sites > CLI_METRICS_MAX_SITES) return -1;
    for (int i = 0; i < n_sites; i++) {
        int more = 0;
        if (sscanf(line + used, ",%lf%n", &r->test_site_kl[i], &more) != 1) return -1;
        used += more;
    }
    return line[used] == '\n' || line[used] == '\0' ? 0 : -1;
}

int cli_metrics_write(const char *path, const cli_metrics_sites *s, const cli_metrics_row *rows,
                      int n, vt_error *err) {
    vt_atomic_file af;
    char line[1024];
    if (cli_metrics_format_header(line, sizeof line, s) < 0)
        return vt_error_set(err, VT_EARG, "%s: header too long", path);
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    fprintf(af.f, "%s\n", line);
    for (int i = 0; i < n; i++)
        if (cli_metrics_format_row(line, sizeof line, &rows[i], s ? s->n : 0) > 0) fputs(line, af.f);
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}

/* Append r to *rows (grown by doubling). 0, or -1 out of memory. */
static int push(cli_metrics_row **rows, int *n, int *cap, const cli_metrics_row *r) {
    if (*n == *cap) {
        cli_metrics_row *p = realloc(*rows, (size_t)(*cap = *cap ? 2 * *cap : 64) * sizeof *p);
        if (!p) return -1;
        *rows = p;
    }
    (*rows)[(*n)++] = *r;
    return 0;
}

int cli_metrics_read(const char *path, cli_metrics_sites *s, cli_metrics_row **rows, int *n,
                     vt_error *err) {
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        vt_error_set(err, VT_EIO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    if (!fgets(line, sizeof line, f) || cli_metrics_parse_header(line, s) != 0) {
        vt_error_set(err, VT_EARG, "%s: line 1: expected the header '%s' (then test_kl_<site> "
                     "columns)", path, CLI_METRICS_HEADER);
        fclose(f);
        return -1;
    }
    int cap = 0, rc = 0;
    for (int line_no = 2; fgets(line, sizeof line, f); line_no++) {
        if (line[0] == '\n') continue;
        cli_metrics_row r;
        if (cli_metrics_parse_row(line, &r, s->n) != 0) {
            vt_error_set(err, VT_EARG, "%s: line %d: expected %d comma-separated numbers", path,
                         line_no, 12 + s->n);
            rc = -1;
            break;
        }
        if (push(rows, n, &cap, &r) != 0) {
            vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
            rc = -1;
            break;
        }
    }
    fclose(f);
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
