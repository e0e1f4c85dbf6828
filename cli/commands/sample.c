/* `vtape sample`: the pictures of a checkpoint (see sample_images.h). Reconstructions
 * and interpolations use the run's fixed test set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/driver/checkpoint_run.h"
#include "cli/cli.h"
#include "cli/driver/fashion_data.h"
#include "cli/driver/model_file.h"
#include "cli/options/options.h"
#include "cli/draw/sample_images.h"
#include "cli/options/train_options.h"

#define CMD "sample"

typedef struct sample_options {
    const char *checkpoint, *out, *data_dir, *test_data, *test_labels;
    int n, seed, test_seed, binarize, threads;
} sample_options;

int cli_cmd_sample(int argc, char **argv) {
    sample_options o = {.n = 64, .test_seed = -1, .binarize = -1, .threads = 2};
    cli_opt table[] = {
        {.name = "checkpoint", .kind = CLI_OPT_STRING, .dest = &o.checkpoint, .metavar = "FILE",
         .help = "checkpoint to draw from", .default_text = "none: required"},
        {.name = "out", .kind = CLI_OPT_STRING, .dest = &o.out, .metavar = "DIR",
         .help = "directory for the PNGs", .default_text = "the checkpoint's directory"},
        {.name = "n", .kind = CLI_OPT_INT, .dest = &o.n, .metavar = "N", .min = 1, .max = 4096,
         .help = "images in samples.png, pairs in reconstructions.png"},
        {.name = "seed", .kind = CLI_OPT_INT, .dest = &o.seed, .metavar = "S", .min = 0,
         .max = (1u << 31) - 1, .help = "noise of the prior samples"},
        {.name = "test-seed", .kind = CLI_OPT_INT, .dest = &o.test_seed, .metavar = "S", .min = 0,
         .max = (1u << 31) - 2, .help = "fixed test binarization",
         .default_text = "the run's, from run.txt beside the checkpoint; else 12345"},
        {.name = "binarize", .kind = CLI_OPT_CHOICE, .dest = &o.binarize,
         .choices = &vt_binarize_names, .help = "how the run binarized training pixels",
         .default_text = "the run's; else dynamic"},
        {.name = "data-dir", .kind = CLI_OPT_STRING, .dest = &o.data_dir, .metavar = "DIR",
         .help = "Fashion-MNIST directory", .default_text = "the run's; else " VT_FASHION_DIR},
        {.name = "test-data", .kind = CLI_OPT_STRING, .dest = &o.test_data, .metavar = "FILE",
         .help = "examples to reconstruct and map (IDX, NPY or CSV)", .default_text = "the run's test set"},
        {.name = "test-labels", .kind = CLI_OPT_STRING, .dest = &o.test_labels, .metavar = "FILE",
         .help = "labels of --test-data"},
        {.name = "threads", .kind = CLI_OPT_INT, .dest = &o.threads, .metavar = "N", .min = 1,
         .max = 256, .help = "vtape's element-wise threads"},
        CLI_OPT_END,
    };
    vt_error err = {0};
    int rc = cli_opts_parse(table, argc, argv, 1, &err);
    if (rc == 1) {
        cli_opts_help(stdout, "vtape sample --checkpoint FILE [--out DIR] [options]",
                     "Write PNGs of a checkpoint: samples.png (prior samples), reconstructions.png\n"
                     "(test image | reconstruction pairs), classes.png (CVAE: one row per class)\n"
                     "interpolation.png (latent paths between test images), kl.png (KL per latent\n"
                     "dimension), traversal.png (the dimensions of largest KL swept over -3..3) and\n"
                     "latent_map.png (decoded grid of a 2-D latent, else the test set by label).", table);
        return CLI_EXIT_OK;
    }
    if (rc != 0) return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    if (!o.checkpoint) return cli_fail(CMD, CLI_EXIT_USAGE, "--checkpoint FILE is required");

    char dir[4200];
    cli_model_file_dir(o.checkpoint, dir, sizeof dir);
    if (!o.out) o.out = dir;
    cli_checkpoint_run cr;
    cli_checkpoint_run_opts ro = {.data_dir = o.data_dir, .binarize = o.binarize,
                                 .test_seed = o.test_seed, .test_data = o.test_data,
                                 .test_labels = o.test_labels};
    if (cli_mkdirs(o.out) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--out %s: cannot create the directory", o.out);
    if (cli_checkpoint_run_open(&cr, o.checkpoint, &ro, CMD, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    int status = CLI_EXIT_FAIL;
    if (cli_sample_images_write(&cr.model, &cr.fixed, o.n, (uint64_t)o.seed, o.threads, o.out,
                               &err) != 0) {
        cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    } else {
        printf("wrote %s/samples.png reconstructions.png%s%s%s\n", o.out,
               cr.model.cfg.n_classes ? " classes.png" : "",
               cr.fixed.n >= 2 ? " interpolation.png" : "",
               cr.model.cfg.posterior == VT_POSTERIOR_DIAG ? " kl.png traversal.png latent_map.png" : "");
        status = CLI_EXIT_OK;
    }
    cli_checkpoint_run_close(&cr);
    return status;
}
