/* Pictures of a model's latent space, beside the other PNGs:
 *   kl.png          KL per latent dimension, active units in colour
 *   traversal.png   one row per dimension of largest KL (up to 8): the decoded prior
 *                   mean with that coordinate swept over -3..3, the others at 0
 *   latent_map.png  a 2-D latent: the decoder over a 15 x 15 grid of [-3, 3]²;
 *                   otherwise the test set's posterior means on the two dimensions of
 *                   largest KL, coloured by label
 * Diagonal-Gaussian posteriors only (the diagnostics need them). */
#ifndef CLI_LATENT_IMAGES_H
#define CLI_LATENT_IMAGES_H

#include <stdint.h>
#include "cli/driver/fashion_data.h"
#include "vtape/diagnostics.h"

enum { CLI_STATS_POINTS = 2000 };   /* test points the pictures' statistics use */

/* 0, or -1 with a message naming the file. */
int cli_latent_images_write(vt_vae *v, const cli_fixed_test *test, const vt_latent_stats *s,
                           double threshold, int threads, const char *dir, vt_error *err);
/* Statistics over the first CLI_STATS_POINTS test points, then the pictures; a model
 * without a diagonal posterior is skipped (returns 1). */
int cli_latent_images_compute_and_write(vt_vae *v, const cli_fixed_test *test, uint64_t seed,
                                       int threads, const char *dir, vt_error *err);

#endif
