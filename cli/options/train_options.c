/* `vtape train` options: table, cross-option checks, library configs, run file. */
#include "cli/options/train_options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"

static const char *const model_names[] = {"vae", "cvae", "beta-vae", "hvae"};
const vt_names cli_model_names = VT_NAMES(model_names);

#define INT(n, f, meta, lo, hi, h) {.name = n, .kind = CLI_OPT_INT, .dest = &o->f, .metavar = meta, .min = lo, .max = hi, .help = h}
#define REAL(n, f, meta, lo, hi, h) {.name = n, .kind = CLI_OPT_REAL, .dest = &o->f, .metavar = meta, .min = lo, .max = hi, .help = h}
#define CHOICE(n, f, list, h) {.name = n, .kind = CLI_OPT_CHOICE, .dest = &o->f, .choices = list, .help = h}
#define STR(n, f, meta, h) {.name = n, .kind = CLI_OPT_STRING, .dest = &o->f, .metavar = meta, .help = h}

void cli_train_cli_init(cli_train_cli *cli) {
    cli_train_options *o = &cli->o;
    *o = (cli_train_options){
        .model = CLI_MODEL_VAE, .estimator = VT_EST_ANALYTIC, .optimizer = VT_ADAM,
        .binarize = VT_BIN_DYNAMIC, .act = VT_ACT_RELU, .posterior = VT_POSTERIOR_DIAG,
        .prior = VT_PRIOR_STD_NORMAL, .likelihood = VT_LIK_BERNOULLI, .lr_schedule = VT_LR_CONSTANT,
        .arch = "784-512-256", .latent = 32, .mog_components = 10,
        .k = 1, .beta = 1.0, .beta_schedule = -1, .warmup_epochs = 5.0, .cycles = 4,
        .lr = 1e-3, .lr_gamma = 0.5, .lr_step_epochs = 1.0, .weight_decay = -1.0,
        .epochs = 2, .batch = 128, .test_seed = 12345, .threads = 1, .blas_threads = 2,
        .iw_k = 1000, .iw_n = 1000, .iw_chunk = 50000, .data_dir = VT_FASHION_DIR,
        .out = "out", .label_column = -1, .latent2 = 16, .pseudo_inputs = 50, .flow_depth = 4, .categories = 10,
        .temperature = 1.0, .temp_min = 0.5, .temp_rate = 1e-4, .miwae_m = 1, .ciwae_beta = 0.5,
        .latent_type = VT_LATENT_GAUSSIAN, .layer = VT_LAYER_LINEAR, .grad = VT_GRAD_REPARAM};
    const cli_opt table[] = {
        CHOICE("model", model, &cli_model_names,
               "vae; cvae (encoder and decoder see the one-hot label); beta-vae (KL weight annealed); "
               "hvae (two latent layers p(z2) p(z1|z2) p(x|z1))"),
        STR("arch", arch, "SIZES", "input size, then encoder hidden sizes; the decoder mirrors them"),
        INT("latent", latent, "Z", 1, 65536, "latent dimensions"),
        CHOICE("act", act, &vt_act_names, "hidden-layer activation"),
        CHOICE("posterior", posterior, &vt_posterior_names,
               "q(z|x): diagonal or full-covariance Gaussian, or a planar / IAF flow on a diagonal one"),
        CHOICE("prior", prior, &vt_prior_names,
               "p(z): N(0, I), a learned mixture of Gaussians, or the VampPrior (top layer of hvae)"),
        INT("latent2", latent2, "Z2", 1, 65536, "hvae: dimensions of the top latent z2"),
        INT("pseudo-inputs", pseudo_inputs, "K", 1, 65536, "VampPrior: learned pseudo-inputs"),
        INT("flow-depth", flow_depth, "L", 1, 64, "planar / iaf posterior: flow steps"),
        CHOICE("latent-type", latent_type, &vt_latent_type_names,
               "gaussian; gumbel (--latent categorical variables, Gumbel-softmax); bernoulli (relaxed bits)"),
        INT("categories", categories, "C", 2, 65536, "gumbel: classes per categorical variable"),
        REAL("temperature", temperature, "T", 1e-3, 1e3, "relaxed latents: temperature at step 0"),
        REAL("temperature-min", temp_min, "T", 1e-3, 1e3, "relaxed latents: lowest temperature"),
        REAL("temperature-rate", temp_rate, "R", 0, 1e3,
             "temperature schedule: T(t) = max(temperature-min, temperature * exp(-R t)), t = step"),
        CHOICE("layer", layer, &vt_layer_names, "hidden layers: linear + activation, or gated (xW+b)*sigmoid(xV+c)"),
        INT("mog-components", mog_components, "C", 1, 4096, "mixture components of --prior mog"),
        CHOICE("likelihood", likelihood, &vt_lik_names,
               "p(x|z): Bernoulli, Gaussian with fixed sigma, Gaussian with learned sigma, or continuous Bernoulli (grey values in [0, 1])"),
        REAL("lik-logsig", lik_logsig, "S", -20, 20, "Gaussian likelihood: (initial) log sigma"),
        CHOICE("estimator", estimator, &vt_estimator_names,
               "ELBO estimator: log p(x,z) - log q(z|x), closed-form KL, the IWAE bound, "
               "MIWAE (--miwae-m bounds of --k), or CIWAE (--ciwae-beta ELBO + rest IWAE)"),
        CHOICE("grad", grad, &vt_grad_estimator_names,
               "posterior gradient: reparameterized, sticking the landing, or DReG (iwae, miwae)"),
        INT("miwae-m", miwae_m, "M", 1, 100000, "miwae: independent K-sample bounds"),
        REAL("ciwae-beta", ciwae_beta, "B", 0, 1, "ciwae: weight of the ELBO"),
        INT("k", k, "K", 1, 100000, "posterior samples per datapoint"),
        REAL("beta", beta, "B", 0, 1e6, "weight of the KL term (the target of a schedule)"),
        CHOICE("beta-schedule", beta_schedule, &vt_beta_kind_names,
               "KL weight over training steps: constant, linear warm-up from 0, or cyclical"),
        REAL("warmup-epochs", warmup_epochs, "E", 0, 1e6, "linear beta schedule: epochs of warm-up"),
        INT("cycles", cycles, "M", 1, 1000000, "cyclical beta schedule: cycles over the run"),
        REAL("free-bits", free_bits, "LAMBDA", 0, 1e6, "free bits: KL floor per latent group in nats (0 off)"),
        INT("fb-groups", fb_groups, "G", 0, 65536, "free-bits groups (0: one per latent dimension)"),
        CHOICE("optimizer", optimizer, &vt_optim_kind_names, "optimizer"),
        REAL("lr", lr, "RATE", 0, 1e3, "learning rate"),
        CHOICE("lr-schedule", lr_schedule, &vt_lr_kind_names,
               "learning rate over the run: constant, step decay, or cosine to --lr-min"),
        REAL("lr-gamma", lr_gamma, "G", 1e-9, 1, "step schedule: decay factor"),
        REAL("lr-step-epochs", lr_step_epochs, "E", 1e-6, 1e6, "step schedule: epochs between decays"),
        REAL("lr-min", lr_min, "RATE", 0, 1e3, "cosine schedule: final learning rate"),
        REAL("momentum", momentum, "M", 0, 0.999999, "sgd momentum"),
        REAL("weight-decay", weight_decay, "WD", 0, 1e3, "L2 (adam, sgd) or decoupled (adamw) weight decay"),
        REAL("clip", clip, "NORM", 0, 1e30, "clip the global gradient norm to this (0 off)"),
        INT("epochs", epochs, "N", 1, 1000000, "training epochs (with --resume: the total)"),
        INT("batch", batch, "N", 1, 1000000, "batch size"),
        CHOICE("binarize", binarize, &vt_binarize_names,
               "training pixels: grey, one fixed Bernoulli sample, a fresh sample per batch, or x > 0.5"),
        INT("train-limit", train_limit, "N", 0, INT_MAX, "use the first N training images (0 all)"),
        INT("test-limit", test_limit, "N", 0, INT_MAX, "use the first N test images (0 all)"),
        INT("seed", seed, "S", 0, INT_MAX, "initialisation, shuffling and noise"),
        INT("test-seed", test_seed, "S", 0, INT_MAX - 1,
            "fixed Bernoulli binarization of the test set and evaluation noise"),
        INT("threads", threads, "N", 1, 256, "vtape's element-wise threads"),
        INT("blas-threads", blas_threads, "N", 1, 256, "OpenBLAS threads for matrix products"),
        INT("iw-k", iw_k, "K", 0, 1000000, "importance samples per image for -log p(x) at the end (0 skip)"),
        INT("iw-n", iw_n, "N", 0, INT_MAX, "importance-sampled -log p(x) on the first N test images (0 skip)"),
        INT("iw-chunk", iw_chunk, "ROWS", 1, INT_MAX, "decoder rows per importance-sampling chunk (memory bound)"),
        STR("data-dir", data_dir, "DIR", "Fashion-MNIST directory (the four .gz IDX files)"),
        STR("data", data, "FILE", "your own training examples instead of Fashion-MNIST: IDX, NPY or CSV"),
        STR("labels", labels, "FILE", "labels of --data, one integer per example (IDX, NPY or CSV)"),
        STR("test-data", test_data, "FILE", "your own test examples (with --data)"),
        STR("test-labels", test_labels, "FILE", "labels of --test-data"),
        INT("label-column", label_column, "C", -2, 1 << 20, "CSV: column holding the label (0-based; -1 none, -2 last)"),
        REAL("val-split", val_split, "F", 0, 0.99, "hold out this fraction of the training examples and evaluate on them instead of the test set (0 off)"),
        STR("out", out, "DIR", "output directory: metrics.csv, checkpoint.vtck, images"),
        {.name = "resume", .kind = CLI_OPT_FLAG, .dest = &o->resume,
         .help = "continue from DIR/checkpoint.vtck if present, with the run's saved options"},
        INT("checkpoint-every", checkpoint_every, "STEPS", 0, INT_MAX,
            "also save the checkpoint every STEPS optimizer steps (0: at epoch ends only)"),
        {.name = "force", .kind = CLI_OPT_FLAG, .dest = &o->force,
         .help = "start a new run in a directory that holds another run's files (they are replaced)"},
        CLI_OPT_END,
    };
    _Static_assert(sizeof table / sizeof table[0] <= CLI_TRAIN_N_OPTS + 1, "option table size");
    memset(cli->table, 0, sizeof cli->table);
    memcpy(cli->table, table, sizeof table);
    cli_opts_find(cli->table, "beta-schedule")->default_text = "constant; linear for --model beta-vae";
    cli_opts_find(cli->table, "weight-decay")->default_text = "0; 0.01 for adamw";
}

