/* IDX reader. The header is checked field by field before anything is allocated, and
 * the payload is read in chunks into a buffer that grows with the bytes actually
 * present, so a header that lies about a short file costs no more memory than the
 * file itself. Gzip and plain files go through data/byte_reader.c, which caps how far
 * a gzip file may expand and refuses bytes after its stream; offsets always count
 * uncompressed bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define CHUNK ((size_t)1 << 20)

typedef struct reader {
    vt_byte_reader *f;
    const char *path;
    const char *what;
    vt_error *err;
} reader;

/* Read up to n bytes; returns the count, short only at end of file or on error. The
 * status (0 at a clean end, else a VT_E* code) lands in *zcode, its message in *zmsg. */
static size_t read_some(reader *r, void *buf, size_t n, int *zcode, const char **zmsg) {
    return vt_byte_reader_read(r->f, buf, n, zcode, zmsg);
}

/* A read of `want` bytes of `field` starting at `start` came back with `got`. */
static int short_read(reader *r, size_t start, size_t want, const char *field, size_t got,
                      int zcode, const char *zmsg) {
    if (zcode != 0 && zcode != VT_ETRUNC)
        return vt_error_set(r->err, zcode, "%s: offset %zu: %s in %s: %s",
                            r->path, start + got, zcode == VT_EIO ? "read error" : "refused",
                            field, zmsg ? zmsg : "unknown");
    return vt_error_set(r->err, VT_ETRUNC,
                        "%s: truncated at offset %zu: expected %zu bytes of %s, got %zu%s%s%s",
                        r->path, start, want, field, got, zcode ? " (gzip: " : "",
                        zcode ? zmsg : "", zcode ? ")" : "");
}

