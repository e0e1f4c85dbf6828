/* `vtape eval`: rebuild a model from its checkpoint and report the test NELBO and the
 * importance-sampled −log p(x). The test set is fixed as in training: binarization
 * and test seed come from run.txt beside the checkpoint unless given. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/driver/checkpoint_run.h"
#include "cli/cli.h"
#include "cli/driver/diagnose.h"
#include "cli/driver/evaluate.h"
#include "cli/driver/fashion_data.h"
#include "cli/driver/model_file.h"
#include "cli/options/options.h"
#include "cli/options/train_options.h"

#define CMD "eval"

typedef struct eval_options {
    const char *checkpoint, *data_dir, *out, *test_data, *test_labels;
    int iw_k, iw_n, iw_chunk, test_seed, test_limit, binarize, threads, blas_threads;
    int stats_n, mi_points, gap_n, gap_steps, gap_k;
    double threshold, gap_lr;
    int allow_nonfinite;
} eval_options;

static void eval_table(eval_options *o, cli_opt *t) {
    const cli_opt table[] = {
        {.name = "checkpoint", .kind = CLI_OPT_STRING, .dest = &o->checkpoint, .metavar = "FILE",
         .help = "checkpoint to evaluate", .default_text = "none: required"},
        {.name = "iw-k", .kind = CLI_OPT_INT, .dest = &o->iw_k, .metavar = "K", .min = 0, .max = 1000000,
         .help = "importance samples per image (0 skip)"},
        {.name = "iw-n", .kind = CLI_OPT_INT, .dest = &o->iw_n, .metavar = "N", .min = 0, .max = 1 << 30,
         .help = "importance-sampled -log p(x) on the first N test images (0 skip)"},
        {.name = "iw-chunk", .kind = CLI_OPT_INT, .dest = &o->iw_chunk, .metavar = "ROWS", .min = 1,
         .max = 1 << 30, .help = "decoder rows per importance-sampling chunk"},
        {.name = "test-seed", .kind = CLI_OPT_INT, .dest = &o->test_seed, .metavar = "S", .min = 0,
         .max = (1u << 31) - 2, .help = "fixed test binarization and evaluation noise",
         .default_text = "the run's, from run.txt beside the checkpoint; else 12345"},
        {.name = "binarize", .kind = CLI_OPT_CHOICE, .dest = &o->binarize, .choices = &vt_binarize_names,
         .help = "how the run binarized training pixels (dynamic/static: test set sampled once)",
         .default_text = "the run's; else dynamic"},
        {.name = "test-limit", .kind = CLI_OPT_INT, .dest = &o->test_limit, .metavar = "N", .min = 0,
         .max = 1 << 30, .help = "use the first N test images (0 all)"},
        {.name = "data-dir", .kind = CLI_OPT_STRING, .dest = &o->data_dir, .metavar = "DIR",
         .help = "Fashion-MNIST directory", .default_text = "the run's; else " VT_FASHION_DIR},
        {.name = "test-data", .kind = CLI_OPT_STRING, .dest = &o->test_data, .metavar = "FILE",
         .help = "evaluate on this file (IDX, NPY or CSV)", .default_text = "the run's test set"},
        {.name = "test-labels", .kind = CLI_OPT_STRING, .dest = &o->test_labels, .metavar = "FILE",
         .help = "labels of --test-data"},
        {.name = "stats-n", .kind = CLI_OPT_INT, .dest = &o->stats_n, .metavar = "N", .min = 0,
         .max = 1 << 30, .help = "latent diagnostics (KL per dimension, active units, I(x;z)) on the "
         "first N test images (0 all)"},
        {.name = "mi-points", .kind = CLI_OPT_INT, .dest = &o->mi_points, .metavar = "M", .min = 0,
         .max = 1 << 20, .help = "I(x;z): test images in the aggregate posterior (the estimate is at "
         "most log M; 0: 1000)"},
        {.name = "active-threshold", .kind = CLI_OPT_REAL, .dest = &o->threshold, .metavar = "T",
         .min = 0, .max = 1e6, .help = "a unit is active when Var_x E_q[z_d] exceeds this"},
        {.name = "gap-n", .kind = CLI_OPT_INT, .dest = &o->gap_n, .metavar = "N", .min = 0,
         .max = 1 << 30, .help = "inference gap (approximation + amortization) on the first N test "
         "images (0 skip)"},
        {.name = "gap-steps", .kind = CLI_OPT_INT, .dest = &o->gap_steps, .metavar = "S", .min = 1,
         .max = 1000000, .help = "inference gap: Adam steps refining each image's own q"},
        {.name = "gap-lr", .kind = CLI_OPT_REAL, .dest = &o->gap_lr, .metavar = "RATE", .min = 1e-9,
         .max = 10, .help = "inference gap: Adam learning rate"},
        {.name = "gap-k", .kind = CLI_OPT_INT, .dest = &o->gap_k, .metavar = "K", .min = 1,
         .max = 1000000, .help = "inference gap: samples for each ELBO and for log p(x)"},
        {.name = "out", .kind = CLI_OPT_STRING, .dest = &o->out, .metavar = "DIR",
         .help = "directory for diagnostics.json, kl.png, traversal.png, latent_map.png",
         .default_text = "the checkpoint's directory"},
        {.name = "threads", .kind = CLI_OPT_INT, .dest = &o->threads, .metavar = "N", .min = 1,
         .max = 256, .help = "vtape's element-wise threads"},
        {.name = "blas-threads", .kind = CLI_OPT_INT, .dest = &o->blas_threads, .metavar = "N",
         .min = 1, .max = 256, .help = "OpenBLAS threads"},
        {.name = "allow-nonfinite", .kind = CLI_OPT_FLAG, .dest = &o->allow_nonfinite,
         .help = "open a checkpoint holding NaN or infinite values, to inspect it (exit "
                 "status 1 all the same)"},
        CLI_OPT_END,
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) t[i] = table[i];
}

/* Test NELBO of every test image, then importance-sampled −log p(x) on the first
 * --iw-n of them. Returns 0, or an exit status after printing why. */