void cli_train_help(FILE *out, cli_train_cli *cli) {
    cli_opts_help(out, "vtape train [options]",
                 "Train a VAE on Fashion-MNIST. Writes DIR/metrics.csv (one row per epoch),\n"
                 "DIR/checkpoint.vtck (after every epoch, and every --checkpoint-every steps;\n"
                 "SIGINT/SIGTERM save it and stop), DIR/run.txt (the options),\n"
                 "DIR/final.json (test NELBO, importance-sampled -log p(x), wall times), the\n"
                 "images of `vtape sample` and DIR/loss.png.",
                 cli->table);
}

void cli_train_options_resolve(cli_train_options *o) {
    if (o->beta_schedule < 0) o->beta_schedule = o->model == CLI_MODEL_BETA_VAE ? VT_BETA_LINEAR
                                                                              : VT_BETA_CONSTANT;
}

int cli_train_options_check(const cli_train_options *o, vt_error *err) {
    if (o->estimator == VT_EST_IWAE || o->estimator == VT_EST_MIWAE || o->estimator == VT_EST_CIWAE) {
        if (o->beta != 1.0 || o->beta_schedule > VT_BETA_CONSTANT) {
            vt_error_set(err, VT_EARG, "--estimator iwae has no KL term to weight: use --beta 1 and "
                                  "--beta-schedule constant (and not --model beta-vae)");
            return -1;
        }
        if (o->free_bits > 0) {
            vt_error_set(err, VT_EARG, "--free-bits: the %s estimator has no KL term to floor", vt_estimator_name((vt_estimator)o->estimator));
            return -1;
        }
    }
    if (cli_latent_options_check(o, err) != 0) return -1;
    if (o->fb_groups > 0 && o->latent % o->fb_groups != 0) {
        vt_error_set(err, VT_EARG, "--fb-groups %d does not divide --latent %d", o->fb_groups, o->latent);
        return -1;
    }
    if (o->fb_groups > 1 && (o->posterior != VT_POSTERIOR_DIAG || o->prior != VT_PRIOR_STD_NORMAL ||
                             o->latent_type != VT_LATENT_GAUSSIAN || o->model == CLI_MODEL_HVAE)) {
        vt_error_set(err, VT_EARG, "--fb-groups %d needs --posterior diag and --prior std_normal",
                 o->fb_groups);
        return -1;
    }
    if ((o->data && !o->test_data && !(o->val_split > 0)) ||
        ((o->test_data || o->labels || o->test_labels) && !o->data)) {
        vt_error_set(err, VT_EARG, "--data needs --test-data or --val-split; --labels, --test-data "
                     "and --test-labels need --data");
        return -1;
    }
    if (o->lr_min > o->lr) {
        vt_error_set(err, VT_EARG, "--lr-min %g is above --lr %g", o->lr_min, o->lr);
        return -1;
    }
    return 0;
}

