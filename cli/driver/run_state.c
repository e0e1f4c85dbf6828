/* The run state as checkpoint notes: "key value" lines, then the metrics CSV. */
#include "cli/driver/run_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_run_id_new(char *id, size_t len) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
                 (uint64_t)getpid() << 40;
    h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33;
    snprintf(id, len, "%016llx", (unsigned long long)h);
}

int cli_run_state_add_row(cli_run_state *s, const cli_metrics_row *row) {
    if (s->n_rows == s->cap_rows) {
        int cap = s->cap_rows ? 2 * s->cap_rows : 16;
        cli_metrics_row *p = realloc(s->rows, (size_t)cap * sizeof *p);
        if (!p) return -1;
        s->rows = p;
        s->cap_rows = cap;
    }
    s->rows[s->n_rows++] = *row;
    return 0;
}

char *cli_run_state_format(const cli_run_state *s) {
    /* a row: 12 numbers and one per site, each at most ~24 characters */
    size_t cap = 2048 + (size_t)s->n_rows * (size_t)(400 + 25 * s->sites.n);
    char *t = malloc(cap), header[1024];
    if (!t || cli_metrics_format_header(header, sizeof header, &s->sites) < 0) {
        free(t);
        return NULL;
    }
    const cli_epoch_progress *p = &s->progress;
    size_t n = (size_t)snprintf(t, cap, "vtape-run 1\nrun-id %s\nblas-threads %d\n"
                                "epoch-progress %ld %a %a %a %ld %a\nmetrics\n%s\n", s->run_id,
                                s->blas_threads, p->batch, p->sum_elbo, p->sum_rec, p->sum_kl,
                                p->images, p->seconds, header);
    for (int i = 0; i < s->n_rows && n < cap; i++) {
        int m = cli_metrics_format_row(t + n, cap - n, &s->rows[i], s->sites.n);
        if (m < 0) break;
        n += (size_t)m;
    }
    return t;
}

static int bad(vt_error *err, const char *path, int line, const char *what) {
    return vt_error_set(err, VT_EFORMAT, "checkpoint %s: run state line %d: expected %s", path,
                        line, what);
}

int cli_run_state_parse(cli_run_state *s, const char *notes, const char *path, vt_error *err) {
    memset(s, 0, sizeof *s);
    if (!notes || !*notes) return 0;   /* a checkpoint written by the library alone */
    cli_epoch_progress *p = &s->progress;
    int line = 1;
    if (sscanf(notes, "vtape-run 1\nrun-id %31s\nblas-threads %d\nepoch-progress %ld %la %la %la %ld %la",
               s->run_id, &s->blas_threads, &p->batch, &p->sum_elbo, &p->sum_rec, &p->sum_kl,
               &p->images, &p->seconds) != 8 || p->batch < 0 || p->images < 0)
        return bad(err, path, line, "the run id, BLAS threads and epoch progress");
    const char *m = strstr(notes, "\nmetrics\n");
    if (!m) return bad(err, path, 5, "'metrics'");
    if (cli_metrics_parse_header(m + 9, &s->sites) != 0)
        return bad(err, path, 6, "the metrics header");
    m = strchr(m + 9, '\n');   /* past the CSV header */
    for (line = 7; m && m[1]; line++) {
        cli_metrics_row r;
        if (cli_metrics_parse_row(m + 1, &r, s->sites.n) != 0) {
            cli_run_state_free(s);
            return bad(err, path, line, "a metrics row of 12 numbers and one per latent site");
        }
        if (cli_run_state_add_row(s, &r) != 0) {
            cli_run_state_free(s);
            return vt_error_set(err, VT_ENOMEM, "out of memory");
        }
        m = strchr(m + 1, '\n');
    }
    return 0;
}

void cli_run_state_free(cli_run_state *s) {
    free(s->rows);
    s->rows = NULL;
    s->n_rows = s->cap_rows = 0;
}
