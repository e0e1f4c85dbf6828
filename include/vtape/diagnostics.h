/* Diagnostics of a trained VAE with a diagonal-Gaussian posterior, beyond the ELBO:
 *
 *   posterior collapse   KL(q(z_d|x) ‖ N(0, 1)) per latent dimension, averaged over
 *                        the data, and active units: dimensions whose posterior mean
 *                        moves with x, Var_x(E_q[z_d]) > threshold (Burda et al. 2016)
 *   mutual information   I(x; z) under q(x, z) = p_data(x) q(z|x), from the "ELBO
 *                        surgery" split E_x KL(q(z|x) ‖ p(z)) = I(x; z) + KL(q(z) ‖ p(z))
 *                        (Hoffman & Johnson 2016)
 *   inference gap        log p(x) − ELBO(q_encoder) = approximation gap + amortization
 *                        gap (Cremer et al. 2018), by refining each point's own q
 *
 *   vt_latent_stats s;
 *   vt_latent_stats_compute(&vae, x, NULL, n, &(vt_latent_stats_opts){0}, &s, &err);
 *   printf("%d active units, I(x;z) = %.2f nats\n", s.active_units, s.mutual_info);
 *   vt_latent_stats_free(&s);
 *
 * x: n x x_dim rows in caller memory (c: n x n_classes one-hot for a CVAE, else NULL).
 * Every function returns 0, or a negative VT_E* code with err naming the problem; the
 * model's parameters are left as they were. */
#ifndef VTAPE_DIAGNOSTICS_H
#define VTAPE_DIAGNOSTICS_H

#include "vtape/vae.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_latent_stats_opts {
    double active_threshold;   /* Var_x E_q[z_d] above this is active (0: 0.01) */
    int mi_points;             /* datapoints in the aggregate posterior q(z) ≈
                                  (1/M) Σ_m q(z|x_m) (0: min(n, 1000)) */
    int mi_samples;            /* z ~ q(z|x) per datapoint for I(x; z) (0: 1) */
    uint64_t seed;             /* noise of those samples */
    int threads;
} vt_latent_stats_opts;

typedef struct vt_latent_stats {
    int latent;                /* Z */
    double *kl_per_dim;        /* Z: mean over x of KL(q(z_d|x) ‖ N(0,1)); NaN with a
                                  prior other than N(0, I) */
    double *mean_var;          /* Z: variance over x of E_q[z_d] */
    int active_units;
    double kl;                 /* Σ_d kl_per_dim: E_x KL(q(z|x) ‖ p(z)) */
    double mutual_info;        /* I(x; z) under q, nats */
    double marginal_kl;        /* kl − mutual_info: KL(q(z) ‖ p(z)) */
    int n, mi_points;
} vt_latent_stats;

int vt_latent_stats_compute(vt_vae *v, const float *x, const float *c, int n,
                            const vt_latent_stats_opts *opts, vt_latent_stats *out,
                            vt_error *err);
void vt_latent_stats_free(vt_latent_stats *s);
/* The k dimensions of largest KL, largest first, into dims (k <= latent). */
void vt_latent_stats_top_dims(const vt_latent_stats *s, int k, int *dims);

/* ---- inference gap (models/inference_gap.c) ----
 * For each datapoint, q_i = N(μ_i, diag σ_i²) starts at the encoder's output and is
 * refined by `steps` Adam steps on that point's own ELBO (decoder and prior fixed: the
 * per-datapoint E-step of variational EM). With ELBOs estimated by `elbo_samples`
 * draws and log p(x) by importance sampling with `iw_samples` draws from the refined
 * q_i (the better proposal), per point:
 *   approximation gap = log p(x) − ELBO(q_i)
 *   amortization gap  = ELBO(q_i) − ELBO(q_encoder)
 * which add up to log p(x) − ELBO(q_encoder). */
typedef struct vt_gap_opts {
    int steps;          /* Adam steps per point (0: 200) */
    float lr;           /* (0: 1e-2) */
    int step_samples;   /* z draws per point per step (0: 4) */
    int elbo_samples;   /* draws for each reported ELBO (0: 1000) */
    int iw_samples;     /* importance samples for log p(x) (0: 1000) */
    int chunk_rows;     /* decoder rows per chunk (0: 50000) */
    uint64_t seed;
    int threads;
} vt_gap_opts;

typedef struct vt_gap_result {
    int n;
    double log_px;          /* means over the n points, nats */
    double elbo_encoder, elbo_refined;
    double approximation_gap, amortization_gap, total_gap;
} vt_gap_result;

int vt_inference_gap(vt_vae *v, const float *x, const float *c, int n, const vt_gap_opts *opts,
                     vt_gap_result *out, vt_error *err);

#ifdef __cplusplus
}
#endif
#endif