static int report_likelihood(const eval_options *o, cli_checkpoint_run *cr) {
    vt_vae *v = &cr->model;
    const cli_fixed_test *fixed = &cr->fixed;
    vt_error err = {0};
    double t0 = cli_now();
    cli_nelbo_result r;
    double *per_image = malloc((size_t)fixed->n * sizeof *per_image);
    if (!per_image ||
        cli_eval_nelbo(v, fixed->x, fixed->c, fixed->n, (uint64_t)cr->test_seed, o->threads,
                       per_image, &r, &err) != 0) {
        free(per_image);
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", per_image ? err.msg : "out of memory");
    }
    char sites[512];
    printf("test NELBO %.3f (rec %.3f, kl %.3f%s) on %d test images  [%.1fs]\n", r.nelbo, r.rec,
           r.kl, cli_site_kl_text(&r, sites, sizeof sites), fixed->n, cli_now() - t0);
    if (!isfinite(r.nelbo) || !isfinite(r.rec) || !isfinite(r.kl)) {
        free(per_image);
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s: the model's test NELBO is not finite (a "
                        "diverged or damaged model)", o->checkpoint);
    }
    int n = o->iw_n < fixed->n ? o->iw_n : fixed->n;
    double subset = 0;
    for (int i = 0; i < n; i++) subset += per_image[i] / n;
    free(per_image);
    if (o->iw_k <= 0 || n <= 0) return 0;
    cli_log_px_result lp;
    t0 = cli_now();
    if (cli_eval_log_px(v, fixed->x, fixed->c, n, o->iw_k, o->iw_chunk, (uint64_t)cr->test_seed,
                        o->threads, &lp, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    printf("%s %.3f +- %.3f (K=%d importance samples, first %d test images; NELBO "
           "on them %.3f)  [%.1fs]\n", v->cfg.n_classes ? "-log p(x|y)" : "-log p(x)", lp.nll,
           lp.sem, lp.k, lp.n, subset, cli_now() - t0);
    return 0;
}

/* The latent diagnostics and their pictures, in --out (default: beside the checkpoint). */
static int report_diagnostics(const eval_options *o, cli_checkpoint_run *cr) {
    char dir[4200];
    vt_error err = {0};
    cli_model_file_dir(o->checkpoint, dir, sizeof dir);
    const char *out = o->out ? o->out : dir;
    if (cli_mkdirs(out) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "--out %s: cannot create the directory", out);
    cli_diagnose_opts dopt = {
        .stats_n = o->stats_n, .mi_points = o->mi_points, .threshold = o->threshold,
        .gap_n = o->gap_n,
        .gap = {.steps = o->gap_steps, .lr = (float)o->gap_lr, .elbo_samples = o->gap_k,
                .iw_samples = o->gap_k, .chunk_rows = o->iw_chunk},
        .seed = (uint64_t)cr->test_seed, .threads = o->threads, .dir = out};
    if (cli_diagnose(&cr->model, &cr->fixed, &dopt, &err) < 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "diagnostics: %s", err.msg);
    return 0;
}

int cli_cmd_eval(int argc, char **argv) {
    eval_options o = {.iw_k = 1000, .iw_n = 1000, .iw_chunk = 50000, .threads = 2,
                      .blas_threads = 2, .binarize = -1, .test_seed = -1, .threshold = 0.01,
                      .gap_steps = 200, .gap_lr = 1e-2, .gap_k = 1000};
    cli_opt table[32];
    eval_table(&o, table);
    vt_error err = {0};
    int rc = cli_opts_parse(table, argc, argv, 1, &err);
    if (rc == 1) {
        cli_opts_help(stdout, "vtape eval --checkpoint FILE [options]",
                     "Evaluate a checkpoint on its run's test set (Fashion-MNIST, --test-data or the\n"
                     "validation split): single-sample test NELBO (nats per image), importance-sampled\n"
                     "-log p(x), and for a diagonal posterior the latent diagnostics: KL per\n"
                     "dimension, active units, I(x;z) and, with --gap-n, the inference gap split.\n"
                     "Writes diagnostics.json, kl.png, traversal.png and latent_map.png.", table);
        return CLI_EXIT_OK;
    }
    if (rc != 0) return cli_fail(CMD, CLI_EXIT_USAGE, "%s", err.msg);
    if (!o.checkpoint) return cli_fail(CMD, CLI_EXIT_USAGE, "--checkpoint FILE is required");
    cli_set_blas_threads(CMD, o.blas_threads);
    cli_checkpoint_run cr;
    cli_checkpoint_run_opts ro = {.data_dir = o.data_dir, .binarize = o.binarize,
                                 .test_seed = o.test_seed, .test_limit = (size_t)o.test_limit,
                                 .test_data = o.test_data, .test_labels = o.test_labels,
                                 .ckpt_flags = o.allow_nonfinite ? VT_CHECKPOINT_ALLOW_NONFINITE : 0};
    if (cli_checkpoint_run_open(&cr, o.checkpoint, &ro, CMD, &err) != 0)
        return cli_fail(CMD, CLI_EXIT_FAIL, "%s", err.msg);
    printf("vtape eval: %s: epoch %llu, step %llu, %zu parameters\n", o.checkpoint,
           (unsigned long long)cr.state.epoch, (unsigned long long)cr.state.step,
           vt_store_numel(cr.model.store));
    int status = report_likelihood(&o, &cr);
    if (status == 0) status = report_diagnostics(&o, &cr);
    cli_checkpoint_run_close(&cr);
    return status;
}
