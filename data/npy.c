/* NPY reader. The preamble (magic, version, header length) and the header dict
 * ({'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }) are checked in full
 * before the payload is read, into a buffer that grows with the bytes present. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

typedef struct header {
    const char *path;
    const char *text, *p;   /* the dict, and the parse position */
    size_t base;            /* file offset of text[0] */
    vt_error *err;
} header;

static int bad(header *h, const char *expected) {
    size_t off = h->base + (size_t)(h->p - h->text);
    char near[24];
    size_t k = 0;
    for (const char *q = h->p; *q && *q != '\n' && k + 1 < sizeof near; q++) near[k++] = *q;
    near[k] = '\0';
    return vt_error_set(h->err, VT_EFORMAT, "%s: offset %zu: NPY header: expected %s, found '%s'",
                        h->path, off, expected, near);
}

static void skip_space(header *h) {
    while (*h->p == ' ' || *h->p == '\t' || *h->p == '\n') h->p++;
}

static int expect_char(header *h, char c, const char *what) {
    skip_space(h);
    if (*h->p != c) return bad(h, what);
    h->p++;
    return VT_OK;
}

/* A quoted Python string into buf. */
static int read_string(header *h, char *buf, size_t len, const char *what) {
    skip_space(h);
    char q = *h->p;
    if (q != '\'' && q != '"') return bad(h, what);
    const char *start = ++h->p, *end = strchr(start, q);
    if (!end || (size_t)(end - start) >= len) return bad(h, what);
    memcpy(buf, start, (size_t)(end - start));
    buf[end - start] = '\0';
    h->p = end + 1;
    return VT_OK;
}

/* '<f4', '|u1', '>i8' ...: refuse what is not a plain number with a reason. */
static int parse_descr(header *h, vt_npy *out) {
    skip_space(h);
    if (*h->p == '[') return bad(h, "a plain dtype such as '<f4' (structured dtypes are not "
                                    "supported)");
    const char *at = h->p;
    char d[32];
    if (read_string(h, d, sizeof d, "a dtype string such as '<f4'") != VT_OK) return VT_EFORMAT;
    char order = d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=' ? d[0] : '=';
    const char *t = order == d[0] ? d + 1 : d;
    h->p = at;   /* errors point at the dtype */
    if (t[0] == 'O')
        return bad(h, "a numeric dtype (object arrays hold Python objects, not numbers)");
    char *end = NULL;
    long size = t[0] && strchr("uif", t[0]) && isdigit((unsigned char)t[1]) ? strtol(t + 1, &end, 10) : 0;
    if (!end || *end || !(size == 1 || size == 2 || size == 4 || size == 8) ||
        (t[0] == 'f' && size < 4))
        return bad(h, "dtype u1 i1 u2 i2 u4 i4 u8 i8 f4 or f8");
    out->kind = t[0];
    out->elem_size = (int)size;
    out->big_endian = order == '>';
    h->p = strchr(h->p + 1, h->p[0]) + 1;
    return VT_OK;
}

static int parse_order(header *h) {
    skip_space(h);
    if (!strncmp(h->p, "False", 5)) {
        h->p += 5;
        return VT_OK;
    }
    if (!strncmp(h->p, "True", 4))
        return bad(h, "fortran_order False (save the array in C order: np.ascontiguousarray)");
    return bad(h, "True or False");
}

/* (n, d, ...): every dim >= 1, the total within VT_IDX_MAX_BYTES, checked before any
 * multiplication can overflow. A shape before the dtype is checked as bytes (and again
 * by parse_dict once the element size is known). */
static int parse_shape(header *h, vt_npy *out) {
    if (expect_char(h, '(', "a shape tuple") != VT_OK) return VT_EFORMAT;
    size_t unit = out->elem_size > 0 ? (size_t)out->elem_size : 1, bytes = unit;
    for (out->ndim = 0;;) {
        skip_space(h);
        if (*h->p == ')') break;
        if (out->ndim == VT_NPY_MAX_DIMS) return bad(h, "at most 8 dims");
        if (!isdigit((unsigned char)*h->p)) return bad(h, "a dimension (a non-negative integer)");
        const char *start = h->p;
        unsigned long long d = 0;
        for (; isdigit((unsigned char)*h->p); h->p++)   /* saturates past the cap */
            d = d > VT_IDX_MAX_BYTES ? d : d * 10 + (unsigned)(*h->p - '0');
        if (d == 0) { h->p = start; return bad(h, "dimensions >= 1 (the array is empty)"); }
        if (d > VT_IDX_MAX_BYTES / bytes) {
            h->p = start;
            return vt_error_set(h->err, VT_ETOOBIG, "%s: offset %zu: NPY shape makes the array "
                                "larger than %zu bytes, expected at most that", h->path,
                                h->base + (size_t)(start - h->text), VT_IDX_MAX_BYTES);
        }
        bytes *= (size_t)d;
        out->dims[out->ndim++] = (size_t)d;
        skip_space(h);
        if (*h->p == ',') h->p++;
        else if (*h->p != ')') return bad(h, "',' or ')' in the shape");
    }
    h->p++;
    out->size = bytes;
    out->count = bytes / unit;
    return VT_OK;
}

