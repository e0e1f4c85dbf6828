/* The VAE configuration as text: the architecture string of the CLI, and the
 * one-line "key=value" form stored in checkpoints. */
#include "vtape/vae.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const posteriors[] = {"diag", "fullcov", "planar", "iaf"};
static const char *const priors[] = {"std_normal", "mog", "vamp"};
static const char *const likelihoods[] = {"bernoulli", "gaussian", "gaussian_learned",
                                           "continuous_bernoulli"};
static const char *const latent_types[] = {"gaussian", "gumbel", "bernoulli"};
static const char *const layers[] = {"linear", "gated"};
static const char *const inferences[] = {"bottom-up", "top-down"};
const vt_names vt_posterior_names = VT_NAMES(posteriors);
const vt_names vt_prior_names = VT_NAMES(priors);
const vt_names vt_lik_names = VT_NAMES(likelihoods);
const vt_names vt_latent_type_names = VT_NAMES(latent_types);
const vt_names vt_layer_names = VT_NAMES(layers);
const vt_names vt_hvae_inference_names = VT_NAMES(inferences);

/* Parse a positive int in [1, max] from s; end at '-' ',' or NUL. */
static int parse_dim(const char *s, char **end, int max) {
    errno = 0;
    long v = strtol(s, end, 10);
    if (*end == s || errno || v < 1 || v > max) return -1;
    return (int)v;
}

int vt_vae_parse_arch(vt_vae_config *cfg, const char *arch, vt_error *err) {
    int dims[VT_VAE_MAX_HIDDEN + 1], n = 0;
    const char *s = arch;
    while (s && *s) {
        char *end;
        int d = parse_dim(s, &end, 1 << 20);
        if (d < 0 || n == VT_VAE_MAX_HIDDEN + 1 || (*end && *end != '-')) {
            vt_error_set(err, VT_EARG, "architecture '%s': expected sizes like 784-512-256 "
                     "(1 to %d hidden layers)", arch, VT_VAE_MAX_HIDDEN);
            return -1;
        }
        dims[n++] = d;
        s = *end ? end + 1 : end;
    }
    if (n < 2) {
        vt_error_set(err, VT_EARG, "architecture '%s': need the input size and at least one hidden "
                 "layer, e.g. 784-512-256", arch ? arch : "");
        return -1;
    }
    cfg->x_dim = dims[0];
    cfg->n_hidden = n - 1;
    for (int i = 1; i < n; i++) cfg->hidden[i - 1] = dims[i];
    return 0;
}