int cli_train_model_config(const cli_train_options *o, int x_dim, vt_vae_config *cfg, vt_error *err) {
    vt_error msg = {0};
    *cfg = vt_vae_default_config();
    if (vt_vae_parse_arch(cfg, o->arch, &msg) != 0) {
        vt_error_set(err, VT_EARG, "--arch: %s", msg.msg);
        return -1;
    }
    if (x_dim > 0 && cfg->x_dim != x_dim) {
        vt_error_set(err, VT_EARG, "--arch %s: the input size must be %d, the images' pixel count",
                 o->arch, x_dim);
        return -1;
    }
    cfg->latent = o->latent;
    cfg->act = (vt_act)o->act;
    cfg->posterior = (vt_posterior_kind)o->posterior;
    cfg->prior = (vt_prior_kind)o->prior;
    cfg->mog_components = o->mog_components;
    cfg->likelihood = (vt_lik_kind)o->likelihood;
    cfg->lik_logsig = (float)o->lik_logsig;
    cfg->n_classes = o->model == CLI_MODEL_CVAE ? VT_DATA_CLASSES : 0;   /* own data: its classes */
    cfg->seed = (uint64_t)o->seed;
    cli_latent_model_config(o, cfg);
    return 0;
}

vt_elbo_opts cli_train_elbo_opts(const cli_train_options *o) {
    vt_elbo_opts e = vt_elbo_defaults();
    e.estimator = (vt_estimator)o->estimator;
    e.k = o->k;
    e.beta = (float)o->beta;
    e.free_bits = (float)o->free_bits;
    e.fb_groups = o->fb_groups;
    e.grad = (vt_grad_estimator)o->grad;
    e.miwae_m = o->miwae_m;
    e.ciwae_beta = (float)o->ciwae_beta;
    return e;
}

