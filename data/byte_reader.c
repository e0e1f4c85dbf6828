/* Bytes of a plain or gzip file (told apart by the magic 1f 8b), inflated by hand so
 * that what zlib's gz* functions forgive is refused: bytes after the gzip stream that
 * are not another gzip member, and an expansion no real data file needs (a gzip bomb
 * fails after at most the cap, not after gigabytes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data_internal.h"

#define IN_CHUNK ((size_t)1 << 17)

struct vt_byte_reader {
    FILE *f;
    int gz, stream_end, in_eof;
    z_stream zs;
    uint64_t file_bytes, out_bytes, limit;
    unsigned char in[IN_CHUNK];
};

static int fill(vt_byte_reader *r) {
    if (r->zs.avail_in > 0 || r->in_eof) return 0;
    size_t n = fread(r->in, 1, IN_CHUNK, r->f);
    if (n < IN_CHUNK) {
        if (ferror(r->f)) return -1;
        r->in_eof = 1;
    }
    r->zs.next_in = r->in;
    r->zs.avail_in = (uInt)n;
    return 0;
}

vt_byte_reader *vt_byte_reader_open(const char *path, vt_error *err) {
    vt_byte_reader *r = calloc(1, sizeof *r);
    if (!r) return vt_error_set(err, VT_ENOMEM, "%s: out of memory", path), NULL;
    struct stat sb;
    errno = 0;
    r->f = fopen(path, "rb");
    if (!r->f || fstat(fileno(r->f), &sb) != 0) {
        vt_error_set(err, VT_EIO, "%s: offset 0: cannot open: %s", path,
                     errno ? strerror(errno) : "out of memory");
        vt_byte_reader_close(r);
        return NULL;
    }
    r->file_bytes = (uint64_t)sb.st_size;
    unsigned char m[2];
    size_t n = fread(m, 1, 2, r->f);
    rewind(r->f);
    r->gz = n == 2 && m[0] == 0x1f && m[1] == 0x8b;
    r->limit = UINT64_MAX;
    if (r->gz) {
        r->limit = r->file_bytes * VT_GZIP_MAX_RATIO;
        if (r->limit < VT_GZIP_FREE_BYTES) r->limit = VT_GZIP_FREE_BYTES;
        if (inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK) {
            vt_error_set(err, VT_ENOMEM, "%s: out of memory for the gzip decoder", path);
            r->gz = 0;
            vt_byte_reader_close(r);
            return NULL;
        }
    }
    return r;
}

uint64_t vt_byte_reader_limit(const vt_byte_reader *r) { return r->limit; }
uint64_t vt_byte_reader_compressed_offset(const vt_byte_reader *r) {
    return r->gz ? r->zs.total_in : r->out_bytes;
}

/* After a gzip member: only another member (1f 8b) or the end of the file may follow. */
static int after_member(vt_byte_reader *r, const char **msg) {
    if (fill(r) != 0) return *msg = "read error", VT_EIO;
    if (r->zs.avail_in == 0) {
        r->stream_end = 1;
        return 0;
    }
    if (r->zs.next_in[0] != 0x1f || (r->zs.avail_in > 1 && r->zs.next_in[1] != 0x8b)) {
        *msg = "bytes after the end of the gzip stream";
        return VT_EFORMAT;
    }
    inflateReset(&r->zs);
    return 0;
}

static size_t read_gz(vt_byte_reader *r, unsigned char *buf, size_t n, int *status,
                      const char **msg) {
    size_t got = 0;
    while (got < n && !r->stream_end) {
        if (fill(r) != 0) { *status = VT_EIO, *msg = "read error"; break; }
        size_t want = n - got < (1u << 30) ? n - got : (1u << 30);
        r->zs.next_out = buf + got;
        r->zs.avail_out = (uInt)want;
        int z = inflate(&r->zs, Z_NO_FLUSH);
        size_t made = want - r->zs.avail_out;
        got += made;
        r->out_bytes += made;
        if (r->out_bytes > r->limit) {
            *status = VT_ETOOBIG, *msg = "gzip data expands beyond its cap (a gzip bomb?)";
            break;
        }
        if (z == Z_STREAM_END) {
            if ((*status = after_member(r, msg)) != 0) break;
        } else if (z == Z_BUF_ERROR && r->zs.avail_in == 0 && r->in_eof) {
            *status = VT_ETRUNC, *msg = "unexpected end of stream";
            break;
        } else if (z != Z_OK && z != Z_BUF_ERROR) {
            *status = z == Z_MEM_ERROR ? VT_ENOMEM : VT_EIO;   /* a gzip stream error */
            *msg = r->zs.msg ? r->zs.msg : "corrupt gzip data";
            break;
        }
    }
    return got;
}

size_t vt_byte_reader_read(vt_byte_reader *r, void *buf, size_t n, int *status, const char **msg) {
    *status = 0;
    *msg = NULL;
    if (!r->gz) {
        size_t got = fread(buf, 1, n, r->f);
        if (got < n && ferror(r->f)) *status = VT_EIO, *msg = strerror(errno);
        r->out_bytes += got;
        return got;
    }
    return read_gz(r, buf, n, status, msg);
}

void vt_byte_reader_close(vt_byte_reader *r) {
    if (!r) return;
    if (r->gz) inflateEnd(&r->zs);
    if (r->f) fclose(r->f);
    free(r);
}
