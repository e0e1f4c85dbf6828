/* A one-line progress bar for a terminal. Off a terminal it draws nothing, so logs
 * keep only the per-epoch lines the caller prints. */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include <stdio.h>

typedef struct cli_progress {
    FILE *out;
    int enabled;          /* out is a terminal */
    long total;
    double start, last_draw;
    char label[64];
} cli_progress;

/* enabled: 1 on, 0 off, -1 when `out` is a terminal. */
void cli_progress_start(cli_progress *p, FILE *out, int enabled, const char *label, long total);
/* Redraws at most ten times a second (and at the end); `note` is e.g. "loss 250.1". */
void cli_progress_update(cli_progress *p, long done, const char *note);
/* Erase the bar so the caller's next line starts clean. */
void cli_progress_finish(cli_progress *p);

#endif
