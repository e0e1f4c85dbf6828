/* Terminal progress bar: "label [#####.....] 234/469  1234 img/s  eta 12s  note". */
#include "cli/report/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"

enum { BAR_WIDTH = 24 };

void cli_progress_start(cli_progress *p, FILE *out, int enabled, const char *label, long total) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->enabled = enabled < 0 ? isatty(fileno(out)) : enabled;
    p->total = total > 0 ? total : 1;
    p->start = cli_now();
    p->last_draw = -1.0;
    snprintf(p->label, sizeof p->label, "%s", label);
}

void cli_progress_update(cli_progress *p, long done, const char *note) {
    if (!p->enabled) return;
    double now = cli_now();
    if (done < p->total && now - p->last_draw < 0.1) return;
    p->last_draw = now;
    int fill = (int)((double)BAR_WIDTH * (double)done / (double)p->total);
    if (fill > BAR_WIDTH) fill = BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
    bar[BAR_WIDTH] = '\0';
    double elapsed = now - p->start;
    double eta = done > 0 ? elapsed * (double)(p->total - done) / (double)done : 0.0;
    /* \r and erase-to-end-of-line: the bar redraws in place. */
    fprintf(p->out, "\r%s [%s] %ld/%ld  eta %.0fs  %s\033[K", p->label, bar, done, p->total,
            eta, note ? note : "");
    fflush(p->out);
}

void cli_progress_finish(cli_progress *p) {
    if (!p->enabled) return;
    fprintf(p->out, "\r\033[K");
    fflush(p->out);
}
