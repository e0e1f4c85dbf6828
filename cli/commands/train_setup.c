/* `vtape train`, setting up: options (argv over a resumed run's run.txt), data,
 * the model (fresh or from the checkpoint), the optimizer, context and schedules, and
 * the run's files. */
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

/* Options from argv; with --resume and a checkpoint, run.txt first and argv on top.
 * Returns -1 to go on, else the exit status. */
int cli_train_parse(train_run *r, int argc, char **argv) {
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

int cli_train_load_data(train_run *r) {
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
int cli_train_resume_state(train_run *r) {
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
int cli_train_build_model(train_run *r) {
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
    if (r->resuming && cli_train_resume_state(r) >= 0) return CLI_EXIT_FAIL;
    if (!r->resuming) cli_run_id_new(r->rs.run_id, sizeof r->rs.run_id);
    r->rs.blas_threads = o->blas_threads;
    r->tr.ctx = vt_ctx_new(&(vt_ctx_opts){.seed = r->state.seed, .threads = o->threads});
    vt_optim_set_ctx(r->tr.opt, r->tr.ctx);   /* Adam on the same threads as the step */
    vt_batcher_set_ctx(r->tr.batcher, r->tr.ctx);   /* and the batch's binarization */
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
int cli_train_start_files(train_run *r) {
    vt_error err = {0};
    if (cli_mkdirs(r->o->out) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--out %s: cannot create the directory: %s",
                           r->o->out, strerror(errno));
    if (cli_run_file_write(r->runfile, r->cli.table, r->rs.run_id, &err) != 0 ||
        cli_metrics_write(r->metrics, &r->rs.sites, r->rs.rows, r->rs.n_rows, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    return -1;
}

void cli_train_print_header(const train_run *r) {
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
