/* bench_step's report: text on stdout, and the same numbers as JSON for the scripts. */
#define _GNU_SOURCE   /* dladdr */
#include <cblas.h>
#include <dlfcn.h>
#include <stdio.h>
#include <sys/resource.h>

#include "benchmarks/step/counters.h"
#include "benchmarks/step/report.h"
#include "vtape/ops.h"

const char *const ph_name[N_PH] = {"data", "forward", "backward", "optimizer"};

static double gemm_total(const step_result *r) {
    double g = 0;
    for (int p = 0; p < N_PH; p++) g += r->phase_gemm[p];
    return g;
}

static double peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void print_first_heap_caller(void) {
    Dl_info di;
    if (!first_heap_caller || !dladdr(first_heap_caller, &di) || !di.dli_fname) return;
    unsigned long off = (unsigned long)((char *)first_heap_caller - (char *)di.dli_fbase);
    printf("  first heap call from %s+0x%lx (addr2line -f -e %s 0x%lx)\n", di.dli_fname, off,
           di.dli_fname, off);
}

void step_report_print(const step_config *c, const step_result *r, size_t n_params) {
    double n = (double)r->steps, gemm = gemm_total(r);
    printf("bench_step: VAE 784-512-256 latent 32 relu, Adam 1e-3, batch %ld, dynamic "
           "binarization; %zu parameters\n", c->batch, n_params);
    printf("  threads %ld (vtape), blas-threads %ld; GEMM %s; %s (core %s)\n", c->threads,
           c->blas_threads, vt_gemm_backend(), openblas_get_config(), openblas_get_corename());
    printf("  %ld warm-up steps, %ld x %ld timed steps; last loss %.9g\n", c->warmup,
           c->repeats, c->steps, r->loss);
    printf("  images/s      %9.0f median of %ld blocks (best %.0f)\n", r->ips_median,
           c->repeats, r->ips_best);
    printf("  step time     %9.3f ms mean, %.3f ms median\n", 1e3 * r->total / n, r->median_ms);
    for (int p = 0; p < N_PH; p++)
        printf("  %-13s %9.3f ms  %5.1f %%  (GEMM %.3f ms)\n", ph_name[p], 1e3 * r->phase[p] / n,
               100.0 * r->phase[p] / r->total, 1e3 * r->phase_gemm[p] / n);
    printf("  GEMM share    %9.1f %% of the step: %.1f GEMM calls/step, %.3f ms/step, "
           "%.1f GFLOP/s\n", 100.0 * gemm / r->total, (double)r->gemm_calls / n,
           1e3 * gemm / n, r->gemm_flops / gemm / 1e9);
    printf("  heap calls    %9.3f per step (%ld in %ld timed steps; %ld in the whole run)\n",
           (double)atomic_load(&heap_calls) / n, atomic_load(&heap_calls), r->steps,
           atomic_load(&heap_calls_all));
    print_first_heap_caller();
    printf("  peak RSS      %9.1f MiB\n", peak_rss_mib());
}

int step_report_json(const char *path, const step_config *c, const step_result *r) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    double n = (double)r->steps, gemm = gemm_total(r);
    fprintf(f, "{\n \"impl\": \"vtape\", \"batch\": %ld, \"threads\": %ld, "
               "\"blas_threads\": %ld,\n \"warmup\": %ld, \"steps\": %ld, \"repeats\": %ld,\n"
               " \"images_per_s_median\": %.1f, \"images_per_s_best\": %.1f,\n"
               " \"ms_per_step_mean\": %.4f, \"ms_per_step_median\": %.4f,\n",
            c->batch, c->threads, c->blas_threads, c->warmup, c->steps, c->repeats,
            r->ips_median, r->ips_best, 1e3 * r->total / n, r->median_ms);
    const double *v[2] = {r->phase, r->phase_gemm};
    const char *key[2] = {"phase_ms", "phase_gemm_ms"};
    for (int k = 0; k < 2; k++) {
        fprintf(f, "%s \"%s\": {", k ? ",\n" : "", key[k]);
        for (int p = 0; p < N_PH; p++)
            fprintf(f, "%s\"%s\": %.4f", p ? ", " : "", ph_name[p], 1e3 * v[k][p] / n);
        fprintf(f, "}");
    }
    fprintf(f, ",\n \"gemm_flop_per_step\": %.0f,", r->gemm_flops / n);
    fprintf(f, "\n \"gemm_share\": %.4f, \"gemm_calls_per_step\": %.2f, "
               "\"gemm_gflops\": %.2f,\n \"heap_calls_per_step\": %.4f, "
               "\"peak_rss_mib\": %.1f,\n \"gemm_backend\": \"%s\", \"openblas\": \"%s\"\n}\n",
            gemm / r->total, (double)r->gemm_calls / n, r->gemm_flops / gemm / 1e9,
            (double)atomic_load(&heap_calls) / n, peak_rss_mib(), vt_gemm_backend(),
            openblas_get_config());
    return fclose(f) != 0;
}
