/* The public checkpoint readers: what a file holds, its texts, and loading it into a
 * store and optimizer, which change only when every check has passed. */
#include "io/checkpoint_parse.h"
#include <stdlib.h>
#include <string.h>

int vt_checkpoint_inspect(const char *path, unsigned flags, vt_checkpoint_info *info, vt_error *err) {
    ckpt c;
    int rc = vt_ckpt_open(&c, path, flags, err);
    if (rc != 0) return rc;
    if (info)
        *info = (vt_checkpoint_info){.version = c.version, .n_params = (long)c.np,
                                     .numel = c.numel, .n_slots = (int)c.n_slots,
                                     .state = c.st, .config_len = c.config_len,
                                     .notes_len = c.notes_len};
    vt_ckpt_close(&c);
    return 0;
}

int vt_checkpoint_read_config(const char *path, char *config, size_t len, vt_error *err) {
    ckpt c;
    int rc = vt_ckpt_open(&c, path, VT_CHECKPOINT_ALLOW_NONFINITE, err);
    if (rc != 0) return rc;
    if (!config || c.config_len >= len)
        rc = vt_error_set(err, VT_EMISMATCH, "checkpoint %s: config of %u bytes does not fit",
                          path, c.config_len);
    else {
        memcpy(config, c.file + c.config_off, c.config_len);
        config[c.config_len] = '\0';
    }
    vt_ckpt_close(&c);
    return rc;
}

char *vt_checkpoint_read_notes(const char *path, vt_error *err) {
    ckpt c;
    if (vt_ckpt_open(&c, path, VT_CHECKPOINT_ALLOW_NONFINITE, err) != 0) return NULL;
    char *notes = malloc((size_t)c.notes_len + 1);
    if (!notes) vt_error_set(err, VT_ENOMEM, "checkpoint %s: out of memory", path);
    else {
        if (c.notes_len) memcpy(notes, c.file + c.notes_off, c.notes_len);
        notes[c.notes_len] = '\0';
    }
    vt_ckpt_close(&c);
    return notes;
}

/* Every parameter's name and shape in the file against the store's. */
static int match_store(const ckpt *c, vt_store *store) {
    const char *path = c->r.path;
    if (c->np != (uint32_t)vt_store_count(store))
        return vt_error_set(c->r.err, VT_EMISMATCH, "checkpoint %s: holds %u parameters, the "
                            "model has %d", path, c->np, vt_store_count(store));
    for (uint32_t i = 0; i < c->np; i++) {
        const ckpt_param *p = &c->params[i];
        vt_tensor *t = vt_store_get(store, (int)i);
        const char *name = (const char *)c->file + p->name_off;
        int same = p->ndim == (uint32_t)t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = p->dims[d] == (uint32_t)t->shape[d];
        if (p->name_len != strlen(t->name) || memcmp(name, t->name, p->name_len) != 0) {
            return vt_error_set(c->r.err, VT_EMISMATCH, "checkpoint %s: parameter %u is '%.*s', "
                                "the model's is '%s'", path, i, (int)(p->name_len < 64 ? p->name_len : 64),
                                name, t->name);
        }
        if (!same) {
            char s[48];
            return vt_error_set(c->r.err, VT_EMISMATCH, "checkpoint %s: '%s' has shape %u x %u (%u "
                                "dims) in the file, %s in the model", path, t->name, p->dims[0],
                                p->ndim > 1 ? p->dims[1] : 1, p->ndim, vt_shape_str(t, s));
        }
    }
    return 0;
}

static void get_floats(const unsigned char **v, float *out, size_t n) {
    for (size_t i = 0; i < n; i++, *v += 4) {   /* explicit LE, whatever the host */
        const unsigned char *b = *v;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &u, 4);
    }
}

int vt_checkpoint_load_flags(const char *path, vt_store *store, vt_optim *opt,
                             vt_train_state *state, unsigned flags, vt_error *err) {
    if (!store) return vt_error_set(err, VT_EARG, "checkpoint: no store given");
    ckpt c;
    int rc = vt_ckpt_open(&c, path, flags, err);
    if (rc != 0) return rc;
    rc = match_store(&c, store);
    int slots[VT_OPTIM_MAX_SLOTS], have = opt ? vt_optim_state_slots(opt, slots) : 0;
    if (rc == 0 && opt && c.n_slots > 0 &&
        ((uint32_t)have != c.n_slots || c.opt_kind != (uint32_t)vt_optim_get_config(opt)->kind))
        rc = vt_error_set(err, VT_EMISMATCH, "checkpoint %s: saved by a %s optimizer with %u moment "
                          "slots; this one is %s with %d", path,
                          vt_optim_kind_name((vt_optim_kind)c.opt_kind), c.n_slots,
                          vt_optim_kind_name(vt_optim_get_config(opt)->kind), have);
    if (rc == 0) {
        /* Every check passed: now, and only now, overwrite the caller's state. */
        const unsigned char *v = c.file + c.values_off;
        const float *base = vt_store_values(store);
        for (uint32_t s = 0; s <= c.n_slots; s++) {
            float *block = s == 0 ? vt_store_values(store)
                                  : opt ? vt_store_slot(store, slots[s - 1]) : NULL;
            for (uint32_t i = 0; i < c.np; i++) {
                vt_tensor *t = vt_store_get(store, (int)i);
                if (block) get_floats(&v, block + (t->data - base), vt_numel(t));
                else v += 4 * vt_numel(t);
            }
        }
        if (opt && c.n_slots > 0) vt_optim_set_step(opt, (long)c.opt_t, NULL);
        if (state) *state = c.st;
    }
    vt_ckpt_close(&c);
    return rc;
}

int vt_checkpoint_load(const char *path, vt_store *store, vt_optim *opt, vt_train_state *state,
                       vt_error *err) {
    return vt_checkpoint_load_flags(path, store, opt, state, 0, err);
}
