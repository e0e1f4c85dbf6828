/* Kill and resume: `vtape train --checkpoint-every 1` is SIGKILLed at random moments
 * (many of them inside a checkpoint write, since a tiny model spends much of its time
 * saving) and resumed each time. After every kill the checkpoint must load, its run
 * state must parse, and metrics.csv must hold its history (or, for a kill between the
 * checkpoint's rename and the metrics rewrite, the history before the last epoch).
 * The run finished through all the kills must end bit-identical to one never killed:
 * parameters, Adam moments, counters and the deterministic metrics columns. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/driver/run_state.h"
#include "support.h"
#include "vtape/vtape.h"

#define VTAPE VT_BUILD_DIR "/vtape"
#define KILLS 24
/* A wide first layer makes each checkpoint a few MB, so many kills land in a write. */
static char data_dir[128];
static const char *ARGS[] = {
    "train", "--arch", "784-160", "--latent", "2", "--batch", "32", "--epochs", "3",
    "--iw-n", "0", "--checkpoint-every", "1", "--seed", "5", "--blas-threads", "1",
    "--data-dir", data_dir, "--resume", "--out"};
enum { N_ARGS = sizeof ARGS / sizeof ARGS[0] };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int exists(const char *dir, const char *name);

/* Start vtape on `out`; kill it after `after` seconds (< 0: let it finish). Returns
 * the exit status, or -SIGKILL when killed. window (may be NULL) gets the times when
 * the first checkpoint and final.json (training done) appeared. */
