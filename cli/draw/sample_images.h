/* The pictures of a trained model, as PNGs in a directory:
 *   samples.png          an 8-wide grid of decoded prior samples (means)
 *   reconstructions.png  test images beside their reconstructions, in column pairs
 *   classes.png          a CVAE only: one row per class 0..9, ten samples each
 *   interpolation.png    decoded linear paths between the posterior means of pairs of
 *                        test images, ten steps per row (needs two test images)
 * and the latent pictures of latent_images.h (kl.png, traversal.png, latent_map.png). */
#ifndef CLI_SAMPLE_IMAGES_H
#define CLI_SAMPLE_IMAGES_H

#include <stddef.h>
#include <stdint.h>
#include "cli/driver/fashion_data.h"
#include "vtape/vae.h"

enum { CLI_INTERP_STEPS = 10, CLI_CLASS_SAMPLES = 10 };

/* n: images in samples.png and pairs in reconstructions.png (test may hold fewer).
 * On success prints nothing and returns 0; -1 with a message naming the file. */
int cli_sample_images_write(vt_vae *v, const cli_fixed_test *test, int n, uint64_t seed,
                           int threads, const char *dir, vt_error *err);

#endif
