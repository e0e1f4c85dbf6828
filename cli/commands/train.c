/* `vtape train`: options → data → model (fresh or resumed) → epochs (checkpoint and
 * metrics row after each, and a checkpoint every --checkpoint-every steps or on
 * SIGINT/SIGTERM) → final evaluation, final.json, images and loss curve.
 * The checkpoint carries the whole run state (cli/driver/run_state.h); metrics.csv is
 * rewritten from it after each save, so the two always agree after a resume. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/driver/data_source.h"
#include "cli/driver/evaluate.h"
#include "cli/driver/fashion_data.h"
#include "cli/report/final_report.h"
#include "cli/draw/loss_plot.h"
#include "cli/report/metrics.h"
#include "cli/driver/model_file.h"
#include "cli/driver/run_dir.h"
#include "cli/driver/run_state.h"
#include "cli/draw/sample_images.h"
#include "cli/driver/train_epoch.h"
#include "cli/options/train_options.h"

#define CMD "train"
enum { PATH_LEN = 4200, SAMPLE_IMAGES = 64 };

typedef struct train_run {
    cli_train_cli cli;
    const cli_train_options *o;
    char *run_buf;                      /* storage of options read from run.txt */
    char ckpt[PATH_LEN], metrics[PATH_LEN], runfile[PATH_LEN];
    int resuming;
    vt_vae_config cfg;
    vt_optim_config ocfg;
    vt_dataset train, test;
    cli_fixed_test fixed;
    vt_vae v;
    cli_trainer tr;
    vt_train_state state;
    cli_run_state rs;                   /* id, epoch progress and metrics history */
    char config[1024];
    volatile sig_atomic_t stop;         /* the signal that asked to stop, or 0 */
    int saved;                          /* this process has written a checkpoint */
    double start;
} train_run;

/* Options from argv; with --resume and a checkpoint, run.txt first and argv on top.
 * Returns -1 to go on, else the exit status. */
