/* Skipping a test, and the switch that forbids it.
 *
 * A Criterion skip exits 0, so ctest counts it as a pass. Outside CI a test whose
 * inputs are missing (the Fashion-MNIST files, PyTorch) skips with a message naming
 * what is missing; with VT_TEST_NO_SKIP=1 in the environment (set by scripts/test.sh,
 * the README's test command, and so by CI) the same test fails with that message. */
#ifndef VT_TEST_SKIP_H
#define VT_TEST_SKIP_H
#include <criterion/criterion.h>
#include "support.h"

/* 1 when VT_TEST_NO_SKIP is set to anything but "" or "0". */
int vt_test_no_skip(void);

/* Skip (or, under VT_TEST_NO_SKIP, fail) naming what is missing; fmt is a literal. */
#define vt_test_skip(fmt, ...)                                                             \
    do {                                                                                   \
        if (vt_test_no_skip())                                                             \
            cr_assert_fail("missing, and VT_TEST_NO_SKIP forbids skipping: " fmt,          \
                           ##__VA_ARGS__);                                                 \
        cr_skip_test("skipped, missing: " fmt, ##__VA_ARGS__);                             \
    } while (0)

/* Skip (fail under VT_TEST_NO_SKIP) unless Fashion-MNIST is in vt_test_data_dir(). */
#define vt_test_require_data()                                                             \
    do {                                                                                   \
        if (!vt_test_have_data())                                                          \
            vt_test_skip("Fashion-MNIST in %s (apt-get install dataset-fashion-mnist, "    \
                         "or set VT_FASHION_DIR)", vt_test_data_dir());                    \
    } while (0)

#endif
