/* final.json, written by hand: a flat object of numbers and one string. */
#include "cli/report/final_report.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cli/report/metrics.h"
#include "vtape/io.h"

void cli_final_report_print(FILE *out, const cli_final_report *r) {
    char sites[512];
    fprintf(out, "final: test NELBO %.3f (rec %.3f, kl %.3f%s) on %d test images  [%.1fs]\n",
            r->test.nelbo, r->test.rec, r->test.kl, cli_site_kl_text(&r->test, sites, sizeof sites),
            r->test_images, r->eval_seconds);
    if (r->have_iw)
        fprintf(out, "final: %s %.3f +- %.3f (K=%d importance samples, first %d test "
                     "images; NELBO on them %.3f)  [%.1fs]\n",
                r->conditional ? "-log p(x|y)" : "-log p(x)", r->iw.nll, r->iw.sem, r->iw.k,
                r->iw.n, r->test_nelbo_iw_subset, r->iw_seconds);
}

/* JSON has no NaN or infinity: write null for them. */
static void num(FILE *f, const char *key, double v, int last) {
    if (isfinite(v)) fprintf(f, "  \"%s\": %.9g%s\n", key, v, last ? "" : ",");
    else fprintf(f, "  \"%s\": null%s\n", key, last ? "" : ",");
}

int cli_final_report_write(const char *path, const cli_final_report *r, vt_error *err) {
    vt_atomic_file af;
    if (vt_atomic_begin(&af, path, err) != 0) return -1;
    FILE *f = af.f;
    fprintf(f, "{\n  \"model\": \"%s\",\n", r->model);
    num(f, "epochs", (double)r->epochs, 0);
    num(f, "steps", (double)r->steps, 0);
    num(f, "train_images", r->train_images, 0);
    num(f, "test_images", r->test_images, 0);
    num(f, "test_nelbo", r->test.nelbo, 0);
    num(f, "test_rec", r->test.rec, 0);
    num(f, "test_kl", r->test.kl, 0);
    cli_metrics_sites sites;   /* one field per latent site when there are several */
    cli_metrics_sites_set(&sites, r->test.n_sites, r->test.site);
    for (int i = 0; i < sites.n; i++) {
        char key[48];
        snprintf(key, sizeof key, "test_kl_%s", sites.name[i]);
        num(f, key, r->test.site_kl[i], 0);
    }
    if (r->have_iw) {
        num(f, "iw_k", r->iw.k, 0);
        num(f, "iw_n", r->iw.n, 0);
        num(f, "iw_nll", r->iw.nll, 0);
        num(f, "iw_nll_sem", r->iw.sem, 0);
        num(f, "test_nelbo_iw_subset", r->test_nelbo_iw_subset, 0);
        num(f, "iw_seconds", r->iw_seconds, 0);
    }
    num(f, "train_seconds", r->train_seconds, 0);
    num(f, "images_per_s", r->images_per_s, 0);
    num(f, "eval_seconds", r->eval_seconds, 0);
    num(f, "wall_seconds", r->wall_seconds, 1);
    fprintf(f, "}\n");
    return vt_atomic_commit(&af, err) == 0 ? 0 : -1;
}
