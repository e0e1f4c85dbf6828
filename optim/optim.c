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

static int config_error(char *err, size_t err_len, const char *what, double value) {
    if (err && err_len) snprintf(err, err_len, "vt_optim: %s (got %g)", what, value);
    return -1;
}

/* [0, 1), with NaN failing both comparisons. */
static int in_unit(float x) { return x >= 0.0f && x < 1.0f; }

int vt_optim_config_check(const vt_optim_config *c, char *err, size_t err_len) {
    if (!c) {
        if (err && err_len) snprintf(err, err_len, "vt_optim: no config given");
        return -1;
    }
    if (c->kind != VT_SGD && c->kind != VT_ADAM && c->kind != VT_ADAMW)
        return config_error(err, err_len, "unknown optimizer kind", c->kind);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return config_error(err, err_len, "weight_decay must be finite and >= 0",
                            c->weight_decay);
    if (c->kind == VT_SGD) {
        if (!in_unit(c->momentum))
            return config_error(err, err_len, "SGD momentum must be in [0, 1)", c->momentum);
        if (c->nesterov && c->momentum == 0.0f)
            return config_error(err, err_len, "Nesterov SGD needs momentum > 0", c->momentum);
        return 0;
    }
    if (!in_unit(c->beta1))
        return config_error(err, err_len, "Adam beta1 must be in [0, 1)", c->beta1);
    if (!in_unit(c->beta2))
        return config_error(err, err_len, "Adam beta2 must be in [0, 1)", c->beta2);
    if (!(c->eps > 0.0f) || !isfinite(c->eps))
        return config_error(err, err_len, "Adam eps must be finite and > 0", c->eps);
    return 0;
}

vt_optim *vt_optim_new(vt_store *store, const vt_optim_config *cfg, char *err,
                       size_t err_len) {
    if (!store) {
        if (err && err_len) snprintf(err, err_len, "vt_optim: no parameter store given");
        return NULL;
    }
    if (vt_optim_config_check(cfg, err, err_len) != 0) return NULL;
    vt_optim *opt = calloc(1, sizeof *opt);
    if (!opt) {
        if (err && err_len) snprintf(err, err_len, "vt_optim: out of memory");
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
            if (err && err_len) snprintf(err, err_len, "vt_optim: out of memory for moments");
            free(opt);
            return NULL;
        }
    }
    return opt;
}

void vt_optim_free(vt_optim *opt) { free(opt); }

int vt_optim_fail(vt_optim *opt, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(opt->error, sizeof opt->error, fmt, ap);
    va_end(ap);
    return -1;
}

int vt_optim_step(vt_optim *opt, float lr) {
    if (!opt) return -1;
    opt->error[0] = '\0';
    if (!(lr >= 0.0f) || !isfinite(lr))
        return vt_optim_fail(opt, "vt_optim_step: lr must be finite and >= 0 (got %g)",
                             (double)lr);
    opt->t++;
    int rc = opt->cfg.kind == VT_SGD ? vt_sgd_update(opt, lr) : vt_adam_update(opt, lr);
    if (rc != 0) opt->t--;
    return rc;
}

void vt_optim_set_ctx(vt_optim *opt, vt_ctx *ctx) { opt->ctx = ctx; }

const char *vt_optim_error(const vt_optim *opt) {
    return opt && opt->error[0] ? opt->error : NULL;
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

int vt_optim_set_step(vt_optim *opt, long t) {
    if (!opt) return -1;
    if (t < 0) return vt_optim_fail(opt, "vt_optim_set_step: step must be >= 0 (got %ld)", t);
    opt->t = t;
    return 0;
}

int vt_optim_name_eq(const char *a, const char *b) {
    if (!a || !b) return 0;
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

static const char *const optim_names[] = {"sgd", "adam", "adamw"};

int vt_optim_kind_parse(const char *name) {
    for (int k = 0; k < 3; k++)
        if (vt_optim_name_eq(name, optim_names[k])) return k;
    return -1;
}

const char *vt_optim_kind_name(vt_optim_kind kind) {
    return (unsigned)kind < 3 ? optim_names[kind] : "unknown";
}
