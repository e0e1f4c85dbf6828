/* The NPY reader called directly (data/npy.c), as a program that wants the raw array
 * rather than vt_dataset_read's floats would:
 *   - vt_npy_read gives the header's fields (dims, kind, element size, byte order,
 *     counts, where the data starts) and the payload's bytes as they are in the file,
 *     plain or gzip, for format versions 1 to 3; vt_npy_free is safe on NULL, on a
 *     zeroed struct and twice;
 *   - a hostile NPY file (truncated preamble, header or payload, unknown dtype, a
 *     dimension or a product of them past the byte cap, a NUL in the header) is refused
 *     with the documented code and a message naming the file and the byte offset of the
 *     fault, and *out is left zeroed; bad arguments are errors, not crashes.
 * tests/test_data_csv.c does the same for vt_dataset_read_csv. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "support.h"
#include "vtape/data.h"

static char tmpdir[64];
static void make_tmpdir(void) { cr_assert(vt_test_tmpdir(tmpdir, sizeof tmpdir)); }
static void remove_tmpdir(void) { vt_test_rmtree(tmpdir); }
TestSuite(npy, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *path_of(const char *name) { return vt_test_path(tmpdir, name); }
static const char *write_file(const char *name, const void *bytes, size_t n) {
    const char *p = vt_test_write_file(tmpdir, name, bytes, n);
    cr_assert(p, "cannot write %s in %s", name, tmpdir);
    return p;
}

static void expect_npy(const char *path, int code, ...) {
    vt_npy a;
    memset(&a, 0xAB, sizeof a);
    vt_error err;
    int rc = vt_npy_read(&a, path, &err);
    cr_assert_eq(rc, code, "%s: rc %d, expected %d: %s", path, rc, code, err.msg);
    cr_assert_eq(err.code, code);
    cr_assert_null(a.data, "a failed read left data");
    cr_assert_eq(a.ndim, 0);
    cr_assert_eq(a.count, 0);
    cr_assert(strstr(err.msg, path), "message \"%s\" lacks the file name", err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
    va_end(ap);
}

Test(npy, npy_fields_and_payload_bytes_as_in_the_file) {
    uint8_t f[256];
    size_t at;
    const int16_t v[6] = {-3, 0, 7, 300, -32768, 32767};
    const char *p = write_file("a.npy", f, vt_test_make_npy(f, 1, "{'descr': '<i2', 'fortran_order': "
                                                    "False, 'shape': (2, 3), }", v, 12, &at));
    vt_npy a;
    vt_error err;
    cr_assert_eq(vt_npy_read(&a, p, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(a.ndim, 2);
    cr_assert_eq(a.dims[0], 2);
    cr_assert_eq(a.dims[1], 3);
    cr_assert_eq(a.kind, 'i');
    cr_assert_eq(a.elem_size, 2);
    cr_assert_eq(a.big_endian, 0);
    cr_assert_eq(a.count, 6);
    cr_assert_eq(a.size, 12);
    cr_assert_eq(a.data_offset, 128);   /* 10-byte preamble + 60-byte dict, padded to 64s */
    cr_assert_eq(at, 128);
    cr_assert_eq(memcmp(a.data, v, 12), 0);   /* raw little-endian bytes, not converted */
    vt_npy_free(&a);
    cr_assert_null(a.data);
    cr_assert_eq(a.count, 0);
    vt_npy_free(&a);   /* twice: the struct is zeroed, nothing is freed again */
    vt_npy_free(NULL);
    vt_npy zero = {0};
    vt_npy_free(&zero);
}

