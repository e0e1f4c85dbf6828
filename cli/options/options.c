/* Table-driven option parsing; see options.h. */
#include "cli/options/options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *cli_choices_text(const vt_names *choices, char *buf, size_t len) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; choices && i < choices->count && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", choices->name[i]);
    return buf;
}

cli_opt *cli_opts_find(cli_opt *opts, const char *name) {
    for (cli_opt *o = opts; o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

/* Put `value` into the option's destination after checking it. */
static int apply(cli_opt *o, const char *value, vt_error *err) {
    char *end;
    errno = 0;
    switch (o->kind) {
    case CLI_OPT_INT: {
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno) {
            vt_error_set(err, VT_EARG, "--%s: '%s' is not an integer", o->name, value);
            return -1;
        }
        if (v < o->min || v > o->max) {
            vt_error_set(err, VT_EARG, "--%s: %ld is out of range [%.0f, %.0f]", o->name, v, o->min,
                     o->max);
            return -1;
        }
        *(int *)o->dest = (int)v;
        return 0;
    }
    case CLI_OPT_REAL: {
        double v = strtod(value, &end);
        if (end == value || *end || !isfinite(v)) {
            vt_error_set(err, VT_EARG, "--%s: '%s' is not a finite number", o->name, value);
            return -1;
        }
        if (v < o->min || v > o->max) {
            vt_error_set(err, VT_EARG, "--%s: %g is out of range [%g, %g]", o->name, v, o->min,
                     o->max);
            return -1;
        }
        *(double *)o->dest = v;
        return 0;
    }
    case CLI_OPT_STRING:
        if (!*value) {
            vt_error_set(err, VT_EARG, "--%s: empty value", o->name);
            return -1;
        }
        *(const char **)o->dest = value;
        return 0;
    case CLI_OPT_CHOICE: {
        int i = vt_names_find(o->choices, value);
        if (i < 0) {
            char list[256];
            vt_error_set(err, VT_EARG, "--%s: '%s' is not one of %s", o->name, value,
                         cli_choices_text(o->choices, list, sizeof list));
            return -1;
        }
        *(int *)o->dest = i;
        return 0;
    }
    case CLI_OPT_FLAG:
        if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0) {
            vt_error_set(err, VT_EARG, "--%s takes no value (got '%s')", o->name, value);
            return -1;
        }
        *(int *)o->dest = value[0] == '1';
        return 0;
    }
    return -1;
}

int cli_opts_set(cli_opt *opts, const char *name, const char *value, vt_error *err) {
    cli_opt *o = cli_opts_find(opts, name);
    if (!o) {
        vt_error_set(err, VT_EARG, "unknown option --%s", name);
        return -1;
    }
    return apply(o, value, err);
}

int cli_opts_parse(cli_opt *opts, int argc, char **argv, int first, vt_error *err) {
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return 1;
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            vt_error_set(err, VT_EARG, "unexpected argument '%s' (options start with --)", arg);
            return -1;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, arg + 2, n);
        name[n] = '\0';
        cli_opt *o = cli_opts_find(opts, name);
        if (!o) {
            vt_error_set(err, VT_EARG, "unknown option --%s (see --help)", name);
            return -1;
        }
        const char *value;
        if (o->kind == CLI_OPT_FLAG) {
            value = eq ? eq + 1 : "1";
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            vt_error_set(err, VT_EARG, "--%s needs a value", name);
            return -1;
        }
        if (apply(o, value, err) != 0) return -1;
        o->given = 1;
    }
    return 0;
}

/* The option's current value as text (its default before parsing). */
static const char *value_text(const cli_opt *o, char *buf, size_t len) {
    if (o->default_text) return o->default_text;
    switch (o->kind) {
    case CLI_OPT_INT: snprintf(buf, len, "%d", *(const int *)o->dest); break;
    case CLI_OPT_REAL: snprintf(buf, len, "%g", *(const double *)o->dest); break;
    case CLI_OPT_STRING: {
        const char *s = *(const char *const *)o->dest;
        snprintf(buf, len, "%s", s ? s : "");
        break;
    }
    case CLI_OPT_CHOICE: {
        int v = *(const int *)o->dest;
        snprintf(buf, len, "%s", v >= 0 && v < o->choices->count ? o->choices->name[v] : "");
        break;
    }
    case CLI_OPT_FLAG: snprintf(buf, len, "%s", *(const int *)o->dest ? "on" : "off"); break;
    }
    return buf;
}

enum { HELP_INDENT = 30, HELP_WIDTH = 79 };

/* The option column, then the text word-wrapped in the column right of it. */
static void help_entry(FILE *out, const char *left, const char *text) {
    int col = fprintf(out, "  %s", left);
    if (col >= HELP_INDENT) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", HELP_INDENT - col, "");
    col = HELP_INDENT;
    for (const char *w = text; *w;) {
        while (*w == ' ') w++;
        size_t n = strcspn(w, " ");
        if (!n) break;
        if (col > HELP_INDENT && col + 1 + (int)n > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col > HELP_INDENT) {
            fputc(' ', out);
            col++;
        }
        fwrite(w, 1, n, out);
        col += (int)n;
        w += n;
    }
    fputc('\n', out);
}

void cli_opts_help(FILE *out, const char *usage, const char *summary, const cli_opt *opts) {
    fprintf(out, "usage: %s\n\n%s\n\noptions:\n", usage, summary);
    for (const cli_opt *o = opts; o->name; o++) {
        char left[320], val[256], text[1024], list[256];
        const char *meta = o->kind == CLI_OPT_CHOICE ? cli_choices_text(o->choices, list, sizeof list)
                           : o->kind == CLI_OPT_FLAG ? ""
                                                    : (o->metavar ? o->metavar : "X");
        snprintf(left, sizeof left, "--%s%s%s", o->name, *meta ? " " : "", meta);
        snprintf(text, sizeof text, "%s (default: %s)", o->help, value_text(o, val, sizeof val));
        help_entry(out, left, text);
    }
    help_entry(out, "--help", "print this help and exit");
}

int cli_opts_write(FILE *out, const cli_opt *opts) {
    for (const cli_opt *o = opts; o->name; o++) {
        char val[512];
        if (o->kind == CLI_OPT_FLAG && !*(const int *)o->dest) continue;
        if (o->kind == CLI_OPT_CHOICE && *(const int *)o->dest < 0) continue;
        if (o->kind == CLI_OPT_STRING && !*(const char *const *)o->dest) continue;
        /* A number outside its range is an "automatic" marker: leave it unsaid. */
        if (o->kind == CLI_OPT_INT && (*(const int *)o->dest < o->min || *(const int *)o->dest > o->max)) continue;
        if (o->kind == CLI_OPT_REAL && !(*(const double *)o->dest >= o->min && *(const double *)o->dest <= o->max)) continue;
        const cli_opt plain = {.kind = o->kind, .dest = o->dest, .choices = o->choices};
        if (o->kind == CLI_OPT_REAL)   /* exact round trip */
            snprintf(val, sizeof val, "%.17g", *(const double *)o->dest);
        else if (o->kind == CLI_OPT_FLAG)
            snprintf(val, sizeof val, "1");
        else
            value_text(&plain, val, sizeof val);
        fprintf(out, "%s=%s\n", o->name, val);
    }
    return ferror(out) ? -1 : 0;
}
