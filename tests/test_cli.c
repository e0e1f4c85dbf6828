/* The `vtape` command, run as a program: help lists every option, bad command lines
 * fail with status 2 naming the option, damaged checkpoints and missing data fail with
 * status 1, and (with Fashion-MNIST) a tiny run writes its files, resumes, evaluates,
 * samples and plots. Latent models' runs (HVAE per-site KLs): test_cli_latent.c. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skip.h"
#include "support.h"
#include "vtape/data.h"

#define TINY "--train-limit 512 --test-limit 256 --arch 784-32 --latent 4 --iw-k 10 --iw-n 16"

#define run vt_test_run_vtape

static int exists(const char *dir, const char *name) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    for (int c; (c = fgetc(f)) != EOF;) n += c == '\n';
    fclose(f);
    return n;
}

/* The number after `"key": ` in a JSON file (NAN when absent). */
static double json_number(const char *path, const char *key) {
    char text[8192], pat[96];
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *at = strstr(text, pat);
    return at ? strtod(at + strlen(pat), NULL) : NAN;
}

/* The number after `label` in the command's output (NAN when absent). */
static double output_number(const char *out, const char *label) {
    const char *at = strstr(out, label);
    return at ? strtod(at + strlen(label), NULL) : NAN;
}

/* Tests make their directories with vt_test_tmpdir; remove them when done. */
static void remove_tree(const char *dir) { cr_expect_eq(vt_test_rmtree(dir), 0); }


/* ---------------- help ---------------- */

static void help_lists(const char *cmd, const char *const *names) {
    static char out[32768];
    cr_assert_eq(run(out, sizeof out, "%s --help", cmd), 0, "%s --help failed:\n%s", cmd, out);
    cr_assert(strstr(out, "usage: vtape"), "%s --help has no usage line", cmd);
    for (const char *const *n = names; *n; n++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s ", *n);
        char opt_eol[64];
        snprintf(opt_eol, sizeof opt_eol, "--%s\n", *n);
        cr_expect(strstr(out, opt) || strstr(out, opt_eol), "%s --help does not mention --%s",
                  cmd, *n);
    }
    /* Every option line says its default. */
    int options = 0, defaults = 0;
    for (const char *s = out; (s = strstr(s, "\n  --")); s++) options++;
    for (const char *s = out; (s = strstr(s, "(default:")); s++) defaults++;
    cr_expect_eq(defaults, options - 1, "%s --help: %d options but %d defaults", cmd, options,
                 defaults);   /* --help itself has none */
}

Test(cli, help_of_every_command) {
    static const char *const train[] = {
        "model", "arch", "latent", "act", "posterior", "prior", "mog-components", "likelihood",
        "lik-logsig", "estimator", "k", "beta", "beta-schedule", "warmup-epochs", "cycles",
        "free-bits", "fb-groups", "optimizer", "lr", "lr-schedule", "lr-gamma", "lr-step-epochs",
        "lr-min", "momentum", "weight-decay", "clip", "epochs", "batch", "binarize",
        "train-limit", "test-limit", "seed", "test-seed", "threads", "blas-threads", "iw-k",
        "iw-n", "iw-chunk", "data-dir", "out", "resume", "help", NULL};
    static const char *const eval[] = {"checkpoint", "iw-k", "iw-n", "iw-chunk", "test-seed",
                                       "binarize", "test-limit", "data-dir", "threads",
                                       "blas-threads", "help", NULL};
    static const char *const sample[] = {"checkpoint", "out", "n", "seed", "test-seed",
                                         "binarize", "data-dir", "threads", "help", NULL};
    static const char *const plot[] = {"metrics", "out", "help", NULL};
    help_lists("train", train);
    help_lists("eval", eval);
    help_lists("sample", sample);
    help_lists("plot", plot);
    char out[4096];
    cr_expect_eq(run(out, sizeof out, "--help"), 0);
    for (const char *c = "train\0eval\0sample\0plot\0"; *c; c += strlen(c) + 1)
        cr_expect(strstr(out, c), "vtape --help does not list %s", c);
}

/* ---------------- bad command lines ---------------- */

