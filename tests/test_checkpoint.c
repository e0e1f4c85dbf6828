/* Checkpoints: bit-for-bit round trip, atomic replacement, and clear errors on files
 * that do not match, with the caller's parameters left intact. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "support.h"
#include "vtape/vtape.h"

static void make_model(vt_vae *v, int latent) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 20; cfg.n_hidden = 1; cfg.hidden[0] = 8; cfg.latent = latent;
    vt_error err = {0};
    cr_assert_eq(vt_vae_init(v, &cfg, &err), 0, "%s", err.msg);
}

/* A few real Adam steps so values, moments and the step count are all non-trivial. */
static void train_a_little(vt_vae *v, vt_optim *opt) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.seed = 2});
    float x[4 * 20];
    vt_test_fill_uniform(x, 80, 0, 1, 1);
    for (int s = 0; s < 5; s++) {
        vt_ctx_reset(ctx);
        vt_elbo_terms t;
        cr_assert_eq(vt_vae_loss(ctx, v, vt_from_data(ctx, 2, (int[]){4, 20}, x), NULL, NULL, &t), 0);
        cr_assert_eq(vt_backward(ctx, t.loss, NULL), 0);
        cr_assert_eq(vt_optim_step(opt, 1e-2f, NULL), 0);
        vt_store_zero_grad(v->store);
    }
    vt_ctx_free(ctx);
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*n);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

Test(checkpoint, round_trips_bit_for_bit) {
    vt_error err = {0};
    char dir[64], path[128], path2[128], cfgtext[512], back[512];
    vt_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.vtck", dir);
    snprintf(path2, sizeof path2, "%s/b.vtck", dir);
    vt_vae a, b;
    make_model(&a, 3);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *oa = vt_optim_new(a.store, &oc, &err);
    train_a_little(&a, oa);
    cr_assert_eq(vt_vae_config_format(&a.cfg, cfgtext, sizeof cfgtext), 0);
    vt_train_state st = {.step = 5, .epoch = 1, .seed = 2, .noise_step = 5};
    cr_assert_eq(vt_checkpoint_save(path, cfgtext, a.store, oa, &st, &err), 0, "%s", err.msg);

    cr_assert_eq(vt_checkpoint_read_config(path, back, sizeof back, &err), 0, "%s", err.msg);
    cr_assert_str_eq(back, cfgtext);
    vt_vae_config cfg;
    cr_assert_eq(vt_vae_config_parse(&cfg, back, &err), 0, "%s", err.msg);
    cr_assert_eq(vt_vae_init(&b, &cfg, &err), 0);
    vt_optim *ob = vt_optim_new(b.store, &oc, &err);
    vt_train_state st2;
    cr_assert_eq(vt_checkpoint_load(path, b.store, ob, &st2, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(&st, &st2, sizeof st), 0);
    cr_assert_eq(vt_optim_get_step(ob), 5);
    size_t n = vt_store_numel(a.store);
    cr_assert_eq(memcmp(vt_store_values(a.store), vt_store_values(b.store), n * 4), 0);
    int slots[VT_OPTIM_MAX_SLOTS], ns = vt_optim_state_slots(oa, slots);
    cr_assert_eq(ns, 2);
    for (int s = 0; s < ns; s++)
        cr_assert_eq(memcmp(vt_store_slot(a.store, slots[s]), vt_store_slot(b.store, slots[s]), n * 4), 0);
    /* Saving the restored state gives the same bytes. */
    cr_assert_eq(vt_checkpoint_save(path2, back, b.store, ob, &st2, &err), 0);
    size_t n1, n2;
    char *f1 = slurp(path, &n1), *f2 = slurp(path2, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(f1, f2, n1), 0);
    /* And training continues identically from either. */
    train_a_little(&a, oa);
    train_a_little(&b, ob);
    cr_assert_eq(memcmp(vt_store_values(a.store), vt_store_values(b.store), n * 4), 0);
    free(f1); free(f2);
    vt_optim_free(oa); vt_optim_free(ob);
    vt_vae_free(&a); vt_vae_free(&b);
    cr_expect_eq(vt_test_rmtree(dir), 0);
}

Test(checkpoint, bad_files_give_clear_errors_and_keep_parameters) {
    vt_error err = {0};
    char dir[64], path[128], bad[128], cfgtext[512];
    vt_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.vtck", dir);
    snprintf(bad, sizeof bad, "%s/bad.vtck", dir);
    vt_vae a, other;
    make_model(&a, 3);
    vt_vae_config_format(&a.cfg, cfgtext, sizeof cfgtext);
    cr_assert_eq(vt_checkpoint_save(path, cfgtext, a.store, NULL, NULL, &err), 0);
    make_model(&other, 4);   /* different latent size: shapes differ */
    size_t n = vt_store_numel(other.store);
    float *before = malloc(n * 4);
    memcpy(before, vt_store_values(other.store), n * 4);

    cr_assert_neq(vt_checkpoint_load(path, other.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "enc_out.W"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "a.vtck"), "%s", err.msg);

    size_t len;
    char *bytes = slurp(path, &len);
    spit(bad, bytes, len / 2);                      /* truncated */
    cr_assert_neq(vt_checkpoint_load(bad, other.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "truncated"), "%s", err.msg);
    bytes[len / 2] ^= 0x40;                          /* one flipped bit */
    spit(bad, bytes, len);
    cr_assert_neq(vt_checkpoint_load(bad, a.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "checksum"), "%s", err.msg);
    bytes[len / 2] ^= 0x40;
    memcpy(bytes, "NOTVTAPE", 8);
    spit(bad, bytes, len);
    cr_assert_neq(vt_checkpoint_load(bad, a.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "magic"), "%s", err.msg);
    spit(bad, "", 0);
    cr_assert_neq(vt_checkpoint_read_config(bad, cfgtext, sizeof cfgtext, &err), 0);
    cr_assert_neq(vt_checkpoint_load("/nonexistent/x.vtck", a.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "/nonexistent/x.vtck"), "%s", err.msg);
    cr_assert_eq(memcmp(before, vt_store_values(other.store), n * 4), 0, "failed loads must not touch parameters");
    free(bytes); free(before);
    vt_vae_free(&a); vt_vae_free(&other);
    cr_expect_eq(vt_test_rmtree(dir), 0);
}

Test(checkpoint, failed_write_leaves_previous_file_whole) {
    vt_error err = {0};
    char dir[64], path[128];
    vt_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.vtck", dir);
    vt_vae a;
    make_model(&a, 3);
    cr_assert_eq(vt_checkpoint_save(path, "x", a.store, NULL, NULL, &err), 0);
    size_t n1;
    char *f1 = slurp(path, &n1);
    /* A directory squatting on the temporary name makes the write fail midway. */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_assert_eq(mkdir(tmp, 0755), 0);
    vt_store_values(a.store)[0] += 1.0f;
    cr_assert_neq(vt_checkpoint_save(path, "x", a.store, NULL, NULL, &err), 0);
    cr_assert_not_null(strstr(err.msg, "a.vtck.tmp"), "%s", err.msg);
    size_t n2;
    char *f2 = slurp(path, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(f1, f2, n1), 0);
    free(f1); free(f2);
    vt_vae_free(&a);
    cr_expect_eq(vt_test_rmtree(dir), 0);
}
