/* Your own data (data/npy.c, data/csv.c, data/dataset_read.c, data/split.c): every IDX
 * element type, NPY headers and dtypes, CSV rows, and hostile files — truncated, lying
 * about their size, bad dtypes, overflowing shapes, NaN, ragged rows — each refused
 * with a message naming the file, the offset or row, and what was expected. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "support.h"
#include "vtape/data.h"

static char tmpdir[64];
static void make_tmpdir(void) { cr_assert(vt_test_tmpdir(tmpdir, sizeof tmpdir)); }
static void remove_tmpdir(void) { vt_test_rmtree(tmpdir); }
TestSuite(files, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *write_file(const char *name, const void *bytes, size_t n) {
    static char buf[4][512];
    static int which;
    which = (which + 1) % 4;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    FILE *f = fopen(buf[which], "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
    return buf[which];
}
static const char *write_text(const char *name, const char *text) {
    return write_file(name, text, strlen(text));
}

static void expect_read_error(const char *path, const char *labels, int label_col, int code, ...) {
    vt_dataset ds;
    memset(&ds, 0xAB, sizeof ds);
    vt_error err;
    vt_data_opts o = {.csv_label_col = label_col};
    int rc = vt_dataset_read(&ds, path, labels, &o, &err);
    cr_assert_eq(rc, code, "rc %d, expected %d: %s", rc, code, err.msg);
    cr_assert_null(ds.pixels);
    cr_assert_null(ds.labels);
    cr_assert_eq(ds.n, 0);
    va_list ap;
    va_start(ap, code);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
    va_end(ap);
}

static void read_ok(vt_dataset *ds, const char *path, const char *labels, int label_col) {
    vt_error err;
    vt_data_opts o = {.csv_label_col = label_col};
    cr_assert_eq(vt_dataset_read(ds, path, labels, &o, &err), VT_OK, "%s", err.msg);
}

/* ---- IDX of every type ---- */

