/* libFuzzer: the gzip layer alone (data/byte_reader.c), read in odd-sized pieces. */
#include "fuzz_file.h"
#include "data/data_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_as_file(data, size);
    if (!path) return 0;
    vt_error err;
    vt_byte_reader *r = vt_byte_reader_open(path, &err);
    if (!r) return 0;
    static uint8_t buf[1 << 16];
    size_t piece = 1 + (size ? data[0] % 97 : 0);
    for (;;) {
        int status;
        const char *msg;
        size_t got = vt_byte_reader_read(r, buf, piece, &status, &msg);
        if (got < piece || status != 0) break;
        piece = piece * 3 % sizeof buf + 1;
    }
    vt_byte_reader_close(r);
    return 0;
}
