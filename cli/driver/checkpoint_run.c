#include "cli/driver/checkpoint_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/driver/data_source.h"
#include "cli/driver/model_file.h"
#include "cli/driver/run_dir.h"
#include "cli/driver/run_state.h"
#include <unistd.h>
#include "cli/options/train_options.h"

/* run.txt beside the checkpoint must be of the checkpoint's run. */
static int check_same_run(const char *path, vt_error *err) {
    char dir[4200], run[4300];
    cli_model_file_dir(path, dir, sizeof dir);
    if (cli_join(run, sizeof run, dir, "run.txt") != 0 || access(run, F_OK) != 0) return 0;
    char *notes = vt_checkpoint_read_notes(path, err);
    if (!notes) return -1;
    cli_run_state rs;
    int rc = cli_run_state_parse(&rs, notes, path, err);
    free(notes);
    if (rc != 0) return -1;
    cli_run_state_free(&rs);
    return cli_run_dir_same_run(run, path, rs.run_id, err);
}

int cli_checkpoint_run_open(cli_checkpoint_run *r, const char *path,
                           const cli_checkpoint_run_opts *o, const char *cmd, vt_error *err) {
    memset(r, 0, sizeof *r);
    if (cli_model_file_open(path, &r->model, &r->state, o->ckpt_flags, err) != 0) return -1;
    if (check_same_run(path, err) != 0) {
        cli_checkpoint_run_close(r);
        return -1;
    }
    cli_train_cli *run = malloc(sizeof *run);   /* large: not on the stack */
    char *run_buf = NULL;
    int rc = -1;
    if (!run) {
        vt_error_set(err, VT_ENOMEM, "out of memory");
        goto out;
    }
    if (cli_model_file_run_options(path, run, &run_buf, err) < 0)
        cli_warn(cmd, "%s; using defaults", err->msg);
    if (o->binarize >= 0) run->o.binarize = o->binarize;
    r->test_seed = o->test_seed >= 0 ? o->test_seed : run->o.test_seed;
    cli_data_spec spec = cli_data_spec_of(&run->o);
    if (o->data_dir) spec.data_dir = o->data_dir;
    spec.test_limit = o->test_limit;
    if (o->test_data) {   /* evaluate on another file: no split, no training data needed */
        spec.test_data = o->test_data, spec.test_labels = o->test_labels, spec.val_split = 0;
        if (!spec.data) spec.data = o->test_data, spec.labels = NULL;
    }
    if (cli_data_load(&spec, NULL, &r->test, err) != 0) goto out;
    if (r->model.cfg.n_classes > 0) r->test.n_classes = r->model.cfg.n_classes;   /* one-hot width */
    if (cli_fixed_test_make(&r->fixed, &r->test, cli_train_binarize(&run->o),
                           (uint64_t)r->test_seed, err) != 0)
        goto out;
    if (r->fixed.dim != r->model.cfg.x_dim) {
        vt_error_set(err, VT_EARG, "%s: the model takes %d values, the test examples have %d", path,
                 r->model.cfg.x_dim, r->fixed.dim);
        goto out;
    }
    rc = 0;
out:
    free(run_buf);
    free(run);
    if (rc != 0) cli_checkpoint_run_close(r);
    return rc;
}

void cli_checkpoint_run_close(cli_checkpoint_run *r) {
    cli_fixed_test_free(&r->fixed);
    vt_dataset_free(&r->test);
    vt_vae_free(&r->model);
}
