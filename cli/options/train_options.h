/* The options of `vtape train`, their table (help text and defaults), the checks
 * that span several options, and their translation into the library's configs. */
#ifndef CLI_TRAIN_OPTIONS_H
#define CLI_TRAIN_OPTIONS_H

#include "cli/options/options.h"
#include "vtape/data.h"
#include "vtape/optim.h"
#include "vtape/vae.h"

/* Choice lists; each option stores an index into its list. */

enum { CLI_MODEL_VAE, CLI_MODEL_CVAE, CLI_MODEL_BETA_VAE, CLI_MODEL_HVAE };
extern const vt_names cli_model_names;   /* "vae", "cvae", "beta-vae", "hvae" */

typedef struct cli_train_options {
    int model;
    const char *arch;
    int latent, act, posterior, prior, mog_components, likelihood;
    double lik_logsig;
    int estimator, k;
    double beta;
    int beta_schedule;           /* -1: constant, or linear for beta-vae */
    double warmup_epochs;
    int cycles;
    double free_bits;
    int fb_groups;
    int optimizer;
    double lr;
    int lr_schedule;
    double lr_gamma, lr_step_epochs, lr_min, momentum;
    double weight_decay;         /* < 0: the optimizer's own default */
    double clip;
    int epochs, batch, binarize, train_limit, test_limit, seed, test_seed;
    int threads, blas_threads, iw_k, iw_n, iw_chunk;
    const char *data_dir, *out;
    const char *data, *labels, *test_data, *test_labels;   /* your own files */
    int label_column;
    double val_split;
    int resume;
    int checkpoint_every, force;
    /* latent models (vtape/vae.h, elbo.h) */
    int latent2, pseudo_inputs, flow_depth, latent_type, categories, layer, grad, miwae_m;
    int inference, flow_context, straight_through;
    double temperature, temp_min, temp_rate, ciwae_beta;
} cli_train_options;

#define CLI_TRAIN_N_OPTS 72
typedef struct cli_train_cli {
    cli_train_options o;
    cli_opt table[CLI_TRAIN_N_OPTS + 1];
} cli_train_cli;

/* Defaults into cli->o and the table pointing at them. */
void cli_train_cli_init(cli_train_cli *cli);
void cli_train_help(FILE *out, cli_train_cli *cli);

/* Checks between options (e.g. a β schedule with the IWAE estimator). */
int cli_train_options_check(const cli_train_options *o, vt_error *err);
/* The latent-model options' checks and configuration (latent_options.c). */
int cli_latent_options_check(const cli_train_options *o, vt_error *err);
void cli_latent_model_config(const cli_train_options *o, vt_vae_config *cfg);
/* Resolve "automatic" choices (the β schedule of beta-vae). */
void cli_train_options_resolve(cli_train_options *o);

/* Library configurations from the options. steps_per_epoch sizes the schedules. */
int cli_train_model_config(const cli_train_options *o, int x_dim, vt_vae_config *cfg, vt_error *err);
vt_elbo_opts cli_train_elbo_opts(const cli_train_options *o);
int cli_train_optim_config(const cli_train_options *o, vt_optim_config *cfg, vt_error *err);
int cli_train_lr_schedule(const cli_train_options *o, long steps_per_epoch, vt_lr_schedule *s,
                         vt_error *err);
int cli_train_beta_schedule(const cli_train_options *o, long steps_per_epoch,
                           vt_beta_schedule *s, vt_error *err);
vt_binarize cli_train_binarize(const cli_train_options *o);

/* The run file: every option as "name=value" lines, so --resume, eval and sample know
 * how a run was trained. cli_run_file_read applies a file onto the table; `buf` keeps
 * the strings the options point into and is freed by the caller. */
int cli_run_file_write(const char *path, const cli_opt *table, const char *run_id, vt_error *err);
/* The run id of a run file (its "# run-id: X" line) into id. 0, or -1 when it has none. */
int cli_run_file_id(const char *path, char *id, size_t len);
int cli_run_file_read(const char *path, cli_opt *table, char **buf, vt_error *err);

#endif
