/* Checkpoint parsing. Everything the file declares is checked against the file's size
 * and against the rest of the file before anything is allocated from it. The layout is
 * in io/checkpoint_format.h; io/checkpoint_load.c uses the result. */
#include "vtape/checkpoint.h"
#include "io/checkpoint_parse.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the bounds-checked cursor ---- */
static int need(rbuf *r, size_t n, const char *what) {
    if (r->bad) return 0;
    if (r->n - r->off < n) {
        vt_error_set(r->err, VT_ETRUNC, "checkpoint %s: truncated at offset %zu: expected %zu "
                     "bytes of %s", r->path, VT_CKPT_HEAD + r->off, n, what);
        r->bad = 1;
        return 0;
    }
    return 1;
}
static uint32_t get_u32(rbuf *r, const char *what) {
    if (!need(r, 4, what)) return 0;
    const unsigned char *c = r->p + r->off;
    r->off += 4;
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}
static uint64_t get_u64(rbuf *r, const char *what) {
    uint64_t lo = get_u32(r, what);
    return lo | (uint64_t)get_u32(r, what) << 32;
}
static int fail(rbuf *r, int code, const char *fmt, const char *a, unsigned long long b) {
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a, b);
    vt_error_set(r->err, code, "checkpoint %s: offset %zu: %s", r->path, VT_CKPT_HEAD + r->off, msg);
    r->bad = 1;
    return -1;
}

void vt_ckpt_close(ckpt *c) {
    free(c->file);
    free(c->params);
    memset(c, 0, sizeof *c);
}

/* Magic, version, and a declared length that matches the file's size; then the CRC. */
static int read_envelope(ckpt *c, const char *path, vt_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vt_error_set(err, VT_EIO, "checkpoint %s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    unsigned char head[VT_CKPT_HEAD];
    int rc = 0;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = vt_error_set(err, VT_EIO, "checkpoint %s: not a regular file", path);
    else if (fread(head, 1, sizeof head, f) != sizeof head)
        rc = vt_error_set(err, VT_ETRUNC, "checkpoint %s: truncated at offset %lld: expected a "
                          "20-byte header", path, (long long)sb.st_size);
    else if (memcmp(head, VT_CKPT_MAGIC, 8) != 0)
        rc = vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset 0: not a vtape checkpoint (bad magic)", path);
    if (rc != 0) return fclose(f), rc;
    rbuf h = {head, sizeof head, 8, path, err, 0};
    c->version = get_u32(&h, "version");
    uint64_t len = get_u64(&h, "length"), size = (uint64_t)sb.st_size;
    if (c->version < 1 || c->version > VT_CHECKPOINT_VERSION)
        rc = vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset 8: version %u, this vtape reads "
                          "versions 1 to %d", path, c->version, VT_CHECKPOINT_VERSION);
    else if (len > VT_CKPT_MAX_PAYLOAD || len > size - VT_CKPT_HEAD ||
             size - VT_CKPT_HEAD - len < VT_CKPT_TAIL)
        rc = vt_error_set(err, len > VT_CKPT_MAX_PAYLOAD ? VT_ETOOBIG : VT_ETRUNC,
                          "checkpoint %s: %s at offset %llu: the header declares %llu payload "
                          "bytes and a checksum, the file holds %llu after the header", path,
                          len > VT_CKPT_MAX_PAYLOAD ? "implausible length" : "truncated",
                          (unsigned long long)size, (unsigned long long)len,
                          (unsigned long long)(size - VT_CKPT_HEAD));
    else if (size - VT_CKPT_HEAD - len > VT_CKPT_TAIL)
        rc = vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset %llu: trailing bytes after the "
                          "checksum", path, (unsigned long long)(VT_CKPT_HEAD + len + VT_CKPT_TAIL));
    if (rc == 0 && !(c->file = malloc((size_t)len + VT_CKPT_TAIL)))   /* earned: the file is this big */
        rc = vt_error_set(err, VT_ENOMEM, "checkpoint %s: out of memory for %llu bytes", path,
                          (unsigned long long)len);
    if (rc == 0 && fread(c->file, 1, (size_t)len + VT_CKPT_TAIL, f) != (size_t)len + VT_CKPT_TAIL)
        rc = vt_error_set(err, VT_ETRUNC, "checkpoint %s: the file shrank while being read", path);
    fclose(f);
    if (rc != 0) return rc;
    rbuf t = {c->file + len, VT_CKPT_TAIL, 0, path, err, 0};
    if (vt_ckpt_crc(c->file, (size_t)len) != get_u32(&t, "checksum"))
        return vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset %llu: checksum mismatch (file "
                            "damaged)", path, (unsigned long long)(VT_CKPT_HEAD + len));
    c->r = (rbuf){c->file, (size_t)len, 0, path, err, 0};
    return 0;
}

/* A length-prefixed text with no NUL inside; its offset in *off. */
static int read_text(rbuf *r, const char *what, uint32_t *len, size_t *off) {
    *len = get_u32(r, what);
    if (r->bad) return -1;
    if (*len >= VT_CKPT_MAX_TEXT) return fail(r, VT_ETOOBIG, "%s of %llu bytes (at most 1 MiB)", what, *len);
    if (!need(r, *len, what)) return -1;
    if (memchr(r->p + r->off, '\0', *len)) return fail(r, VT_EFORMAT, "%s holds a NUL byte", what, 0);
    *off = r->off;
    r->off += *len;
    return 0;
}