Test(cli, bad_options_fail_with_status_2_naming_the_option) {
    static const struct { const char *args, *expect; } cases[] = {
        {"train --latent 0", "--latent"},
        {"train --latent abc", "--latent"},
        {"train --arch 784-x", "--arch"},
        {"train --arch 784", "--arch"},
        {"train --model gan", "--model"},
        {"train --lr", "--lr"},
        {"train --lr nan", "--lr"},
        {"train --batch -3", "--batch"},
        {"train --no-such-option", "--no-such-option"},
        {"train stray", "stray"},
        {"train --fb-groups 5", "--fb-groups"},
        {"train --estimator iwae --model beta-vae", "--estimator"},
        {"train --momentum 0.9", "--momentum"},
        {"train --resume=yes", "--resume"},
        {"eval", "--checkpoint"},
        {"eval --iw-k -1 --checkpoint x", "--iw-k"},
        {"sample --n 0 --checkpoint x", "--n"},
        {"plot --colour red", "--colour"},
        {"frobnicate", "frobnicate"},
        {"", "usage"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4096];
        int st = run(out, sizeof out, "%s", cases[i].args);
        cr_expect_eq(st, 2, "'vtape %s' exited %d, want 2:\n%s", cases[i].args, st, out);
        cr_expect(strstr(out, cases[i].expect), "'vtape %s' does not mention '%s':\n%s",
                  cases[i].args, cases[i].expect, out);
        cr_expect(strstr(out, "vtape"), "'vtape %s': message without the program name", cases[i].args);
    }
}

Test(cli, missing_data_dir_says_how_to_install) {
    char dir[64], out[4096];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    int st = run(out, sizeof out, "train --data-dir %s/none --out %s/run", dir, dir);
    cr_expect_eq(st, 1, "exit %d:\n%s", st, out);
    cr_expect(strstr(out, "vtape train: "), "%s", out);
    cr_expect(strstr(out, "/none"), "message does not name the directory: %s", out);
    cr_expect(strstr(out, "apt-get install dataset-fashion-mnist"), "%s", out);
    remove_tree(dir);
}

Test(cli, garbage_checkpoint_fails_cleanly) {
    char dir[64], path[128], out[4096];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/garbage.vtck", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 3000; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    int st = run(out, sizeof out, "eval --checkpoint %s", path);
    cr_expect_eq(st, 1, "exit %d:\n%s", st, out);
    cr_expect(strstr(out, "vtape eval: ") && strstr(out, path), "%s", out);
    st = run(out, sizeof out, "sample --checkpoint %s/absent.vtck", dir);
    cr_expect_eq(st, 1, "exit %d:\n%s", st, out);
    cr_expect(strstr(out, "absent.vtck"), "%s", out);
    remove_tree(dir);
}

/* ---------------- a tiny run on the real data ---------------- */

/* The tiny run (TINY, 1 epoch of 4 steps, seed defaults) gives test NELBO 545.25 and
 * -log p(x) 543.65 (docs/testing.md): a barely trained model, near the 543.4 nats of
 * logits 0 (784·log 2). The band of ±8 nats allows other BLAS kernels and summation
 * orders (which move these by < 0.1) while catching a loss that is off by a term: a
 * KL or rec scaled wrongly, nats vs bits, a sum instead of a mean over the batch. */
#define TINY_NELBO 545.25
#define TINY_NLL 543.65
#define TINY_BAND 8.0

static void check_tiny_numbers(const char *run_dir) {
    char path[256];
    snprintf(path, sizeof path, "%s/final.json", run_dir);
    double nelbo = json_number(path, "test_nelbo"), rec = json_number(path, "test_rec");
    double kl = json_number(path, "test_kl"), nll = json_number(path, "iw_nll");
    double nelbo_subset = json_number(path, "test_nelbo_iw_subset");
    cr_expect(isfinite(nelbo) && isfinite(rec) && isfinite(kl) && isfinite(nll) &&
              isfinite(nelbo_subset), "%s: non-finite numbers", path);
    cr_expect(fabs(rec + kl - nelbo) < 1e-3 * fabs(nelbo), "rec %g + kl %g != NELBO %g", rec, kl, nelbo);
    cr_expect(kl >= 0, "KL %g < 0", kl);
    /* IS with K = 10 is a tighter bound than the ELBO on the same 16 images */
    cr_expect(nll <= nelbo_subset, "-log p(x) %g above the NELBO %g on the same images", nll,
              nelbo_subset);
    cr_expect(fabs(nelbo - TINY_NELBO) < TINY_BAND, "test NELBO %g, documented %g", nelbo, TINY_NELBO);
    cr_expect(fabs(nll - TINY_NLL) < TINY_BAND, "-log p(x) %g, documented %g", nll, TINY_NLL);
}

