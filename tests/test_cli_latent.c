/* `vtape train` with the latent-model estimators, on a small random data set
 * (support.h), so it needs no download and takes seconds: PIWAE trains and its options
 * are checked; straight-through Gumbel-softmax trains. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "support.h"

#define VTAPE VT_BUILD_DIR "/vtape"
static char dir[64], data[128], run_dir[160];
#define SMALL "--arch 784-16 --latent 2 --batch 32 --iw-n 0 --epochs 1 --data-dir %s"

static void setup(void) {
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    mkdir(data, 0755);
    cr_assert_eq(vt_test_fake_fashion(data, 128, 32), 0);
}
static void teardown(void) { vt_test_rmtree(dir); }
TestSuite(cli_latent, .init = setup, .fini = teardown, .timeout = 120);

static int run(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t len, const char *fmt, ...) {
    char args[2048], cmd[2400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", VTAPE, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) {}
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *in_run(const char *name) {
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", run_dir, name);
    return p;
}

/* The whole text of a file of the run (empty when absent). */
static const char *slurp(const char *name) {
    static char text[16384];
    FILE *f = fopen(in_run(name), "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = '\0';
    return text;
}

Test(cli_latent, piwae_trains_and_its_options_are_checked) {
    char out[8192];
    int st = run(out, sizeof out, "train " SMALL " --estimator piwae --k 2 --miwae-m 2 --grad dreg "
                 "--out %s", data, run_dir);
    cr_assert_eq(st, 0, "%s", out);
    cr_expect_not_null(strstr(slurp("run.txt"), "piwae"), "run.txt does not keep the estimator");
    st = run(out, sizeof out, "train " SMALL " --estimator piwae --beta 0.5 --out %s/b", data, dir);
    cr_expect_eq(st, 2, "%s", out);
    cr_expect_not_null(strstr(out, "--estimator"), "%s", out);
}

Test(cli_latent, straight_through_trains_gumbel_and_is_refused_for_gaussian) {
    char out[8192];
    int st = run(out, sizeof out, "train " SMALL " --latent-type gumbel --categories 3 "
                 "--straight-through --out %s", data, run_dir);
    cr_assert_eq(st, 0, "%s", out);
    cr_expect_not_null(strstr(slurp("run.txt"), "straight-through"), "run.txt does not keep it");
    st = run(out, sizeof out, "train " SMALL " --straight-through --out %s/g", data, dir);
    cr_expect_eq(st, 2, "%s", out);
    cr_expect_not_null(strstr(out, "--straight-through applies to --latent-type gumbel or bernoulli"),
                       "%s", out);
}
