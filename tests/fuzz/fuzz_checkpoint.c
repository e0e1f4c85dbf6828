/* libFuzzer: checkpoints through inspect, notes, config and a load into a small model
 * with an Adam optimizer (the seed is a checkpoint of exactly that model). */
#include "fuzz_file.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "vtape/checkpoint.h"

static vt_store *store;
static vt_optim *opt;

static void setup(void) {
    store = vt_store_new();
    vt_store_param(store, "enc.W", 2, (int[]){3, 4}, NULL);
    vt_store_param(store, "enc.b", 2, (int[]){1, 4}, NULL);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    opt = vt_optim_new(store, &oc, NULL);
}

static void read_all(const uint8_t *data, size_t size);

/* Each input twice: as it is, and with its length and CRC fixed, so mutations get past
 * the checksum into the parser. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!store) setup();
    read_all(data, size);
    if (size < 24) return 0;
    uint8_t *b = malloc(size);
    if (!b) return 0;
    memcpy(b, data, size);
    uint64_t len = size - 24;
    for (int i = 0; i < 8; i++) b[12 + i] = (uint8_t)(len >> 8 * i);
    uint32_t crc = (uint32_t)crc32(0, b + 20, (uInt)len);
    for (int i = 0; i < 4; i++) b[size - 4 + i] = (uint8_t)(crc >> 8 * i);
    read_all(b, size);
    free(b);
    return 0;
}

static void read_all(const uint8_t *data, size_t size) {
    const char *path = fuzz_as_file(data, size);
    if (!path) return;
    vt_error err;
    vt_checkpoint_info info;
    char config[256];
    vt_checkpoint_inspect(path, VT_CHECKPOINT_ALLOW_NONFINITE, &info, &err);
    vt_checkpoint_read_config(path, config, sizeof config, &err);
    free(vt_checkpoint_read_notes(path, &err));
    vt_train_state st;
    vt_checkpoint_load(path, store, opt, &st, &err);
    vt_checkpoint_load_flags(path, store, NULL, NULL, VT_CHECKPOINT_ALLOW_NONFINITE, &err);
}