Test(cli, tiny_training_run, .timeout = 120) {
    vt_test_require_data();
    char dir[64], run_dir[128], path[256], out[16384];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    int st = run(out, sizeof out, "train " TINY " --epochs 1 --data-dir %s --out %s", vt_test_data_dir(), run_dir);
    cr_assert_eq(st, 0, "train exited %d:\n%s", st, out);
    cr_expect(strstr(out, "epoch   1/1"), "no epoch line:\n%s", out);
    cr_expect(strstr(out, "-log p(x)"), "no importance-sampling line:\n%s", out);
    snprintf(path, sizeof path, "%s/metrics.csv", run_dir);
    cr_expect_eq(count_lines(path), 2, "metrics.csv: want a header and one row");
    static const char *const files[] = {"checkpoint.vtck", "metrics.csv", "run.txt", "final.json",
                                        "samples.png", "reconstructions.png",
                                        "interpolation.png", "loss.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        cr_expect(exists(run_dir, files[i]), "train did not write %s", files[i]);
    cr_expect(!exists(run_dir, "classes.png"), "classes.png is for a CVAE only");
    check_tiny_numbers(run_dir);

    /* Resume to two epochs: one more metrics row. */
    st = run(out, sizeof out, "train --resume --epochs 2 --iw-n 0 --out %s", run_dir);
    cr_assert_eq(st, 0, "resume exited %d:\n%s", st, out);
    cr_expect(strstr(out, "resuming from"), "%s", out);
    cr_expect_eq(count_lines(path), 3, "metrics.csv after resume: want two rows");

    snprintf(path, sizeof path, "%s/checkpoint.vtck", run_dir);
    st = run(out, sizeof out, "eval --checkpoint %s --iw-k 10 --iw-n 16", path);
    cr_expect_eq(st, 0, "eval exited %d:\n%s", st, out);
    cr_expect(strstr(out, "test NELBO") && strstr(out, "-log p(x)"), "%s", out);
    /* eval scores the whole test set: the same band as the 256-image training run */
    double nelbo = output_number(out, "test NELBO "), nll = output_number(out, "-log p(x) ");
    double nelbo_subset = output_number(out, "NELBO on them ");
    cr_expect(isfinite(nelbo) && fabs(nelbo - TINY_NELBO) < TINY_BAND, "eval NELBO %g:\n%s", nelbo, out);
    cr_expect(isfinite(nll) && nll <= nelbo_subset && fabs(nll - TINY_NLL) < TINY_BAND,
              "eval -log p(x) %g, NELBO on the same images %g:\n%s", nll, nelbo_subset, out);

    char sample_dir[160];
    snprintf(sample_dir, sizeof sample_dir, "%s/pictures", dir);
    st = run(out, sizeof out, "sample --checkpoint %s --out %s --n 16", path, sample_dir);
    cr_expect_eq(st, 0, "sample exited %d:\n%s", st, out);
    cr_expect(exists(sample_dir, "samples.png") && exists(sample_dir, "interpolation.png"));

    st = run(out, sizeof out, "plot --metrics %s/metrics.csv --out %s/curve.png", run_dir, dir);
    cr_expect_eq(st, 0, "plot exited %d:\n%s", st, out);
    cr_expect(exists(dir, "curve.png"));

    /* A truncated copy of the checkpoint: status 1, the file named. */
    char cut[256];
    snprintf(cut, sizeof cut, "%s/cut.vtck", dir);
    FILE *in = fopen(path, "rb"), *o = fopen(cut, "wb");
    cr_assert(in && o);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    fwrite(buf, 1, n / 2, o);
    fclose(in);
    fclose(o);
    st = run(out, sizeof out, "eval --checkpoint %s", cut);
    cr_expect_eq(st, 1, "eval of a truncated checkpoint exited %d:\n%s", st, out);
    cr_expect(strstr(out, "vtape eval: ") && strstr(out, cut) && strstr(out, "truncated"), "%s", out);
    remove_tree(dir);
}

Test(cli, cvae_run_writes_class_rows, .timeout = 120) {
    vt_test_require_data();
    char dir[64], out[16384];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    int st = run(out, sizeof out, "train --model cvae " TINY " --epochs 1 --iw-n 0 --data-dir %s --out %s",
                 vt_test_data_dir(), dir);
    cr_assert_eq(st, 0, "train exited %d:\n%s", st, out);
    cr_expect(exists(dir, "classes.png"));
    remove_tree(dir);
}

Test(cli, divergence_stops_with_a_clear_message, .timeout = 120) {
    vt_test_require_data();
    char dir[64], out[16384];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    int st = run(out, sizeof out, "train " TINY " --optimizer sgd --lr 1000 --epochs 1 --data-dir %s --out %s",
                 vt_test_data_dir(), dir);
    cr_expect_eq(st, 1, "exit %d:\n%s", st, out);
    cr_expect(strstr(out, "vtape train: non-finite loss at epoch 1 step"), "%s", out);
    remove_tree(dir);
}
