#include "cli/driver/data_source.h"

#include <stdio.h>
#include <string.h>

#include "cli/driver/fashion_data.h"

static int read_own(const char *path, const char *labels, const char *opt, int label_column,
                    vt_dataset *ds, vt_error *err) {
    vt_data_opts o = {.csv_label_col = label_column};
    vt_error e;
    if (vt_dataset_read(ds, path, labels, &o, &e) != VT_OK) {
        vt_error_set(err, e.code, "%s: %s", opt, e.msg);
        return -1;
    }
    return 0;
}

static int load_train(const cli_data_spec *s, vt_dataset *train, vt_dataset *fashion_test,
                      vt_error *err) {
    if (s->data) return read_own(s->data, s->labels, "--data", s->label_column, train, err);
    return cli_fashion_load(s->data_dir, train, 0, fashion_test, 0, err);
}

static void limit_and_classes(const cli_data_spec *s, vt_dataset *train, vt_dataset *test) {
    if (train && s->train_limit) vt_dataset_truncate(train, s->train_limit);
    if (s->test_limit) vt_dataset_truncate(test, s->test_limit);
    if (train && train->n_classes > test->n_classes && test->labels) test->n_classes = train->n_classes;
    if (train && test->n_classes > train->n_classes && train->labels) train->n_classes = test->n_classes;
}

int cli_data_load(const cli_data_spec *s, vt_dataset *train, vt_dataset *test, vt_error *err) {
    vt_dataset own_train = {0}, fashion_test = {0};
    vt_dataset *tr = train ? train : &own_train;
    memset(test, 0, sizeof *test);
    if (train) memset(train, 0, sizeof *train);
    if (s->data && !s->test_data && !(s->val_split > 0)) {
        vt_error_set(err, VT_EARG, "--data %s: give --test-data FILE or --val-split F for the "
                     "evaluation set", s->data);
        return -1;
    }
    if ((s->labels || s->test_labels) && !s->data) {
        vt_error_set(err, VT_EARG, "--labels and --test-labels go with --data");
        return -1;
    }
    int rc = 0;
    if (s->val_split > 0) {   /* evaluation set: held out of the training examples */
        rc = load_train(s, tr, &fashion_test, err);
        vt_dataset_free(&fashion_test);
        vt_error e;
        if (rc == 0 && vt_dataset_split(tr, test, s->val_split, s->seed, &e) != VT_OK) {
            vt_error_set(err, e.code, "--val-split: %s", e.msg);
            rc = -1;
        }
    } else if (s->data) {
        rc = read_own(s->test_data, s->test_labels, "--test-data", s->label_column, test, err);
        if (rc == 0 && train) rc = load_train(s, train, NULL, err);
    } else {
        rc = cli_fashion_load(s->data_dir, train, 0, test, 0, err);
    }
    if (rc == 0 && train && train->dim != test->dim) {
        vt_error_set(err, VT_EMISMATCH, "the training examples have %d values and the test "
                     "examples %d", train->dim, test->dim);
        rc = -1;
    }
    if (rc == 0) limit_and_classes(s, train, test);
    vt_dataset_free(&own_train);
    if (rc != 0) {
        if (train) vt_dataset_free(train);
        vt_dataset_free(test);
    }
    return rc;
}

cli_data_spec cli_data_spec_of(const cli_train_options *o) {
    return (cli_data_spec){.data_dir = o->data_dir, .data = o->data, .labels = o->labels,
                           .test_data = o->test_data, .test_labels = o->test_labels,
                           .label_column = o->label_column, .val_split = o->val_split,
                           .seed = (uint64_t)o->seed, .train_limit = (size_t)o->train_limit,
                           .test_limit = (size_t)o->test_limit};
}

int cli_data_check_values(const vt_dataset *ds, const char *likelihood, int binarized,
                          vt_error *err) {
    float lo, hi;
    int unit = vt_dataset_range(ds, &lo, &hi);
    int needs_unit = binarized || !strcmp(likelihood, "bernoulli") ||
                     !strcmp(likelihood, "continuous_bernoulli");
    if (unit || !needs_unit) return 0;
    vt_error_set(err, VT_EARG, "the examples hold values in [%g, %g]; %s needs values in [0, 1]: "
                 "use --likelihood gaussian (or gaussian_learned) with --binarize none, or "
                 "rescale the data", lo, hi, binarized ? "binarization" : likelihood);
    return -1;
}
