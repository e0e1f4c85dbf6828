/* `vtape train` options: cross-option checks and the library configurations they
 * become (model, ELBO, optimizer, schedules). The table is in train_table.c. */
#include "cli/options/train_options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/io.h"

void cli_train_options_resolve(cli_train_options *o) {
    if (o->beta_schedule < 0) o->beta_schedule = o->model == CLI_MODEL_BETA_VAE ? VT_BETA_LINEAR
                                                                              : VT_BETA_CONSTANT;
}

int cli_train_options_check(const cli_train_options *o, vt_error *err) {
    if (o->estimator == VT_EST_IWAE || o->estimator == VT_EST_MIWAE || o->estimator == VT_EST_CIWAE ||
        o->estimator == VT_EST_PIWAE) {
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
