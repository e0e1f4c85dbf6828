/* gzip-or-plain input for the NPY and CSV readers: zlib's gzopen reads both (a gzip
 * stream is recognised by its magic bytes), offsets count uncompressed bytes, and
 * every failure names the file, the offset and what was being read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data_internal.h"

#define CHUNK ((size_t)1 << 20)

struct vt_gzin {
    gzFile f;
    const char *path;
    size_t offset;
};

vt_gzin *vt_gzin_open(const char *path, vt_error *err) {
    vt_gzin *in = calloc(1, sizeof *in);
    if (!in) {
        vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    errno = 0;
    in->f = gzopen(path, "rb");
    in->path = path;
    if (!in->f) {
        vt_error_set(err, VT_EIO, "%s: offset 0: cannot open: %s", path,
                     errno ? strerror(errno) : "out of memory");
        free(in);
        return NULL;
    }
    gzbuffer(in->f, 1u << 17);
    return in;
}

void vt_gzin_close(vt_gzin *in) {
    if (!in) return;
    gzclose(in->f);
    free(in);
}

size_t vt_gzin_offset(const vt_gzin *in) { return in->offset; }

/* Up to n bytes; short only at the end of the stream or on an error, whose zlib
 * message (without zlib's own "path: " prefix) lands in *why, NULL at a clean end. */
static size_t read_some(vt_gzin *in, void *buf, size_t n, const char **why) {
    size_t got = 0;
    *why = NULL;
    while (got < n) {
        size_t want = n - got < CHUNK ? n - got : CHUNK;
        int k = gzread(in->f, (char *)buf + got, (unsigned)want);
        if (k <= 0) {
            int code;
            const char *msg = gzerror(in->f, &code);
            if (code == Z_BUF_ERROR) *why = "gzip: unexpected end of stream";
            else if (code != Z_OK && code != Z_STREAM_END) {
                size_t plen = strlen(in->path);
                if (msg && !strncmp(msg, in->path, plen) && !strncmp(msg + plen, ": ", 2))
                    msg += plen + 2;
                *why = msg ? msg : "read error";
            }
            break;
        }
        got += (size_t)k;
    }
    in->offset += got;
    return got;
}

static int short_read(vt_gzin *in, size_t start, size_t want, size_t got, const char *field,
                      const char *why, vt_error *err) {
    if (why && strncmp(why, "gzip: unexpected", 16) != 0)
        return vt_error_set(err, VT_EIO, "%s: offset %zu: read error in %s: %s", in->path,
                            start + got, field, why);
    return vt_error_set(err, VT_ETRUNC, "%s: truncated at offset %zu: expected %zu bytes of %s, "
                        "got %zu%s%s%s", in->path, start, want, field, got, why ? " (" : "",
                        why ? why : "", why ? ")" : "");
}

int vt_gzin_read(vt_gzin *in, void *buf, size_t n, const char *field, vt_error *err) {
    size_t start = in->offset;
    const char *why;
    size_t got = read_some(in, buf, n, &why);
    return got == n ? VT_OK : short_read(in, start, n, got, field, why, err);
}

/* After the last expected byte: the stream must end, and end cleanly (the gzip
 * trailer's CRC is checked when zlib reaches it). */
static int expect_end(vt_gzin *in, const char *field, vt_error *err) {
    uint8_t extra;
    const char *why;
    size_t end = in->offset;
    if (read_some(in, &extra, 1, &why) != 0)
        return vt_error_set(err, VT_EFORMAT, "%s: offset %zu: expected end of file after %s, "
                            "found more", in->path, end, field);
    if (why)
        return vt_error_set(err, VT_EIO, "%s: offset %zu: after %s: %s", in->path, end, field, why);
    return VT_OK;
}

int vt_gzin_read_payload(vt_gzin *in, size_t size, const char *field, uint8_t **out,
                         vt_error *err) {
    size_t start = in->offset, have = 0, cap = size < CHUNK ? size : CHUNK;
    const char *why = NULL;
    uint8_t *buf = malloc(cap ? cap : 1);
    int nomem = !buf, rc;
    while (!nomem && have < size) {
        if (have == cap) {
            size_t grown_cap = cap > size / 2 ? size : cap * 2;
            uint8_t *grown = realloc(buf, grown_cap);
            nomem = !grown;
            if (nomem) break;
            buf = grown, cap = grown_cap;
        }
        size_t want = cap - have, got = read_some(in, buf + have, want, &why);
        have += got;
        if (got < want) break;
    }
    if (nomem)
        rc = vt_error_set(err, VT_ENOMEM, "%s: offset %zu: out of memory for %zu bytes of %s",
                          in->path, start + have, size, field);
    else if (have < size) rc = short_read(in, start, size, have, field, why, err);
    else rc = expect_end(in, field, err);
    if (rc != VT_OK) {
        free(buf);
        buf = NULL;
    }
    *out = buf;
    return rc;
}

int vt_gzin_read_rest(vt_gzin *in, size_t cap_bytes, char **out, size_t *len, vt_error *err) {
    size_t have = 0, cap = 1 << 16;
    const char *why = NULL;
    char *buf = malloc(cap + 1);
    *out = NULL;
    *len = 0;
    while (buf) {
        size_t got = read_some(in, buf + have, cap - have, &why);
        have += got;
        if (have < cap) break;
        if (cap >= cap_bytes) {
            free(buf);
            return vt_error_set(err, VT_ETOOBIG, "%s: offset %zu: file larger than %zu bytes, "
                                "expected at most that", in->path, have, cap_bytes);
        }
        size_t next = cap * 2 < cap_bytes ? cap * 2 : cap_bytes;
        char *grown = realloc(buf, next + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown, cap = next;
    }
    if (!buf)
        return vt_error_set(err, VT_ENOMEM, "%s: offset %zu: out of memory", in->path, have);
    if (why) {
        free(buf);
        return short_read(in, 0, have + 1, have, "text", why, err);
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    return VT_OK;
}
