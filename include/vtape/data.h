/* vtape data: datasets from IDX, NPY and CSV files (or Fashion-MNIST), validation
 * splits, mini-batches.
 *
 *   vt_error err;
 *   vt_dataset train, test;
 *   if (vt_dataset_load_fashion(&train, &test, VT_FASHION_DIR, &err) != 0)
 *       fprintf(stderr, "%s\n", err.msg);
 *   // or your own data: any IDX, NPY or CSV file, labels optional
 *   vt_dataset mine;
 *   if (vt_dataset_read(&mine, "x.npy", "y.npy", NULL, &err) != 0) ...
 *   vt_batcher_opts o = { .batch_size = 128, .seed = 1, .binarize = VT_BIN_DYNAMIC };
 *   vt_batcher *b = vt_batcher_new(&train, &o, &err);
 *   float *x = malloc(128 * train.dim * sizeof *x);
 *   uint8_t y[128];
 *   for (uint64_t epoch = 0; epoch < 10; epoch++) {
 *       vt_batcher_start_epoch(b, epoch);
 *       size_t rows;
 *       while ((rows = vt_batcher_next(b, x, y)) > 0) { ... }
 *   }
 *
 * Nothing here aborts or exits: every failure returns a negative VT_E* code and
 * fills a vt_error with a message naming the file, the byte offset and what was
 * expected, e.g. "t10k-images-idx3-ubyte.gz: truncated at offset 16: expected 7840000
 * bytes of image data, got 1200". Offsets count bytes of the uncompressed stream.
 * This module does not depend on vtape's tensors. */
#ifndef VTAPE_DATA_H
#define VTAPE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "vtape/core.h"
#include "vtape/error.h"
#include "vtape/names.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define VT_DATA_CLASSES 10               /* Fashion-MNIST labels are 0..9 */
#define VT_DATA_MAX_CLASSES 256          /* labels are uint8_t: at most 256 classes */
#define VT_IDX_MAX_DIMS 8
#define VT_IDX_MAX_BYTES ((size_t)1 << 31) /* larger IDX payloads are refused */

/* ---- IDX files: magic 00 00 <type> <ndim>, ndim big-endian uint32 dims, data ----
 * Plain or gzip (detected by the magic bytes 1f 8b, not by the file name). Elements
 * are big-endian, of one of these types: */
enum { VT_IDX_U8 = 0x08, VT_IDX_I8 = 0x09, VT_IDX_I16 = 0x0B, VT_IDX_I32 = 0x0C,
       VT_IDX_F32 = 0x0D, VT_IDX_F64 = 0x0E };
typedef struct vt_idx {
    int ndim;
    uint32_t dims[VT_IDX_MAX_DIMS];
    int type;             /* VT_IDX_U8 ... VT_IDX_F64 */
    int elem_size;        /* bytes per element: 1, 2, 4 or 8 */
    size_t count;         /* product of dims: elements */
    size_t size;          /* count * elem_size: bytes in data (raw, big-endian) */
    size_t data_offset;   /* where data starts in the file: 4 + 4 * ndim */
    uint8_t *data;        /* malloc'd; free with vt_idx_free */
} vt_idx;

/* Read a whole IDX file. want_ndim > 0 requires exactly that many dims; `what` names
 * the contents in messages ("image data"; NULL: "data"). On error *out is zeroed. */
int vt_idx_read(vt_idx *out, const char *path, int want_ndim, const char *what,
                vt_error *err);
void vt_idx_free(vt_idx *idx);

/* ---- NPY files (NumPy's .npy, format versions 1 to 3; plain or gzip) ----
 * C order only; element types u1 i1 u2 i2 u4 i4 u8 i8 f4 f8, either byte order.
 * Fortran order, object and structured dtypes are refused with a message. */
#define VT_NPY_MAX_DIMS 8
#define VT_NPY_MAX_HEADER 65536          /* longer headers are refused */
typedef struct vt_npy {
    int ndim;                            /* 0 for a scalar */
    size_t dims[VT_NPY_MAX_DIMS];
    char kind;                           /* 'u', 'i' or 'f' */
    int elem_size;                       /* 1, 2, 4 or 8 */
    int big_endian;
    size_t count, size;                  /* elements; bytes in data */
    size_t data_offset;
    uint8_t *data;                       /* malloc'd; free with vt_npy_free */
} vt_npy;
int vt_npy_read(vt_npy *out, const char *path, vt_error *err);
void vt_npy_free(vt_npy *npy);

/* ---- datasets ---- */
typedef struct vt_dataset {
    size_t n;            /* number of examples */
    int height, width;   /* image shape (28 x 28 for Fashion-MNIST); 1 x dim when the
                            examples are not images */
    int dim;             /* values per example */
    float *pixels;       /* n * dim values; example i at pixels + i * dim (images: in
                            [0, 1]; your own data: whatever the file held) */
    uint8_t *labels;     /* n labels in 0..n_classes-1, or NULL without labels */
    int n_classes;       /* 1 + the largest label (10 for Fashion-MNIST), 0 without */
} vt_dataset;

