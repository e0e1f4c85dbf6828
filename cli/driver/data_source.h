/* Where the commands' data comes from: Fashion-MNIST by default, or your own files
 * (--data, --labels, --test-data, --test-labels: IDX, NPY or CSV), with an optional
 * validation split of the training examples that then stands in for the test set. */
#ifndef CLI_DATA_SOURCE_H
#define CLI_DATA_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "cli/options/train_options.h"
#include "vtape/data.h"

typedef struct cli_data_spec {
    const char *data_dir;                /* Fashion-MNIST, used when data is NULL */
    const char *data, *labels;           /* training examples and labels (labels optional) */
    const char *test_data, *test_labels;
    int label_column;                    /* CSV label column, -1 none, -2 last */
    double val_split;                    /* > 0: hold out this fraction of the training
                                            examples and evaluate on them */
    uint64_t seed;                       /* which examples the split holds out */
    size_t train_limit, test_limit;      /* first N examples; 0: all */
} cli_data_spec;

/* The data options of a run. */
cli_data_spec cli_data_spec_of(const cli_train_options *o);

/* The training set (train may be NULL: it is then read only when a split needs it)
 * and the evaluation set: --test-data, else the validation split, else Fashion-MNIST's
 * test set. Own data needs --test-data or --val-split. Both sets get the larger
 * n_classes. 0, or -1 with a message naming the file and option. */
int cli_data_load(const cli_data_spec *s, vt_dataset *train, vt_dataset *test, vt_error *err);

/* The likelihood and binarization must fit the values: bernoulli and
 * continuous_bernoulli (and any binarization) need values in [0, 1]. */
int cli_data_check_values(const vt_dataset *ds, const char *likelihood, int binarized,
                          vt_error *err);

#endif
