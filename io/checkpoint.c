/* The checkpoint file, all integers little-endian:
 *   "VTAPECKP" u32 version  u64 payload_bytes  payload  u32 crc32(payload)
 * payload:
 *   u32 config_len, config bytes
 *   u64 step, epoch, seed, noise_step
 *   u32 n_slots (0..2), i64 optimizer t, u32 optimizer kind
 *   u32 n_params; per parameter: u32 name_len, name, u32 ndim, u32 dims[ndim]
 *   values of every parameter (float32), then each slot's values of every parameter */
#include "vtape/checkpoint.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = {'V', 'T', 'A', 'P', 'E', 'C', 'K', 'P'};
#define MAX_FILE_BYTES ((uint64_t)1 << 34)

/* ---- writing: a growable little-endian buffer ---- */
typedef struct { unsigned char *p; size_t n, cap; int oom; } wbuf;

static void put(wbuf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_u32(wbuf *b, uint32_t v) {
    unsigned char c[4] = {v, v >> 8, v >> 16, v >> 24};
    put(b, c, 4);
}
static void put_u64(wbuf *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}
static void put_floats(wbuf *b, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {   /* explicit LE, whatever the host */
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_u32(b, u);
    }
}

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int vt_checkpoint_save(const char *path, const char *config, vt_store *store,
                       const vt_optim *opt, const vt_train_state *state, vt_error *err) {
    if (!path || !store) return vt_error_set(err, VT_EARG, "checkpoint: path and store are required");
    vt_train_state st = state ? *state : (vt_train_state){0};
    int slots[VT_OPTIM_MAX_SLOTS], n_slots = opt ? vt_optim_state_slots(opt, slots) : 0;
    wbuf b = {0};
    size_t clen = config ? strlen(config) : 0;
    put_u32(&b, (uint32_t)clen);
    put(&b, config ? config : "", clen);
    put_u64(&b, st.step); put_u64(&b, st.epoch); put_u64(&b, st.seed); put_u64(&b, st.noise_step);
    put_u32(&b, (uint32_t)n_slots);
    put_u64(&b, (uint64_t)(opt ? vt_optim_get_step(opt) : 0));
    put_u32(&b, opt ? (uint32_t)vt_optim_get_config(opt)->kind : 0);
    int np = vt_store_count(store);
    put_u32(&b, (uint32_t)np);
    for (int i = 0; i < np; i++) {
        vt_tensor *t = vt_store_get(store, i);
        put_u32(&b, (uint32_t)strlen(t->name));
        put(&b, t->name, strlen(t->name));
        put_u32(&b, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) put_u32(&b, (uint32_t)t->shape[d]);
    }
    for (int i = 0; i < np; i++) put_floats(&b, vt_store_get(store, i)->data, vt_numel(vt_store_get(store, i)));
    for (int s = 0; s < n_slots; s++) {
        float *slot = vt_store_slot(store, slots[s]);
        float *base = vt_store_values(store);
        for (int i = 0; i < np; i++) {
            vt_tensor *t = vt_store_get(store, i);
            put_floats(&b, slot + (t->data - base), vt_numel(t));
        }
    }
    if (b.oom) {
        free(b.p);
        return vt_error_set(err, VT_ENOMEM, "checkpoint %s: out of memory", path);
    }
    wbuf head = {0};
    put(&head, MAGIC, 8);
    put_u32(&head, VT_CHECKPOINT_VERSION);
    put_u64(&head, b.n);
    wbuf tail = {0};
    /* zlib's crc32 takes uInt lengths: fold the payload in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < b.n; off += 1u << 30) {
        size_t m = b.n - off < (1u << 30) ? b.n - off : (1u << 30);
        crc = crc32(crc, b.p + off, (uInt)m);
    }
    put_u32(&tail, (uint32_t)crc);

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        free(b.p); free(head.p); free(tail.p);
        return vt_error_set(err, VT_EARG, "checkpoint: path too long");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = -1;
    if (fd < 0) {
        vt_error_set(err, VT_EIO, "checkpoint %s: cannot create: %s", tmp, strerror(errno));
    } else if (head.oom || tail.oom || write_all(fd, head.p, head.n) || write_all(fd, b.p, b.n) ||
               write_all(fd, tail.p, tail.n) || fsync(fd) != 0) {
        vt_error_set(err, VT_EIO, "checkpoint %s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
    } else if (close(fd) != 0 || rename(tmp, path) != 0) {
        vt_error_set(err, VT_EIO, "checkpoint %s: cannot move into place: %s", path, strerror(errno));
        unlink(tmp);
    } else {
        /* Make the rename itself durable. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0'; else strcpy(dir, ".");
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) { fsync(dfd); close(dfd); }
        rc = 0;
    }
    free(b.p); free(head.p); free(tail.p);
    return rc;
}

/* ---- reading: bounds-checked cursor over the whole file ---- */
typedef struct {
    const unsigned char *p;
    size_t n, off;
    const char *path;
    vt_error *err;
    int bad;
} rbuf;

static int need(rbuf *r, size_t n, const char *what) {
    if (r->bad) return 0;
    if (r->n - r->off < n) {
        vt_error_set(r->err, VT_ETRUNC, "checkpoint %s: truncated at offset %zu: expected %zu bytes of %s",
             r->path, r->off, n, what);
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
static void get_floats(rbuf *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = get_u32(r, "parameter values");
        memcpy(&out[i], &u, 4);
    }
}

/* Read and verify the envelope; on success r covers the payload. */
static int open_payload(const char *path, unsigned char **file, rbuf *r, vt_error *err) {
    *file = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return vt_error_set(err, VT_EIO, "checkpoint %s: cannot open: %s", path, strerror(errno));
    unsigned char head[20];
    size_t got = fread(head, 1, sizeof head, f);
    if (got < sizeof head) {
        fclose(f);
        return vt_error_set(err, VT_ETRUNC, "checkpoint %s: truncated at offset %zu: expected a 20-byte header",
                    path, got);
    }
    if (memcmp(head, MAGIC, 8) != 0) {
        fclose(f);
        return vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset 0: not a vtape checkpoint (bad magic)", path);
    }
    rbuf h = {head, sizeof head, 8, path, err, 0};
    uint32_t version = get_u32(&h, "version");
    uint64_t len = get_u64(&h, "length");
    if (version != VT_CHECKPOINT_VERSION) {
        fclose(f);
        return vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset 8: version %u, this vtape reads version %d",
                    path, version, VT_CHECKPOINT_VERSION);
    }
    if (len > MAX_FILE_BYTES) {
        fclose(f);
        return vt_error_set(err, VT_ETOOBIG, "checkpoint %s: offset 12: payload of %llu bytes is implausible",
                    path, (unsigned long long)len);
    }
    unsigned char *buf = malloc(len + 4 ? (size_t)len + 4 : 1);
    if (!buf) {
        fclose(f);
        return vt_error_set(err, VT_ENOMEM, "checkpoint %s: out of memory for %llu bytes", path,
                    (unsigned long long)len);
    }
    got = fread(buf, 1, (size_t)len + 4, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got < len + 4) {
        free(buf);
        return vt_error_set(err, VT_ETRUNC, "checkpoint %s: truncated at offset %zu: expected %llu payload "
                    "bytes and a checksum", path, 20 + got, (unsigned long long)len);
    }
    if (extra) {
        free(buf);
        return vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset %llu: trailing bytes after the checksum",
                    path, (unsigned long long)(20 + len + 4));
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < len; off += 1u << 30) {
        size_t m = len - off < (1u << 30) ? len - off : (1u << 30);
        crc = crc32(crc, buf + off, (uInt)m);
    }
    rbuf t = {buf + len, 4, 0, path, err, 0};
    if ((uint32_t)crc != get_u32(&t, "checksum")) {
        free(buf);
        return vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset %llu: checksum mismatch (file damaged)",
                    path, (unsigned long long)(20 + len));
    }
    *file = buf;
    *r = (rbuf){buf, (size_t)len, 0, path, err, 0};
    return 0;
}

