/* Loading Fashion-MNIST for the commands, and the fixed test set. */
#include "cli/driver/fashion_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fashion_load(const char *dir, vt_dataset *train, size_t train_limit, vt_dataset *test,
                    size_t test_limit, vt_error *err) {
    if (vt_dataset_load_fashion(train, test, dir, err) != VT_OK) return -1;
    if (train && train_limit > 0) vt_dataset_truncate(train, train_limit);
    if (test_limit > 0) vt_dataset_truncate(test, test_limit);
    return 0;
}

int cli_fixed_test_make(cli_fixed_test *t, const vt_dataset *test, vt_binarize train_mode,
                       uint64_t test_seed, vt_error *err) {
    memset(t, 0, sizeof *t);
    /* A dynamically binarized run is tested on one fixed sample, like torch_vae.py. */
    vt_binarize mode = train_mode == VT_BIN_DYNAMIC ? VT_BIN_STATIC : train_mode;
    vt_batcher_opts bo = {.batch_size = test->n, .seed = test_seed, .in_order = 1,
                          .binarize = mode};
    vt_error e;
    vt_batcher *b = vt_batcher_new(test, &bo, &e);
    t->n = (int)test->n;
    t->dim = test->dim;
    t->x = malloc(test->n * (size_t)test->dim * sizeof *t->x);
    t->classes = test->n_classes > 0 ? test->n_classes : VT_DATA_CLASSES;
    t->c = malloc(test->n * (size_t)t->classes * sizeof *t->c);
    t->labels = malloc(test->n);
    if (!b || !t->x || !t->c || !t->labels) {
        vt_error_set(err, VT_ENOMEM, "test set: %s", b ? "out of memory" : e.msg);
        vt_batcher_free(b);
        cli_fixed_test_free(t);
        return -1;
    }
    vt_batcher_next(b, t->x, t->labels);
    vt_batcher_free(b);
    if (!test->labels) memset(t->labels, 0, test->n);
    vt_one_hot(t->labels, test->n, t->classes, t->c);
    return 0;
}

void cli_fixed_test_free(cli_fixed_test *t) {
    free(t->x);
    free(t->c);
    free(t->labels);
    memset(t, 0, sizeof *t);
}
