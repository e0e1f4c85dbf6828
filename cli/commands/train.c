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
#include "cli/commands/train_run.h"


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
                           s->seconds > 0 ? (double)s->images / s->seconds : 0.0, s->seconds,
                           {0}};
    /* one KL column per latent site from the first row on (a run resumed from a
     * checkpoint that has rows without them keeps its columns) */
    if (r->rs.n_rows == 0) cli_metrics_sites_set(&r->rs.sites, test.n_sites, test.site);
    for (int i = 0; i < r->rs.sites.n && i < test.n_sites; i++)
        row.test_site_kl[i] = test.site_kl[i];
    if (cli_run_state_add_row(&r->rs, &row) != 0)
        return vt_error_set(err, VT_ENOMEM, "out of memory");
    if (save_run(r, e + 1, NULL, err) != 0 ||
        cli_metrics_write(r->metrics, &r->rs.sites, r->rs.rows, r->rs.n_rows, err) != 0)
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
    int rc = cli_train_parse(r, argc, argv);
    if (rc < 0) {
        cli_set_blas_threads(CMD, r->o->blas_threads);
        rc = cli_train_load_data(r);
    }
    if (rc < 0) rc = cli_train_build_model(r);
    if (rc < 0) rc = cli_train_start_files(r);
    if (rc < 0) {
        cli_train_print_header(r);
        cli_stop_signals_install(&r->stop);
        rc = run_epochs(r, &train_seconds, &train_images);
        cli_stop_signals_restore();
    }
    if (rc < 0) rc = finish(r, train_seconds, train_images);
    cleanup(r);
    free(r);
    return rc;
}