int vt_checkpoint_read_config(const char *path, char *config, size_t len, vt_error *err) {
    unsigned char *file;
    rbuf r;
    if (open_payload(path, &file, &r, err) != 0) return -1;
    uint32_t clen = get_u32(&r, "config length");
    int rc = -1;
    if (need(&r, clen, "config text")) {
        if (clen >= len) vt_error_set(err, VT_EMISMATCH, "checkpoint %s: config of %u bytes does not fit", path, clen);
        else {
            memcpy(config, r.p + r.off, clen);
            config[clen] = '\0';
            rc = 0;
        }
    }
    free(file);
    return rc;
}

int vt_checkpoint_load(const char *path, vt_store *store, vt_optim *opt, vt_train_state *state,
                       vt_error *err) {
    unsigned char *file;
    rbuf r;
    if (!store) return vt_error_set(err, VT_EARG, "checkpoint: no store given");
    if (open_payload(path, &file, &r, err) != 0) return -1;
    uint32_t clen = get_u32(&r, "config length");
    if (need(&r, clen, "config text")) r.off += clen;
    vt_train_state st;
    st.step = get_u64(&r, "step");
    st.epoch = get_u64(&r, "epoch");
    st.seed = get_u64(&r, "seed");
    st.noise_step = get_u64(&r, "noise step");
    uint32_t n_slots = get_u32(&r, "slot count");
    uint64_t opt_t = get_u64(&r, "optimizer step");
    uint32_t opt_kind = get_u32(&r, "optimizer kind");
    uint32_t np = get_u32(&r, "parameter count");
    if (r.bad) goto out;
    if (n_slots > VT_OPTIM_MAX_SLOTS) {
        vt_error_set(err, VT_EFORMAT, "checkpoint %s: %u optimizer slots (at most %d)", path, n_slots, VT_OPTIM_MAX_SLOTS);
        goto bad;
    }
    if (np != (uint32_t)vt_store_count(store)) {
        vt_error_set(err, VT_EMISMATCH, "checkpoint %s: holds %u parameters, the model has %d", path, np,
             vt_store_count(store));
        goto bad;
    }
    for (uint32_t i = 0; i < np; i++) {
        size_t at = r.off;
        uint32_t nl = get_u32(&r, "name length");
        if (!need(&r, nl, "parameter name")) goto out;
        vt_tensor *t = vt_store_get(store, (int)i);
        if (nl != strlen(t->name) || memcmp(r.p + r.off, t->name, nl) != 0) {
            vt_error_set(err, VT_EMISMATCH, "checkpoint %s: offset %zu: parameter %u is '%.*s', the model's is '%s'",
                 path, at, i, (int)(nl < 64 ? nl : 64), (const char *)r.p + r.off, t->name);
            goto bad;
        }
        r.off += nl;
        uint32_t nd = get_u32(&r, "ndim");
        int same = nd == (uint32_t)t->ndim;
        uint32_t dims[VT_MAX_DIMS] = {0};
        for (uint32_t d = 0; d < nd && d < VT_MAX_DIMS; d++) dims[d] = get_u32(&r, "dims");
        for (int d = 0; same && d < t->ndim; d++) same = dims[d] == (uint32_t)t->shape[d];
        if (r.bad) goto out;
        if (!same || nd > VT_MAX_DIMS) {
            char s[48];
            vt_error_set(err, VT_EMISMATCH, "checkpoint %s: offset %zu: '%s' has shape %u x %u (%u dims) in the "
                 "file, %s in the model", path, at, t->name, dims[0], dims[1], nd,
                 vt_shape_str(t, s));
            goto bad;
        }
    }
    size_t numel = 0;
    for (uint32_t i = 0; i < np; i++) numel += vt_numel(vt_store_get(store, (int)i));
    if (!need(&r, numel * 4 * (1 + n_slots), "parameter values")) goto out;
    if (r.off + numel * 4 * (1 + n_slots) != r.n) {
        vt_error_set(err, VT_EFORMAT, "checkpoint %s: offset %zu: %zu unexpected bytes after the values", path,
             r.off + numel * 4 * (1 + n_slots), r.n - r.off - numel * 4 * (1 + n_slots));
        goto bad;
    }
    int slots[VT_OPTIM_MAX_SLOTS], have = opt ? vt_optim_state_slots(opt, slots) : 0;
    if (opt && n_slots > 0 &&
        ((uint32_t)have != n_slots || opt_kind != (uint32_t)vt_optim_get_config(opt)->kind)) {
        vt_error_set(err, VT_EMISMATCH, "checkpoint %s: saved by a %s optimizer with %u moment slots; this "
             "one is %s with %d", path, vt_optim_kind_name((vt_optim_kind)opt_kind), n_slots,
             vt_optim_kind_name(vt_optim_get_config(opt)->kind), have);
        goto bad;
    }
    /* Every check passed: now, and only now, overwrite the caller's state. */
    for (uint32_t i = 0; i < np; i++) {
        vt_tensor *t = vt_store_get(store, (int)i);
        get_floats(&r, t->data, vt_numel(t));
    }
    for (uint32_t s = 0; s < n_slots; s++) {
        float *slot = opt ? vt_store_slot(store, slots[s]) : NULL;
        for (uint32_t i = 0; i < np; i++) {
            vt_tensor *t = vt_store_get(store, (int)i);
            if (slot) get_floats(&r, slot + (t->data - vt_store_values(store)), vt_numel(t));
            else r.off += vt_numel(t) * 4;
        }
    }
    if (opt && n_slots > 0) vt_optim_set_step(opt, (long)opt_t, NULL);
    if (state) *state = st;
    free(file);
    return 0;
bad:
out:
    free(file);
    return -1;
}