static size_t make_idx(uint8_t *out, int type, int ndim, const uint32_t *dims,
                       const void *be_data, size_t bytes) {
    out[0] = 0, out[1] = 0, out[2] = (uint8_t)type, out[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++)
        for (int k = 0; k < 4; k++) out[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
    memcpy(out + 4 + 4 * ndim, be_data, bytes);
    return 4 + 4 * (size_t)ndim + bytes;
}

Test(files, idx_of_every_element_type_in_big_endian) {
    uint8_t f[64];
    vt_dataset ds;
    /* int16 -2, 300 */
    const uint8_t i16[] = {0xff, 0xfe, 0x01, 0x2c};
    read_ok(&ds, write_file("a.idx", f, make_idx(f, 0x0B, 2, (uint32_t[]){2, 1}, i16, 4)), NULL, -1);
    cr_assert_eq(ds.n, 2);
    cr_assert_eq(ds.pixels[0], -2.0f);
    cr_assert_eq(ds.pixels[1], 300.0f);
    vt_dataset_free(&ds);
    /* int8 -1, int32 -70000, float32 0.25, float64 -1.5: unscaled; uint8 255 -> 1 */
    const uint8_t i8[] = {0xff}, i32[] = {0xff, 0xfe, 0xee, 0x90}, f32[] = {0x3e, 0x80, 0, 0},
                  f64[] = {0xbf, 0xf8, 0, 0, 0, 0, 0, 0}, u8[] = {255};
    const struct { int type; const uint8_t *b; size_t n; float want; } cases[] = {
        {0x09, i8, 1, -1.0f}, {0x0C, i32, 4, -70000.0f}, {0x0D, f32, 4, 0.25f},
        {0x0E, f64, 8, -1.5f}, {0x08, u8, 1, 1.0f}};
    for (size_t i = 0; i < 5; i++) {
        size_t n = make_idx(f, cases[i].type, 1, (uint32_t[]){1}, cases[i].b, cases[i].n);
        read_ok(&ds, write_file("t.idx", f, n), NULL, -1);
        cr_assert_eq(ds.pixels[0], cases[i].want, "type 0x%02x: %g", cases[i].type, ds.pixels[0]);
        vt_dataset_free(&ds);
    }
}

Test(files, idx_labels_of_any_integer_type_and_any_class_count) {
    uint8_t f[64], g[64];
    const uint8_t px[] = {1, 2, 3}, lab[] = {0, 0, 0, 11, 0, 0, 0, 2, 0, 0, 0, 0};
    const char *x = write_file("x.idx", f, make_idx(f, 0x08, 2, (uint32_t[]){3, 1}, px, 3));
    const char *y = write_file("y.idx", g, make_idx(g, 0x0C, 1, (uint32_t[]){3}, lab, 12));
    vt_dataset ds;
    read_ok(&ds, x, y, -1);
    cr_assert_eq(ds.n_classes, 12);
    cr_assert_eq(ds.labels[0], 11);
    cr_assert_eq(ds.labels[1], 2);
    vt_dataset_free(&ds);
    const uint8_t neg[] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    y = write_file("neg.idx", g, make_idx(g, 0x0C, 1, (uint32_t[]){3}, neg, 12));
    expect_read_error(x, y, -1, VT_ELABEL, "neg.idx", "offset 12", "label 1 is -1",
                      "expected an integer 0..255", NULL);
    y = write_file("two.idx", g, make_idx(g, 0x08, 1, (uint32_t[]){2}, px, 2));
    expect_read_error(x, y, -1, VT_EMISMATCH, "two.idx", "2 labels, expected 3", NULL);
}

Test(files, idx_nan_and_declared_size_overflow) {
    uint8_t f[64];
    const uint8_t nan32[] = {0x7f, 0xc0, 0, 0};
    expect_read_error(write_file("nan.idx", f, make_idx(f, 0x0D, 1, (uint32_t[]){1}, nan32, 4)),
                      NULL, -1, VT_ENONFINITE, "nan.idx", "offset 8", "expected a finite", NULL);
    /* 2^16 x 2^16 float64 = 32 GiB declared in an 8-byte payload: refused from the header */
    expect_read_error(write_file("huge.idx", f, make_idx(f, 0x0E, 2, (uint32_t[]){65536, 65536},
                                                         nan32, 4)),
                      NULL, -1, VT_ETOOBIG, "huge.idx", "offset 8", NULL);
}

/* ---- NPY ---- */

Test(files, npy_float32_images_and_int64_labels) {
    uint8_t f[256], g[256];
    float x[2 * 2 * 3];
    for (int i = 0; i < 12; i++) x[i] = (float)i / 16;
    int64_t y[2] = {4, 1};
    const char *xp = write_file("x.npy", f, vt_test_make_npy(f, 1, "{'descr': '<f4', 'fortran_order': "
                                "False, 'shape': (2, 2, 3), }", x, sizeof x, NULL));
    const char *yp = write_file("y.npy", g, vt_test_make_npy(g, 1, "{'descr': '<i8', 'fortran_order': "
                                "False, 'shape': (2,), }", y, sizeof y, NULL));
    vt_dataset ds;
    read_ok(&ds, xp, yp, -1);
    cr_assert_eq(ds.n, 2);
    cr_assert_eq(ds.dim, 6);
    cr_assert_eq(ds.height, 2);
    cr_assert_eq(ds.width, 3);
    for (int i = 0; i < 12; i++) cr_assert_eq(ds.pixels[i], x[i]);
    cr_assert_eq(ds.labels[0], 4);
    cr_assert_eq(ds.n_classes, 5);
    vt_dataset_free(&ds);
}

Test(files, npy_big_endian_uint8_channel_first_and_version_2) {
    uint8_t f[256];
    const uint8_t be[] = {0xbf, 0xf8, 0, 0, 0, 0, 0, 0, 0x40, 0x04, 0, 0, 0, 0, 0, 0};
    vt_dataset ds;
    read_ok(&ds, write_file("be.npy", f, vt_test_make_npy(f, 1, "{'descr': '>f8', 'fortran_order': False, "
                                                  "'shape': (2,), }", be, 16, NULL)), NULL, -1);
    cr_assert_eq(ds.dim, 1);
    cr_assert_eq(ds.pixels[0], -1.5f);
    cr_assert_eq(ds.pixels[1], 2.5f);
    vt_dataset_free(&ds);
    const uint8_t px[4] = {0, 51, 102, 255};
    read_ok(&ds, write_file("u1.npy", f, vt_test_make_npy(f, 1, "{\"descr\": \"|u1\", \"fortran_order\": "
                                                  "False, \"shape\": (1, 1, 2, 2)}", px, 4, NULL)),
            NULL, -1);
    cr_assert_eq(ds.height, 2);
    cr_assert_eq(ds.width, 2);
    cr_assert_eq(ds.pixels[1], 0.2f);
    cr_assert_eq(ds.pixels[3], 1.0f);
    vt_dataset_free(&ds);
    /* version 2: a 4-byte header length */
    size_t n = vt_test_make_npy(f, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", px, 4, NULL);
    uint8_t g[256];
    memcpy(g, "\x93NUMPY\x02\x00", 8);
    g[8] = f[8], g[9] = f[9], g[10] = 0, g[11] = 0;
    memcpy(g + 12, f + 10, n - 10);
    read_ok(&ds, write_file("v2.npy", g, n + 2), NULL, -1);
    cr_assert_eq(ds.n, 4);
    vt_dataset_free(&ds);
}

static void npy_error(const char *name, const char *dict, size_t data_bytes, int code, ...) {
    uint8_t f[512] = {0}, zeros[64] = {0};
    const char *p = write_file(name, f, vt_test_make_npy(f, 1, dict, zeros, data_bytes, NULL));
    vt_dataset ds;
    memset(&ds, 0xAB, sizeof ds);
    vt_error err;
    int rc = vt_dataset_read(&ds, p, NULL, NULL, &err);
    cr_assert_eq(rc, code, "%s: rc %d, expected %d: %s", name, rc, code, err.msg);
    cr_assert_null(ds.pixels);
    cr_assert(strstr(err.msg, name), "%s", err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
    va_end(ap);
}

Test(files, npy_hostile_headers) {
    npy_error("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16,
              VT_EFORMAT, "fortran_order False", "C order", NULL);
    npy_error("object.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16,
              VT_EFORMAT, "object arrays", NULL);
    npy_error("struct.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
              8, VT_EFORMAT, "structured", NULL);
    npy_error("half.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 4,
              VT_EFORMAT, "dtype u1 i1", NULL);
    npy_error("text.npy", "{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", 32,
              VT_EFORMAT, "dtype u1 i1", NULL);
    npy_error("nokey.npy", "{'descr': '<f4', 'shape': (2,), }", 8, VT_EFORMAT,
              "all of 'descr', 'fortran_order' and 'shape'", NULL);
    npy_error("zero.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", 0,
              VT_EFORMAT, "dimensions >= 1", NULL);
    /* declared sizes far beyond the file, and past size_t: refused before allocating */
    npy_error("huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }",
              8, VT_ETOOBIG, "larger than", NULL);
    npy_error("overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': "
              "(99999999999999999999999999, 2), }", 8, VT_ETOOBIG, "larger than", NULL);
    npy_error("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 10), }", 12,
              VT_ETRUNC, "expected 40000 bytes of array data, got 12", NULL);
    npy_error("long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 12,
              VT_EFORMAT, "expected end of file", NULL);
    npy_error("scalar.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4,
              VT_EFORMAT, "a scalar", NULL);
}

Test(files, npy_bad_preamble_and_nan) {
    expect_read_error(write_text("magic.npy", "\x93NUMPX\x01\x00\x10\x00{}"), NULL, -1,
                      VT_EFORMAT, "magic.npy", NULL);   /* not NPY: read as CSV, not numbers */
    expect_read_error(write_file("v9.npy", "\x93NUMPY\x09\x00\x10\x00", 10), NULL, -1, VT_EFORMAT,
                      "v9.npy", "offset 6", "version 9.0", NULL);
    expect_read_error(write_file("cut.npy", "\x93NUMPY\x01\x00\x40\x00{'de", 14), NULL, -1,
                      VT_ETRUNC, "cut.npy", "NPY header", NULL);
    expect_read_error(write_file("big.npy", "\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12), NULL, -1,
                      VT_ETOOBIG, "big.npy", "offset 8", "at most 65536", NULL);
    uint8_t f[256];
    float x[2] = {1.0f, NAN};
    expect_read_error(write_file("nan.npy", f, vt_test_make_npy(f, 1, "{'descr': '<f4', 'fortran_order': "
                                                        "False, 'shape': (1, 2), }", x, 8, NULL)),
                      NULL, -1, VT_ENONFINITE, "nan.npy", "offset 132", "example 0, value 1", NULL);
    /* (the header pads to 128 bytes; value 1 is 4 bytes further) */
}

/* ---- CSV ---- */

Test(files, csv_with_header_label_column_crlf_and_gzip) {
    const char *text = "x,y,label\r\n0.5, 0.25 ,1\r\n\r\n1e-1,-2,3\r\n";
    vt_dataset ds;
    read_ok(&ds, write_text("a.csv", text), NULL, VT_CSV_LABEL_LAST);
    cr_assert_eq(ds.n, 2);
    cr_assert_eq(ds.dim, 2);
    cr_assert_eq(ds.pixels[1], 0.25f);
    cr_assert_eq(ds.pixels[2], 0.1f);
    cr_assert_eq(ds.labels[1], 3);
    cr_assert_eq(ds.n_classes, 4);
    vt_dataset_free(&ds);
    char gz[512];
    snprintf(gz, sizeof gz, "%s/b.csv.gz", tmpdir);
    gzFile g = gzopen(gz, "wb");
    gzputs(g, "1,2\n3,4\n");
    gzclose(g);
    read_ok(&ds, gz, NULL, -1);   /* no label column: every column a value */
    cr_assert_eq(ds.n, 2);
    cr_assert_eq(ds.dim, 2);
    cr_assert_eq(ds.pixels[3], 4.0f);
    vt_dataset_free(&ds);
}

Test(files, csv_hostile_rows) {
    expect_read_error(write_text("rag.csv", "1,2,3\n4,5\n"), NULL, -1, VT_EFORMAT, "rag.csv",
                      "row 2", "2 columns, expected 3", NULL);
    expect_read_error(write_text("nan.csv", "h1,h2\n1,2\n3,nan\n"), NULL, -1, VT_ENONFINITE,
                      "nan.csv", "row 3, column 2", "finite", NULL);
    expect_read_error(write_text("inf.csv", "1,-inf\n"), NULL, -1, VT_ENONFINITE, "row 1, column 2",
                      NULL);
    expect_read_error(write_text("big.csv", "1,1e39\n"), NULL, -1, VT_ENONFINITE, "row 1, column 2",
                      NULL);
    expect_read_error(write_text("word.csv", "1,2\n3,four\n"), NULL, -1, VT_EFORMAT, "row 2, column 2",
                      "'four' is not a number", NULL);
    expect_read_error(write_text("empty-field.csv", "1,,2\n"), NULL, -1, VT_EFORMAT,
                      "row 1, column 2: empty field", NULL);
    expect_read_error(write_text("frac-label.csv", "1,2,0.5\n"), NULL, VT_CSV_LABEL_LAST,
                      VT_ELABEL, "row 1, column 3", "label 0.5", NULL);
    expect_read_error(write_text("big-label.csv", "1,2,300\n"), NULL, 2, VT_ELABEL, "label 300", NULL);
    expect_read_error(write_text("only-label.csv", "1\n2\n"), NULL, 0, VT_EFORMAT, "at least 2", NULL);
    expect_read_error(write_text("header-only.csv", "a,b\n"), NULL, -1, VT_EFORMAT, "no data rows", NULL);
    expect_read_error(write_text("empty.csv", ""), NULL, -1, VT_EFORMAT, "no data rows", NULL);
    expect_read_error(write_file("nul.csv", "1,2\n\0,3\n", 8), NULL, -1, VT_EFORMAT, "offset 4",
                      "NUL", NULL);
    expect_read_error(write_text("col.csv", "1,2\n"), NULL, 5, VT_EFORMAT, "at least 7", NULL);
}

/* ---- splits ---- */

Test(files, validation_split_is_a_seeded_partition) {
    const char *p = write_text("s.csv", "0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n7,1\n8,0\n9,1\n");
    vt_dataset a, va, b, vb;
    vt_error err;
    read_ok(&a, p, NULL, 1);
    read_ok(&b, p, NULL, 1);
    cr_assert_eq(vt_dataset_split(&a, &va, 0.3, 7, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(vt_dataset_split(&b, &vb, 0.3, 7, &err), VT_OK);
    cr_assert_eq(a.n, 7);
    cr_assert_eq(va.n, 3);
    int seen[10] = {0};
    for (size_t i = 0; i < a.n; i++) seen[(int)a.pixels[i]]++;
    for (size_t i = 0; i < va.n; i++) seen[(int)va.pixels[i]]++;
    for (int i = 0; i < 10; i++) cr_assert_eq(seen[i], 1, "value %d seen %d times", i, seen[i]);
    for (size_t i = 0; i < va.n; i++) {
        cr_assert_eq(va.pixels[i], vb.pixels[i]);               /* same seed, same split */
        cr_assert_eq(va.labels[i], (int)va.pixels[i] % 2);      /* labels follow their rows */
        if (i) cr_assert_lt(va.pixels[i - 1], va.pixels[i]);    /* order kept */
    }
    for (size_t i = 0; i < a.n; i++) cr_assert_eq(a.labels[i], (int)a.pixels[i] % 2);
    vt_dataset_free(&b);
    vt_dataset_free(&vb);
    read_ok(&b, p, NULL, 1);
    cr_assert_eq(vt_dataset_split(&b, &vb, 0.3, 8, &err), VT_OK);
    int differs = 0;
    for (size_t i = 0; i < 3; i++) differs |= va.pixels[i] != vb.pixels[i];
    cr_assert(differs, "seeds 7 and 8 picked the same 3 of 10 (chance 1/120)");
    for (double bad_f = -1; bad_f < 3; bad_f += 1) {
        vt_dataset c;
        read_ok(&c, p, NULL, 1);
        double f = bad_f == 0 ? 0.01 : bad_f;   /* 0.01 of 10 rounds to 0 examples */
        cr_assert_eq(vt_dataset_split(&c, &vb, f, 1, &err), VT_EARG, "fraction %g", f);
        cr_assert_eq(c.n, 10);
        vt_dataset_free(&c);
    }
    vt_dataset_free(&a);
    vt_dataset_free(&va);
    vt_dataset_free(&b);
    float lo, hi;
    read_ok(&a, write_text("r.csv", "0.5,1\n0,0.25\n"), NULL, -1);
    cr_assert_eq(vt_dataset_range(&a, &lo, &hi), 1);
    cr_assert_eq(lo, 0.0f);
    cr_assert_eq(hi, 1.0f);
    a.pixels[0] = 1.5f;
    cr_assert_eq(vt_dataset_range(&a, NULL, NULL), 0);
    vt_dataset_free(&a);
}
