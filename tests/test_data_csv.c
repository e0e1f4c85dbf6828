/* vt_dataset_read_csv called directly (data/csv.c): values and labels read exactly for
 * each choice of label column (none, a given one, the last), a header row and blank
 * lines skipped, gzip read like plain text; text, ragged rows, bad labels and bad
 * arguments refused with the documented code and a message naming the file, the row
 * (1-based, header and blank lines counted) and the column. The dataset is left zeroed
 * on every failure. */
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
TestSuite(csv, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *write_text(const char *name, const char *text) {
    const char *p = vt_test_write_file(tmpdir, name, text, strlen(text));
    cr_assert(p, "cannot write %s in %s", name, tmpdir);
    return p;
}

static void csv_ok(vt_dataset *ds, const char *text, int label_col) {
    vt_error err;
    int rc = vt_dataset_read_csv(ds, write_text("ok.csv", text), label_col, &err);
    cr_assert_eq(rc, VT_OK, "%s", err.msg);
}

Test(csv, csv_values_and_each_label_column) {
    const char *text = "a,b,c\n 1.5, -2 ,3\n\n4e-1,+5,0\r\n1e-50,6,2\n";
    vt_dataset ds;
    csv_ok(&ds, text, -1);   /* no label: three values a row */
    const float all[9] = {1.5f, -2, 3, 0.4f, 5, 0, 0, 6, 2};   /* 1e-50 underflows to 0 */
    cr_assert_eq(ds.n, 3);
    cr_assert_eq(ds.dim, 3);
    cr_assert_eq(ds.height, 1);
    cr_assert_eq(ds.width, 3);
    cr_assert_null(ds.labels);
    cr_assert_eq(ds.n_classes, 0);
    for (int i = 0; i < 9; i++) cr_assert_eq(ds.pixels[i], all[i], "value %d: %g", i, ds.pixels[i]);
    vt_dataset_free(&ds);
    csv_ok(&ds, "1,7,2\n3,0,4\n", 1);   /* the middle column */
    cr_assert_eq(ds.dim, 2);
    cr_assert_eq(ds.pixels[1], 2.0f);
    cr_assert_eq(ds.pixels[2], 3.0f);
    cr_assert_eq(ds.labels[0], 7);
    cr_assert_eq(ds.labels[1], 0);
    cr_assert_eq(ds.n_classes, 8);
    vt_dataset_free(&ds);
    csv_ok(&ds, text, VT_CSV_LABEL_LAST);
    cr_assert_eq(ds.dim, 2);
    cr_assert_eq(ds.pixels[2], 0.4f);
    cr_assert_eq(ds.labels[0], 3);
    cr_assert_eq(ds.labels[2], 2);
    cr_assert_eq(ds.n_classes, 4);
    vt_dataset_free(&ds);
}

static void csv_error(const char *name, const char *text, int label_col, int code, ...) {
    const char *p = write_text(name, text);
    vt_dataset ds;
    memset(&ds, 0xAB, sizeof ds);
    vt_error err;
    int rc = vt_dataset_read_csv(&ds, p, label_col, &err);
    cr_assert_eq(rc, code, "%s: rc %d, expected %d: %s", name, rc, code, err.msg);
    cr_assert_null(ds.pixels);
    cr_assert_null(ds.labels);
    cr_assert_eq(ds.n, 0);
    cr_assert(strstr(err.msg, name), "message \"%s\" lacks the file name", err.msg);
    va_list ap;
    va_start(ap, code);
    for (const char *needle; (needle = va_arg(ap, const char *));)
        cr_assert(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"", err.msg, needle);
    va_end(ap);
}

Test(csv, csv_hostile_rows_name_row_and_column) {
    /* rows count from 1 with the header and blank lines */
    csv_error("text.csv", "x,y\n1,2\n\n3,abc\n", -1, VT_EFORMAT, "row 4, column 2",
              "'abc' is not a number", NULL);
    csv_error("later-text.csv", "1,2\nx,y\n", -1, VT_EFORMAT, "row 2, column 1", "'x'", NULL);
    csv_error("unit.csv", "1,2\n3,4kg\n", -1, VT_EFORMAT, "row 2, column 2", NULL);
    csv_error("short.csv", "1,2,3\n4,5\n", -1, VT_EFORMAT, "row 2: 2 columns, expected 3", NULL);
    csv_error("wide.csv", "1,2\n3,4\n5,6,7\n", -1, VT_EFORMAT, "row 3: 3 columns, expected 2",
              NULL);
    csv_error("comma.csv", "1,2\n3,4,\n", -1, VT_EFORMAT, "row 2: 3 columns", NULL);
    csv_error("nan.csv", "1,2\nNaN,4\n", -1, VT_ENONFINITE, "row 2, column 1", "finite", NULL);
    csv_error("label.csv", "1,2,-1\n", VT_CSV_LABEL_LAST, VT_ELABEL, "row 1, column 3",
              "label -1", "0..255", NULL);
    csv_error("nolabel.csv", "1,2\n", 2, VT_EFORMAT, "row 1: 2 columns, expected at least 4",
              NULL);
    csv_error("blank.csv", "\n \n\t\n", -1, VT_EFORMAT, "no data rows", NULL);
}

Test(csv, csv_bad_arguments_and_missing_files) {
    vt_dataset ds;
    vt_error err;
    const char *p = write_text("fine.csv", "1,2\n");
    cr_assert_eq(vt_dataset_read_csv(&ds, p, -3, &err), VT_EARG);
    cr_assert(strstr(err.msg, "bad label column"), "%s", err.msg);
    cr_assert_eq(vt_dataset_read_csv(NULL, p, -1, &err), VT_EARG);
    cr_assert_eq(vt_dataset_read_csv(&ds, NULL, -1, &err), VT_EARG);
    cr_assert(strstr(err.msg, "NULL dataset or path"), "%s", err.msg);
    cr_assert_eq(vt_dataset_read_csv(&ds, vt_test_path(tmpdir, "gone.csv"), -1, &err), VT_EIO);
    cr_assert(strstr(err.msg, "gone.csv") && strstr(err.msg, "cannot open"), "%s", err.msg);
    cr_assert_eq(vt_dataset_read_csv(&ds, vt_test_path(tmpdir, "gone.csv"), -1, NULL), VT_EIO);
    /* a gzip CSV read by this function directly */
    const char *gz = vt_test_path(tmpdir, "g.csv.gz");
    gzFile g = gzopen(gz, "wb");
    gzputs(g, "h1,h2\n0.25,1\n");
    gzclose(g);
    cr_assert_eq(vt_dataset_read_csv(&ds, gz, 1, &err), VT_OK, "%s", err.msg);
    cr_assert_eq(ds.n, 1);
    cr_assert_eq(ds.pixels[0], 0.25f);
    cr_assert_eq(ds.labels[0], 1);
    vt_dataset_free(&ds);
}