/* Bytes per element of an IDX type code, 0 for a code IDX does not define. */
static int type_size(int type) {
    switch (type) {
    case VT_IDX_U8: case VT_IDX_I8: return 1;
    case VT_IDX_I16: return 2;
    case VT_IDX_I32: case VT_IDX_F32: return 4;
    case VT_IDX_F64: return 8;
    default: return 0;
    }
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int read_header(reader *r, vt_idx *out, int want_ndim) {
    uint8_t magic[4], raw[4 * VT_IDX_MAX_DIMS];
    int zcode;
    const char *zmsg;
    size_t got = read_some(r, magic, 4, &zcode, &zmsg);
    if (got == 0 && zcode == 0)
        return vt_error_set(r->err, VT_ETRUNC,
                            "%s: offset 0: empty file, expected the IDX magic 00 00 <type> <ndim>",
                            r->path);
    if (got < 4) return short_read(r, 0, 4, "IDX magic", got, zcode, zmsg);
    if (magic[0] != 0 || magic[1] != 0)
        return vt_error_set(r->err, VT_EFORMAT,
                            "%s: offset 0: bad magic %02x %02x %02x %02x, expected 00 00 <type> <ndim>"
                            " (is this an IDX file?)",
                            r->path, magic[0], magic[1], magic[2], magic[3]);
    int elem = type_size(magic[2]);
    if (elem == 0)
        return vt_error_set(r->err, VT_EFORMAT,
                            "%s: offset 2: unknown IDX type 0x%02x, expected 0x08 (uint8), 0x09 "
                            "(int8), 0x0b (int16), 0x0c (int32), 0x0d (float32) or 0x0e (float64)",
                            r->path, magic[2]);
    int ndim = magic[3];
    if (want_ndim > 0 && ndim != want_ndim)
        return vt_error_set(r->err, VT_EFORMAT, "%s: offset 3: expected %d dims for %s, found %d",
                            r->path, want_ndim, r->what, ndim);
    if (ndim < 1 || ndim > VT_IDX_MAX_DIMS)
        return vt_error_set(r->err, VT_EFORMAT, "%s: offset 3: expected 1 to %d dims, found %d",
                            r->path, VT_IDX_MAX_DIMS, ndim);

    size_t nraw = 4 * (size_t)ndim;
    got = read_some(r, raw, nraw, &zcode, &zmsg);
    if (got < nraw) return short_read(r, 4, nraw, "dims", got, zcode, zmsg);
    size_t size = (size_t)elem; /* bytes */
    for (int i = 0; i < ndim; i++) {
        uint32_t d = be32(raw + 4 * i);
        size_t off = 4 + 4 * (size_t)i;
        if (d == 0)
            return vt_error_set(r->err, VT_EFORMAT, "%s: offset %zu: dim %d is 0, expected >= 1",
                                r->path, off, i);
        /* Checked before multiplying, so the product can neither overflow nor pass
         * the cap. */
        if (d > VT_IDX_MAX_BYTES / size)
            return vt_error_set(r->err, VT_ETOOBIG,
                                "%s: offset %zu: dim %d = %u makes %s larger than %zu bytes, "
                                "expected at most %zu bytes in total",
                                r->path, off, i, d, r->what, VT_IDX_MAX_BYTES, VT_IDX_MAX_BYTES);
        size *= d;
        out->dims[i] = d;
    }
    if ((uint64_t)size + 4 + nraw > vt_byte_reader_limit(r->f))
        return vt_error_set(r->err, VT_ETOOBIG, "%s: offset 4: the dims declare %zu bytes of %s, "
                            "more than a gzip file of this size may expand to (%llu bytes)",
                            r->path, size, r->what, (unsigned long long)vt_byte_reader_limit(r->f));
    out->ndim = ndim;
    out->type = magic[2];
    out->elem_size = elem;
    out->count = size / (size_t)elem;
    out->size = size;
    out->data_offset = 4 + nraw;
    return VT_OK;
}

static int read_payload(reader *r, vt_idx *out) {
    size_t size = out->size, have = 0, cap = size < CHUNK ? size : CHUNK;
    int zcode = 0;
    const char *zmsg = NULL;
    out->data = malloc(cap);
    if (!out->data) goto nomem;
    while (have < size) {
        if (have == cap) {
            cap = cap * 2 < size ? cap * 2 : size; /* cap <= 2^31: no overflow */
            uint8_t *grown = realloc(out->data, cap);
            if (!grown) goto nomem;
            out->data = grown;
        }
        size_t want = cap - have, got = read_some(r, out->data + have, want, &zcode, &zmsg);
        have += got;
        if (got < want) break;
    }
    if (have < size) return short_read(r, out->data_offset, size, r->what, have, zcode, zmsg);

    /* Reading one byte past the end also checks the gzip trailer (CRC) and that
     * nothing follows the stream. */
    uint8_t extra;
    size_t end = out->data_offset + size;
    if (read_some(r, &extra, 1, &zcode, &zmsg) != 0)
        return vt_error_set(r->err, VT_EFORMAT,
                            "%s: offset %zu: expected end of file after %zu bytes of %s, found more",
                            r->path, end, size, r->what);
    if (zcode != 0)
        return vt_error_set(r->err, zcode == VT_EIO ? VT_EIO : zcode,
                            "%s: offset %zu: bad gzip end after %zu bytes of %s: %s",
                            r->path, end, size, r->what, zmsg ? zmsg : "unknown");
    return VT_OK;
nomem:
    return vt_error_set(r->err, VT_ENOMEM, "%s: offset %zu: out of memory for %zu bytes of %s",
                        r->path, out->data_offset + have, size, r->what);
}

int vt_idx_read(vt_idx *out, const char *path, int want_ndim, const char *what,
                vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!out || !path)
        return vt_error_set(err, VT_EARG, "vt_idx_read: NULL %s", out ? "path" : "output");
    memset(out, 0, sizeof *out);
    reader r = {vt_byte_reader_open(path, err), path, what ? what : "data", err};
    if (!r.f) return err ? err->code : VT_EIO;
    int rc = read_header(&r, out, want_ndim);
    if (rc == VT_OK) rc = read_payload(&r, out);
    vt_byte_reader_close(r.f);
    if (rc != VT_OK) vt_idx_free(out);
    return rc;
}

void vt_idx_free(vt_idx *idx) {
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
