#include "support.h"
#include "vtape/core.h"
#include "vtape/data.h"
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void vt_test_fill_normal(float *x, size_t n, float s, uint64_t seed) {
    vt_philox_normal(seed, 0, 7, 0, n, x);
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

void vt_test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed) {
    vt_philox_uniform(seed, 0, 9, 0, n, x);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
}

void vt_test_randomize_store(void *store, float sd, uint64_t seed) {
    vt_store *s = store;
    for (int i = 0; i < vt_store_count(s); i++) {
        vt_tensor *t = vt_store_get(s, i);
        size_t n = vt_numel(t), nz = 0;
        for (size_t j = 0; j < n; j++) nz += t->data[j] != 0.0f;
        if (nz == 0) vt_test_fill_normal(t->data, n, sd, seed + (uint64_t)i);
    }
}

int vt_test_run_vtape(char *out, size_t len, const char *fmt, ...) {
    char args[2048], cmd[2400];
    const char *vtape = VT_BUILD_DIR "/vtape";
    out[0] = '\0';
    if (access(vtape, X_OK) != 0) {
        snprintf(out, len, "%s is missing: build the vtape target first", vtape);
        return -2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", vtape, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -2;
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) {}
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int vt_test_fake_run_dirs(char dir[64], char data[128], char run_dir[160]) {
    if (!vt_test_tmpdir(dir, 64)) return -1;
    snprintf(data, 128, "%s/data", dir);
    snprintf(run_dir, 160, "%s/run", dir);
    if (mkdir(data, 0755) != 0) return -1;
    return vt_test_fake_fashion(data, 128, 32);
}

size_t vt_test_make_npy(uint8_t *out, int major, const char *dict, const void *data, size_t n,
                        size_t *data_at) {
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict);
    size_t pad = (64 - (pre + len + 1) % 64) % 64, hlen = len + pad + 1;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major, out[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) out[8 + i] = (uint8_t)(hlen >> (8 * i));
    memcpy(out + pre, dict, len);
    memset(out + pre + len, ' ', pad);
    out[pre + len + pad] = '\n';
    memcpy(out + pre + hlen, data, n);
    if (data_at) *data_at = pre + hlen;
    return pre + hlen + n;
}

const char *vt_test_tmpdir(char *buf, size_t len) {
    snprintf(buf, len, "/tmp/vtape-test-XXXXXX");
    return mkdtemp(buf);
}

const char *vt_test_path(const char *dir, const char *name) {
    static char buf[4][512];
    static int which;
    which = (which + 1) % 4;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

const char *vt_test_write_file(const char *dir, const char *name, const void *bytes, size_t n) {
    const char *p = vt_test_path(dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    int ok = fwrite(bytes, 1, n, f) == n;
    return fclose(f) == 0 && ok ? p : NULL;
}

int vt_test_rmtree(const char *dir) {
    if (strncmp(dir, "/tmp/vtape-test-", 16) != 0) return -1;   /* only our own */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* IDX (type 0x08) gzip file of n bytes after the header: pixels or labels 0..9. */
static int write_idx_gz(const char *dir, const char *name, int ndim, const uint32_t *dims, size_t n) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    gzFile g = gzopen(p, "wb1");
    if (!g) return -1;
    unsigned char head[16] = {0, 0, 8, (unsigned char)ndim};
    for (int i = 0; i < ndim; i++)
        for (int k = 0; k < 4; k++) head[4 + 4 * i + k] = (unsigned char)(dims[i] >> (24 - 8 * k));
    gzwrite(g, head, 4 + 4 * (unsigned)ndim);
    uint64_t s = 99;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        unsigned char c = ndim == 1 ? (unsigned char)((s >> 33) % 10) : (unsigned char)(s >> 56);
        gzwrite(g, &c, 1);
    }
    return gzclose(g) == Z_OK ? 0 : -1;
}

int vt_test_fake_fashion(const char *dir, int n_train, int n_test) {
    uint32_t nt = (uint32_t)n_train, ns = (uint32_t)n_test;
    return write_idx_gz(dir, "train-images-idx3-ubyte.gz", 3, (uint32_t[]){nt, 28, 28}, nt * 784u) |
           write_idx_gz(dir, "train-labels-idx1-ubyte.gz", 1, (uint32_t[]){nt}, nt) |
           write_idx_gz(dir, "t10k-images-idx3-ubyte.gz", 3, (uint32_t[]){ns, 28, 28}, ns * 784u) |
           write_idx_gz(dir, "t10k-labels-idx1-ubyte.gz", 1, (uint32_t[]){ns}, ns);
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
