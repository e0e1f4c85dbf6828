/* Fashion-MNIST as the commands use it: the training set, and a fixed test set
 * binarized once with a Bernoulli sample keyed by the test seed (as torch_vae.py
 * does), so every model is evaluated on the same pixels. */
#ifndef CLI_FASHION_DATA_H
#define CLI_FASHION_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "vtape/data.h"

typedef struct cli_fixed_test {
    int n, dim;
    float *x;           /* n x dim, binarized (or grey for --binarize none) */
    float *c;           /* n x classes one-hot labels */
    int classes;        /* the data's n_classes (10 for Fashion-MNIST) */
    uint8_t *labels;    /* n labels */
} cli_fixed_test;

/* Load the training set (when `train` is not NULL) and the test set from dir, keeping
 * the first *_limit examples (0: all). Messages name the file and, when the directory
 * is missing, how to install the data set. */
int cli_fashion_load(const char *dir, vt_dataset *train, size_t train_limit, vt_dataset *test,
                    size_t test_limit, vt_error *err);
/* The evaluation copy of `test` for a run trained with `train_mode`: dynamic and
 * static become one Bernoulli sample keyed by test_seed; threshold and none apply as
 * they are. */
int cli_fixed_test_make(cli_fixed_test *t, const vt_dataset *test, vt_binarize train_mode,
                       uint64_t test_seed, vt_error *err);
void cli_fixed_test_free(cli_fixed_test *t);

#endif
