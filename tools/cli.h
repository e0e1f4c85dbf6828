/* What the `vtape` subcommands share: their entry points, exit statuses and the one
 * way they report a failure ("vtape <command>: <what went wrong>" on stderr). */
#ifndef VT_TOOLS_CLI_H
#define VT_TOOLS_CLI_H

#include <stddef.h>

enum {
    VT_EXIT_OK = 0,
    VT_EXIT_FAIL = 1,    /* the command could not do its job (data, files, numerics) */
    VT_EXIT_USAGE = 2,   /* the command line itself is wrong */
};

/* Each takes argv after the subcommand name (argv[0] is the subcommand) and returns
 * the process exit status. None of them exits. */
int vt_cmd_train(int argc, char **argv);
int vt_cmd_eval(int argc, char **argv);
int vt_cmd_sample(int argc, char **argv);
int vt_cmd_plot(int argc, char **argv);

/* Print "vtape <cmd>: <message>" as one line on stderr; returns `status`. */
int vt_cli_fail(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print "vtape <cmd>: warning: <message>" on stderr. */
void vt_cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic seconds, for wall times and rates. */
double vt_cli_now(void);
/* dir + "/" + name into buf; -1 when it does not fit. */
int vt_cli_join(char *buf, size_t len, const char *dir, const char *name);
/* mkdir -p; 0, or -1 with errno set. */
int vt_cli_mkdirs(const char *dir);

#endif