int vt_vae_config_format(const vt_vae_config *c, char *buf, size_t len) {
    char hidden[128] = "";
    size_t off = 0;
    for (int i = 0; i < c->n_hidden && off < sizeof hidden; i++)
        off += snprintf(hidden + off, sizeof hidden - off, i ? ",%d" : "%d", c->hidden[i]);
    int n = snprintf(buf, len, "x_dim=%d hidden=%s latent=%d act=%s classes=%d posterior=%s "
                     "prior=%s mog=%d likelihood=%s lik_logsig=%.9g seed=%llu levels=%d latent2=%d "
                     "pseudo=%d flow_depth=%d latent_type=%s categories=%d tau=%.9g tau_min=%.9g "
                     "tau_rate=%.9g layer=%s inference=%s flow_context=%d straight_through=%d",
                     c->x_dim, c->n_hidden ? hidden : "none", c->latent, vt_act_name(c->act),
                     c->n_classes, vt_names_get(&vt_posterior_names, c->posterior), vt_names_get(&vt_prior_names, c->prior),
                     c->mog_components, vt_names_get(&vt_lik_names, c->likelihood), c->lik_logsig,
                     (unsigned long long)c->seed, c->levels, c->latent2, c->pseudo_inputs,
                     c->flow_depth, vt_names_get(&vt_latent_type_names, c->latent_type), c->categories,
                     c->temperature, c->temp_min, c->temp_rate, vt_names_get(&vt_layer_names, c->layer),
                     vt_names_get(&vt_hvae_inference_names, c->inference), c->flow_context,
                     c->straight_through);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int vt_vae_config_parse(vt_vae_config *out, const char *text, vt_error *err) {
    vt_vae_config c = vt_vae_default_config();
    char buf[1024];
    if (!text || strlen(text) >= sizeof buf) {
        vt_error_set(err, VT_EARG, "model configuration missing or too long");
        return -1;
    }
    strcpy(buf, text);
    int seen = 0, has_context = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) goto bad;
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        char *end;
        if (!strcmp(k, "x_dim")) { if ((c.x_dim = parse_dim(v, &end, 1 << 20)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "latent")) { if ((c.latent = parse_dim(v, &end, 1 << 16)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "classes")) { c.n_classes = (int)strtol(v, &end, 10); if (*end || c.n_classes < 0 || c.n_classes > 1 << 16) goto bad; }
        else if (!strcmp(k, "mog")) { if ((c.mog_components = parse_dim(v, &end, 1 << 16)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "act")) { int a = vt_act_parse(v); if (a < 0) goto bad; c.act = (vt_act)a; }
        else if (!strcmp(k, "posterior")) { int i = vt_names_find(&vt_posterior_names, v); if (i < 0) goto bad; c.posterior = (vt_posterior_kind)i; }
        else if (!strcmp(k, "prior")) { int i = vt_names_find(&vt_prior_names, v); if (i < 0) goto bad; c.prior = (vt_prior_kind)i; }
        else if (!strcmp(k, "likelihood")) { int i = vt_names_find(&vt_lik_names, v); if (i < 0) goto bad; c.likelihood = (vt_lik_kind)i; }
        else if (!strcmp(k, "levels")) { c.levels = (int)strtol(v, &end, 10); if (*end || c.levels < 1 || c.levels > 2) goto bad; }
        else if (!strcmp(k, "latent2")) { if ((c.latent2 = parse_dim(v, &end, 1 << 16)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "pseudo")) { if ((c.pseudo_inputs = parse_dim(v, &end, 1 << 16)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "flow_depth")) { if ((c.flow_depth = parse_dim(v, &end, 64)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "categories")) { if ((c.categories = parse_dim(v, &end, 1 << 16)) < 0 || *end) goto bad; }
        else if (!strcmp(k, "latent_type")) { int i = vt_names_find(&vt_latent_type_names, v); if (i < 0) goto bad; c.latent_type = (vt_latent_type)i; }
        else if (!strcmp(k, "inference")) { int i = vt_names_find(&vt_hvae_inference_names, v); if (i < 0) goto bad; c.inference = (vt_hvae_inference)i; }
        else if (!strcmp(k, "flow_context")) { c.flow_context = (int)strtol(v, &end, 10); has_context = 1; if (*end || c.flow_context < 0 || c.flow_context > 1 << 16) goto bad; }
        else if (!strcmp(k, "layer")) { int i = vt_names_find(&vt_layer_names, v); if (i < 0) goto bad; c.layer = (vt_layer_kind)i; }
        else if (!strcmp(k, "tau")) { c.temperature = strtof(v, &end); if (*end || !(c.temperature > 0)) goto bad; }
        else if (!strcmp(k, "tau_min")) { c.temp_min = strtof(v, &end); if (*end || !(c.temp_min > 0)) goto bad; }
        else if (!strcmp(k, "tau_rate")) { c.temp_rate = strtof(v, &end); if (*end || !(c.temp_rate >= 0)) goto bad; }
        else if (!strcmp(k, "lik_logsig")) { c.lik_logsig = strtof(v, &end); if (*end) goto bad; }
        else if (!strcmp(k, "seed")) { c.seed = strtoull(v, &end, 10); if (*end) goto bad; }
        else if (!strcmp(k, "straight_through")) { c.straight_through = (int)strtol(v, &end, 10); if (*end || (unsigned)c.straight_through > 1) goto bad; }
        else if (!strcmp(k, "hidden")) {
            c.n_hidden = 0;
            if (strcmp(v, "none") != 0)
                for (const char *s = v; *s;) {
                    int d = parse_dim(s, &end, 1 << 20);
                    if (d < 0 || c.n_hidden == VT_VAE_MAX_HIDDEN || (*end && *end != ',')) goto bad;
                    c.hidden[c.n_hidden++] = d;
                    s = *end ? end + 1 : end;
                }
        } else goto bad;
        seen++;
        continue;
    bad:
        vt_error_set(err, VT_EARG, "model configuration: bad entry '%s%s%s'", tok, eq ? "=" : "", eq ? eq + 1 : "");
        return -1;
    }
    if (seen < 11) {
        vt_error_set(err, VT_EARG, "model configuration: %d of 11 fields present", seen);
        return -1;
    }
    if (!has_context) c.flow_context = 0;   /* written before IAF steps took a context */
    *out = c;
    return 0;
}

/* in·out weights and out biases per layer of an MLP through sizes d[0..n); a gated
 * hidden layer has two such (value and gate), the output layer one. */
static int mlp_numel(const size_t *d, int n, int gated, size_t *total) {
    for (int i = 0; i + 1 < n; i++) {
        size_t w;
        int copies = gated && i + 2 < n ? 2 : 1;
        for (int k = 0; k < copies; k++)
            if (!vt_size_mul(d[i], d[i + 1], &w) || !vt_size_add(*total, w, total) ||
                !vt_size_add(*total, d[i + 1], total))
                return 0;
    }
    return 1;
}

/* What the variants add: IAF steps, VampPrior pseudo-inputs, the second level's nets. */
static int variant_numel(const vt_vae_config *c, size_t *total) {
    size_t Z = (size_t)c->latent, X = (size_t)c->x_dim, t = 0;
    size_t H = c->n_hidden > 0 ? (size_t)c->hidden[c->n_hidden - 1] : 0;
    int gauss = c->latent_type == VT_LATENT_GAUSSIAN, gated = c->layer == VT_LAYER_GATED;
    if (gauss && c->posterior == VT_POSTERIOR_IAF) {   /* W1, Wc, b1, Wm, bm, Ws, bs per step */
        size_t h = H ? H : 4 * Z, step;
        if (!vt_size_mul(h, 3 * Z + 1 + (size_t)c->flow_context, &step) ||
            !vt_size_add(step, 2 * Z, &step) ||
            !vt_size_mul(step, (size_t)c->flow_depth, &t) || !vt_size_add(*total, t, total))
            return 0;
    }
    if (c->prior == VT_PRIOR_VAMP &&
        (!vt_size_mul((size_t)c->pseudo_inputs, X, &t) || !vt_size_add(*total, t, total)))
        return 0;
    if (c->levels == 2) {
        size_t Z2 = (size_t)c->latent2, h = H ? H : 256;
        size_t enc2[3] = {c->inference == VT_HVAE_TOP_DOWN ? 2 * Z : Z, h, 2 * Z2};
        size_t pz1[3] = {Z2, h, 2 * Z};
        if (!mlp_numel(enc2, 3, gated, total) || !mlp_numel(pz1, 3, gated, total)) return 0;
    }
    return 1;
}

size_t vt_vae_config_numel(const vt_vae_config *c) {
    if (!c || c->n_hidden < 0 || c->n_hidden > VT_VAE_MAX_HIDDEN || c->x_dim < 1 ||
        c->latent < 1 || c->n_classes < 0 || c->flow_depth < 0 || c->categories < 0 ||
        c->pseudo_inputs < 0 || c->latent2 < 0 || c->flow_context < 0)
        return 0;
    size_t Z = (size_t)c->latent, C = (size_t)c->n_classes, X = (size_t)c->x_dim;
    size_t enc[VT_VAE_MAX_HIDDEN + 2], dec[VT_VAE_MAX_HIDDEN + 2], total = 0, out = 0, value = Z;
    int n = 0, gated = c->layer == VT_LAYER_GATED;
    if (c->latent_type == VT_LATENT_GUMBEL) {
        if (!vt_size_mul(Z, (size_t)c->categories, &value)) return 0;
        out = value;
    } else if (c->latent_type == VT_LATENT_BERNOULLI) {
        out = Z;
    } else {
        size_t extra = c->posterior == VT_POSTERIOR_IAF ? (size_t)c->flow_context : 0;
        if (c->posterior == VT_POSTERIOR_FULLCOV && !vt_size_mul(Z, Z, &extra)) return 0;
        if (c->posterior == VT_POSTERIOR_PLANAR &&
            !vt_size_mul((size_t)c->flow_depth, 2 * Z + 1, &extra))
            return 0;
        out = 2 * Z + extra;
    }
    enc[n] = X + C, dec[n] = value + C, n++;
    for (int i = 0; i < c->n_hidden; i++, n++) {
        if (c->hidden[i] < 1) return 0;
        enc[n] = (size_t)c->hidden[i];
        dec[n] = (size_t)c->hidden[c->n_hidden - 1 - i];
    }
    enc[n] = out, dec[n] = X, n++;
    if (!mlp_numel(enc, n, gated, &total) || !mlp_numel(dec, n, gated, &total)) return 0;
    size_t mog = 0;
    if (c->prior == VT_PRIOR_MOG &&
        (c->mog_components < 1 || !vt_size_mul((size_t)c->mog_components, 2 * Z + 1, &mog)))
        return 0;
    if (!vt_size_add(total, mog, &total) || !variant_numel(c, &total)) return 0;
    if (c->likelihood == VT_LIK_GAUSSIAN_LEARNED && !vt_size_add(total, X, &total)) return 0;
    return total;
}
