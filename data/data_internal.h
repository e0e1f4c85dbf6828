/* Shared by the data module's files; not installed. */
#ifndef VTAPE_DATA_INTERNAL_H
#define VTAPE_DATA_INTERNAL_H

#include <stdint.h>

#include "vtape/data.h"

/* ---- plain or gzip bytes (data/byte_reader.c) ----
 * A gzip file may expand to at most VT_GZIP_MAX_RATIO times its size (or
 * VT_GZIP_FREE_BYTES, whichever is more): real IDX files compress 2-10x; a bomb is
 * refused when it passes the cap, and a header declaring more is refused up front. */
#define VT_GZIP_MAX_RATIO 64u
#define VT_GZIP_FREE_BYTES ((uint64_t)64 << 20)
typedef struct vt_byte_reader vt_byte_reader;
vt_byte_reader *vt_byte_reader_open(const char *path, vt_error *err);
/* Up to n bytes; fewer only at the end or on error. *status: 0 (a clean end when
 * short), or VT_ETRUNC (stream cut short), VT_EFORMAT (bytes after the gzip stream),
 * VT_ETOOBIG (past the cap), VT_EIO (read or gzip stream error); *msg says more. */
size_t vt_byte_reader_read(vt_byte_reader *r, void *buf, size_t n, int *status, const char **msg);
/* Most bytes the file may give (UINT64_MAX for a plain file). */
uint64_t vt_byte_reader_limit(const vt_byte_reader *r);
uint64_t vt_byte_reader_compressed_offset(const vt_byte_reader *r);
void vt_byte_reader_close(vt_byte_reader *r);

/* splitmix64: a tiny generator whose whole state is one counter, so a stream is fully
 * determined by the key it starts from. Keys are derived by hashing (seed, ids...). */
#define VT_GOLDEN64 0x9e3779b97f4a7c15ull

static inline uint64_t vt_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A key for the stream named by (seed, a, b, c); each id goes through the mixer so
 * nearby ids (epoch 1 vs 2) give unrelated streams. */
static inline uint64_t vt_stream_key(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
    uint64_t h = vt_mix64(seed + VT_GOLDEN64);
    h = vt_mix64(h ^ (a + VT_GOLDEN64));
    h = vt_mix64(h ^ (b + VT_GOLDEN64));
    return vt_mix64(h ^ (c + VT_GOLDEN64));
}

static inline uint64_t vt_splitmix64(uint64_t *state) {
    *state += VT_GOLDEN64;
    return vt_mix64(*state);
}

/* Uniform in [0, 1) with 24 bits: exactly representable as float. */
static inline float vt_uniform01(uint64_t *state) {
    return (float)(vt_splitmix64(state) >> 40) * 0x1p-24f;
}

/* ---- typed elements (data/elements.c) ---- */
/* Raw elements as stored in a file: kind 'u', 'i' or 'f', size bytes each. */
typedef struct vt_elems {
    const uint8_t *data;
    size_t count;
    char kind;
    int size;
    int big_endian;
} vt_elems;

/* The elements of an IDX file (big-endian). */
static inline vt_elems vt_idx_elems(const vt_idx *idx) {
    char kind = idx->type == VT_IDX_U8 ? 'u' : idx->type >= VT_IDX_F32 ? 'f' : 'i';
    return (vt_elems){idx->data, idx->count, kind, idx->elem_size, 1};
}

/* Element i as a double. */
double vt_elem_at(const vt_elems *e, size_t i);
/* Every element divided by `divisor` into out (count floats). Returns the index of the first
 * element that is not finite (or overflows a float), or e->count when all are fine. */
size_t vt_elems_to_float(const vt_elems *e, float divisor, float *out);
/* Every element as a label 0..255 into out. Returns the index of the first element
 * that is not an integer in that range, or e->count. */
size_t vt_elems_to_labels(const vt_elems *e, uint8_t *out);

/* ---- gzip-or-plain reading with offsets (data/gzio.c) ---- */
typedef struct vt_gzin vt_gzin;
/* Open for reading; NULL with err filled ("path: offset 0: cannot open: ..."). */
vt_gzin *vt_gzin_open(const char *path, vt_error *err);
void vt_gzin_close(vt_gzin *in);
/* Exactly n bytes of `field`, or VT_ETRUNC / VT_EIO naming path, offset and field. */
int vt_gzin_read(vt_gzin *in, void *buf, size_t n, const char *field, vt_error *err);
/* The next `size` bytes of `field` into a buffer that grows with the bytes actually
 * present (a header lying about a short file costs no more than the file), then
 * checks that the file ends there. *out is malloc'd; NULL on error. */
int vt_gzin_read_payload(vt_gzin *in, size_t size, const char *field, uint8_t **out,
                         vt_error *err);
/* Everything left, up to `cap` bytes (more is VT_ETOOBIG), NUL-terminated. */
int vt_gzin_read_rest(vt_gzin *in, size_t cap, char **out, size_t *len, vt_error *err);
/* Bytes consumed so far (uncompressed). */
size_t vt_gzin_offset(const vt_gzin *in);

#endif
