/* The optimizer object: configuration checks, construction, dispatch of a step to
 * sgd.c or adam.c, and the state a checkpoint needs. */
#include "optim/internal.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

vt_optim_config vt_optim_defaults(vt_optim_kind kind) {
    vt_optim_config c = {.kind = kind, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    if (kind == VT_ADAMW) c.weight_decay = 0.01f;
    return c;
}

static int config_error(vt_error *err, const char *what, double value) {
    vt_error_set(err, VT_EARG, "vt_optim: %s (got %g)", what, value);
    return -1;
}

/* [0, 1), with NaN failing both comparisons. */
static int in_unit(float x) { return x >= 0.0f && x < 1.0f; }

int vt_optim_config_check(const vt_optim_config *c, vt_error *err) {
    if (!c) {
        vt_error_set(err, VT_EARG, "vt_optim: no config given");
        return -1;
    }
    if (c->kind != VT_SGD && c->kind != VT_ADAM && c->kind != VT_ADAMW)
        return config_error(err, "unknown optimizer kind", c->kind);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return config_error(err, "weight_decay must be finite and >= 0",
                            c->weight_decay);
    if (c->kind == VT_SGD) {
        if (!in_unit(c->momentum))
            return config_error(err, "SGD momentum must be in [0, 1)", c->momentum);
        if (c->nesterov && c->momentum == 0.0f)
            return config_error(err, "Nesterov SGD needs momentum > 0", c->momentum);
        return 0;
    }
    if (!in_unit(c->beta1))
        return config_error(err, "Adam beta1 must be in [0, 1)", c->beta1);
    if (!in_unit(c->beta2))
        return config_error(err, "Adam beta2 must be in [0, 1)", c->beta2);
    if (!(c->eps > 0.0f) || !isfinite(c->eps))
        return config_error(err, "Adam eps must be finite and > 0", c->eps);
    return 0;
}

vt_optim *vt_optim_new(vt_store *store, const vt_optim_config *cfg, vt_error *err) {
    if (!store) {
        vt_error_set(err, VT_EARG, "vt_optim: no parameter store given");
        return NULL;
    }
    if (vt_optim_config_check(cfg, err) != 0) return NULL;
    vt_optim *opt = calloc(1, sizeof *opt);
    if (!opt) {
        vt_error_set(err, VT_ENOMEM, "vt_optim: out of memory");
        return NULL;
    }
    opt->store = store;
    opt->cfg = *cfg;
    /* Touch the moment slots now so that steady-state steps never allocate. An empty
     * store has no slots yet; the first step allocates them then. */
    int slots[VT_OPTIM_MAX_SLOTS];
    int n = vt_optim_state_slots(opt, slots);
    for (int i = 0; i < n && vt_store_numel(store) > 0; i++) {
        if (!vt_store_slot(store, slots[i])) {
            vt_error_set(err, VT_ENOMEM, "vt_optim: out of memory for moments");
            free(opt);
            return NULL;
        }
    }
    return opt;
}

void vt_optim_free(vt_optim *opt) { free(opt); }

static int step(vt_optim *opt, float lr, int zero_grad, vt_error *err) {
    if (!opt) return vt_error_set(err, VT_EARG, "vt_optim_step: no optimizer given");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return vt_error_set(err, VT_EARG, "vt_optim_step: lr must be finite and >= 0 (got %g)",
                            (double)lr);
    opt->t++;
    int rc = opt->cfg.kind == VT_SGD ? vt_sgd_update(opt, lr, err)
                                     : vt_adam_update(opt, lr, zero_grad, err);
    if (rc != 0) opt->t--;
    else if (zero_grad && opt->cfg.kind == VT_SGD) vt_store_zero_grad(opt->store);
    return rc;
}

int vt_optim_step(vt_optim *opt, float lr, vt_error *err) { return step(opt, lr, 0, err); }

int vt_optim_step_zero_grad(vt_optim *opt, float lr, vt_error *err) {
    return step(opt, lr, 1, err);
}

void vt_optim_set_ctx(vt_optim *opt, vt_ctx *ctx) {
    if (opt) opt->ctx = ctx;
}

const vt_optim_config *vt_optim_get_config(const vt_optim *opt) {
    return opt ? &opt->cfg : NULL;
}

int vt_optim_state_slots(const vt_optim *opt, int slots[VT_OPTIM_MAX_SLOTS]) {
    if (!opt) return 0;
    if (opt->cfg.kind == VT_SGD) {
        if (opt->cfg.momentum == 0.0f) return 0;
        slots[0] = 0;
        return 1;
    }
    slots[0] = 0;
    slots[1] = 1;
    return 2;
}

long vt_optim_get_step(const vt_optim *opt) { return opt ? opt->t : 0; }

int vt_optim_set_step(vt_optim *opt, long t, vt_error *err) {
    if (!opt) return -1;
    if (t < 0) return vt_error_set(err, VT_EARG, "vt_optim_set_step: step must be >= 0 (got %ld)", t);
    opt->t = t;
    return 0;
}


static const char *const optim_names[] = {"sgd", "adam", "adamw"};
const vt_names vt_optim_kind_names = VT_NAMES(optim_names);

int vt_optim_kind_parse(const char *name) { return vt_names_find(&vt_optim_kind_names, name); }

const char *vt_optim_kind_name(vt_optim_kind kind) {
    return vt_names_get(&vt_optim_kind_names, (int)kind);
}
