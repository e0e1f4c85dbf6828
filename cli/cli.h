/* What the `vtape` subcommands share: their entry points, exit statuses and the one
 * way they report a failure ("vtape <command>: <what went wrong>" on stderr). */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stddef.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,    /* the command could not do its job (data, files, numerics) */
    CLI_EXIT_USAGE = 2,   /* the command line itself is wrong */
};

/* Each takes argv after the subcommand name (argv[0] is the subcommand) and returns
 * the process exit status. None of them exits. */
int cli_cmd_train(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_sample(int argc, char **argv);
int cli_cmd_plot(int argc, char **argv);

/* Print "vtape <cmd>: <message>" as one line on stderr; returns `status`. */
int cli_fail(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print "vtape <cmd>: warning: <message>" on stderr. */
void cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* OpenBLAS threads: `wanted`, at most the online CPUs (with a warning). Returns it. */
int cli_set_blas_threads(const char *cmd, int wanted);
/* Monotonic seconds, for wall times and rates. */
double cli_now(void);
/* dir + "/" + name into buf; -1 when it does not fit. */
int cli_join(char *buf, size_t len, const char *dir, const char *name);
/* mkdir -p; 0, or -1 with errno set. */
int cli_mkdirs(const char *dir);

#endif