static int train(const char *out, double after, double window[2]) {
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        const char *argv[N_ARGS + 3] = {VTAPE};   /* NULL-terminated */
        for (int i = 0; i < N_ARGS; i++) argv[i + 1] = ARGS[i];
        argv[N_ARGS + 1] = out;
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execv(VTAPE, (char *const *)argv);
        _exit(127);
    }
    int st;
    if (window) {
        double t0 = now();
        pid_t done = 0;
        const char *marks[2] = {"checkpoint.vtck", "final.json"};
        for (int i = 0; i < 2; i++) {
            while (!exists(out, marks[i]) && (done = waitpid(pid, &st, WNOHANG)) == 0)
                nanosleep(&(struct timespec){0, 200000}, NULL);
            window[i] = now() - t0;
            if (done == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
    }
    if (after >= 0) {
        double end = now() + after;
        pid_t done = 0;
        while (now() < end && (done = waitpid(pid, &st, WNOHANG)) == 0)
            nanosleep(&(struct timespec){0, 500000}, NULL);
        if (done == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        kill(pid, SIGKILL);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st)) return -WTERMSIG(st);
    return WEXITSTATUS(st);
}

static int exists(const char *dir, const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Metrics rows of a CSV file; -1 when it cannot be read. */
static int csv_rows(const char *dir, cli_metrics_row **rows) {
    char p[256];
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    int n;
    vt_error err;
    cli_metrics_sites sites;
    return cli_metrics_read(p, &sites, rows, &n, &err) == 0 ? n : -1;
}

static int same_row(const cli_metrics_row *a, const cli_metrics_row *b) {
    return a->epoch == b->epoch && a->step == b->step && a->train_nelbo == b->train_nelbo &&
           a->train_rec == b->train_rec && a->train_kl == b->train_kl &&
           a->test_nelbo == b->test_nelbo && a->test_kl == b->test_kl && a->lr == b->lr;
}

/* The checkpoint loads and metrics.csv agrees with the history inside it. */
static void check_consistent(const char *dir, int kill_no) {
    char ckpt[256];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.vtck", dir);
    if (access(ckpt, F_OK) != 0) return;   /* killed before the first save */
    vt_error err = {0};
    vt_checkpoint_info info;
    cr_assert_eq(vt_checkpoint_inspect(ckpt, 0, &info, &err), 0, "kill %d: %s", kill_no, err.msg);
    char *notes = vt_checkpoint_read_notes(ckpt, &err);
    cr_assert_not_null(notes, "kill %d: %s", kill_no, err.msg);
    cli_run_state rs;
    cr_assert_eq(cli_run_state_parse(&rs, notes, ckpt, &err), 0, "kill %d: %s", kill_no, err.msg);
    free(notes);
    cli_metrics_row *rows = NULL;
    int n = csv_rows(dir, &rows);
    cr_assert(n == rs.n_rows || n == rs.n_rows - 1, "kill %d: metrics.csv has %d rows, the "
              "checkpoint's history %d", kill_no, n, rs.n_rows);
    for (int i = 0; i < n; i++)
        cr_assert(same_row(&rows[i], &rs.rows[i]), "kill %d: metrics row %d differs", kill_no, i);
    cr_assert_eq((long)info.state.epoch, rs.n_rows, "kill %d: epoch vs history", kill_no);
    if (getenv("VT_KILL_VERBOSE"))
        cr_log_info("kill %d: checkpoint at epoch %llu step %llu", kill_no,
                    (unsigned long long)info.state.epoch, (unsigned long long)info.state.step);
    free(rows);
    cli_run_state_free(&rs);
}

/* Parameters and optimizer moments of a checkpoint, as loaded. */
static float *load_all(const char *dir, size_t *n, vt_train_state *st) {
    char ckpt[256], cfgtext[1024];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.vtck", dir);
    vt_error err;
    vt_vae_config cfg;
    cr_assert_eq(vt_checkpoint_read_config(ckpt, cfgtext, sizeof cfgtext, &err), 0, "%s", err.msg);
    cr_assert_eq(vt_vae_config_parse(&cfg, cfgtext, &err), 0);
    vt_vae v;
    cr_assert_eq(vt_vae_init(&v, &cfg, &err), 0);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(v.store, &oc, &err);
    cr_assert_eq(vt_checkpoint_load(ckpt, v.store, opt, st, &err), 0, "%s", err.msg);
    *n = vt_store_numel(v.store);
    float *all = malloc(3 * *n * sizeof *all);
    int slots[VT_OPTIM_MAX_SLOTS];
    cr_assert_eq(vt_optim_state_slots(opt, slots), 2);
    memcpy(all, vt_store_values(v.store), *n * 4);
    memcpy(all + *n, vt_store_slot(v.store, slots[0]), *n * 4);
    memcpy(all + 2 * *n, vt_store_slot(v.store, slots[1]), *n * 4);
    vt_optim_free(opt);
    vt_vae_free(&v);
    return all;
}

/* The run in `dir`, resumed through kills, ends where the uninterrupted one did. */
static void same_as_reference(const char *ref, const char *dir) {
    size_t na, nb;
    vt_train_state sa, sb;
    float *a = load_all(ref, &na, &sa), *b = load_all(dir, &nb, &sb);
    cr_assert_eq(na, nb);
    cr_assert_eq(memcmp(a, b, 3 * na * 4), 0, "parameters or moments differ from the uninterrupted run");
    cr_assert(sa.step == sb.step && sa.epoch == sb.epoch && sa.noise_step == sb.noise_step);
    cli_metrics_row *ra, *rb;
    int n1 = csv_rows(ref, &ra), n2 = csv_rows(dir, &rb);
    cr_assert_eq(n1, n2);
    for (int i = 0; i < n1; i++) cr_assert(same_row(&ra[i], &rb[i]), "metrics row %d differs", i);
    free(a); free(b); free(ra); free(rb);
}

Test(kill_resume, every_kill_leaves_a_consistent_run_and_the_end_is_bit_identical,
     .timeout = 600) {
    char dir[64], ref[128], killed[128];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(data_dir, sizeof data_dir, "%s", dir);
    cr_assert_eq(vt_test_fake_fashion(data_dir, 256, 64), 0);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    snprintf(killed, sizeof killed, "%s/killed", dir);
    double t0 = now(), w[2];
    cr_assert_eq(train(ref, -1, w), 0, "the uninterrupted run failed");
    double T = now() - t0, S = w[0], W = w[1] - w[0];   /* start-up, training window */
    srand(12345);
    int during_write = 0, kills = 0, runs = 0;
    for (int k = 0; kills < KILLS; k++) {
        /* One kill in four during start-up, the others while it trains and saves. */
        double u = rand() / (double)RAND_MAX;
        double after = k % 4 == 0 ? u * S : S + u * 0.08 * W;
        int st = train(killed, after, NULL);
        if (st == 0) {   /* finished between kills: check it, and start another run */
            same_as_reference(ref, killed);
            cr_assert_eq(vt_test_rmtree(killed), 0);
            runs++;
            continue;
        }
        cr_assert_eq(st, -SIGKILL, "kill %d: vtape exited %d on its own", k, st);
        kills++;
        during_write += exists(killed, "checkpoint.vtck.tmp");
        check_consistent(killed, k);
    }
    int st = train(killed, -1, NULL);
    cr_assert(st == 0, "the resumed run failed (status %d)", st);
    check_consistent(killed, KILLS);
    same_as_reference(ref, killed);
    cr_log_info("%d kills over %d runs (%d inside a checkpoint write); a run takes %.1f s: "
                "start-up %.2f s, training %.2f s", kills, runs + 1, during_write, T, S, W);
    vt_test_rmtree(dir);
}
