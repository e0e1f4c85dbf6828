/* Test NELBO and importance-sampled log-likelihood for the commands. */
#include "cli/driver/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "vtape/data.h"

enum { EVAL_BATCH = 1000 };

int cli_eval_nelbo(vt_vae *v, const float *x, const float *c, int n, uint64_t test_seed,
                  int threads, double *per_image, cli_nelbo_result *out, vt_error *err) {
    *out = (cli_nelbo_result){0};
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = test_seed, .threads = threads});
    if (!ctx) {
        vt_error_set(err, VT_ENOMEM, "evaluation: out of memory");
        return -1;
    }
    vt_set_grad_enabled(ctx, 0);
    int dim = v->cfg.x_dim, classes = v->cfg.n_classes, was_hard = v->hard;
    v->hard = 1;   /* discrete latents: the discrete ELBO */
    const vt_elbo_opts eo = vt_vae_eval_opts(v);   /* analytic (generic for flows), K 1, β 1 */
    double sum = 0, rec = 0, kl = 0, site_kl[VT_TRACE_MAX_SITES] = {0};
    int rc = 0;
    for (int i0 = 0, batch = 0; i0 < n; i0 += EVAL_BATCH, batch++) {
        int rows = n - i0 < EVAL_BATCH ? n - i0 : EVAL_BATCH;
        vt_ctx_reset(ctx);
        vt_ctx_set_step(ctx, (uint64_t)batch);   /* same noise for this batch every time */
        vt_tensor *xb = vt_tensor_wrap(ctx, 2, (int[]){rows, dim}, (float *)x + (size_t)i0 * dim);
        vt_tensor *cb = classes ? vt_tensor_wrap(ctx, 2, (int[]){rows, classes},
                                                 (float *)c + (size_t)i0 * classes)
                                : NULL;
        vt_elbo_terms t;
        if (vt_vae_loss(ctx, v, xb, cb, &eo, &t) != 0) {
            vt_error_set(err, VT_EARG, "evaluation: %s", vt_ctx_error(ctx));
            rc = -1;
            break;
        }
        for (int r = 0; r < rows; r++) {
            sum -= t.elbo_rows[r];
            if (per_image) per_image[i0 + r] = -t.elbo_rows[r];
        }
        rec += t.rec * rows;
        kl += t.kl * rows;
        out->n_sites = t.n_sites;
        for (int i = 0; i < t.n_sites; i++) {
            out->site[i] = t.site_kl[i].name;   /* the model's names: live as long as it */
            site_kl[i] += t.site_kl[i].kl * rows;
        }
    }
    vt_ctx_free(ctx);
    v->hard = was_hard;
    if (rc == 0 && n > 0) {
        out->nelbo = sum / n, out->rec = rec / n, out->kl = kl / n;
        for (int i = 0; i < out->n_sites; i++) out->site_kl[i] = site_kl[i] / n;
    }
    return rc;
}

const char *cli_site_kl_text(const cli_nelbo_result *r, char *buf, size_t len) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; r->n_sites > 1 && i < r->n_sites && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s %.3f", i ? ", " : "; kl per latent site: ",
                              r->site[i] ? r->site[i] : "?", r->site_kl[i]);
    return buf;
}

int cli_eval_log_px(vt_vae *v, const float *x, const float *c, int n, int k, int chunk_rows,
                   uint64_t test_seed, int threads, cli_log_px_result *out, vt_error *err) {
    *out = (cli_log_px_result){.n = n, .k = k};
    /* Its own noise stream (test seed + 1, as torch_vae.py), apart from the NELBO's. */
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = test_seed + 1, .threads = threads});
    double *lp = malloc((size_t)n * sizeof *lp);
    if (!ctx || !lp) {
        vt_ctx_free(ctx);
        free(lp);
        vt_error_set(err, VT_ENOMEM, "importance sampling: out of memory");
        return -1;
    }
    vt_model model = vt_vae_model(v);   /* one latent or several */
    int classes = v->cfg.n_classes, was_hard = v->hard;
    v->hard = 1;   /* discrete latents: exact draws, exact probabilities */
    int rc = vt_model_log_px(ctx, &model, x, classes ? c : NULL, n, v->cfg.x_dim, classes, k,
                       chunk_rows, lp);
    v->hard = was_hard;
    if (rc != 0) {
        vt_error_set(err, VT_EARG, "importance sampling: %s", vt_ctx_error(ctx));
    } else {
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean -= lp[i];
        mean /= n;
        for (int i = 0; i < n; i++) var += (-lp[i] - mean) * (-lp[i] - mean);
        out->nll = mean;
        out->sem = n > 1 ? sqrt(var / (n - 1) / n) : 0.0;
    }
    vt_ctx_free(ctx);
    free(lp);
    return rc;
}
