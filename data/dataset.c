/* Datasets: an images IDX file (n x height x width, any element type; uint8 pixels are
 * divided by 255) and an optional labels IDX file (n integers in 0..9), checked against
 * each other and turned into floats. */
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data_internal.h"
#include "core/pages.h"

static int check_labels(const vt_idx *lab, const vt_idx *img, const char *labels_path,
                        const char *images_path, vt_error *err) {
    if (lab->dims[0] != img->dims[0])
        return vt_error_set(err, VT_EMISMATCH,
                            "%s: offset 4: expected %u labels, one per image in %s, found %u",
                            labels_path, img->dims[0], images_path, lab->dims[0]);
    vt_elems e = vt_idx_elems(lab);
    for (size_t i = 0; i < lab->count; i++) {
        double v = vt_elem_at(&e, i);
        if (!(v >= 0 && v < VT_DATA_CLASSES) || v != (int)v)
            return vt_error_set(err, VT_ELABEL,
                                "%s: offset %zu: label %g out of range, expected 0..%d",
                                labels_path, lab->data_offset + i * (size_t)lab->elem_size, v,
                                VT_DATA_CLASSES - 1);
        lab->data[i] = (uint8_t)v;   /* narrowed in place: element i ends before i + 1 */
    }
    return VT_OK;
}

int vt_dataset_load(vt_dataset *ds, const char *images_path, const char *labels_path,
                    vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!ds || !images_path)
        return vt_error_set(err, VT_EARG, "vt_dataset_load: NULL %s",
                            ds ? "images path" : "dataset");
    memset(ds, 0, sizeof *ds);
    vt_idx img, lab = {0};
    int rc = vt_idx_read(&img, images_path, 3, "image data", err);
    if (rc != VT_OK) return rc;
    if (labels_path) {
        rc = vt_idx_read(&lab, labels_path, 1, "label data", err);
        if (rc == VT_OK) rc = check_labels(&lab, &img, labels_path, images_path, err);
        if (rc != VT_OK) goto done;
    }
    /* The IDX cap bounds the file; an int-sized image keeps `dim` usable as a tensor
     * shape. */
    if ((size_t)img.dims[1] * img.dims[2] > INT_MAX) {
        rc = vt_error_set(err, VT_ETOOBIG,
                          "%s: offset 8: images of %u x %u pixels, expected at most %d pixels each",
                          images_path, img.dims[1], img.dims[2], INT_MAX);
        goto done;
    }
    ds->pixels = malloc(img.count * sizeof *ds->pixels);
    if (!ds->pixels) {
        rc = vt_error_set(err, VT_ENOMEM, "%s: offset %zu: out of memory for %zu pixels",
                          images_path, img.data_offset, img.count);
        goto done;
    }
    vt_prefer_huge_pages(ds->pixels, img.count * sizeof *ds->pixels);
    vt_elems e = vt_idx_elems(&img);
    size_t bad = vt_elems_to_float(&e, img.type == VT_IDX_U8 ? 255.0f : 1.0f, ds->pixels);
    if (bad < img.count) {
        rc = vt_error_set(err, VT_ENONFINITE, "%s: offset %zu: pixel %zu is %g, expected a "
                          "finite float", images_path, img.data_offset + bad * (size_t)img.elem_size,
                          bad, vt_elem_at(&e, bad));
        goto done;
    }
    ds->n = img.dims[0];
    ds->height = (int)img.dims[1];
    ds->width = (int)img.dims[2];
    ds->dim = ds->height * ds->width;
    ds->labels = lab.data; /* ownership moves to the dataset */
    ds->n_classes = lab.data ? VT_DATA_CLASSES : 0;
    lab.data = NULL;
done:
    vt_idx_free(&img);
    vt_idx_free(&lab);
    if (rc != VT_OK) vt_dataset_free(ds);
    return rc;
}

#define INSTALL_HINT "install it with `apt-get install dataset-fashion-mnist` or give its directory"

int vt_dataset_load_fashion(vt_dataset *train, vt_dataset *test, const char *dir,
                            vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!test) return vt_error_set(err, VT_EARG, "vt_dataset_load_fashion: NULL test dataset");
    if (train) memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (!dir) dir = VT_FASHION_DIR;
    struct stat st;
    int rc = stat(dir, &st);
    if (rc != 0 || !S_ISDIR(st.st_mode))
        return vt_error_set(err, VT_EIO, "data directory %s: %s; %s", dir,
                            rc != 0 ? strerror(errno) : "not a directory", INSTALL_HINT);
    static const char *const prefix[2] = {"train", "t10k"};
    vt_dataset *out[2] = {train, test};
    for (int s = 0; s < 2; s++) {
        if (!out[s]) continue;
        char images[4096], labels[4096];
        int a = snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix[s]);
        int b = snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix[s]);
        if (a < 0 || b < 0 || (size_t)a >= sizeof images || (size_t)b >= sizeof labels) {
            vt_dataset_free(train);
            return vt_error_set(err, VT_EARG, "%s: directory name too long", dir);
        }
        rc = vt_dataset_load(out[s], images, labels, err);
        if (rc != VT_OK) {
            vt_dataset_free(train);
            if (rc == VT_EIO && err) {
                size_t n = strlen(err->msg);
                snprintf(err->msg + n, sizeof err->msg - n, " (%s)", INSTALL_HINT);
            }
            return rc;
        }
    }
    return VT_OK;
}

void vt_dataset_free(vt_dataset *ds) {
    if (!ds) return;
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

void vt_dataset_truncate(vt_dataset *ds, size_t n) {
    if (!ds || n >= ds->n) return;
    ds->n = n;
    if (n == 0) return; /* keep the buffers; realloc(p, 0) is implementation-defined */
    /* Give the memory back; a failed shrink keeps the old, larger block. */
    float *px = realloc(ds->pixels, n * (size_t)ds->dim * sizeof *px);
    if (px) ds->pixels = px;
    if (ds->labels) {
        uint8_t *lb = realloc(ds->labels, n);
        if (lb) ds->labels = lb;
    }
}

const char *vt_fashion_class_name(int label) {
    static const char *const names[VT_DATA_CLASSES] = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return label >= 0 && label < VT_DATA_CLASSES ? names[label] : "?";
}
