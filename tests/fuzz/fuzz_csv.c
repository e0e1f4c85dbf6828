/* libFuzzer harness: arbitrary bytes as a CSV file through vt_dataset_read (format
 * detection included, so IDX and gzip paths are reached too), then the split. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_csv.c \
 *         data/[a-z]*.c core/error.c -lz -lm -o fuzz_csv
 * The readers must return an error or a dataset, never crash, leak or read out of
 * bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtape/data.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/vtape-fuzz-csv-%d.csv", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    vt_dataset ds, val;
    vt_error err;
    vt_data_opts o = {.csv_label_col = size % 3 == 0 ? VT_CSV_LABEL_LAST : -1};
    if (vt_dataset_read(&ds, path, NULL, &o, &err) == VT_OK) {
        if (vt_dataset_split(&ds, &val, 0.5, size, &err) == VT_OK) vt_dataset_free(&val);
        vt_dataset_free(&ds);
    }
    return 0;
}