static int parse_options(train_run *r, int argc, char **argv) {
    vt_error err = {0};
    cli_train_cli_init(&r->cli);
    int rc = cli_opts_parse(r->cli.table, argc, argv, 1, &err);
    if (rc == 1) {
        cli_train_help(stdout, &r->cli);
        return CLI_EXIT_OK;
    }
    if (rc != 0) return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    const cli_train_options *o = &r->cli.o;
    if (cli_join(r->ckpt, PATH_LEN, o->out, "checkpoint.vtck") != 0 ||
        cli_join(r->metrics, PATH_LEN, o->out, "metrics.csv") != 0 ||
        cli_join(r->runfile, PATH_LEN, o->out, "run.txt") != 0)
        return cli_fail(CMD, CLI_EXIT_USAGE, "--out: directory name too long");
    r->resuming = o->resume && access(r->ckpt, F_OK) == 0;   /* else: nothing to continue */
    if (o->resume && !r->resuming)
        cli_warn(CMD, "--resume: no %s yet; starting a new run", r->ckpt);
    if (r->resuming && access(r->runfile, F_OK) == 0) {
        cli_train_cli_init(&r->cli);
        if (cli_run_file_read(r->runfile, r->cli.table, &r->run_buf, &err) != 0)
            return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
        if (cli_opts_parse(r->cli.table, argc, argv, 1, &err) != 0)
            return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    }
    cli_train_options_resolve(&r->cli.o);
    r->o = o;
    /* --resume without a checkpoint starts the run again: files of a run killed before
     * its first checkpoint are replaced, as with --force. */
    if (!r->resuming && cli_run_dir_claim(o->out, o->force || o->resume, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    if (cli_train_options_check(o, &err) != 0 ||
        cli_train_model_config(o, 0, &r->cfg, &err) != 0 ||
        cli_train_optim_config(o, &r->ocfg, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    return -1;
}

static int load_data(train_run *r) {
    vt_error err = {0};
    const cli_train_options *o = r->o;
    cli_data_spec spec = cli_data_spec_of(o);
    const char *lik = vt_names_get(&vt_lik_names, o->likelihood);
    if (cli_data_load(&spec, &r->train, &r->test, &err) != 0 ||
        cli_data_check_values(&r->train, lik, cli_train_binarize(o) != VT_BIN_NONE, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    if (r->cfg.x_dim != r->train.dim)
        return cli_fail(CMD, CLI_EXIT_USAGE, "--arch %s: the input size must be %d, the "
                           "examples' value count (e.g. --arch %d-512-256)", o->arch,
                           r->train.dim, r->train.dim);
    if (r->cfg.n_classes > 0) {   /* the CVAE conditions on the data's classes */
        if (!r->train.labels)
            return cli_fail(CMD, CLI_EXIT_USAGE, "--model cvae needs labels (--labels FILE)");
        r->cfg.n_classes = r->train.n_classes;
    }
    if (cli_fixed_test_make(&r->fixed, &r->test, cli_train_binarize(o), (uint64_t)o->test_seed,
                           &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    vt_error de;
    vt_batcher_opts bo = {.batch_size = (size_t)o->batch, .seed = (uint64_t)o->seed,
                          .binarize = cli_train_binarize(o)};
    r->tr.batcher = vt_batcher_new(&r->train, &bo, &de);
    r->tr.x = malloc((size_t)o->batch * (size_t)r->train.dim * sizeof *r->tr.x);
    r->tr.labels = malloc((size_t)o->batch);
    if (!r->tr.batcher || !r->tr.x || !r->tr.labels)
        return cli_fail(CMD, CLI_EXIT_FAIL, "training batches: %s",
                           r->tr.batcher ? "out of memory" : de.msg);
    return -1;
}

/* The checkpoint's parameters, optimizer state and run state, which must belong to the
 * run of run.txt. Returns -1 to go on, else the exit status (after the message). */
static int resume_state(train_run *r) {
    vt_error err = {0};
    if (vt_checkpoint_load(r->ckpt, r->v.store, r->tr.opt, &r->state, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--resume: %s", err.msg);
    char *notes = vt_checkpoint_read_notes(r->ckpt, &err);
    if (!notes || cli_run_state_parse(&r->rs, notes, r->ckpt, &err) != 0) {
        free(notes);
        return cli_fail(CMD, CLI_EXIT_FAIL, "--resume: %s", err.msg);
    }
    free(notes);
    if (cli_run_dir_same_run(r->runfile, r->ckpt, r->rs.run_id, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--resume: %s", err.msg);
    if (!r->rs.run_id[0]) cli_run_id_new(r->rs.run_id, sizeof r->rs.run_id);
    if (r->rs.blas_threads && r->rs.blas_threads != r->o->blas_threads)
        cli_warn(CMD, "--blas-threads %d, the run so far used %d: matrix products may round "
                      "differently, so the result will not be bit-identical to an "
                      "uninterrupted run", r->o->blas_threads, r->rs.blas_threads);
    r->tr.resume = r->rs.progress;
    return -1;
}

/* A fresh model, or the checkpoint's when resuming (its configuration must be the one
 * the options describe). Also the optimizer, context and schedules. */
static int build_model(train_run *r) {
    vt_error err = {0};
    char have[1024], want[1024];
    const cli_train_options *o = r->o;
    if (r->resuming) {
        vt_vae_config saved;
        if (cli_model_file_config(r->ckpt, &saved, 0, &err) != 0)
            return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
        vt_vae_config_format(&saved, have, sizeof have);
        vt_vae_config_format(&r->cfg, want, sizeof want);
        if (strcmp(have, want) != 0)
            return cli_fail(CMD, CLI_EXIT_FAIL, "--resume: %s holds a model '%s' but the "
                               "options describe '%s'", r->ckpt, have, want);
    }
    if (vt_vae_init(&r->v, &r->cfg, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    r->tr.v = &r->v;
    r->tr.opt = vt_optim_new(r->v.store, &r->ocfg, &err);
    if (!r->tr.opt) return cli_fail(CMD, CLI_EXIT_USAGE, "--optimizer: %s", err.msg);
    r->state = (vt_train_state){.seed = (uint64_t)o->seed};
    if (r->resuming && resume_state(r) >= 0) return CLI_EXIT_FAIL;
    if (!r->resuming) cli_run_id_new(r->rs.run_id, sizeof r->rs.run_id);
    r->rs.blas_threads = o->blas_threads;
    r->tr.ctx = vt_ctx_new(&(vt_ctx_opts){.seed = r->state.seed, .threads = o->threads});
    vt_optim_set_ctx(r->tr.opt, r->tr.ctx);   /* Adam on the same threads as the step */
    if (!r->tr.ctx) return cli_fail(CMD, CLI_EXIT_FAIL, "out of memory");
    vt_ctx_set_step(r->tr.ctx, r->state.noise_step);   /* resumed noise continues */
    r->tr.step = (long)r->state.step;
    long per_epoch = (long)vt_batcher_batches_per_epoch(r->tr.batcher);
    if (cli_train_lr_schedule(o, per_epoch, &r->tr.lr, &err) != 0 ||
        cli_train_beta_schedule(o, per_epoch, &r->tr.beta, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    r->tr.elbo = cli_train_elbo_opts(o);
    r->tr.clip = (float)o->clip;
    r->tr.progress = -1;
    return -1;
}

/* run.txt (with the run id) and metrics.csv (the checkpoint's history). */
static int start_files(train_run *r) {
    vt_error err = {0};
    if (cli_mkdirs(r->o->out) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--out %s: cannot create the directory: %s",
                           r->o->out, strerror(errno));
    if (cli_run_file_write(r->runfile, r->cli.table, r->rs.run_id, &err) != 0 ||
        cli_metrics_write(r->metrics, r->rs.rows, r->rs.n_rows, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    return -1;
}

/* The checkpoint with the run state as its notes. epoch: epochs completed; p: how far
 * the next one has got. */
static int save_run(train_run *r, long epoch, const cli_epoch_progress *p, vt_error *err) {
    r->state = (vt_train_state){.step = (uint64_t)r->tr.step, .epoch = (uint64_t)epoch,
                                .seed = vt_ctx_seed(r->tr.ctx),
                                .noise_step = vt_ctx_step(r->tr.ctx)};
    r->rs.progress = p ? *p : (cli_epoch_progress){0};
    char *notes = cli_run_state_format(&r->rs);
    if (!notes) return vt_error_set(err, VT_ENOMEM, "out of memory");
    int rc = vt_checkpoint_save_notes(r->ckpt, r->config, notes, r->v.store, r->tr.opt,
                                      &r->state, err);
    free(notes);
    if (rc == 0) r->saved = 1;
    return rc == 0 ? 0 : -1;
}

static int save_mid_epoch(cli_trainer *t, long epoch, const cli_epoch_progress *p, vt_error *err) {
    return save_run(t->user, epoch, p, err);
}

static void print_header(const train_run *r) {
    const char *model = vt_names_get(&cli_model_names, r->o->model);
    printf("vtape train: %s %s latent %d, %zu parameters; %zu train / %zu test images, "
           "%zu steps per epoch; writing to %s\n", model, r->o->arch, r->cfg.latent,
           vt_store_numel(r->v.store), r->train.n, r->test.n,
           vt_batcher_batches_per_epoch(r->tr.batcher), r->o->out);
    if (r->resuming)
        printf("resuming from %s at epoch %llu, step %llu\n", r->ckpt,
               (unsigned long long)r->state.epoch, (unsigned long long)r->state.step);
    fflush(stdout);
}

static int stopped(train_run *r) {
    printf("stopped by signal %d: %s holds epoch %llu step %llu; continue with --resume\n",
           (int)r->stop, r->ckpt, (unsigned long long)r->state.epoch,
           (unsigned long long)r->state.step);
    fflush(stdout);
    return 128 + (int)r->stop;
}

/* After an epoch: test NELBO, the metrics row, the checkpoint, metrics.csv. */
static int end_epoch(train_run *r, long e, const cli_epoch_stats *s, vt_error *err) {
    const cli_train_options *o = r->o;
    cli_nelbo_result test;
    if (cli_eval_nelbo(&r->v, r->fixed.x, r->fixed.c, r->fixed.n, (uint64_t)o->test_seed,
                       o->threads, NULL, &test, err) != 0)
        return -1;
    cli_metrics_row row = {e + 1, r->tr.step, s->nelbo, s->rec, s->kl, test.nelbo, test.rec,
                           test.kl, s->beta, s->lr,
                           s->seconds > 0 ? (double)s->images / s->seconds : 0.0, s->seconds};
    if (cli_run_state_add_row(&r->rs, &row) != 0)
        return vt_error_set(err, VT_ENOMEM, "out of memory");
    if (save_run(r, e + 1, NULL, err) != 0 ||
        cli_metrics_write(r->metrics, r->rs.rows, r->rs.n_rows, err) != 0)
        return -1;
    printf("epoch %3ld/%d  train NELBO %8.2f (rec %7.2f kl %6.2f)  test NELBO %8.2f  "
           "beta %.3f  lr %.3g  %6.0f img/s  %6.1fs\n", e + 1, o->epochs, s->nelbo, s->rec,
           s->kl, test.nelbo, s->beta, s->lr, row.images_per_s, s->seconds);
    fflush(stdout);
    return 0;
}

static int run_epochs(train_run *r, double *train_seconds, long *train_images) {
    vt_error err = {0};
    const cli_train_options *o = r->o;
    vt_vae_config_format(&r->cfg, r->config, sizeof r->config);
    r->tr.checkpoint_every = o->checkpoint_every;
    r->tr.stop = &r->stop;
    r->tr.save = save_mid_epoch;
    r->tr.user = r;
    for (long e = (long)r->state.epoch; e < o->epochs; e++) {
        cli_epoch_stats s;
        int rc = cli_train_epoch(&r->tr, e, o->epochs, &s, &err);
        if (rc == CLI_EPOCH_STOPPED) return stopped(r);
        if (rc != 0 && !r->resuming && !r->saved)
            return cli_fail(CMD, CLI_EXIT_FAIL, "%s; no checkpoint was written", err.msg);
        if (rc != 0)
            return cli_fail(CMD, CLI_EXIT_FAIL, "%s; %s holds the last good state (epoch %llu "
                            "step %llu)", err.msg, r->ckpt, (unsigned long long)r->state.epoch,
                            (unsigned long long)r->state.step);
        *train_seconds += s.seconds;
        *train_images += s.images;
        if (end_epoch(r, e, &s, &err) != 0)
            return cli_fail(CMD, CLI_EXIT_FAIL, "epoch %ld: %s", e + 1, err.msg);
        if (r->stop) return stopped(r);
    }
    return -1;
}

static int finish(train_run *r, double train_seconds, long train_images) {
    vt_error err = {0};
    char path[PATH_LEN];
    const cli_train_options *o = r->o;
    cli_final_report rep = {.epochs = (long)r->state.epoch, .steps = r->tr.step,
                           .train_images = (int)r->train.n, .test_images = r->fixed.n,
                           .train_seconds = train_seconds,
                           .images_per_s = train_seconds > 0 ? (double)train_images / train_seconds : 0};
    rep.model = vt_names_get(&cli_model_names, o->model);
    rep.conditional = r->cfg.n_classes > 0;
    double *per_image = malloc((size_t)r->fixed.n * sizeof *per_image);
    if (!per_image) return cli_fail(CMD, CLI_EXIT_FAIL, "out of memory");
    double t0 = cli_now();
    int rc = cli_eval_nelbo(&r->v, r->fixed.x, r->fixed.c, r->fixed.n, (uint64_t)o->test_seed,
                           o->threads, per_image, &rep.test, &err);
    rep.eval_seconds = cli_now() - t0;
    int iw_n = o->iw_n < r->fixed.n ? o->iw_n : r->fixed.n;
    if (rc == 0 && o->iw_k > 0 && iw_n > 0) {
        rep.have_iw = 1;
        for (int i = 0; i < iw_n; i++) rep.test_nelbo_iw_subset += per_image[i] / iw_n;
        t0 = cli_now();
        rc = cli_eval_log_px(&r->v, r->fixed.x, r->fixed.c, iw_n, o->iw_k, o->iw_chunk,
                            (uint64_t)o->test_seed, o->threads, &rep.iw, &err);
        rep.iw_seconds = cli_now() - t0;
    }
    free(per_image);
    if (rc != 0) return cli_fail(CMD, CLI_EXIT_FAIL, "final evaluation: %s", err.msg);
    rep.wall_seconds = cli_now() - r->start;
    cli_final_report_print(stdout, &rep);
    if (cli_join(path, sizeof path, o->out, "final.json") != 0 ||
        cli_final_report_write(path, &rep, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    if (cli_sample_images_write(&r->v, &r->fixed, SAMPLE_IMAGES, (uint64_t)o->seed, o->threads,
                               o->out, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    if (cli_join(path, sizeof path, o->out, "loss.png") != 0 ||
        cli_loss_plot_write(r->metrics, path, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    printf("wrote %s: metrics.csv checkpoint.vtck run.txt final.json samples.png "
           "reconstructions.png%s%s loss.png\n", o->out, r->cfg.n_classes ? " classes.png" : "",
           r->fixed.n >= 2 ? " interpolation.png" : "");
    return CLI_EXIT_OK;
}

static void cleanup(train_run *r) {
    vt_ctx_free(r->tr.ctx);
    vt_optim_free(r->tr.opt);
    vt_vae_free(&r->v);
    vt_batcher_free(r->tr.batcher);
    free(r->tr.x);
    free(r->tr.labels);
    cli_fixed_test_free(&r->fixed);
    vt_dataset_free(&r->train);
    vt_dataset_free(&r->test);
    free(r->run_buf);
    cli_run_state_free(&r->rs);
}

int cli_cmd_train(int argc, char **argv) {
    train_run *r = calloc(1, sizeof *r);
    if (!r) return cli_fail(CMD, CLI_EXIT_FAIL, "out of memory");
    r->start = cli_now();
    double train_seconds = 0;
    long train_images = 0;
    int rc = parse_options(r, argc, argv);
    if (rc < 0) {
        cli_set_blas_threads(CMD, r->o->blas_threads);
        rc = load_data(r);
    }
    if (rc < 0) rc = build_model(r);
    if (rc < 0) rc = start_files(r);
    if (rc < 0) {
        print_header(r);
        cli_stop_signals_install(&r->stop);
        rc = run_epochs(r, &train_seconds, &train_images);
        cli_stop_signals_restore();
    }
    if (rc < 0) rc = finish(r, train_seconds, train_images);
    cleanup(r);
    free(r);
    return rc;
}
