/* data/: IDX reading (plain and gzip), every malformed-file error, datasets, batching,
 * shuffling and binarization. Small IDX files are written to a fresh temp dir. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "skip.h"
#include "support.h"
#include "vtape/data.h"

/* ---- temp files ---- */

static char tmpdir[64];

static void make_tmpdir(void) { cr_assert(vt_test_tmpdir(tmpdir, sizeof tmpdir)); }
static void remove_tmpdir(void) { vt_test_rmtree(tmpdir); }

TestSuite(data, .init = make_tmpdir, .fini = remove_tmpdir);

/* Returns a static path in the temp dir (two live at a time are enough here). */
static const char *tmp_path(const char *name) {
    static char buf[2][512];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    return buf[which];
}

static const char *write_plain(const char *name, const uint8_t *bytes, size_t n) {
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
    return p;
}

static const char *write_gz(const char *name, const uint8_t *bytes, size_t n) {
    const char *p = tmp_path(name);
    gzFile f = gzopen(p, "wb");
    cr_assert(f);
    cr_assert_eq(gzwrite(f, bytes, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(f), Z_OK);
    return p;
}

/* An IDX image of ubyte type: header for dims then `data` (n = product of dims). */
static size_t make_idx(uint8_t *out, int ndim, const uint32_t *dims, const uint8_t *data) {
    size_t n = 1, h = 4 + 4 * (size_t)ndim;
    out[0] = 0, out[1] = 0, out[2] = 0x08, out[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++) {
        for (int k = 0; k < 4; k++) out[4 + 4 * i + k] = (uint8_t)(dims[i] >> (24 - 8 * k));
        n *= dims[i];
    }
    memcpy(out + h, data, n);
    return h + n;
}

/* 5 images of 4 x 3 (not square, to catch swapped height/width) and their labels. */
enum { N = 5, H = 4, W = 3 };
static uint8_t img_file[16 + N * H * W], lab_file[8 + N];
static uint8_t small_pixels[N * H * W], small_labels[N];

static void make_small_files(void) {
    for (int i = 0; i < N * H * W; i++) small_pixels[i] = (uint8_t)(i * 37 + 11);
    small_pixels[0] = 0, small_pixels[1] = 255;
    for (int i = 0; i < N; i++) small_labels[i] = (uint8_t)(9 - 2 * i);
    make_idx(img_file, 3, (uint32_t[]){N, H, W}, small_pixels);
    make_idx(lab_file, 1, (uint32_t[]){N}, small_labels);
}

static void check_small_dataset(const vt_dataset *ds) {
    cr_assert_eq(ds->n, N);
    cr_assert_eq(ds->height, H);
    cr_assert_eq(ds->width, W);
    cr_assert_eq(ds->dim, H * W);
    for (int i = 0; i < N * H * W; i++) cr_assert_eq(ds->pixels[i], small_pixels[i] / 255.0f);
    cr_assert_eq(ds->pixels[0], 0.0f);
    cr_assert_eq(ds->pixels[1], 1.0f);
    cr_assert_not_null(ds->labels);
    cr_assert_arr_eq(ds->labels, small_labels, N);
}

/* ---- reading good files ---- */

Test(data, reads_plain_idx_exactly) {
    make_small_files();
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_plain("labels.idx", lab_file, sizeof lab_file);
    vt_dataset ds;
    vt_error err;
    cr_assert_eq(vt_dataset_load(&ds, ip, lp, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(err.code, VT_OK);
    check_small_dataset(&ds);
    vt_dataset_free(&ds);
    cr_assert_null(ds.pixels);
    vt_dataset_free(&ds); /* safe twice */
}

Test(data, reads_gzip_idx_exactly_whatever_the_name) {
    make_small_files();
    /* gzip is recognised by its magic bytes, so the names need no .gz. */
    const char *ip = write_gz("images.bin", img_file, sizeof img_file);
    const char *lp = write_gz("labels.gz", lab_file, sizeof lab_file);
    vt_dataset ds;
    vt_error err;
    cr_assert_eq(vt_dataset_load(&ds, ip, lp, &err), VT_OK, "%s", err.msg);
    check_small_dataset(&ds);
    vt_dataset_free(&ds);
}

Test(data, images_without_labels) {
    make_small_files();
    const char *ip = write_gz("images.gz", img_file, sizeof img_file);
    vt_dataset ds;
    vt_error err;
    cr_assert_eq(vt_dataset_load(&ds, ip, NULL, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(ds.n, N);
    cr_assert_null(ds.labels);
    vt_dataset_free(&ds);
}

Test(data, idx_reader_reports_dims_and_offsets) {
    uint8_t file[4 + 8 + 6], data[6] = {1, 2, 3, 4, 5, 6};
    size_t n = make_idx(file, 2, (uint32_t[]){2, 3}, data);
    const char *p = write_plain("m.idx", file, n);
    vt_idx idx;
    vt_error err;
    cr_assert_eq(vt_idx_read(&idx, p, 0, NULL, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(idx.ndim, 2);
    cr_assert_eq(idx.dims[0], 2);
    cr_assert_eq(idx.dims[1], 3);
    cr_assert_eq(idx.size, 6);
    cr_assert_eq(idx.data_offset, 12);
    cr_assert_arr_eq(idx.data, data, 6);
    vt_idx_free(&idx);
}

Test(data, truncate_keeps_the_first_examples) {
    make_small_files();
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_plain("labels.idx", lab_file, sizeof lab_file);
    vt_dataset ds;
    vt_error err;
    cr_assert_eq(vt_dataset_load(&ds, ip, lp, &err), VT_OK, "%s", err.msg);
    vt_dataset_truncate(&ds, 99); /* more than n: no-op */
    cr_assert_eq(ds.n, N);
    vt_dataset_truncate(&ds, 2);
    cr_assert_eq(ds.n, 2);
    for (int i = 0; i < 2 * H * W; i++) cr_assert_eq(ds.pixels[i], small_pixels[i] / 255.0f);
    cr_assert_arr_eq(ds.labels, small_labels, 2);
    vt_dataset_free(&ds);
}

/* ---- malformed files: an error code and a message naming file, offset, expectation ---- */

/* Loads (images, labels), expects `code` and every NULL-terminated needle in the
 * message, and checks the dataset was left zeroed. */
static void expect_error(const char *images, const char *labels_path, int code, ...) {
    vt_dataset ds;
    memset(&ds, 0xAB, sizeof ds);
    vt_error err;
    int rc = vt_dataset_load(&ds, images, labels_path, &err);
    cr_assert_eq(rc, code, "rc %d, expected %d: %s", rc, code, err.msg);
    cr_assert_eq(err.code, code);
    cr_assert_null(ds.pixels);
    cr_assert_null(ds.labels);
    cr_assert_eq(ds.n, 0);
    va_list ap;
    va_start(ap, code);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
    va_end(ap);
}

Test(data, bad_magic) {
    make_small_files();
    img_file[0] = 0x01, img_file[1] = 0x02;
    const char *p = write_plain("bad-magic.idx", img_file, sizeof img_file);
    expect_error(p, NULL, VT_EFORMAT, "bad-magic.idx", "offset 0", "bad magic 01 02 08 03",
                 "expected 00 00 <type>", NULL);
}

Test(data, unsupported_type) {
    make_small_files();
    img_file[2] = 0x0A;   /* between int8 (0x09) and int16 (0x0b): no IDX type */
    const char *p = write_gz("odd.idx.gz", img_file, sizeof img_file);
    expect_error(p, NULL, VT_EFORMAT, "odd.idx.gz", "offset 2", "type 0x0a",
                 "expected 0x08 (uint8)", NULL);
}

Test(data, wrong_number_of_dims) {
    make_small_files();
    const char *p = write_plain("labels-as-images.idx", lab_file, sizeof lab_file);
    expect_error(p, NULL, VT_EFORMAT,
                 "labels-as-images.idx: offset 3: expected 3 dims for image data, found 1", NULL);
    make_small_files();
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_plain("images-as-labels.idx", img_file, sizeof img_file);
    expect_error(ip, lp, VT_EFORMAT,
                 "images-as-labels.idx: offset 3: expected 1 dims for label data, found 3", NULL);
}

Test(data, truncated_header) {
    make_small_files();
    const char *p = write_plain("short-header.idx", img_file, 10);
    expect_error(p, NULL, VT_ETRUNC,
                 "short-header.idx: truncated at offset 4: expected 12 bytes of dims, got 6", NULL);
    p = write_plain("short-magic.idx", img_file, 3);
    expect_error(p, NULL, VT_ETRUNC,
                 "short-magic.idx: truncated at offset 0: expected 4 bytes of IDX magic, got 3",
                 NULL);
}

Test(data, truncated_data) {
    make_small_files();
    const char *p = write_plain("short-data.idx", img_file, 16 + 20);
    expect_error(p, NULL, VT_ETRUNC,
                 "short-data.idx: truncated at offset 16: expected 60 bytes of image data, got 20",
                 NULL);
    make_small_files();
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_gz("short-labels.gz", lab_file, sizeof lab_file - 1);
    expect_error(ip, lp, VT_ETRUNC,
                 "short-labels.gz: truncated at offset 8: expected 5 bytes of label data, got 4",
                 NULL);
}

Test(data, trailing_bytes) {
    make_small_files();
    uint8_t longer[sizeof img_file + 3] = {0};
    memcpy(longer, img_file, sizeof img_file);
    const char *p = write_plain("long.idx", longer, sizeof longer);
    expect_error(p, NULL, VT_EFORMAT, "long.idx: offset 76: expected end of file", NULL);
}

Test(data, mismatched_label_count) {
    make_small_files();
    uint8_t four[8 + 4];
    make_idx(four, 1, (uint32_t[]){4}, small_labels);
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_plain("four-labels.idx", four, sizeof four);
    expect_error(ip, lp, VT_EMISMATCH, "four-labels.idx: offset 4: expected 5 labels",
                 "images.idx", "found 4", NULL);
}

Test(data, label_out_of_range) {
    make_small_files();
    lab_file[8 + 3] = 10;
    const char *ip = write_plain("images.idx", img_file, sizeof img_file);
    const char *lp = write_gz("bad-label.gz", lab_file, sizeof lab_file);
    expect_error(ip, lp, VT_ELABEL,
                 "bad-label.gz: offset 11: label 10 out of range, expected 0..9", NULL);
}

Test(data, zero_dim) {
    uint8_t file[16] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 3};
    const char *p = write_plain("zero.idx", file, sizeof file);
    expect_error(p, NULL, VT_EFORMAT, "zero.idx: offset 8: dim 1 is 0, expected >= 1", NULL);
}

Test(data, absurd_dims_are_refused_before_allocating) {
    /* 60000 x 100000 x 100000 bytes: refused at dim 1, whose product passes 2^31. */
    uint8_t file[16] = {0, 0, 8, 3, 0, 0, 0xEA, 0x60, 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};
    const char *p = write_plain("huge.idx", file, sizeof file);
    expect_error(p, NULL, VT_ETOOBIG, "huge.idx: offset 8: dim 1 = 100000",
                 "expected at most 2147483648 bytes", NULL);
    /* Products that would overflow 64 bits must not wrap around to something small. */
    uint8_t wrap[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    p = write_plain("wrap.idx", wrap, sizeof wrap);
    expect_error(p, NULL, VT_ETOOBIG, "wrap.idx: offset 8", NULL);
}

Test(data, nonexistent_file) {
    const char *p = tmp_path("no-such-file.gz");
    expect_error(p, NULL, VT_EIO, "no-such-file.gz: offset 0: cannot open",
                 "No such file", NULL);
    vt_dataset train, test;
    vt_error err;
    cr_assert_eq(vt_dataset_load_fashion(&train, &test, tmpdir, &err), VT_EIO);
    cr_assert(strstr(err.msg, "train-images-idx3-ubyte.gz: offset 0"), "%s", err.msg);
    cr_assert_null(train.pixels);
}

Test(data, empty_file) {
    const char *p = write_plain("empty.idx", (const uint8_t *)"", 0);
    expect_error(p, NULL, VT_ETRUNC, "empty.idx: offset 0: empty file", NULL);
    p = write_gz("empty.gz", (const uint8_t *)"", 0);
    expect_error(p, NULL, VT_ETRUNC, "empty.gz: offset 0: empty file", NULL);
}

Test(data, gzip_garbage) {
    uint8_t junk[64] = {0x1f, 0x8b};
    for (int i = 2; i < 64; i++) junk[i] = (uint8_t)(i * 97 + 13);
    const char *p = write_plain("garbage.gz", junk, sizeof junk);
    expect_error(p, NULL, VT_EIO, "garbage.gz: offset 0: read error", NULL);
}

/* Reads a whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    uint8_t *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

Test(data, gzip_cut_short_or_corrupt) {
    /* Incompressible pixels so the compressed stream is long enough to cut in half. */
    enum { BN = 20, BH = 28, BW = 28 };
    static uint8_t px[BN * BH * BW], file[16 + BN * BH * BW];
    uint64_t s = 1;
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)((s = s * 6364136223846793005u + 1) >> 56);
    size_t n = make_idx(file, 3, (uint32_t[]){BN, BH, BW}, px);
    size_t gzn;
    uint8_t *gz = slurp(write_gz("whole.gz", file, n), &gzn);
    const char *p = write_plain("cut.gz", gz, gzn / 2);
    expect_error(p, NULL, VT_ETRUNC, "cut.gz: truncated at offset 16",
                 "bytes of image data", "unexpected end of stream", NULL);
    gz[gzn - 8] ^= 0xFF; /* the trailer's CRC-32 */
    p = write_plain("bad-crc.gz", gz, gzn);
    expect_error(p, NULL, VT_EIO, "bad-crc.gz: offset", "incorrect data check", NULL);
    free(gz);
}

Test(data, null_arguments_are_errors) {
    vt_error err;
    vt_dataset ds;
    vt_idx idx;
    cr_assert_eq(vt_dataset_load(&ds, NULL, NULL, &err), VT_EARG);
    cr_assert_eq(vt_dataset_load(NULL, "x", NULL, NULL), VT_EARG);
    cr_assert_eq(vt_idx_read(&idx, NULL, 0, NULL, &err), VT_EARG);
    cr_assert_eq(vt_batcher_new(NULL, NULL, &err), NULL);
    cr_assert_eq(err.code, VT_EARG);
}

/* ---- batching ---- */

/* An in-memory dataset whose first pixel encodes the example index (exact in float)
 * and whose other pixels are spread over [0, 1]; label = index % 10. */
enum { BD = 784 };
static vt_dataset synthetic(size_t n) {
    vt_dataset ds = {.n = n, .height = 28, .width = 28, .dim = BD};
    ds.pixels = malloc(n * BD * sizeof *ds.pixels);
    ds.labels = malloc(n);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        ds.labels[i] = (uint8_t)(i % 10);
        ds.pixels[i * BD] = (float)i / 1024.0f;
        for (size_t k = 1; k < BD; k++) {
            s = s * 6364136223846793005u + 1442695040888963407u;
            ds.pixels[i * BD + k] = (float)(s >> 40) * 0x1p-24f;
        }
    }
    return ds;
}

static size_t example_of(const float *row) { return (size_t)(row[0] * 1024.0f + 0.5f); }

/* One epoch's example order, read through the batches. */
static void epoch_order(vt_batcher *b, uint64_t epoch, size_t *order, size_t n, float *x) {
    vt_batcher_start_epoch(b, epoch);
    size_t seen = 0, rows;
    while ((rows = vt_batcher_next(b, x, NULL)) > 0)
        for (size_t r = 0; r < rows; r++) order[seen++] = example_of(x + r * BD);
    cr_assert_eq(seen, n);
}

Test(data, shuffle_is_a_reproducible_permutation_that_changes_per_epoch) {
    enum { n = 103, bs = 10 };
    vt_dataset ds = synthetic(n);
    vt_error err;
    vt_batcher_opts o = {.batch_size = bs, .seed = 7};
    vt_batcher *a = vt_batcher_new(&ds, &o, &err), *b = vt_batcher_new(&ds, &o, &err);
    o.seed = 8;
    vt_batcher *c = vt_batcher_new(&ds, &o, &err);
    cr_assert(a && b && c, "%s", err.msg);
    float *x = malloc(bs * BD * sizeof *x);
    size_t e0[n], e0_again[n], e1[n], other_seed[n];
    epoch_order(a, 0, e0, n, x);
    int count[n] = {0}, identity = 1;
    for (size_t i = 0; i < n; i++) count[e0[i]]++, identity &= e0[i] == i;
    for (size_t i = 0; i < n; i++) cr_assert_eq(count[i], 1, "example %zu seen %d times", i, count[i]);
    cr_assert(!identity);
    epoch_order(a, 1, e1, n, x);
    cr_assert(memcmp(e0, e1, sizeof e0) != 0, "epochs 0 and 1 have the same order");
    /* Determined by (seed, epoch) only: another batcher, or coming back later, agrees. */
    epoch_order(b, 0, e0_again, n, x);
    cr_assert_arr_eq(e0, e0_again, sizeof e0);
    epoch_order(a, 0, e0_again, n, x);
    cr_assert_arr_eq(e0, e0_again, sizeof e0);
    epoch_order(c, 0, other_seed, n, x);
    cr_assert(memcmp(e0, other_seed, sizeof e0) != 0, "seeds 7 and 8 have the same order");
    vt_batcher_free(a), vt_batcher_free(b), vt_batcher_free(c);
    free(x);
    vt_dataset_free(&ds);
}

/* Rows filled on a context's threads (vt_batcher_set_ctx) are the bits of the calling
 * thread's pass, for every binarization, 2 and 3 threads, and a ragged last batch. */
Test(data, batches_are_the_same_on_a_contexts_threads) {
    enum { n = 45, bs = 20 };
    vt_dataset ds = synthetic(n);
    static float want[(n / bs + 1) * bs * BD], got[bs * BD];
    for (int mode = VT_BIN_NONE; mode <= VT_BIN_THRESHOLD; mode++)
        for (int threads = 2; threads <= 3; threads++) {
            vt_batcher_opts o = {.batch_size = bs, .seed = 5, .binarize = (vt_binarize)mode};
            vt_batcher *a = vt_batcher_new(&ds, &o, NULL), *b = vt_batcher_new(&ds, &o, NULL);
            vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = threads});
            cr_assert(a && b && ctx);
            vt_batcher_set_ctx(b, ctx);
            for (uint64_t epoch = 0; epoch < 2; epoch++) {
                vt_batcher_start_epoch(a, epoch), vt_batcher_start_epoch(b, epoch);
                size_t rows, batches = 0;
                while ((rows = vt_batcher_next(a, want, NULL)) > 0) {
                    cr_assert_eq(vt_batcher_next(b, got, NULL), rows);
                    cr_assert_arr_eq(got, want, rows * BD * sizeof *got,
                                     "mode %d, %d threads, epoch %d, batch %zu", mode, threads,
                                     (int)epoch, batches);
                    batches++;
                }
                cr_assert_eq(batches, 3);
            }
            /* Given back to the calling thread, b still agrees. */
            vt_batcher_set_ctx(b, NULL);
            vt_batcher_start_epoch(a, 3), vt_batcher_start_epoch(b, 3);
            cr_assert_eq(vt_batcher_next(a, want, NULL), vt_batcher_next(b, got, NULL));
            cr_assert_arr_eq(got, want, bs * BD * sizeof *got);
            vt_batcher_free(a), vt_batcher_free(b);
            vt_ctx_free(ctx);
        }
    vt_batcher_set_ctx(NULL, NULL);   /* no batcher: nothing to do, no crash */
    vt_dataset_free(&ds);
}

Test(data, in_order_copies_rows_and_labels) {
    enum { n = 25, bs = 8 };
    vt_dataset ds = synthetic(n);
    vt_batcher_opts o = {.batch_size = bs, .in_order = 1};
    vt_batcher *b = vt_batcher_new(&ds, &o, NULL);
    cr_assert(b);
    cr_assert_eq(vt_batcher_batch_size(b), bs);
    float x[bs * BD];
    uint8_t y[bs];
    size_t next = 0, rows;
    while ((rows = vt_batcher_next(b, x, y)) > 0)
        for (size_t r = 0; r < rows; r++, next++) {
            cr_assert_arr_eq(x + r * BD, ds.pixels + next * BD, BD * sizeof *x);
            cr_assert_eq(y[r], next % 10);
        }
    cr_assert_eq(next, n);
    vt_batcher_free(b);
    vt_dataset_free(&ds);
}

Test(data, partial_last_batch_kept_or_dropped) {
    enum { n = 103, bs = 10 };
    vt_dataset ds = synthetic(n);
    float x[bs * BD];
    uint8_t y[bs];
    for (int drop = 0; drop <= 1; drop++) {
        vt_batcher_opts o = {.batch_size = bs, .seed = 3, .drop_last = drop};
        vt_batcher *b = vt_batcher_new(&ds, &o, NULL);
        cr_assert(b);
        size_t want_batches = drop ? 10 : 11;
        cr_assert_eq(vt_batcher_batches_per_epoch(b), want_batches);
        size_t total = 0, batches = 0, rows, last = 0;
        while ((rows = vt_batcher_next(b, x, y)) > 0) total += rows, batches++, last = rows;
        cr_assert_eq(batches, want_batches);
        cr_assert_eq(last, drop ? 10 : 3);
        cr_assert_eq(total, drop ? 100 : 103);
        cr_assert_eq(vt_batcher_next(b, x, y), 0); /* stays at the end */
        vt_batcher_free(b);
    }
    vt_error err;
    vt_batcher_opts too_big = {.batch_size = 200, .drop_last = 1};
    cr_assert_null(vt_batcher_new(&ds, &too_big, &err));
    cr_assert(strstr(err.msg, "batch size 200"), "%s", err.msg);
    vt_batcher_opts zero = {.batch_size = 0};
    cr_assert_null(vt_batcher_new(&ds, &zero, &err));
    vt_batcher_opts one_batch = {.batch_size = 200};
    vt_batcher *b = vt_batcher_new(&ds, &one_batch, &err);
    cr_assert_eq(vt_batcher_batches_per_epoch(b), 1);
    vt_batcher_free(b);
    vt_dataset_free(&ds);
}

/* Every value of an epoch in {0, 1}; returns their mean. */
static double binary_epoch_mean(vt_batcher *b, uint64_t epoch, float *x) {
    double sum = 0;
    size_t count = 0, rows;
    vt_batcher_start_epoch(b, epoch);
    while ((rows = vt_batcher_next(b, x, NULL)) > 0)
        for (size_t i = 0; i < rows * BD; i++) {
            cr_assert(x[i] == 0.0f || x[i] == 1.0f, "value %g", x[i]);
            sum += x[i], count++;
        }
    return sum / (double)count;
}

/* n * 784 = 80752 independent Bernoulli(p_i) draws: the mean's standard deviation is
 * at most 1 / (2 sqrt(80752)) = 0.0018, so 0.01 is a 5.6-sigma tolerance. */
#define MEAN_TOL 0.01

Test(data, static_and_dynamic_binarization_match_the_pixel_mean) {
    enum { n = 103, bs = 16 };
    vt_dataset ds = synthetic(n);
    double mean = 0;
    for (size_t i = 0; i < n * BD; i++) mean += ds.pixels[i];
    mean /= n * BD;
    float *x = malloc(bs * BD * sizeof *x);
    for (int mode = VT_BIN_STATIC; mode <= VT_BIN_DYNAMIC; mode++) {
        vt_batcher_opts o = {.batch_size = bs, .seed = 11, .binarize = (vt_binarize)mode};
        vt_batcher *b = vt_batcher_new(&ds, &o, NULL);
        cr_assert(b);
        for (uint64_t epoch = 0; epoch < 2; epoch++) {
            double m = binary_epoch_mean(b, epoch, x);
            cr_assert(fabs(m - mean) < MEAN_TOL, "mode %d: mean %g vs pixels %g", mode, m, mean);
        }
        vt_batcher_free(b);
    }
    free(x);
    vt_dataset_free(&ds);
}

/* in_order, so batch k holds the same examples in every epoch and batcher. */
Test(data, static_is_fixed_dynamic_is_fresh_per_batch_and_reproducible) {
    enum { n = 40, bs = 8 };
    vt_dataset ds = synthetic(n);
    float x[bs * BD], a[bs * BD], b2[bs * BD];
    vt_batcher_opts o = {.batch_size = bs, .seed = 5, .in_order = 1, .binarize = VT_BIN_STATIC};
    vt_batcher *st = vt_batcher_new(&ds, &o, NULL);
    o.binarize = VT_BIN_DYNAMIC;
    vt_batcher *dy = vt_batcher_new(&ds, &o, NULL), *dy2 = vt_batcher_new(&ds, &o, NULL);
    cr_assert(st && dy && dy2);

    /* Static: the same bits for the same example in every epoch. */
    vt_batcher_next(st, a, NULL);
    vt_batcher_start_epoch(st, 1);
    vt_batcher_next(st, b2, NULL);
    cr_assert_arr_eq(a, b2, sizeof a);

    /* Dynamic: a new sample in a new epoch and in a new batch... */
    vt_batcher_next(dy, a, NULL);
    vt_batcher_start_epoch(dy, 1);
    vt_batcher_next(dy, b2, NULL);
    cr_assert(memcmp(a, b2, sizeof a) != 0, "epochs 0 and 1 drew the same sample");
    /* ...(the same rows draw differently as batch 1 of ds and batch 0 of a copy that
     * starts at them)... */
    vt_dataset copy = ds;
    copy.pixels = ds.pixels + bs * BD;
    copy.n = n - bs;
    vt_batcher *shifted = vt_batcher_new(&copy, &o, NULL);
    vt_batcher_start_epoch(dy, 0);
    vt_batcher_next(dy, a, NULL);
    vt_batcher_next(dy, a, NULL); /* ds rows 8..15, batch 1 */
    vt_batcher_next(shifted, b2, NULL); /* the same rows, batch 0 */
    cr_assert(memcmp(a, b2, sizeof a) != 0, "batches 0 and 1 drew the same sample");
    /* ...and the same (seed, epoch, batch) gives the same sample, whatever ran before. */
    vt_batcher_start_epoch(dy, 3);
    vt_batcher_next(dy, a, NULL);
    vt_batcher_next(dy, a, NULL);
    vt_batcher_start_epoch(dy2, 3);
    vt_batcher_next(dy2, x, NULL);
    vt_batcher_next(dy2, x, NULL);
    cr_assert_arr_eq(a, x, sizeof a);
    vt_batcher_free(st), vt_batcher_free(dy), vt_batcher_free(dy2), vt_batcher_free(shifted);
    vt_dataset_free(&ds);
}

Test(data, threshold_binarization) {
    enum { n = 12, bs = 5 };
    vt_dataset ds = synthetic(n);
    ds.pixels[3] = 0.5f; /* exactly 0.5 is not above the threshold */
    float x[bs * BD];
    vt_batcher_opts o = {.batch_size = bs, .in_order = 1, .binarize = VT_BIN_THRESHOLD};
    vt_batcher *b = vt_batcher_new(&ds, &o, NULL);
    size_t start = 0, rows;
    while ((rows = vt_batcher_next(b, x, NULL)) > 0) {
        for (size_t i = 0; i < rows * BD; i++)
            cr_assert_eq(x[i], ds.pixels[start * BD + i] > 0.5f ? 1.0f : 0.0f);
        start += rows;
    }
    cr_assert_eq(start, n);
    vt_batcher_free(b);
    vt_dataset_free(&ds);
}

Test(data, one_hot) {
    uint8_t y[3] = {2, 0, 9};
    float out[30];
    vt_one_hot(y, 3, 10, out);
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 10; c++) cr_assert_eq(out[i * 10 + c], c == y[i] ? 1.0f : 0.0f);
}

/* ---- the real thing, when installed ---- */

Test(data, fashion_mnist_test_set) {
    vt_test_require_data();
    char images[1024], labels[1024];
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", vt_test_data_dir());
    snprintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte.gz", vt_test_data_dir());
    vt_dataset ds;
    vt_error err;
    int rc = vt_dataset_load(&ds, images, labels, &err);
    cr_assert_eq(rc, VT_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 10000);
    cr_assert_eq(ds.height, 28);
    cr_assert_eq(ds.width, 28);
    cr_assert_eq(ds.dim, 784);
    int count[VT_DATA_CLASSES] = {0};
    for (size_t i = 0; i < ds.n; i++) count[ds.labels[i]]++;
    for (int c = 0; c < VT_DATA_CLASSES; c++)
        cr_assert_eq(count[c], 1000, "class %d (%s): %d", c, vt_fashion_class_name(c), count[c]);
    float lo = 1, hi = 0;
    for (size_t i = 0; i < ds.n * 784; i++)
        lo = fminf(lo, ds.pixels[i]), hi = fmaxf(hi, ds.pixels[i]);
    cr_assert_eq(lo, 0.0f);
    cr_assert_eq(hi, 1.0f);
    vt_dataset_free(&ds);
}
