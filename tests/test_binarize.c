/* Static and dynamic binarization draw each pixel as Bernoulli(its own value): checked
 * per pixel with asymmetric probabilities, where p and 1 − p (an inverted draw), a
 * threshold, or a pixel mixed up with another are far apart. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include "vtape/data.h"

enum { N = 4000, DIM = 6, BS = 100 };
static const float P[DIM] = {0.05f, 0.2f, 0.35f, 0.7f, 0.9f, 0.0f};

/* N copies of one image with pixel probabilities P. */
static vt_dataset copies(void) {
    vt_dataset ds = {.n = N, .height = 2, .width = 3, .dim = DIM};
    ds.pixels = malloc(N * DIM * sizeof *ds.pixels);
    for (int i = 0; i < N * DIM; i++) ds.pixels[i] = P[i % DIM];
    return ds;
}

/* Frequency of 1 per pixel over `epochs` epochs. */
static void pixel_frequency(vt_batcher *b, int epochs, double *freq) {
    float x[BS * DIM];
    double count = 0;
    for (int j = 0; j < DIM; j++) freq[j] = 0;
    for (int e = 0; e < epochs; e++) {
        vt_batcher_start_epoch(b, (uint64_t)e);
        size_t rows;
        while ((rows = vt_batcher_next(b, x, NULL)) > 0) {
            count += (double)rows;
            for (size_t r = 0; r < rows; r++)
                for (int j = 0; j < DIM; j++) {
                    float v = x[r * DIM + j];
                    cr_assert(v == 0.0f || v == 1.0f, "pixel %d drawn as %g", j, v);
                    freq[j] += v;
                }
        }
    }
    for (int j = 0; j < DIM; j++) freq[j] /= count;
}

/* N = 4000 draws per pixel and epoch: SE ≤ √(0.25/4000) = 0.0079; 0.04 is 5 SE, and
 * the nearest wrong answer (1 − 0.35 = 0.65 for pixel 2) is 0.3 away. */
static void check_mode(vt_binarize mode, int epochs) {
    vt_dataset ds = copies();
    vt_error err;
    vt_batcher *b = vt_batcher_new(&ds, &(vt_batcher_opts){.batch_size = BS, .seed = 17,
                                                          .binarize = mode}, &err);
    cr_assert_not_null(b, "%s", err.msg);
    double f[DIM];
    pixel_frequency(b, epochs, f);
    for (int j = 0; j < DIM; j++)
        cr_assert(fabs(f[j] - P[j]) < 0.04 / sqrt(epochs), "mode %d pixel %d: frequency %.4f, p %.2f",
                  (int)mode, j, f[j], P[j]);
    vt_batcher_free(b);
    vt_dataset_free(&ds);
}

Test(binarize, static_draws_each_pixel_with_its_own_probability) { check_mode(VT_BIN_STATIC, 1); }
Test(binarize, dynamic_draws_each_pixel_with_its_own_probability) { check_mode(VT_BIN_DYNAMIC, 4); }
