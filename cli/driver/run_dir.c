/* One run per directory, and a clean stop on SIGINT/SIGTERM. */
#include "cli/driver/run_dir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options/train_options.h"

static const char *const RUN_FILES[] = {"checkpoint.vtck", "run.txt", "metrics.csv",
                                        "checkpoint.vtck.tmp", "run.txt.tmp", "metrics.csv.tmp"};
enum { N_RUN_FILES = sizeof RUN_FILES / sizeof RUN_FILES[0], N_MAIN = 3 };

int cli_run_dir_claim(const char *dir, int force, vt_error *err) {
    char path[4200];
    for (int i = 0; i < N_RUN_FILES; i++) {
        if (cli_join(path, sizeof path, dir, RUN_FILES[i]) != 0 || access(path, F_OK) != 0) continue;
        if (!force && i < N_MAIN)
            return vt_error_set(err, VT_EARG, "--out %s holds another run (%s): continue it with "
                                "--resume, or replace it with --force", dir, RUN_FILES[i]);
        /* The old checkpoint goes first: run.txt must never sit beside another run's. */
        if (unlink(path) != 0 && errno != ENOENT)
            return vt_error_set(err, VT_EIO, "--force: cannot remove %s: %s", path, strerror(errno));
    }
    return 0;
}

int cli_run_dir_same_run(const char *runfile, const char *ckpt, const char *ckpt_id,
                         vt_error *err) {
    char id[64];
    if (cli_run_file_id(runfile, id, sizeof id) != 0) return 0;   /* no id: an older run file */
    if (ckpt_id && strcmp(id, ckpt_id) == 0) return 0;
    return vt_error_set(err, VT_EMISMATCH, "%s (run %s) and %s (run %s) belong to different "
                        "runs; the directory mixes two runs", runfile, id, ckpt,
                        ckpt_id && *ckpt_id ? ckpt_id : "without an id");
}

static volatile sig_atomic_t *stop_flag;
static struct sigaction old_int, old_term;

static void on_stop(int sig) {
    if (stop_flag) *stop_flag = sig;
}

void cli_stop_signals_install(volatile sig_atomic_t *flag) {
    stop_flag = flag;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
}

void cli_stop_signals_restore(void) {
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    stop_flag = NULL;
}
