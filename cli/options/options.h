/* Command-line options from one table per subcommand: the same table parses argv
 * ("--name value" or "--name=value"), parses saved "name=value" lines (a run's
 * run.txt), and prints --help with every option's current value as its default, so
 * help and behaviour cannot drift apart. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include "vtape/error.h"
#include "vtape/names.h"
#include <stddef.h>
#include <stdio.h>

typedef enum {
    CLI_OPT_INT,     /* int *dest, within [min, max] */
    CLI_OPT_REAL,    /* double *dest, finite, within [min, max] */
    CLI_OPT_STRING,  /* const char **dest (points into argv or the options' own storage) */
    CLI_OPT_CHOICE,  /* int *dest: a value of the enum named by `choices`; -1 means "automatic" */
    CLI_OPT_FLAG,    /* int *dest set to 1; takes no value */
} cli_opt_kind;

typedef struct cli_opt {
    const char *name;          /* without the leading "--" */
    cli_opt_kind kind;
    void *dest;
    const char *metavar;       /* "N", "DIR", ... shown in help; choices shown for CHOICE */
    const char *help;
    double min, max;           /* numeric range, inclusive */
    const vt_names *choices;   /* CHOICE: the enum's one name table (vtape/names.h) */
    const char *default_text;  /* shown instead of the current value when set */
    int given;                 /* set by parsing when the option appeared */
} cli_opt;

#define CLI_OPT_END {0}

/* Parse argv[first..argc). Returns 0 on success, 1 when --help/-h was given, -1 on a
 * bad option or value with a message naming the option in err. */
int cli_opts_parse(cli_opt *opts, int argc, char **argv, int first, vt_error *err);
/* Apply one value as if "--name=value" had been given (for saved runs). Marks nothing
 * as given. Same return values as cli_opts_parse, without 1. */
int cli_opts_set(cli_opt *opts, const char *name, const char *value, vt_error *err);
/* Print "usage" and the table, each option with its metavar, help and default. */
void cli_opts_help(FILE *out, const char *usage, const char *summary, const cli_opt *opts);
/* Write every option that has a value as "name=value" lines (flags only when set). */
int cli_opts_write(FILE *out, const cli_opt *opts);
/* The names of a table joined by '|' into buf ("a|b|c"), for help and messages. */
const char *cli_choices_text(const vt_names *choices, char *buf, size_t len);
cli_opt *cli_opts_find(cli_opt *opts, const char *name);

#endif
