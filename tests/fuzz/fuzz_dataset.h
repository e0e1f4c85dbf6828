/* The body of the data-set harnesses (fuzz_npy.c, fuzz_csv.c): arbitrary bytes as a
 * file through vt_dataset_read, whose format detection reaches the NPY, CSV, IDX and
 * gzip readers alike, then the split. The two harnesses differ only in their seed
 * corpora (make_seeds.c) and regression inputs (regress/npy, regress/csv). The readers
 * must return an error or a data set, never crash, leak or read out of bounds. */
#ifndef VT_FUZZ_DATASET_H
#define VT_FUZZ_DATASET_H
#include "fuzz_file.h"
#include "vtape/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_as_file(data, size);
    if (!path) return 0;
    vt_dataset ds, val;
    vt_error err;
    vt_data_opts o = {.csv_label_col = size % 3 == 0 ? VT_CSV_LABEL_LAST : -1};
    if (vt_dataset_read(&ds, path, NULL, &o, &err) == VT_OK) {
        if (vt_dataset_split(&ds, &val, 0.5, size, &err) == VT_OK) vt_dataset_free(&val);
        vt_dataset_free(&ds);
    }
    return 0;
}
#endif