static int parse_dict(header *h, vt_npy *out) {
    int seen = 0;   /* bits: descr 1, fortran_order 2, shape 4 */
    const char *shape_early = NULL;   /* a shape given before the dtype */
    if (expect_char(h, '{', "'{'") != VT_OK) return VT_EFORMAT;
    for (;;) {
        skip_space(h);
        if (*h->p == '}') break;
        char key[32];
        const char *key_at = h->p;   /* an unknown key's error points at the key */
        int rc = read_string(h, key, sizeof key, "a key: 'descr', 'fortran_order' or 'shape'");
        if (rc == VT_OK) rc = expect_char(h, ':', "':'");
        if (rc != VT_OK) return rc;
        if (!strcmp(key, "descr")) rc = parse_descr(h, out), seen |= 1;
        else if (!strcmp(key, "fortran_order")) rc = parse_order(h), seen |= 2;
        else if (!strcmp(key, "shape")) {
            if (!(seen & 1)) shape_early = h->p;
            rc = parse_shape(h, out), seen |= 4;
        }
        else return h->p = key_at, bad(h, "a key: 'descr', 'fortran_order' or 'shape'");
        if (rc != VT_OK) return rc;
        skip_space(h);
        if (*h->p == ',') h->p++;
        else if (*h->p != '}') return bad(h, "',' or '}'");
    }
    if (seen != 7) return bad(h, "all of 'descr', 'fortran_order' and 'shape' before '}'");
    if (shape_early) {   /* a dict's keys come in any order: size the shape by its dtype */
        const char *end = h->p;
        h->p = shape_early;
        int rc = parse_shape(h, out);
        h->p = end;
        return rc;
    }
    return VT_OK;
}

static int read_header(vt_gzin *in, const char *path, vt_npy *out, vt_error *err) {
    uint8_t pre[12];
    int rc = vt_gzin_read(in, pre, 8, "NPY magic and version", err);
    if (rc != VT_OK) return rc;
    if (memcmp(pre, "\x93NUMPY", 6) != 0)
        return vt_error_set(err, VT_EFORMAT, "%s: offset 0: bad magic, expected \\x93NUMPY "
                            "(is this an NPY file?)", path);
    int major = pre[6], wide = major >= 2;
    if (major < 1 || major > 3)
        return vt_error_set(err, VT_EFORMAT, "%s: offset 6: NPY format version %d.%d, expected "
                            "1.0, 2.0 or 3.0", path, major, pre[7]);
    rc = vt_gzin_read(in, pre + 8, wide ? 4 : 2, "NPY header length", err);
    if (rc != VT_OK) return rc;
    size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (wide) hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    if (hlen > VT_NPY_MAX_HEADER)
        return vt_error_set(err, VT_ETOOBIG, "%s: offset 8: NPY header of %zu bytes, expected "
                            "at most %d", path, hlen, VT_NPY_MAX_HEADER);
    char *text = malloc(hlen + 1);
    if (!text) return vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
    rc = vt_gzin_read(in, text, hlen, "NPY header", err);
    if (rc == VT_OK) {
        text[hlen] = '\0';
        if (strlen(text) != hlen)
            rc = vt_error_set(err, VT_EFORMAT, "%s: offset %zu: NUL byte in the NPY header",
                              path, (size_t)(wide ? 12 : 10) + strlen(text));
    }
    if (rc == VT_OK) {
        header h = {path, text, text, (size_t)(wide ? 12 : 10), err};
        rc = parse_dict(&h, out);
    }
    free(text);
    out->data_offset = vt_gzin_offset(in);
    return rc;
}

int vt_npy_read(vt_npy *out, const char *path, vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!out || !path)
        return vt_error_set(err, VT_EARG, "vt_npy_read: NULL %s", out ? "path" : "output");
    memset(out, 0, sizeof *out);
    vt_gzin *in = vt_gzin_open(path, err);
    if (!in) return err ? err->code : VT_EIO;
    int rc = read_header(in, path, out, err);
    if (rc == VT_OK) rc = vt_gzin_read_payload(in, out->size, "array data", &out->data, err);
    vt_gzin_close(in);
    if (rc != VT_OK) vt_npy_free(out);
    return rc;
}

void vt_npy_free(vt_npy *npy) {
    if (!npy) return;
    free(npy->data);
    memset(npy, 0, sizeof *npy);
}
