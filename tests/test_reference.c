/* vtape against the float64 reference values of shared/reference (and the repo-local
 * tests/reference/extra_ops.txt), through the
 * vtape-refcheck program; and proof that the checker fails when it should. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

typedef struct run_result {
    int status;            /* exit status, -1 when the program did not exit normally */
    char last_line[512];
    char output[16384];    /* the head of the output, for failure messages */
} run_result;

/* Run vtape-refcheck on one file, capturing stdout and stderr. */
static run_result run_refcheck(const char *file) {
    run_result r = {.status = -1};
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", VT_REFCHECK_BIN, file);
    cr_assert(n > 0 && (size_t)n < sizeof cmd, "command too long");
    cr_assert(!strchr(VT_REFCHECK_BIN, '\'') && !strchr(file, '\''), "quote in a path");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    char line[sizeof r.last_line];
    size_t used = 0;
    while (fgets(line, sizeof line, p)) {
        size_t len = strlen(line);
        if (used + len < sizeof r.output) { memcpy(r.output + used, line, len + 1); used += len; }
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        if (len) memcpy(r.last_line, line, len + 1);
    }
    int w = pclose(p);
    if (w != -1 && WIFEXITED(w)) r.status = WEXITSTATUS(w);
    return r;
}

/* A temporary file holding `text`; the caller unlinks it. */
static void write_temp(char *path, size_t len, const char *text) {
    char dir[64];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(path, len, "%s/cases.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_temp(const char *path) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    unlink(path);
    char *slash = strrchr(dir, '/');
    if (slash) { *slash = '\0'; rmdir(dir); }
}

static void expect_all_pass_in(const char *dir, const char *name) {
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    run_result r = run_refcheck(file);
    size_t n = strlen(r.last_line);
    int none_failed = n >= 8 && strcmp(r.last_line + n - 8, "0 failed") == 0;
    cr_expect(r.status == 0 && none_failed, "vtape-refcheck %s exited %d, last line '%s':\n%s",
              file, r.status, r.last_line, r.output);
}

Test(reference, ordinary_inputs_match) { expect_all_pass_in(VT_REFERENCE_DIR, "ops.txt"); }

Test(reference, extreme_inputs_match) { expect_all_pass_in(VT_REFERENCE_DIR, "extreme.txt"); }

/* Ops the shared files do not cover (matmul_ta, axpby, add_scalar, clamp_min, mean_cols,
 * reshape, repeat_rows), from tests/reference/gen_extra_ops.py (numpy, float64). */
Test(reference, extra_ops_match) {
    expect_all_pass_in(VT_SOURCE_DIR "/tests/reference", "extra_ops.txt");
}

/* exp at 0 and 1, forward and gradient; `out_line` lets a test corrupt the forward. */
static const char *exp_case(char *buf, size_t len, const char *op, const char *out_line) {
    snprintf(buf, len,
             "case probe\nop %s\nin x 2 1 2 : 0 1\n%s\n"
             "gout 2 1 2 : 1 -2\ngin x 2 1 2 : 1 -5.4365636569180902\nend\n",
             op, out_line);
    return buf;
}

static run_result run_text(const char *text) {
    char path[512];
    write_temp(path, sizeof path, text);
    run_result r = run_refcheck(path);
    remove_temp(path);
    return r;
}

Test(reference, correct_case_passes) {
    char text[512];
    run_result r = run_text(exp_case(text, sizeof text, "exp", "out 2 1 2 : 1 2.7182818284590451"));
    cr_expect_eq(r.status, 0, "%s", r.output);
    cr_expect_str_eq(r.last_line, "1 passed, 0 failed", "%s", r.output);
}

Test(reference, unknown_op_fails) {
    char text[512];
    run_result r = run_text(exp_case(text, sizeof text, "no_such_op",
                                     "out 2 1 2 : 1 2.7182818284590451"));
    cr_expect_neq(r.status, 0, "%s", r.output);
    cr_expect_str_eq(r.last_line, "0 passed, 1 failed", "%s", r.output);
    cr_expect(strstr(r.output, "unknown op 'no_such_op'") != NULL, "%s", r.output);
}

Test(reference, wrong_forward_value_fails) {
    char text[512];   /* e = 2.71828...: 2.719 is off by 2.6e-4 relative, 9x the tolerance */
    run_result r = run_text(exp_case(text, sizeof text, "exp", "out 2 1 2 : 1 2.719"));
    cr_expect_eq(r.status, 1, "%s", r.output);
    cr_expect_str_eq(r.last_line, "0 passed, 1 failed", "%s", r.output);
    cr_expect(strstr(r.output, "FAIL probe") && strstr(r.output, "out err"), "%s", r.output);
}

Test(reference, wrong_gradient_fails) {
    run_result r = run_text(
        "case probe\nop square\nin x 2 1 2 : 0.5 3\nout 2 1 2 : 0.25 9\n"
        "gout 2 1 2 : 1 1\ngin x 2 1 2 : 1 6.001\nend\n");
    cr_expect_eq(r.status, 1, "%s", r.output);
    cr_expect(strstr(r.output, "gin x err") && strstr(r.output, "at [0,1]"), "%s", r.output);
}

Test(reference, malformed_file_names_the_line) {
    run_result r = run_text("case probe\nop exp\nin x 2 1 2 : 0\nend\n");
    cr_expect_eq(r.status, 2, "%s", r.output);
    cr_expect(strstr(r.output, "cases.txt:3:") != NULL, "%s", r.output);
}
