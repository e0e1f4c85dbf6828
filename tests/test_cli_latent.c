/* `vtape train` with the latent-model estimators, on a small random data set
 * (support.h), so it needs no download and takes seconds: PIWAE trains and its options
 * are checked; straight-through Gumbel-softmax trains; the hierarchical VAE reports one
 * KL per latent site in metrics.csv, final.json and eval (one-latent models do not). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli/report/metrics.h"
#include "support.h"

static char dir[64], data[128], run_dir[160];
#define SMALL "--arch 784-16 --latent 2 --batch 32 --iw-n 0 --epochs 1 --data-dir %s"

static void setup(void) { cr_assert_eq(vt_test_fake_run_dirs(dir, data, run_dir), 0); }
static void teardown(void) { vt_test_rmtree(dir); }
TestSuite(cli_latent, .init = setup, .fini = teardown, .timeout = 120);

#define run vt_test_run_vtape

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

/* The number after `"key": ` in final.json (NAN when absent). */
static double final_number(const char *key) {
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(slurp("final.json"), pat);
    return at ? strtod(at + strlen(pat), NULL) : NAN;
}

/* Fields of the line of metrics.csv that `start` (a newline and the row's first field)
 * begins (0 when absent). */
static int fields(const char *text, const char *start) {
    const char *at = strstr(text, start);
    if (!at) return 0;
    int n = 1;
    for (at++; *at && *at != '\n'; at++) n += *at == ',';
    return n;
}

Test(cli_latent, hvae_reports_the_kl_of_each_latent_site) {
    char out[8192];
    int st = run(out, sizeof out, "train " SMALL " --model hvae --latent2 2 --estimator iwae --k 2 "
                 "--grad dreg --out %s", data, run_dir);
    cr_assert_eq(st, 0, "%s", out);
    const char *csv = slurp("metrics.csv");
    cr_expect_not_null(strstr(csv, "epoch_seconds,test_kl_z1,test_kl_z2\n"), "header:\n%s", csv);
    cr_expect_eq(fields(csv, "\n1,"), 14, "a row has 12 + 2 numbers:\n%s", csv);
    double kl = final_number("test_kl"), z1 = final_number("test_kl_z1"), z2 = final_number("test_kl_z2");
    cr_expect(isfinite(z1) && isfinite(z2) && fabs(z1 + z2 - kl) < 1e-3 * fabs(kl) + 1e-4,
              "final.json: kl %g, per site %g + %g", kl, z1, z2);
    cr_expect_not_null(strstr(out, "kl per latent site: z1 "), "%s", out);
    /* a resumed run keeps the columns; eval prints the sites */
    st = run(out, sizeof out, "train --resume --epochs 2 --out %s", run_dir);
    cr_assert_eq(st, 0, "%s", out);
    csv = slurp("metrics.csv");
    cr_expect_eq(fields(csv, "\n2,"), 14, "after resume:\n%s", csv);
    st = run(out, sizeof out, "eval --checkpoint %s --iw-k 0", in_run("checkpoint.vtck"));
    cr_assert_eq(st, 0, "%s", out);
    cr_expect_not_null(strstr(out, "kl per latent site: z1 "), "%s", out);
    cr_expect_not_null(strstr(out, ", z2 "), "%s", out);
}

Test(cli_latent, one_latent_has_no_site_columns) {
    char out[8192];
    cr_assert_eq(run(out, sizeof out, "train " SMALL " --out %s", data, run_dir), 0, "%s", out);
    cr_expect_null(strstr(slurp("metrics.csv"), "test_kl_"), "%s", slurp("metrics.csv"));
    cr_expect(isnan(final_number("test_kl_z")));
    cr_expect_null(strstr(out, "kl per latent site"), "%s", out);
}

Test(cli_latent, metrics_site_columns_round_trip) {
    const char *names[] = {"z1", "a,b c"};
    cli_metrics_sites s, back;
    cli_metrics_sites_set(&s, 2, names);
    cr_assert_str_eq(s.name[1], "a_b_c", "a name cannot break the CSV");
    char line[1024];
    cr_assert_gt(cli_metrics_format_header(line, sizeof line, &s), 0);
    cr_assert_eq(cli_metrics_parse_header(line, &back), 0, "%s", line);
    cr_assert(back.n == 2 && !strcmp(back.name[0], "z1") && !strcmp(back.name[1], "a_b_c"));
    cli_metrics_row r = {.epoch = 3, .step = 30, .test_kl = 2.5, .test_site_kl = {2, 0.5}}, got;
    cr_assert_gt(cli_metrics_format_row(line, sizeof line, &r, 2), 0);
    cr_assert_eq(cli_metrics_parse_row(line, &got, 2), 0, "%s", line);
    cr_assert(got.epoch == 3 && got.test_site_kl[0] == 2 && got.test_site_kl[1] == 0.5);
    cr_assert_eq(cli_metrics_parse_row(line, &got, 1), -1, "a row of another width");
    cr_assert_eq(cli_metrics_parse_row(line, &got, 3), -1);
    cli_metrics_sites_set(&s, 1, names);   /* one latent: the fixed columns only */
    cr_assert_eq(s.n, 0);
    cli_metrics_format_header(line, sizeof line, &s);
    cr_assert_str_eq(line, CLI_METRICS_HEADER);
    cr_assert_eq(cli_metrics_parse_header("epoch,step,oops", &back), -1);
}
