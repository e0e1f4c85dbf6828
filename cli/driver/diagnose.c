#include "cli/driver/diagnose.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/draw/latent_images.h"

static void print_stats(const vt_latent_stats *s, double threshold) {
    int Z = s->latent, top[8], k = Z < 8 ? Z : 8;
    vt_latent_stats_top_dims(s, k, top);
    printf("latent: %d of %d units active (Var_x E_q[z_d] > %g), KL %.3f nats = I(x;z) %.3f "
           "+ KL(q(z)||p(z)) %.3f  (I(x;z) on %d points, at most log %d = %.2f)\n",
           s->active_units, Z, threshold, s->kl, s->mutual_info, s->marginal_kl, s->mi_points,
           s->mi_points, log((double)s->mi_points));
    printf("KL per dimension, largest first:");
    for (int j = 0; j < k; j++) printf(" z%d %.3f", top[j], s->kl_per_dim[top[j]]);
    printf("%s\n", Z > k ? " ..." : "");
}

static void json_array(FILE *f, const char *name, const double *v, int n) {
    fprintf(f, "  \"%s\": [", name);
    for (int i = 0; i < n; i++) fprintf(f, "%s%.6g", i ? ", " : "", isfinite(v[i]) ? v[i] : -1.0);
    fprintf(f, "],\n");
}

static int write_json(const char *dir, const vt_latent_stats *s, const vt_gap_result *g,
                      double threshold, vt_error *err) {
    char path[4200];
    if (cli_join(path, sizeof path, dir, "diagnostics.json") != 0)
        return vt_error_set(err, VT_EARG, "%s: path too long", dir), -1;
    FILE *f = fopen(path, "w");
    if (!f) return vt_error_set(err, VT_EIO, "%s: cannot create: %s", path, strerror(errno)), -1;
    fprintf(f, "{\n  \"points\": %d,\n  \"active_threshold\": %g,\n  \"active_units\": %d,\n"
               "  \"kl\": %.6g,\n  \"mutual_info\": %.6g,\n  \"marginal_kl\": %.6g,\n"
               "  \"mi_points\": %d,\n", s->n, threshold, s->active_units, s->kl, s->mutual_info,
            s->marginal_kl, s->mi_points);
    json_array(f, "kl_per_dim", s->kl_per_dim, s->latent);
    json_array(f, "mean_var", s->mean_var, s->latent);
    if (g)
        fprintf(f, "  \"gap\": {\"points\": %d, \"log_px\": %.6g, \"elbo_encoder\": %.6g, "
                   "\"elbo_refined\": %.6g, \"approximation_gap\": %.6g, \"amortization_gap\": "
                   "%.6g, \"total_gap\": %.6g},\n", g->n, g->log_px, g->elbo_encoder,
                g->elbo_refined, g->approximation_gap, g->amortization_gap, g->total_gap);
    fprintf(f, "  \"latent\": %d\n}\n", s->latent);
    if (ferror(f) | fclose(f))
        return vt_error_set(err, VT_EIO, "%s: cannot write", path), -1;
    return 0;
}

int cli_diagnose(vt_vae *v, const cli_fixed_test *test, const cli_diagnose_opts *o,
                vt_error *err) {
    if (v->cfg.posterior != VT_POSTERIOR_DIAG || v->cfg.latent_type != VT_LATENT_GAUSSIAN ||
        v->cfg.levels != 1)
        return 1;   /* the statistics are those of one diagonal-Gaussian latent */
    int n = o->stats_n > 0 && o->stats_n < test->n ? o->stats_n : test->n;
    vt_latent_stats s;
    vt_latent_stats_opts so = {.active_threshold = o->threshold, .mi_points = o->mi_points,
                               .seed = o->seed, .threads = o->threads};
    double t0 = cli_now();
    if (vt_latent_stats_compute(v, test->x, test->c, n, &so, &s, err) != 0) return -1;
    print_stats(&s, o->threshold);
    printf("  [%d test points, %.1fs]\n", n, cli_now() - t0);
    vt_gap_result g;
    int gap_n = o->gap_n < test->n ? o->gap_n : test->n, rc = 0;
    if (gap_n > 0) {
        vt_gap_opts go = o->gap;
        go.seed = o->seed, go.threads = o->threads;
        t0 = cli_now();
        rc = vt_inference_gap(v, test->x, test->c, gap_n, &go, &g, err);
        if (rc == 0)
            printf("inference gap on %d test points: log p(x) - ELBO = %.3f = approximation %.3f "
                   "+ amortization %.3f  (log p(x) %.3f, ELBO refined %.3f, encoder %.3f; %d Adam "
                   "steps)  [%.1fs]\n", g.n, g.total_gap, g.approximation_gap, g.amortization_gap,
                   g.log_px, g.elbo_refined, g.elbo_encoder, go.steps > 0 ? go.steps : 200,
                   cli_now() - t0);
    }
    if (rc == 0) rc = write_json(o->dir, &s, gap_n > 0 ? &g : NULL, o->threshold, err);
    if (rc == 0) rc = cli_latent_images_write(v, test, &s, o->threshold, o->threads, o->dir, err);
    vt_latent_stats_free(&s);
    return rc;
}
