/* libFuzzer: IDX files, plain or gzip, through vt_idx_read. */
#include "fuzz_file.h"
#include "vtape/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_as_file(data, size);
    if (!path) return 0;
    vt_idx idx;
    vt_error err;
    if (vt_idx_read(&idx, path, 0, "data", &err) == 0) {
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < idx.size; i += 4096) sink ^= idx.data[i];   /* touch it all */
        vt_idx_free(&idx);
    }
    return 0;
}
