/* Small helpers shared by the test suites. */
#ifndef VT_TEST_SUPPORT_H
#define VT_TEST_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/* Deterministic N(0, s²) values, from vtape's own counter-based generator. */
void vt_test_fill_normal(float *x, size_t n, float s, uint64_t seed);
/* Uniform values in [lo, hi). */
void vt_test_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed);
/* Every parameter of store s (a vt_store *) that is all zeros gets N(0, sd²) values, so
 * a gradient check reaches the weights behind layers that start at zero (IAF outputs,
 * the HVAE's bottom-up output layers). */
void vt_test_randomize_store(void *s, float sd, uint64_t seed);
/* Run the built `vtape` with the printf-formatted arguments, stderr folded into stdout:
 * returns the exit status (−1 when it did not exit, −2 when it could not be started or
 * is missing) and the output, up to len − 1 bytes, in out. */
int vt_test_run_vtape(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* dir (a fresh scratch directory), data = dir/data holding a small random
 * Fashion-MNIST (128 training and 32 test images) and run_dir = dir/run: the fixture of
 * the command's tests. 0 on success. */
int vt_test_fake_run_dirs(char dir[64], char data[128], char run_dir[160]);
/* A fresh empty directory under /tmp for files a test writes. */
const char *vt_test_tmpdir(char *buf, size_t len);
/* dir/name in one of 4 rotating static buffers (so a few can be held at once). */
const char *vt_test_path(const char *dir, const char *name);
/* Write n bytes to dir/name; returns its path (vt_test_path), or NULL on failure. */
const char *vt_test_write_file(const char *dir, const char *name, const void *bytes, size_t n);
/* An NPY file of format version `major` (1, 2 or 3) in out: the header dict padded with
 * spaces to a multiple of 64 bytes (as NumPy writes it), then n bytes of data. Returns
 * the file's size; the payload starts at *data_at (data_at may be NULL). */
size_t vt_test_make_npy(uint8_t *out, int major, const char *dict, const void *data, size_t n,
                        size_t *data_at);
/* Remove such a directory and everything in it; 0 on success. */
int vt_test_rmtree(const char *dir);
/* The Fashion-MNIST directory: $VT_FASHION_DIR when set and not empty (so a run can
 * hide the data set, or point at a copy), else the installed VT_FASHION_DIR. */
const char *vt_test_data_dir(void);
/* 1 when the four Fashion-MNIST files are in vt_test_data_dir(). */
int vt_test_have_data(void);

/* The four Fashion-MNIST files of a small random data set in dir (28 x 28 pixels,
 * labels 0..9): commands run on it in milliseconds. 0 on success. */
int vt_test_fake_fashion(const char *dir, int n_train, int n_test);

#endif
