/* Test-set evaluation: the single-sample NELBO (β = 1) and the importance-sampled
 * −log p(x). Noise is keyed by the test seed alone, so numbers do not depend on how
 * long or with which seed the model was trained. */
#ifndef CLI_EVALUATE_H
#define CLI_EVALUATE_H

#include <stddef.h>
#include <stdint.h>
#include "vtape/vae.h"

typedef struct cli_nelbo_result {
    double nelbo, rec, kl;   /* means over the images, nats per image */
    int n_sites;             /* latent sites, each with its share of kl (vt_elbo_terms) */
    const char *site[VT_TRACE_MAX_SITES];
    double site_kl[VT_TRACE_MAX_SITES];
} cli_nelbo_result;

/* ", kl per latent site: z1 3.214, z2 0.871" into buf for a model of more than one
 * site, else "" (buf holds at least 512 bytes). */
const char *cli_site_kl_text(const cli_nelbo_result *r, char *buf, size_t len);

/* x: n x dim, c: n x classes one-hot (used only by a conditional model).
 * per_image (optional) receives the n NELBOs. 0, or −1 with a message. */
int cli_eval_nelbo(vt_vae *v, const float *x, const float *c, int n, uint64_t test_seed,
                  int threads, double *per_image, cli_nelbo_result *out, vt_error *err);

typedef struct cli_log_px_result {
    double nll;     /* mean of −log p(x) over the images */
    double sem;     /* its standard error */
    int n, k;
} cli_log_px_result;

/* −log p(x) ≈ −log (1/K) Σ_k p(x, z_k)/q(z_k|x) on the first n images. */
int cli_eval_log_px(vt_vae *v, const float *x, const float *c, int n, int k, int chunk_rows,
                   uint64_t test_seed, int threads, cli_log_px_result *out, vt_error *err);

#endif
