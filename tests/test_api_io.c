/* Public helpers that arrived with the reliability work, checked by value: checked size
 * arithmetic at its overflow edges, the atomic file writer (old file whole until the
 * commit, nothing left behind on abort), and the op kit's shape checks. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "support.h"
#include "vtape/checked.h"
#include "vtape/io.h"
#include "vtape/opkit.h"

Test(api_io, checked_arithmetic_at_the_edges) {
    size_t s = 7;
    cr_assert(vt_size_mul(SIZE_MAX / 3, 3, &s) && s == SIZE_MAX / 3 * 3);
    s = 7;
    cr_assert(!vt_size_mul(SIZE_MAX / 3 + 1, 3, &s) && s == 7, "overflow must leave *out");
    cr_assert(vt_size_mul(0, SIZE_MAX, &s) && s == 0);
    cr_assert(vt_size_add(SIZE_MAX - 5, 5, &s) && s == SIZE_MAX);
    s = 7;
    cr_assert(!vt_size_add(SIZE_MAX - 5, 6, &s) && s == 7);
    int i = 3;
    cr_assert(vt_int_mul(46340, 46340, &i) && i == 46340 * 46340);   /* 2147395600 */
    i = 3;
    cr_assert(!vt_int_mul(46341, 46341, &i) && i == 3);              /* 2147488281 > INT_MAX */
    cr_assert(!vt_int_mul(-1, 2, &i) && !vt_int_mul(2, -1, &i));
    cr_assert_eq(vt_shape_numel(3, (int[]){2, 3, 4}), 24);
    cr_assert_eq(vt_shape_numel(2, (int[]){65536, 32768}), 0);       /* 2^31 > VT_MAX_NUMEL */
    cr_assert_eq(vt_shape_numel(2, (int[]){65535, 32768}), (size_t)65535 * 32768);
    cr_assert_eq(vt_shape_numel(2, (int[]){3, 0}), 0);
    cr_assert_eq(vt_shape_numel(0, (int[]){3}), 0);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void read_all(const char *path, char *buf, size_t len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

Test(api_io, atomic_writes_replace_whole_files) {
    char dir[64], path[128], tmp[160], buf[64];
    cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/f.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    vt_error err;
    cr_assert_eq(vt_atomic_write(path, "first", 5, &err), 0, "%s", err.msg);
    read_all(path, buf, sizeof buf);
    cr_assert_str_eq(buf, "first");
    vt_atomic_file af;
    cr_assert_eq(vt_atomic_begin(&af, path, &err), 0, "%s", err.msg);
    fputs("second, longer", af.f);
    fflush(af.f);
    read_all(path, buf, sizeof buf);   /* not committed yet: the old file, whole */
    cr_assert_str_eq(buf, "first");
    cr_assert_eq(vt_atomic_commit(&af, &err), 0, "%s", err.msg);
    read_all(path, buf, sizeof buf);
    cr_assert_str_eq(buf, "second, longer");
    cr_assert_eq(file_size(tmp), -1, "temporary left behind");
    cr_assert_eq(vt_atomic_begin(&af, path, &err), 0, "%s", err.msg);
    fputs("third", af.f);
    vt_atomic_abort(&af);
    read_all(path, buf, sizeof buf);
    cr_assert_str_eq(buf, "second, longer");
    cr_assert_eq(file_size(tmp), -1, "abort left the temporary");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/f", dir);
    cr_assert_lt(vt_atomic_write(missing, "x", 1, &err), 0);
    cr_assert(strstr(err.msg, "no/such/dir"), "%s", err.msg);
    cr_assert_eq(vt_test_rmtree(dir), 0);
}

Test(api_io, op_kit_shape_checks) {
    vt_ctx *ctx = vt_ctx_new(NULL);
    cr_assert_eq(vt_sample_rows(ctx, "op", 3, 5), 15);
    cr_assert_null(vt_ctx_error(ctx));
    cr_assert_eq(vt_sample_rows(ctx, "op", 0, 5), 0);
    cr_assert_not_null(vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    cr_assert_eq(vt_sample_rows(ctx, "op", 65536, 65536), 0);   /* 2^32 rows */
    cr_assert_not_null(vt_ctx_error(ctx));
    vt_ctx_reset(ctx);
    vt_tensor *a = vt_zeros(ctx, 2, (int[]){2, 3}), *b = vt_zeros(ctx, 2, (int[]){3, 2});
    cr_assert(vt_check_same_shape(ctx, "vt_axpby", "a", a, "a", a));
    cr_assert_null(vt_ctx_error(ctx));
    cr_assert_not(vt_check_same_shape(ctx, "vt_axpby", "a", a, "b", b));
    cr_assert(strstr(vt_ctx_error(ctx), "vt_axpby: a 2 x 3 and b 3 x 2 differ"), "%s",
              vt_ctx_error(ctx));
    vt_ctx_free(ctx);
}
