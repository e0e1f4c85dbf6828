/* The command under hostile use: a diverged or doctored checkpoint, a directory of
 * another run, sizes that overflow, and a signal in the middle of training. Runs on a
 * small random data set (support.h), so it needs no download and takes seconds. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "support.h"
#include "vtape/vtape.h"

#define VTAPE VT_BUILD_DIR "/vtape"
static char dir[64], data[128], run_dir[160];
#define SMALL "--arch 784-16 --latent 2 --batch 32 --iw-n 0 --data-dir %s"

static void setup(void) { cr_assert_eq(vt_test_fake_run_dirs(dir, data, run_dir), 0); }
static void teardown(void) { vt_test_rmtree(dir); }
TestSuite(cli_reliability, .init = setup, .fini = teardown, .timeout = 300);

#define run vt_test_run_vtape

static const char *in_run(const char *name) {
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", run_dir, name);
    return p;
}

Test(cli_reliability, a_second_run_in_a_run_directory_is_refused_unless_forced) {
    char out[8192];
    cr_assert_eq(run(out, sizeof out, "train " SMALL " --epochs 1 --out %s", data, run_dir), 0, "%s", out);
    int st = run(out, sizeof out, "train " SMALL " --epochs 1 --latent 3 --out %s", data, run_dir);
    cr_expect_eq(st, 2, "%s", out);
    cr_expect_not_null(strstr(out, "holds another run"), "%s", out);
    st = run(out, sizeof out, "train " SMALL " --epochs 1 --latent 3 --force --out %s", data, run_dir);
    cr_expect_eq(st, 0, "%s", out);
}

/* run.txt of another run beside a checkpoint: eval refuses rather than evaluate with
 * the wrong options. */
Test(cli_reliability, eval_refuses_a_run_file_of_another_run) {
    char out[8192];
    cr_assert_eq(run(out, sizeof out, "train " SMALL " --epochs 1 --out %s", data, run_dir), 0, "%s", out);
    FILE *f = fopen(in_run("run.txt"), "r+");
    cr_assert_not_null(f);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    char *id = strstr(text, "# run-id: ");
    cr_assert_not_null(id);
    id[10] = id[10] == 'a' ? 'b' : 'a';   /* another run's id */
    rewind(f);
    fwrite(text, 1, n, f);
    fclose(f);
    int st = run(out, sizeof out, "eval --checkpoint %s --iw-n 0", in_run("checkpoint.vtck"));
    cr_expect_eq(st, 1, "%s", out);
    cr_expect_not_null(strstr(out, "different runs"), "%s", out);
    st = run(out, sizeof out, "train " SMALL " --epochs 2 --resume --out %s", data, run_dir);
    cr_expect_eq(st, 1, "%s", out);
}

/* A checkpoint with a NaN parameter (CRC recomputed): eval exits 1 naming the problem;
 * --allow-nonfinite opens it and still exits 1 with a clear message. */
Test(cli_reliability, eval_of_a_nonfinite_model_fails) {
    char out[8192];
    cr_assert_eq(run(out, sizeof out, "train " SMALL " --epochs 1 --out %s", data, run_dir), 0, "%s", out);
    FILE *f = fopen(in_run("checkpoint.vtck"), "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    unsigned char *b = malloc((size_t)n);
    rewind(f);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    memcpy(b + n - 8, (unsigned char[]){0, 0, 0xc0, 0x7f}, 4);   /* NaN in the last moment */
    uint32_t crc = (uint32_t)crc32(0, b + 20, (uInt)(n - 24));
    for (int i = 0; i < 4; i++) b[n - 4 + i] = (unsigned char)(crc >> 8 * i);
    rewind(f);
    fwrite(b, 1, (size_t)n, f);
    fclose(f);
    free(b);
    int st = run(out, sizeof out, "eval --checkpoint %s --iw-n 0", in_run("checkpoint.vtck"));
    cr_expect_eq(st, 1, "%s", out);
    cr_expect_not_null(strstr(out, "non-finite"), "%s", out);
    st = run(out, sizeof out, "eval --checkpoint %s --iw-n 0 --allow-nonfinite", in_run("checkpoint.vtck"));
    cr_expect_eq(st, 0, "moments are not used by eval: the model itself is finite\n%s", out);
}

/* Divergence at the last step of an epoch (one step per epoch here): the run stops,
 * and no checkpoint holding a non-finite value is ever written. */
Test(cli_reliability, a_diverged_run_never_saves_its_state) {
    char out[8192];
    int st = run(out, sizeof out, "train --arch 784-16 --latent 2 --batch 128 --iw-n 0 "
                 "--data-dir %s --epochs 20 --optimizer sgd --lr 1000 --out %s", data, run_dir);
    cr_expect_eq(st, 1, "%s", out);
    cr_expect_not_null(strstr(out, "non-finite"), "%s", out);
    vt_error err;
    if (access(in_run("checkpoint.vtck"), F_OK) == 0)
        cr_expect_eq(vt_checkpoint_inspect(in_run("checkpoint.vtck"), 0, NULL, &err), 0, "%s", err.msg);
}

Test(cli_reliability, sizes_that_overflow_are_usage_errors) {
    char out[8192];
    int st = run(out, sizeof out, "train " SMALL " --epochs 1 --latent 46341 --posterior fullcov "
                 "--out %s", data, run_dir);
    cr_expect_eq(st, 2, "%s", out);
    cr_expect_not_null(strstr(out, "vae: bad configuration"), "%s", out);
}

/* SIGTERM mid-training: a clean save and exit 128 + 15; --resume finishes the run. */
Test(cli_reliability, sigterm_saves_and_resume_finishes) {
    char out[8192];
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(VTAPE, VTAPE, "train", "--arch", "784-16", "--latent", "2", "--batch", "32",
              "--iw-n", "0", "--data-dir", data, "--epochs", "200", "--out", run_dir, (char *)NULL);
        _exit(127);
    }
    while (access(in_run("metrics.csv"), F_OK) != 0) nanosleep(&(struct timespec){0, 2000000}, NULL);
    nanosleep(&(struct timespec){0, 300000000}, NULL);
    kill(pid, SIGTERM);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %d", st);
    vt_checkpoint_info info;
    vt_error err;
    cr_assert_eq(vt_checkpoint_inspect(in_run("checkpoint.vtck"), 0, &info, &err), 0, "%s", err.msg);
    cr_expect_lt(info.state.epoch, 200);
    st = run(out, sizeof out, "train --resume --epochs %llu --out %s",
             (unsigned long long)info.state.epoch + 1, run_dir);
    cr_expect_eq(st, 0, "%s", out);
    cr_expect_not_null(strstr(out, "resuming from"), "%s", out);
}
