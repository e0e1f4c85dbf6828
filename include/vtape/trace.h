/* A latent model with any number of named latent variables ("sites"), written as two
 * functions, as Pyro's guide and model:
 *
 *   guide(x, c):  q(z_1 | x, c) q(z_2 | z_1, x, c) …  — draws each site in turn with
 *                 vt_trace_sample(tr, "z1", q1); a factor may use x, c and earlier sites;
 *   model(c):     p(z_a | c) p(z_b | z_a, c) … p(x | z, c) — asks for each site in
 *                 generative order with vt_trace_latent(tr, "z1", p1), which returns the
 *                 guide's value of that site (or, when generating, a draw from p1), and
 *                 returns the likelihood p(x | …) as a vt_dist.
 *
 * The estimators of elbo.h run the guide, then the model against the guide's values,
 * and pair each site's q and p: nothing in them depends on the model. Latent tensors
 * have K·R rows, sample-major (row s·R + r is sample s of datapoint r); a factor with R
 * rows (one per datapoint) is sampled K times, one with K·R rows once. With the STL
 * and DReG gradients the guide runs a second time, its parameters frozen, and each
 * vt_trace_sample then returns the value of the first run (elbo.h): a guide must draw
 * the same sites in the same order whenever it runs. */
#ifndef VTAPE_TRACE_H
#define VTAPE_TRACE_H

#include "vtape/dist.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_TRACE_MAX_SITES 16

typedef struct vt_trace vt_trace;

/* A latent model: guide returns 0, or −1 with the context error set; model returns
 * p(x | latents, c) (x has R rows; its parameters may have K·R rows). Site names must
 * live as long as the step (string literals do). */
typedef struct vt_model vt_model;
struct vt_model {
    int (*guide)(vt_ctx *ctx, const vt_model *m, vt_tensor *x, vt_tensor *c, vt_trace *tr);
    vt_dist *(*model)(vt_ctx *ctx, const vt_model *m, vt_tensor *c, vt_trace *tr);
    void *self;
};

/* In the guide: draw site `name` from q (k·rows(q) = K·R rows) and return the value
 * (on the guide's second run for STL/DReG: the value already drawn). */
vt_tensor *vt_trace_sample(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *q);
/* In the model: give site `name` its prior factor p and return its value (the guide's
 * draw; when generating, a draw from p). The prior may depend on sites asked for
 * before it. */
vt_tensor *vt_trace_latent(vt_ctx *ctx, vt_trace *tr, const char *name, vt_dist *p);
int vt_trace_samples(const vt_trace *tr);   /* K (0 for NULL) */
int vt_trace_rows(const vt_trace *tr);      /* R, datapoints (or samples to generate) */
/* t (R rows) repeated to K·R rows, as the sites' rows (no copy when K = 1; t itself
 * when it already has K·R rows); any other row count is an error. */
vt_tensor *vt_trace_expand(vt_ctx *ctx, const vt_trace *tr, vt_tensor *t);

/* The sites so far, in guide order (q, p, value), for a guide or model to read: in the
 * model, every site the guide drew, each with its p once the model has asked for it. */
typedef struct vt_site {
    const char *name;
    vt_dist *q, *p;
    vt_tensor *z;
    int q_order, p_order;   /* position in the guide and in the model (−1: not seen) */
} vt_site;
int vt_trace_n_sites(const vt_trace *tr);                  /* sites so far (0 for NULL) */
const vt_site *vt_trace_site(const vt_trace *tr, int i);   /* NULL when i is out of range */

#ifdef __cplusplus
}
#endif
#endif
