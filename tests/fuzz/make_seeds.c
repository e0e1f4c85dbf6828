/* Writes the fuzzers' seed inputs: a valid checkpoint of fuzz_checkpoint's model, and
 * IDX files plain and gzip. Run by tests/fuzz/run.sh into a scratch corpus. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "vtape/checkpoint.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    char p[4096];
    vt_store *s = vt_store_new();
    vt_tensor *w = vt_store_param(s, "enc.W", 2, (int[]){3, 4}, NULL);
    vt_store_param(s, "enc.b", 2, (int[]){1, 4}, NULL);
    for (int i = 0; i < 12; i++) w->data[i] = 0.25f * (float)i;
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &oc, NULL);
    vt_optim_step(opt, 0.1f, NULL);
    vt_train_state st = {.step = 1, .epoch = 1, .seed = 2, .noise_step = 3};
    snprintf(p, sizeof p, "%s/checkpoint/seed.vtck", argv[1]);
    if (vt_checkpoint_save_notes(p, "x_dim=3 latent=2", "vtape-run 1\nmetrics\n", s, opt, &st, NULL))
        return 1;
    vt_optim_free(opt);
    vt_store_free(s);
    unsigned char idx[16 + 2 * 3 * 3] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3};
    for (int i = 16; i < (int)sizeof idx; i++) idx[i] = (unsigned char)(i * 37);
    snprintf(p, sizeof p, "%s/idx/plain.idx", argv[1]);
    FILE *f = fopen(p, "wb");
    if (!f) return 1;
    fwrite(idx, 1, sizeof idx, f);
    fclose(f);
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s/seed.gz", argv[1], k ? "gzip" : "idx");
        gzFile g = gzopen(p, "wb");
        if (!g) return 1;
        gzwrite(g, idx, sizeof idx);
        gzclose(g);
    }
    return 0;
}
