/* `vtape eval`'s diagnostics: latent statistics (KL per dimension, active units,
 * I(x; z)), optionally the inference-gap split, printed, written to
 * DIR/diagnostics.json, and drawn (latent_images.h). */
#ifndef CLI_DIAGNOSE_H
#define CLI_DIAGNOSE_H

#include "cli/driver/fashion_data.h"
#include "vtape/diagnostics.h"

typedef struct cli_diagnose_opts {
    int stats_n;          /* test points for the statistics (0: all) */
    int mi_points;        /* points in the aggregate posterior for I(x;z) (0: 1000) */
    double threshold;     /* active-unit threshold */
    int gap_n;            /* test points for the inference gap (0: skip) */
    vt_gap_opts gap;
    uint64_t seed;
    int threads;
    const char *dir;      /* diagnostics.json and the pictures */
} cli_diagnose_opts;

/* 0; 1 when the model has no diagonal posterior (nothing done); -1 with a message. */
int cli_diagnose(vt_vae *v, const cli_fixed_test *test, const cli_diagnose_opts *o,
                vt_error *err);

#endif
