/* Your own data: a file of examples (IDX, NPY or CSV, told apart by content) and an
 * optional file of labels, turned into a vt_dataset. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

typedef enum { FMT_IDX, FMT_NPY, FMT_CSV } file_format;

/* An n x d1 x ... array read from a file, whatever its format. */
typedef struct array {
    const char *path;
    int ndim;
    size_t dims[VT_NPY_MAX_DIMS];
    vt_elems elems;
    size_t data_offset;
    vt_idx idx;             /* whichever of these holds the memory */
    vt_npy npy;
    vt_dataset csv;
} array;

static int sniff(const char *path, file_format *fmt, vt_error *err) {
    vt_gzin *in = vt_gzin_open(path, err);
    if (!in) return err ? err->code : VT_EIO;
    uint8_t head[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    vt_error ignore;
    vt_gzin_read(in, head, sizeof head, "magic", &ignore);   /* short files: CSV decides */
    vt_gzin_close(in);
    *fmt = !memcmp(head, "\x93NUMPY", 6) ? FMT_NPY
         : head[0] == 0 && head[1] == 0   ? FMT_IDX : FMT_CSV;
    return VT_OK;
}

static void array_free(array *a) {
    vt_idx_free(&a->idx);
    vt_npy_free(&a->npy);
    vt_dataset_free(&a->csv);
}

static int array_read(array *a, const char *path, int csv_label_col, vt_error *err) {
    memset(a, 0, sizeof *a);
    a->path = path;
    file_format fmt;
    int rc = sniff(path, &fmt, err);
    if (rc != VT_OK) return rc;
    if (fmt == FMT_IDX) {
        if ((rc = vt_idx_read(&a->idx, path, 0, "data", err)) != VT_OK) return rc;
        a->ndim = a->idx.ndim;
        for (int i = 0; i < a->ndim; i++) a->dims[i] = a->idx.dims[i];
        a->elems = vt_idx_elems(&a->idx);
        a->data_offset = a->idx.data_offset;
    } else if (fmt == FMT_NPY) {
        if ((rc = vt_npy_read(&a->npy, path, err)) != VT_OK) return rc;
        a->ndim = a->npy.ndim;
        memcpy(a->dims, a->npy.dims, sizeof a->dims);
        a->elems = (vt_elems){a->npy.data, a->npy.count, a->npy.kind, a->npy.elem_size,
                              a->npy.big_endian};
        a->data_offset = a->npy.data_offset;
    } else {
        if ((rc = vt_dataset_read_csv(&a->csv, path, csv_label_col, err)) != VT_OK) return rc;
        a->ndim = 2;
        a->dims[0] = a->csv.n, a->dims[1] = (size_t)a->csv.dim;
        a->elems = (vt_elems){(const uint8_t *)a->csv.pixels, a->csv.n * (size_t)a->csv.dim, 'f',
                              4, 0};
    }
    if (a->ndim < 1)
        return vt_error_set(err, VT_EFORMAT, "%s: a scalar, expected an array with one row per "
                            "example", path);
    return VT_OK;
}

/* Image shape of one example: n x h x w, n x 1 x h x w or n x h x w x 1; else 1 x dim. */
static void example_shape(const array *a, vt_dataset *ds) {
    const size_t *d = a->dims;
    size_t h = 1, w = (size_t)ds->dim;
    if (a->ndim == 3) h = d[1], w = d[2];
    else if (a->ndim == 4 && d[1] == 1) h = d[2], w = d[3];
    else if (a->ndim == 4 && d[3] == 1) h = d[1], w = d[2];
    ds->height = (int)h;
    ds->width = (int)w;
}

static int array_to_examples(array *a, vt_dataset *ds, vt_error *err) {
    size_t dim = 1;
    for (int i = 1; i < a->ndim; i++) dim *= a->dims[i];   /* bounded by the byte cap */
    if (dim > INT_MAX)
        return vt_error_set(err, VT_ETOOBIG, "%s: examples of %zu values, expected at most %d",
                            a->path, dim, INT_MAX);
    ds->n = a->dims[0];
    ds->dim = (int)dim;
    example_shape(a, ds);
    if (a->csv.pixels) {   /* already floats: take them over */
        ds->pixels = a->csv.pixels;
        ds->labels = a->csv.labels;
        ds->n_classes = a->csv.n_classes;
        a->csv = (vt_dataset){0};
        return VT_OK;
    }
    ds->pixels = malloc(a->elems.count * sizeof *ds->pixels);
    if (!ds->pixels)
        return vt_error_set(err, VT_ENOMEM, "%s: out of memory for %zu values", a->path,
                            a->elems.count);
    int pixels = a->elems.kind == 'u' && a->elems.size == 1;
    size_t bad = vt_elems_to_float(&a->elems, pixels ? 255.0f : 1.0f, ds->pixels);
    if (bad < a->elems.count)
        return vt_error_set(err, VT_ENONFINITE, "%s: offset %zu: example %zu, value %zu is %g, "
                            "expected a finite float", a->path,
                            a->data_offset + bad * (size_t)a->elems.size, bad / dim, bad % dim,
                            vt_elem_at(&a->elems, bad));
    return VT_OK;
}

static int read_labels(vt_dataset *ds, const char *path, const char *examples_path, vt_error *err) {
    array a;
    int rc = array_read(&a, path, -1, err);
    if (rc == VT_OK && (a.ndim > 2 || (a.ndim == 2 && a.dims[1] != 1)))
        rc = vt_error_set(err, VT_EFORMAT, "%s: %d dims, expected one label per example (n or "
                          "n x 1)", path, a.ndim);
    if (rc == VT_OK && a.dims[0] != ds->n)
        rc = vt_error_set(err, VT_EMISMATCH, "%s: %zu labels, expected %zu, one per example in %s",
                          path, a.dims[0], ds->n, examples_path);
    if (rc == VT_OK && !(ds->labels = malloc(ds->n)))
        rc = vt_error_set(err, VT_ENOMEM, "%s: out of memory", path);
    if (rc == VT_OK) {
        size_t bad = vt_elems_to_labels(&a.elems, ds->labels);
        if (bad < a.elems.count)
            rc = vt_error_set(err, VT_ELABEL, "%s: offset %zu: label %zu is %g, expected an "
                              "integer 0..%d", path, a.data_offset + bad * (size_t)a.elems.size,
                              bad, vt_elem_at(&a.elems, bad), VT_DATA_MAX_CLASSES - 1);
        for (size_t i = 0; rc == VT_OK && i < ds->n; i++)
            if (ds->labels[i] >= ds->n_classes) ds->n_classes = ds->labels[i] + 1;
    }
    array_free(&a);
    return rc;
}

int vt_dataset_read(vt_dataset *ds, const char *path, const char *labels_path,
                    const vt_data_opts *opts, vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!ds || !path)
        return vt_error_set(err, VT_EARG, "vt_dataset_read: NULL %s", ds ? "path" : "dataset");
    memset(ds, 0, sizeof *ds);
    int label_col = opts ? opts->csv_label_col : -1;
    array a;
    int rc = array_read(&a, path, label_col, err);
    if (rc == VT_OK) rc = array_to_examples(&a, ds, err);
    array_free(&a);
    if (rc == VT_OK && labels_path && ds->labels)
        rc = vt_error_set(err, VT_EARG, "%s: labels given twice: a label column and %s", path,
                          labels_path);
    if (rc == VT_OK && labels_path) rc = read_labels(ds, labels_path, path, err);
    if (rc != VT_OK) vt_dataset_free(ds);
    return rc;
}
