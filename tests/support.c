#include "support.h"
#include "vtape/core.h"
#include "vtape/data.h"
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vt_test_fill_normal(float *x, size_t n, float s, uint64_t seed) {
    vt_philox_normal(seed, 0, 7, 0, n, x);
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

void vt_test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed) {
    vt_philox_uniform(seed, 0, 9, 0, n, x);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
}

const char *vt_test_tmpdir(char *buf, size_t len) {
    snprintf(buf, len, "/tmp/vtape-test-XXXXXX");
    return mkdtemp(buf);
}

int vt_test_rmtree(const char *dir) {
    if (strncmp(dir, "/tmp/vtape-test-", 16) != 0) return -1;   /* only our own */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

const char *vt_test_data_dir(void) {
    const char *d = getenv("VT_FASHION_DIR");
    return d && *d ? d : VT_FASHION_DIR;
}

int vt_test_have_data(void) {
    static const char *const files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", vt_test_data_dir(), files[i]);
        if (stat(path, &st) != 0) return 0;
    }
    return 1;
}

int vt_test_no_skip(void) {
    const char *s = getenv("VT_TEST_NO_SKIP");
    return s && *s && strcmp(s, "0") != 0;
}