int cli_train_optim_config(const cli_train_options *o, vt_optim_config *cfg, vt_error *err) {
    vt_error msg = {0};
    int kind = o->optimizer;
    const char *name = vt_optim_kind_name((vt_optim_kind)kind);
    *cfg = vt_optim_defaults((vt_optim_kind)kind);
    if (o->weight_decay >= 0) cfg->weight_decay = (float)o->weight_decay;
    if (o->momentum > 0 && kind != VT_SGD) {
        vt_error_set(err, VT_EARG, "--momentum applies to --optimizer sgd only (got %s)", name);
        return -1;
    }
    cfg->momentum = (float)o->momentum;
    if (vt_optim_config_check(cfg, &msg) != 0) {
        vt_error_set(err, VT_EARG, "--optimizer %s: %s", name, msg.msg);
        return -1;
    }
    return 0;
}

static long at_least_1(double v) { return v < 1 ? 1 : (long)(v + 0.5); }

int cli_train_lr_schedule(const cli_train_options *o, long steps_per_epoch, vt_lr_schedule *s,
                         vt_error *err) {
    vt_error msg = {0};
    *s = (vt_lr_schedule){.kind = (vt_lr_kind)o->lr_schedule, .lr = (float)o->lr,
                          .step_size = at_least_1(o->lr_step_epochs * (double)steps_per_epoch),
                          .gamma = (float)o->lr_gamma,
                          .decay_steps = at_least_1((double)o->epochs * (double)steps_per_epoch),
                          .lr_min = (float)o->lr_min};
    if (vt_lr_schedule_check(s, &msg) != 0) {
        vt_error_set(err, VT_EARG, "--lr-schedule: %s", msg.msg);
        return -1;
    }
    return 0;
}

