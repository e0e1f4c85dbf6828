/* CSV reader: one example per row, comma-separated numbers, an optional header row
 * (its first field is not a number), an optional label column. Rows are checked one by
 * one; a ragged row, an empty field, text or a non-finite number is an error naming
 * the row (1-based, header included) and column. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define CSV_MAX_BYTES ((size_t)1 << 31)

typedef struct csv {
    const char *path;
    int label_col;          /* resolved: -1 none, else 0-based */
    int cols;               /* fields per row, from the first data row */
    size_t rows, cap;       /* data rows; rows the buffers hold */
    float *values;
    uint8_t *labels;
    vt_error *err;
} csv;

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    return s;
}

static int count_fields(const char *line) {
    int n = 1;
    for (; *line; line++) n += *line == ',';
    return n;
}

/* One field as a finite number, or an error naming row and column. */
static int parse_number(csv *c, char *field, size_t row, int col, double *out) {
    char *s = trim(field), *end;
    if (!*s)
        return vt_error_set(c->err, VT_EFORMAT, "%s: row %zu, column %d: empty field, expected "
                            "a number", c->path, row, col + 1);
    errno = 0;
    double v = strtod(s, &end);
    if (*end)
        return vt_error_set(c->err, VT_EFORMAT, "%s: row %zu, column %d: '%.40s' is not a "
                            "number", c->path, row, col + 1, s);
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1) || fabs(v) > 3.4028234663852886e38)
        return vt_error_set(c->err, VT_ENONFINITE, "%s: row %zu, column %d: %.40s, expected a "
                            "finite number", c->path, row, col + 1, s);
    *out = v;
    return VT_OK;
}

static int grow(csv *c) {
    size_t dim = (size_t)c->cols - (c->label_col >= 0);
    size_t cap = c->cap ? 2 * c->cap : 64;
    float *v = realloc(c->values, cap * dim * sizeof *v);
    if (v) c->values = v;
    uint8_t *l = c->label_col >= 0 ? realloc(c->labels, cap) : NULL;
    if (l) c->labels = l;
    if (!v || (c->label_col >= 0 && !l))
        return vt_error_set(c->err, VT_ENOMEM, "%s: row %zu: out of memory", c->path, c->rows + 1);
    c->cap = cap;
    return VT_OK;
}

static int parse_row(csv *c, char *line, size_t row) {
    int fields = count_fields(line);
    if (c->cols == 0) {
        c->cols = fields;
        if (c->label_col == VT_CSV_LABEL_LAST) c->label_col = fields - 1;
        if (c->label_col >= fields || fields - (c->label_col >= 0) < 1)
            return vt_error_set(c->err, VT_EFORMAT, "%s: row %zu: %d columns, expected at least %d "
                                "(the label column and one value)", c->path, row, fields,
                                c->label_col >= 0 ? c->label_col + 2 : 1);
        if (fields > INT_MAX / 2)
            return vt_error_set(c->err, VT_ETOOBIG, "%s: row %zu: too many columns", c->path, row);
    } else if (fields != c->cols) {
        return vt_error_set(c->err, VT_EFORMAT, "%s: row %zu: %d columns, expected %d like the "
                            "first row", c->path, row, fields, c->cols);
    }
    if (c->rows == c->cap && grow(c) != VT_OK) return VT_ENOMEM;
    size_t dim = (size_t)c->cols - (c->label_col >= 0);
    float *out = c->values + c->rows * dim;
    char *field = line;
    for (int col = 0; col < c->cols; col++) {
        char *comma = strchr(field, ',');
        if (comma) *comma = '\0';
        double v = 0;
        int rc = parse_number(c, field, row, col, &v);
        if (rc != VT_OK) return rc;
        if (col == c->label_col) {
            if (v < 0 || v >= VT_DATA_MAX_CLASSES || v != floor(v))
                return vt_error_set(c->err, VT_ELABEL, "%s: row %zu, column %d: label %g, "
                                    "expected an integer 0..%d", c->path, row, col + 1, v,
                                    VT_DATA_MAX_CLASSES - 1);
            c->labels[c->rows] = (uint8_t)v;
        } else {
            *out++ = (float)v;
        }
        field = comma ? comma + 1 : field;
    }
    c->rows++;
    return VT_OK;
}

/* Blank lines are skipped; the first non-blank line is a header when its first field
 * does not start like a number. */
static int parse_text(csv *c, char *text) {
    size_t row = 0;
    int first = 1;
    for (char *line = text, *next; line && *line; line = next) {
        row++;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *s = trim(line);
        if (!*s) continue;
        if (first) {
            first = 0;
            char *end;
            strtod(s, &end);
            if (end == s && *s != ',') continue;   /* a header row */
        }
        int rc = parse_row(c, s, row);
        if (rc != VT_OK) return rc;
    }
    if (c->rows == 0)
        return vt_error_set(c->err, VT_EFORMAT, "%s: no data rows, expected comma-separated "
                            "numbers", c->path);
    return VT_OK;
}

int vt_dataset_read_csv(vt_dataset *ds, const char *path, int label_col, vt_error *err) {
    if (err) *err = (vt_error){0};
    if (!ds || !path || label_col < VT_CSV_LABEL_LAST)
        return vt_error_set(err, VT_EARG, "vt_dataset_read_csv: %s",
                            ds && path ? "bad label column" : "NULL dataset or path");
    memset(ds, 0, sizeof *ds);
    vt_gzin *in = vt_gzin_open(path, err);
    if (!in) return err ? err->code : VT_EIO;
    char *text;
    size_t len;
    int rc = vt_gzin_read_rest(in, CSV_MAX_BYTES, &text, &len, err);
    vt_gzin_close(in);
    if (rc != VT_OK) return rc;
    csv c = {.path = path, .label_col = label_col, .err = err};
    if (memchr(text, '\0', len))
        rc = vt_error_set(err, VT_EFORMAT, "%s: offset %zu: NUL byte, expected text", path,
                          (size_t)((char *)memchr(text, '\0', len) - text));
    else
        rc = parse_text(&c, text);
    free(text);
    if (rc != VT_OK) {
        free(c.values);
        free(c.labels);
        return rc;
    }
    int dim = c.cols - (c.label_col >= 0);
    *ds = (vt_dataset){.n = c.rows, .height = 1, .width = dim, .dim = dim, .pixels = c.values,
                       .labels = c.labels};
    for (size_t i = 0; c.labels && i < c.rows; i++)
        if (c.labels[i] >= ds->n_classes) ds->n_classes = c.labels[i] + 1;
    return VT_OK;
}