/* ---- your own data: one file of examples, optionally one of labels ----
 * Formats, told apart by their first bytes (gzip-compressed or not):
 *   IDX  n x d1 x ... any element type; n x h x w is an image set
 *   NPY  n x d1 x ...; n x h x w is an image set
 *   CSV  one example per row, comma-separated numbers; an optional header row
 *        (detected when its first field is not a number) and an optional label column
 * uint8 elements (IDX type 0x08, NPY u1) are pixels and divided by 255; every other
 * type is read as it is. Non-finite values are refused. Labels: a 1-D (or n x 1)
 * integer IDX/NPY/CSV file with one label per example, values 0..255. */
typedef struct vt_data_opts {
    int csv_label_col;   /* CSV: column holding the label (0-based), -1: none
                            (the default when opts is NULL), -2: the last one */
} vt_data_opts;
#define VT_CSV_LABEL_LAST (-2)
int vt_dataset_read(vt_dataset *ds, const char *path, const char *labels_path,
                    const vt_data_opts *opts, vt_error *err);
/* A CSV file alone (vt_dataset_read picks it by content). */
int vt_dataset_read_csv(vt_dataset *ds, const char *path, int label_col, vt_error *err);
/* Move round(fraction * n) examples, chosen by `seed`, out of ds into val (both keep
 * their order). fraction in (0, 1); each side keeps at least one example. */
int vt_dataset_split(vt_dataset *ds, vt_dataset *val, double fraction, uint64_t seed,
                     vt_error *err);
/* Smallest and largest value; 1 when every value lies in [0, 1]. */
int vt_dataset_range(const vt_dataset *ds, float *lo, float *hi);

/* Fashion-MNIST style: images n x h x w (any IDX type) and labels 0..9.
 * labels_path may be NULL (images only). On error *ds is zeroed and err filled. */
int vt_dataset_load(vt_dataset *ds, const char *images_path, const char *labels_path,
                    vt_error *err);
/* The four standard Fashion-MNIST files in dir (VT_FASHION_DIR when NULL):
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz; train may be NULL (test set only).
 * On error both are zeroed; a missing directory or file says how to install the set. */
int vt_dataset_load_fashion(vt_dataset *train, vt_dataset *test, const char *dir,
                            vt_error *err);
void vt_dataset_free(vt_dataset *ds);      /* safe on a zeroed dataset */
/* Keep only the first n examples (quick runs); no-op when n >= ds->n. */
void vt_dataset_truncate(vt_dataset *ds, size_t n);
/* "T-shirt/top", "Trouser", ... for label 0..9; "?" otherwise. */
const char *vt_fashion_class_name(int label);

/* ---- mini-batches ---- */
typedef enum vt_binarize {
    VT_BIN_NONE = 0,    /* pixels as they are, in [0, 1] */
    VT_BIN_STATIC,      /* one Bernoulli(x) sample of the whole set, drawn at creation */
    VT_BIN_DYNAMIC,     /* a fresh Bernoulli(x) sample per batch, keyed by
                           (seed, epoch, batch index): reproducible */
    VT_BIN_THRESHOLD,   /* x > 0.5 */
} vt_binarize;
extern const vt_names vt_binarize_names;   /* "none", "static", "dynamic", "threshold" */

typedef struct vt_batcher_opts {
    size_t batch_size;    /* required, >= 1 */
    uint64_t seed;        /* shuffling and binarization */
    int in_order;         /* 1: dataset order, no shuffling (evaluation) */
    int drop_last;        /* 1: skip the last partial batch */
    vt_binarize binarize;
} vt_batcher_opts;

typedef struct vt_batcher vt_batcher;

/* All memory is allocated here; vt_batcher_next never allocates. The dataset must
 * outlive the batcher. Starts at epoch 0. Returns NULL (err filled) on failure. */
vt_batcher *vt_batcher_new(const vt_dataset *ds, const vt_batcher_opts *opts,
                           vt_error *err);
void vt_batcher_free(vt_batcher *b);
/* Rewind and reorder for this epoch: the order depends only on (seed, epoch). */
void vt_batcher_start_epoch(vt_batcher *b, uint64_t epoch);
/* Copy the next batch: rows * dim floats into x, rows labels into labels (either may
 * be NULL; labels are skipped when the dataset has none). x and labels must hold
 * batch_size rows. Returns rows (batch_size, or fewer for the last batch), 0 at the
 * end of the epoch. */
size_t vt_batcher_next(vt_batcher *b, float *x, uint8_t *labels);
/* Copy and binarize the rows on ctx's worker threads (vt_ctx_opts.threads; ctx must
 * outlive b, or call again with NULL). Each row's draws depend on its place in the
 * batch only, so the batch is the same for any thread count. */
void vt_batcher_set_ctx(vt_batcher *b, vt_ctx *ctx);
size_t vt_batcher_batches_per_epoch(const vt_batcher *b);
size_t vt_batcher_batch_size(const vt_batcher *b);

/* out[i * n_classes + c] = (labels[i] == c); out holds n * n_classes floats. */
void vt_one_hot(const uint8_t *labels, size_t n, int n_classes, float *out);

#ifdef __cplusplus
}
#endif
#endif