int cli_train_beta_schedule(const cli_train_options *o, long steps_per_epoch,
                           vt_beta_schedule *s, vt_error *err) {
    vt_error msg = {0};
    long total = (long)o->epochs * steps_per_epoch;
    *s = (vt_beta_schedule){.kind = (vt_beta_kind)o->beta_schedule, .beta = (float)o->beta,
                            .warmup_steps = (long)(o->warmup_epochs * (double)steps_per_epoch + 0.5),
                            .total_steps = total < o->cycles ? o->cycles : total,
                            .cycles = o->cycles, .ramp = 0.5f};
    if (vt_beta_schedule_check(s, &msg) != 0) {
        vt_error_set(err, VT_EARG, "--beta-schedule: %s", msg.msg);
        return -1;
    }
    return 0;
}

vt_binarize cli_train_binarize(const cli_train_options *o) { return (vt_binarize)o->binarize; }

int cli_run_file_write(const char *path, const cli_opt *table, const char *run_id, vt_error *err) {
    vt_atomic_file af;
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    fprintf(af.f, "# vtape train options of this run (read by --resume, eval and sample)\n");
    if (run_id) fprintf(af.f, "# run-id: %s\n", run_id);
    for (const cli_opt *o = table; o->name; o++) {
        if (!strcmp(o->name, "resume") || !strcmp(o->name, "force")) continue;   /* how it was started */
        const cli_opt one[2] = {*o, CLI_OPT_END};
        cli_opts_write(af.f, one);
    }
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}

int cli_run_file_id(const char *path, char *id, size_t len) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int rc = -1;
    const char *key = "# run-id: ";
    while (rc != 0 && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) {
            const char *v = line + strlen(key);
            size_t n = strcspn(v, "\n");
            if (n > 0 && n < len) {
                memcpy(id, v, n);
                id[n] = '\0';
                rc = 0;
            }
        }
    fclose(f);
    return rc;
}

int cli_run_file_read(const char *path, cli_opt *table, char **buf, vt_error *err) {
    *buf = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        vt_error_set(err, VT_EIO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* The whole file stays in *buf: string options point into it. */
    size_t cap = 0, n = 0;
    char *text = NULL;
    for (int c; (c = fgetc(f)) != EOF;) {
        if (n + 2 > cap) {
            char *t = realloc(text, cap = cap ? 2 * cap : 4096);
            if (!t) { free(text); fclose(f); vt_error_set(err, VT_ENOMEM, "%s: out of memory", path); return -1; }
            text = t;
        }
        text[n++] = (char)c;
    }
    fclose(f);
    if (!text) {
        vt_error_set(err, VT_EARG, "%s: empty file", path);
        return -1;
    }
    text[n] = '\0';
    *buf = text;
    int line_no = 0;
    for (char *line = text, *next; line && *line; line = next) {
        line_no++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (line[0] == '#' || !line[0]) continue;
        char *eq = strchr(line, '=');
        vt_error msg = {0};
        if (!eq) {
            vt_error_set(err, VT_EARG, "%s: line %d: expected name=value", path, line_no);
            return -1;
        }
        *eq = '\0';
        if (cli_opts_set(table, line, eq + 1, &msg) != 0) {
            vt_error_set(err, VT_EARG, "%s: %s", path, msg.msg);
            return -1;
        }
    }
    return 0;
}