Test(npy, npy_versions_byte_orders_scalars_and_gzip) {
    uint8_t f[256];
    size_t at;
    const uint8_t be[8] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe};   /* >u4: 1, 4294967294 */
    /* version 2 and 3 carry a 4-byte header length: the payload starts 2 bytes later */
    for (int major = 2; major <= 3; major++) {
        size_t n = vt_test_make_npy(f, major, "{\"shape\": (2,), \"fortran_order\": False, \"descr\": "
                                      "\">u4\"}", be, 8, &at);
        vt_npy a;
        vt_error err;
        cr_assert_eq(vt_npy_read(&a, write_file("be.npy", f, n), &err), VT_OK, "%s", err.msg);
        cr_assert_eq(a.kind, 'u');
        cr_assert_eq(a.elem_size, 4);
        cr_assert_eq(a.big_endian, 1);
        cr_assert_eq(a.ndim, 1);
        cr_assert_eq(a.dims[0], 2);
        cr_assert_eq(a.data_offset, at, "version %d: data at %zu, expected %zu", major,
                     a.data_offset, at);
        cr_assert_eq(memcmp(a.data, be, 8), 0);
        vt_npy_free(&a);
    }
    /* a 0-d array: one element, no dims */
    const double x = -2.5;
    vt_npy a;
    cr_assert_eq(vt_npy_read(&a, write_file("s.npy", f, vt_test_make_npy(f, 1, "{'descr': '=f8', "
                             "'fortran_order': False, 'shape': (), }", &x, 8, NULL)), NULL), VT_OK);
    cr_assert_eq(a.ndim, 0);
    cr_assert_eq(a.count, 1);
    cr_assert_eq(a.kind, 'f');
    cr_assert_eq(a.big_endian, 0);
    cr_assert_eq(memcmp(a.data, &x, 8), 0);
    vt_npy_free(&a);
    /* gzip: offsets count bytes of the uncompressed stream */
    const uint8_t px[3] = {0, 128, 255};
    size_t n = vt_test_make_npy(f, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 1), }", px,
                        3, &at);
    const char *gz = path_of("u1.npy.gz");
    gzFile g = gzopen(gz, "wb");
    cr_assert_eq(gzwrite(g, f, (unsigned)n), (int)n);
    gzclose(g);
    vt_error err;
    cr_assert_eq(vt_npy_read(&a, gz, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(a.data_offset, at);
    cr_assert_eq(a.dims[0], 3);
    cr_assert_eq(a.dims[1], 1);
    cr_assert_eq(a.data[1], 128);
    vt_npy_free(&a);
}

/* A v1 file whose dict is `dict`, with `payload` bytes of zeros. */
static const char *npy_with(const char *name, const char *dict, size_t payload) {
    static uint8_t f[1024], zeros[64];
    return write_file(name, f, vt_test_make_npy(f, 1, dict, zeros, payload, NULL));
}

/* "offset N" of the text `at` inside dict (the header starts at byte 10 in v1). */
static const char *offset_of(const char *dict, const char *at) {
    static char buf[4][32];
    static int which;
    which = (which + 1) % 4;
    snprintf(buf[which], sizeof buf[which], "offset %zu:", 10 + (size_t)(strstr(dict, at) - dict));
    return buf[which];
}

Test(npy, npy_hostile_files_name_the_offset) {
    expect_npy(write_file("pre.npy", "\x93NUM", 4), VT_ETRUNC, "truncated at offset 0",
               "expected 8 bytes of NPY magic and version, got 4", NULL);
    expect_npy(write_file("magic.npy", "PK\x03\x04zipfile", 11), VT_EFORMAT, "offset 0: bad magic",
               NULL);
    expect_npy(write_file("v4.npy", "\x93NUMPY\x04\x00\x10\x00", 10), VT_EFORMAT, "offset 6",
               "version 4.0", NULL);
    /* the header says 64 bytes and the file ends 5 bytes into it */
    expect_npy(write_file("cut.npy", "\x93NUMPY\x01\x00\x40\x00{'des", 15), VT_ETRUNC,
               "truncated at offset 10", "expected 64 bytes of NPY header, got 5", NULL);
    expect_npy(write_file("long.npy", "\x93NUMPY\x03\x00\x01\x00\x01\x00", 12), VT_ETOOBIG,
               "offset 8", "65537 bytes", NULL);
    expect_npy(write_file("nul.npy", "\x93NUMPY\x01\x00\x08\x00{'a'\0   ", 18), VT_EFORMAT,
               "offset 14", "NUL byte", NULL);
    const char *c8 = "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }";
    expect_npy(npy_with("c8.npy", c8, 16), VT_EFORMAT, offset_of(c8, "'<c8'"), "dtype u1 i1",
               NULL);
    const char *f16 = "{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }";
    expect_npy(npy_with("f16.npy", f16, 16), VT_EFORMAT, offset_of(f16, "'<f16'"), NULL);
    /* a dimension past 64 bits, and three that each fit but whose product does not:
     * refused at the dimension that crosses the cap, before any multiplication wraps */
    const char *wide = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(3, 99999999999999999999999, 2), }";
    expect_npy(npy_with("wide.npy", wide, 8), VT_ETOOBIG, offset_of(wide, "9999"), "larger than",
               NULL);
    const char *cube = "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536, 65536), }";
    expect_npy(npy_with("cube.npy", cube, 8), VT_ETOOBIG, offset_of(cube, "65536, 65536)"), NULL);
    /* keys in any order: a shape before its dtype is sized once the dtype is known */
    const char *late = "{'shape': (300000000,), 'fortran_order': False, 'descr': '<f8'}";
    expect_npy(npy_with("late.npy", late, 8), VT_ETOOBIG, offset_of(late, "3000"), NULL);
    const char *key = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}";
    expect_npy(npy_with("key.npy", key, 8), VT_EFORMAT, offset_of(key, "'x'"), "a key", NULL);
    /* the payload: short (offset where the data starts) and too long */
    expect_npy(npy_with("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                        8), VT_ETRUNC, "truncated at offset 128",
               "expected 24 bytes of array data, got 8", NULL);
    expect_npy(npy_with("extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                        8), VT_EFORMAT, "offset 132", "expected end of file", NULL);
    expect_npy(path_of("missing.npy"), VT_EIO, "cannot open", NULL);
}

Test(npy, npy_bad_arguments_are_errors) {
    vt_npy a;
    vt_error err;
    cr_assert_eq(vt_npy_read(&a, NULL, &err), VT_EARG);
    cr_assert(strstr(err.msg, "NULL path"), "%s", err.msg);
    cr_assert_eq(vt_npy_read(NULL, "x.npy", &err), VT_EARG);
    cr_assert(strstr(err.msg, "NULL output"), "%s", err.msg);
    /* err may be NULL: the code alone */
    cr_assert_eq(vt_npy_read(&a, path_of("none.npy"), NULL), VT_EIO);
    cr_assert_null(a.data);
}
