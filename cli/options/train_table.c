/* `vtape train` options: the one table that parses argv, reads run.txt and prints
 * --help, and the help text. */
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
        .epochs = 2, .batch = 128, .test_seed = 12345, .threads = 2, .blas_threads = 2,
        .iw_k = 1000, .iw_n = 1000, .iw_chunk = 50000, .data_dir = VT_FASHION_DIR,
        .out = "out", .label_column = -1, .latent2 = 16, .pseudo_inputs = 50, .flow_depth = 4, .flow_context = 32, .categories = 10,
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
        CHOICE("inference", inference, &vt_hvae_inference_names,
               "hvae: bottom-up q(z1|x) q(z2|z1), or top-down q(z2|x) q(z1|x,z2) (ladder)"),
        INT("pseudo-inputs", pseudo_inputs, "K", 1, 65536, "VampPrior: learned pseudo-inputs"),
        INT("flow-depth", flow_depth, "L", 1, 64, "planar / iaf posterior: flow steps"),
        INT("flow-context", flow_context, "C", 0, 65536,
            "iaf posterior: columns of the encoder's context h each MADE sees (0: none)"),
        CHOICE("latent-type", latent_type, &vt_latent_type_names,
               "gaussian; gumbel (--latent categorical variables, Gumbel-softmax); bernoulli (relaxed bits)"),
        INT("categories", categories, "C", 2, 65536, "gumbel: classes per categorical variable"),
        REAL("temperature", temperature, "T", 1e-3, 1e3, "relaxed latents: temperature at step 0"),
        REAL("temperature-min", temp_min, "T", 1e-3, 1e3, "relaxed latents: lowest temperature"),
        REAL("temperature-rate", temp_rate, "R", 0, 1e3,
             "temperature schedule: T(t) = max(temperature-min, temperature * exp(-R t)), t = step"),
        {.name = "straight-through", .kind = CLI_OPT_FLAG, .dest = &o->straight_through,
         .help = "gumbel, bernoulli: the decoder sees the exact one-hot of the relaxed draw, the "
                 "gradient is the relaxed one's (straight-through Gumbel-softmax)"},
        CHOICE("layer", layer, &vt_layer_names, "hidden layers: linear + activation, or gated (xW+b)*sigmoid(xV+c)"),
        INT("mog-components", mog_components, "C", 1, 4096, "mixture components of --prior mog"),
        CHOICE("likelihood", likelihood, &vt_lik_names,
               "p(x|z): Bernoulli, Gaussian with fixed sigma, Gaussian with learned sigma, or continuous Bernoulli (grey values in [0, 1])"),
        REAL("lik-logsig", lik_logsig, "S", -20, 20, "Gaussian likelihood: (initial) log sigma"),
        CHOICE("estimator", estimator, &vt_estimator_names,
               "ELBO estimator: log p(x,z) - log q(z|x), closed-form KL, the IWAE bound, "
               "MIWAE (--miwae-m bounds of --k), CIWAE (--ciwae-beta ELBO + rest IWAE), "
               "PIWAE (decoder on IWAE of all --miwae-m x --k samples, encoder on MIWAE), or base-kl "
               "(closed-form KL, for a flow posterior that of its Gaussian base plus a sampled correction)"),
        CHOICE("grad", grad, &vt_grad_estimator_names,
               "posterior gradient: reparameterized, sticking the landing, or DReG (iwae, miwae, "
               "piwae)"),
        INT("miwae-m", miwae_m, "M", 1, 100000, "miwae, piwae: independent K-sample bounds"),
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
        INT("threads", threads, "N", 1, 256, "vtape's threads: element-wise work, Adam and (AVX-512) matrix products"),
        INT("blas-threads", blas_threads, "N", 1, 256, "OpenBLAS threads (when OpenBLAS is the GEMM backend)"),
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
