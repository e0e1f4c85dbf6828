/* The options of `vtape train`, their table (help text and defaults), the checks
 * that span several options, and their translation into the library's configs. */
#ifndef VT_TOOLS_TRAIN_OPTIONS_H
#define VT_TOOLS_TRAIN_OPTIONS_H

#include "tools/options.h"
#include "vtape/data.h"
#include "vtape/vae.h"

/* Choice lists; each option stores an index into its list. */
#define VT_CHOICES_MODEL      "vae|cvae|beta-vae"
#define VT_CHOICES_ACT        "relu|softplus|tanh"
#define VT_CHOICES_POSTERIOR  "diag|fullcov"
#define VT_CHOICES_PRIOR      "std_normal|mog"
#define VT_CHOICES_LIKELIHOOD "bernoulli|gaussian|gaussian_learned"
#define VT_CHOICES_ESTIMATOR  "analytic|generic|iwae"
#define VT_CHOICES_BETA       "constant|linear|cyclical"
#define VT_CHOICES_OPTIMIZER  "adam|adamw|sgd"
#define VT_CHOICES_LR         "constant|step|cosine"
#define VT_CHOICES_BINARIZE   "dynamic|static|threshold|none"

enum { VT_MODEL_VAE, VT_MODEL_CVAE, VT_MODEL_BETA_VAE };

typedef struct vt_train_options {
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
    int resume;
} vt_train_options;

#define VT_TRAIN_N_OPTS 44
typedef struct vt_train_cli {
    vt_train_options o;
    vt_opt table[VT_TRAIN_N_OPTS + 1];
} vt_train_cli;

/* Defaults into cli->o and the table pointing at them. */
void vt_train_cli_init(vt_train_cli *cli);
void vt_train_help(FILE *out, vt_train_cli *cli);

/* Checks between options (e.g. a β schedule with the IWAE estimator). */
int vt_train_options_check(const vt_train_options *o, char *err, size_t errlen);
/* Resolve "automatic" choices (the β schedule of beta-vae). */
void vt_train_options_resolve(vt_train_options *o);

/* Library configurations from the options. steps_per_epoch sizes the schedules. */
int vt_train_model_config(const vt_train_options *o, int x_dim, vt_vae_config *cfg, char *err,
                          size_t errlen);
vt_elbo_opts vt_train_elbo_opts(const vt_train_options *o);
int vt_train_optim_config(const vt_train_options *o, vt_optim_config *cfg, char *err,
                          size_t errlen);
int vt_train_lr_schedule(const vt_train_options *o, long steps_per_epoch, vt_lr_schedule *s,
                         char *err, size_t errlen);
int vt_train_beta_schedule(const vt_train_options *o, long steps_per_epoch,
                           vt_beta_schedule *s, char *err, size_t errlen);
vt_binarize vt_train_binarize(const vt_train_options *o);

/* The run file: every option as "name=value" lines, so --resume, eval and sample know
 * how a run was trained. vt_run_file_read applies a file onto the table; `buf` keeps
 * the strings the options point into and is freed by the caller. */
int vt_run_file_write(const char *path, const vt_opt *table, char *err, size_t errlen);
int vt_run_file_read(const char *path, vt_opt *table, char **buf, char *err, size_t errlen);

#endif
