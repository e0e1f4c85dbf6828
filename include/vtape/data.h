/* vtape data: IDX files (MNIST / Fashion-MNIST format), datasets, mini-batches.
 *
 *   vt_error err;
 *   vt_dataset train, test;
 *   if (vt_dataset_load_fashion(&train, &test, VT_FASHION_DIR, &err) != 0)
 *       fprintf(stderr, "%s\n", err.msg);
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

#include "vtape/error.h"
#include "vtape/names.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_FASHION_DIR "/usr/share/datasets/fashion-mnist"
#define VT_DATA_CLASSES 10               /* labels are 0..9 */
#define VT_IDX_MAX_DIMS 4
#define VT_IDX_MAX_BYTES ((size_t)1 << 31) /* larger IDX payloads are refused */


/* ---- IDX files: magic 00 00 <type> <ndim>, ndim big-endian uint32 dims, data ----
 * Plain or gzip (detected by the magic bytes 1f 8b, not by the file name). Only type
 * 0x08 (unsigned byte) is supported. */
typedef struct vt_idx {
    int ndim;
    uint32_t dims[VT_IDX_MAX_DIMS];
    size_t size;          /* product of dims: bytes in data */
    size_t data_offset;   /* where data starts in the file: 4 + 4 * ndim */
    uint8_t *data;        /* malloc'd; free with vt_idx_free */
} vt_idx;

/* Read a whole IDX file. want_ndim > 0 requires exactly that many dims; `what` names
 * the contents in messages ("image data"; NULL: "data"). On error *out is zeroed. */
int vt_idx_read(vt_idx *out, const char *path, int want_ndim, const char *what,
                vt_error *err);
void vt_idx_free(vt_idx *idx);

/* ---- datasets ---- */
typedef struct vt_dataset {
    size_t n;            /* number of examples */
    int height, width;   /* 28 x 28 for (Fashion-)MNIST */
    int dim;             /* height * width */
    float *pixels;       /* n * dim floats in [0, 1]; example i at pixels + i * dim */
    uint8_t *labels;     /* n labels in 0..9, or NULL when loaded without labels */
} vt_dataset;

/* labels_path may be NULL (images only). On error *ds is zeroed and err filled. */
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
size_t vt_batcher_batches_per_epoch(const vt_batcher *b);
size_t vt_batcher_batch_size(const vt_batcher *b);

/* out[i * n_classes + c] = (labels[i] == c); out holds n * n_classes floats. */
void vt_one_hot(const uint8_t *labels, size_t n, int n_classes, float *out);

#ifdef __cplusplus
}
#endif
#endif
