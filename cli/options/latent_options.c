/* The latent-model options of `vtape train` (hierarchy, priors, flows, discrete
 * latents, layers, gradient estimators): their checks and their part of the model
 * configuration. */
#include "cli/options/train_options.h"

int cli_latent_options_check(const cli_train_options *o, vt_error *err) {
    int flow = o->latent_type == VT_LATENT_GAUSSIAN &&
               (o->posterior == VT_POSTERIOR_PLANAR || o->posterior == VT_POSTERIOR_IAF);
    if (flow && o->estimator == VT_EST_ANALYTIC) {
        vt_error_set(err, VT_EARG, "--posterior %s: analytic KL does not apply to a flow posterior; "
                     "use --estimator base-kl, generic or iwae", vt_names_get(&vt_posterior_names, o->posterior));
        return -1;
    }
    if (o->straight_through && o->latent_type == VT_LATENT_GAUSSIAN) {
        vt_error_set(err, VT_EARG, "--straight-through applies to --latent-type gumbel or bernoulli");
        return -1;
    }
    if (o->grad != VT_GRAD_REPARAM && (flow || o->posterior == VT_POSTERIOR_FULLCOV)) {
        vt_error_set(err, VT_EARG, "--grad %s needs a posterior whose log-density is a function of "
                     "its value (diag); --posterior %s scores its own noise",
                     vt_grad_estimator_name((vt_grad_estimator)o->grad),
                     vt_names_get(&vt_posterior_names, o->posterior));
        return -1;
    }
    if ((o->grad == VT_GRAD_DREG && o->estimator != VT_EST_IWAE && o->estimator != VT_EST_MIWAE &&
         o->estimator != VT_EST_PIWAE) ||
        (o->grad == VT_GRAD_STL && o->estimator == VT_EST_ANALYTIC)) {
        vt_error_set(err, VT_EARG, "--grad %s does not apply to --estimator %s (stl: generic or an "
                     "importance-weighted one; dreg: iwae, miwae or piwae)",
                     vt_grad_estimator_name((vt_grad_estimator)o->grad),
                     vt_estimator_name((vt_estimator)o->estimator));
        return -1;
    }
    return 0;
}

void cli_latent_model_config(const cli_train_options *o, vt_vae_config *cfg) {
    cfg->levels = o->model == CLI_MODEL_HVAE ? 2 : 1;
    cfg->latent2 = o->latent2;
    cfg->pseudo_inputs = o->pseudo_inputs;
    cfg->flow_depth = o->flow_depth;
    cfg->flow_context = o->flow_context;
    cfg->inference = (vt_hvae_inference)o->inference;
    cfg->latent_type = (vt_latent_type)o->latent_type;
    cfg->categories = o->categories;
    cfg->temperature = (float)o->temperature;
    cfg->temp_min = (float)o->temp_min;
    cfg->temp_rate = (float)o->temp_rate;
    cfg->layer = (vt_layer_kind)o->layer;
    cfg->straight_through = o->straight_through;
}