static int read_counters(ckpt *c) {
    rbuf *r = &c->r;
    uint64_t *counts[] = {&c->st.step, &c->st.epoch, NULL, &c->st.noise_step};
    const char *names[] = {"step", "epoch", "seed", "noise step"};
    for (int i = 0; i < 4; i++) {
        uint64_t v = get_u64(r, names[i]);
        if (i == 2) c->st.seed = v;
        else if (v > VT_CHECKPOINT_MAX_COUNT && !r->bad)
            return r->off -= 8, fail(r, VT_EFORMAT, "%s counter %llu is implausible", names[i], v);
        else *counts[i] = v;
    }
    c->n_slots = get_u32(r, "slot count");
    c->opt_t = get_u64(r, "optimizer step");
    c->opt_kind = get_u32(r, "optimizer kind");
    c->np = get_u32(r, "parameter count");
    if (r->bad) return -1;
    if (c->n_slots > VT_OPTIM_MAX_SLOTS)
        return fail(r, VT_EFORMAT, "%s%llu optimizer slots (at most 2)", "", c->n_slots);
    if (c->opt_t > VT_CHECKPOINT_MAX_COUNT)
        return fail(r, VT_EFORMAT, "%soptimizer step %llu is implausible", "", c->opt_t);
    if (c->opt_kind > VT_ADAMW)
        return fail(r, VT_EFORMAT, "%sunknown optimizer kind %llu", "", c->opt_kind);
    /* Each table entry takes at least 13 bytes: the count must fit what is left. */
    if (c->np > (r->n - r->off) / 13)
        return fail(r, VT_EFORMAT, "%s%llu parameters cannot fit the rest of the file", "", c->np);
    return 0;
}

static int read_table(ckpt *c) {
    rbuf *r = &c->r;
    c->params = calloc(c->np ? c->np : 1, sizeof *c->params);   /* np is bounded by the size */
    if (!c->params) return vt_error_set(r->err, VT_ENOMEM, "checkpoint %s: out of memory", r->path);
    for (uint32_t i = 0; i < c->np; i++) {
        ckpt_param *p = &c->params[i];
        if (read_text(r, "parameter name", &p->name_len, &p->name_off) != 0) return -1;
        if (p->name_len == 0 || p->name_len > VT_CKPT_MAX_NAME)
            return fail(r, VT_EFORMAT, "%sparameter name of %llu bytes", "", p->name_len);
        p->ndim = get_u32(r, "ndim");
        if (!r->bad && (p->ndim < 1 || p->ndim > VT_MAX_DIMS))
            return fail(r, VT_EFORMAT, "%s%llu dims (1 to 4)", "", p->ndim);
        int shape[VT_MAX_DIMS];
        for (uint32_t d = 0; d < p->ndim; d++) {
            p->dims[d] = get_u32(r, "dims");
            shape[d] = p->dims[d] > (uint32_t)INT_MAX ? 0 : (int)p->dims[d];
        }
        if (r->bad) return -1;
        p->numel = vt_shape_numel((int)p->ndim, shape);
        if (p->numel == 0 || !vt_size_add(c->numel, p->numel, &c->numel))
            return fail(r, VT_EFORMAT, "%sa parameter shape with a zero or more than %llu elements",
                        "", (unsigned long long)VT_MAX_NUMEL);
    }
    size_t bytes = 0;
    if (!vt_size_mul(c->numel, 4 * (size_t)(1 + c->n_slots), &bytes) || bytes != r->n - r->off)
        return fail(r, bytes > r->n - r->off ? VT_ETRUNC : VT_EFORMAT,
                    "%sthe table declares %llu values (and moments), the rest of the file "
                    "holds a different amount", "", (unsigned long long)c->numel);
    c->values_off = r->off;
    return 0;
}

/* NaN and infinity have an all-ones exponent: found without converting anything. */
static int check_finite(ckpt *c) {
    const unsigned char *v = c->file + c->values_off;
    for (uint32_t s = 0; s <= c->n_slots; s++)
        for (uint32_t i = 0; i < c->np; i++) {
            const ckpt_param *p = &c->params[i];
            for (size_t j = 0; j < p->numel; j++, v += 4)
                if ((v[3] & 0x7f) == 0x7f && (v[2] & 0x80)) {
                    vt_error_set(c->r.err, VT_ENONFINITE, "checkpoint %s: %s of '%.*s' holds a "
                                 "non-finite value at element %zu (a diverged run; "
                                 "--allow-nonfinite to inspect it anyway)", c->r.path,
                                 s ? "an optimizer moment" : "the value", (int)p->name_len,
                                 (const char *)c->file + p->name_off, j);
                    return -1;
                }
        }
    return 0;
}

int vt_ckpt_open(ckpt *c, const char *path, unsigned flags, vt_error *err) {
    memset(c, 0, sizeof *c);
    if (!path) return vt_error_set(err, VT_EARG, "checkpoint: no path given");
    int rc = read_envelope(c, path, err);
    if (rc == 0 && read_text(&c->r, "config text", &c->config_len, &c->config_off) != 0) rc = -1;
    if (rc == 0 && c->version >= 2 &&
        read_text(&c->r, "notes", &c->notes_len, &c->notes_off) != 0) rc = -1;
    if (rc == 0 && (read_counters(c) != 0 || read_table(c) != 0)) rc = -1;
    if (rc == 0 && !(flags & VT_CHECKPOINT_ALLOW_NONFINITE) && check_finite(c) != 0) rc = -1;
    if (rc != 0) {
        vt_ckpt_close(c);
        return err && err->code < 0 ? err->code : VT_EFORMAT;
    }
    return 0;
}
