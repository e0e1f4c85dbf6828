/* Hostile files: every class of crafted checkpoint and IDX/gzip file is refused with a
 * precise error, before anything large is allocated, and the caller's state is left
 * untouched. Files are made here, by editing a valid one and (where the point is to
 * get past the checksum) recomputing its CRC, so each case tests one check. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cli/driver/model_file.h"
#include "support.h"
#include "vtape/vtape.h"

static char dir[64];
static void setup(void) { cr_assert_not_null(vt_test_tmpdir(dir, sizeof dir)); }
static void teardown(void) { vt_test_rmtree(dir); }
TestSuite(hostile, .init = setup, .fini = teardown);

static const char *in_dir(const char *name) {
    static char path[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
    return path[k];
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n + 64);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static const char *spit(const char *name, const void *b, size_t n) {
    const char *path = in_dir(name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
    return path;
}

static void put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> 8 * i); }
static void put_u64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> 8 * i); }

/* Fix the length field and the CRC after an edit, so only the edited field is wrong. */
static void reseal(unsigned char *b, size_t n) {
    put_u64(b + 12, n - 24);
    put_u32(b + n - 4, (uint32_t)crc32(0, b + 20, (uInt)(n - 24)));
}

static vt_vae model;
static char config[512];

/* A small trained-looking checkpoint (Adam moments too); returns its bytes. */
static unsigned char *good_checkpoint(size_t *n) {
    vt_vae_config cfg = vt_vae_default_config();
    cfg.x_dim = 20, cfg.n_hidden = 1, cfg.hidden[0] = 8, cfg.latent = 3;
    cr_assert_eq(vt_vae_init(&model, &cfg, NULL), 0);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(model.store, &oc, NULL);
    cr_assert_not_null(opt);
    cr_assert_eq(vt_optim_step(opt, 0.01f, NULL), 0);   /* moments exist */
    vt_vae_config_format(&model.cfg, config, sizeof config);
    vt_train_state st = {.step = 7, .epoch = 1, .seed = 3, .noise_step = 8};
    vt_error err;
    cr_assert_eq(vt_checkpoint_save_notes(in_dir("good.vtck"), config, "notes", model.store, opt,
                                          &st, &err), 0, "%s", err.msg);
    vt_optim_free(opt);
    return slurp(in_dir("good.vtck"), n);
}

/* Load must fail with `code` and a message holding `needle`, leaving values alone. */
static void refused(const char *path, int code, const char *needle) {
    size_t n = vt_store_numel(model.store);
    float *before = malloc(n * 4);
    memcpy(before, vt_store_values(model.store), n * 4);
    vt_error err = {0};
    int rc = vt_checkpoint_load(path, model.store, NULL, NULL, &err);
    cr_expect_eq(rc, code, "rc %d, want %d: %s", rc, code, err.msg);
    cr_expect_not_null(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
    cr_expect_eq(memcmp(before, vt_store_values(model.store), n * 4), 0, "a failed load changed values");
    free(before);
}

Test(hostile, checkpoint_declaring_gigabytes_in_37_bytes) {
    unsigned char b[37] = "VTAPECKP";
    put_u32(b + 8, 2);
    put_u64(b + 12, 3500000000ull);
    size_t n;
    free(good_checkpoint(&n));
    refused(spit("huge.vtck", b, sizeof b), VT_ETRUNC, "declares 3500000000 payload bytes");
    put_u64(b + 12, UINT64_MAX - 2);   /* + 24 would wrap */
    refused(spit("wrap.vtck", b, sizeof b), VT_ETOOBIG, "implausible");
    vt_vae_free(&model);
}

Test(hostile, every_truncation_and_every_byte_is_survived) {
    size_t n;
    unsigned char *b = good_checkpoint(&n);
    vt_error err;
    for (size_t cut = 0; cut < n; cut += 1 + cut / 64) {
        const char *p = spit("cut.vtck", b, cut);
        cr_assert_neq(vt_checkpoint_load(p, model.store, NULL, NULL, &err), 0, "cut at %zu", cut);
    }
    /* Each byte of the envelope and the tables set to 0xFF, the CRC recomputed: the
     * result is refused or loads, and never reads or allocates what the file lacks. */
    unsigned char *c = malloc(n);
    for (size_t i = 0; i < n - 4 && i < 1200; i++) {
        memcpy(c, b, n);
        c[i] ^= 0xFF;
        if (i >= 20) put_u32(c + n - 4, (uint32_t)crc32(0, c + 20, (uInt)(n - 24)));
        vt_checkpoint_load(spit("flip.vtck", c, n), model.store, NULL, NULL, &err);
        vt_checkpoint_inspect(in_dir("flip.vtck"), 0, NULL, &err);
    }
    free(c);
    free(b);
    vt_vae_free(&model);
}

/* Offsets in good_checkpoint's payload: config, notes, then counters. */
static size_t counters_at(const unsigned char *b) {
    uint32_t clen = b[20] | b[21] << 8 | b[22] << 16 | (uint32_t)b[23] << 24;
    size_t o = 24 + clen;
    uint32_t nlen = b[o] | b[o + 1] << 8 | b[o + 2] << 16 | (uint32_t)b[o + 3] << 24;
    return o + 4 + nlen;
}

Test(hostile, absurd_counters_nul_in_config_and_trailing_bytes) {
    size_t n;
    unsigned char *b = good_checkpoint(&n), *c = malloc(n + 8);
    memcpy(c, b, n);
    put_u64(c + counters_at(c), UINT64_MAX);          /* step 2^64 - 1 */
    reseal(c, n);
    refused(spit("step.vtck", c, n), VT_EFORMAT, "step counter");
    memcpy(c, b, n);
    put_u64(c + counters_at(c) + 8 + 8 + 8 + 8 + 4, UINT64_MAX);   /* optimizer t */
    reseal(c, n);
    refused(spit("t.vtck", c, n), VT_EFORMAT, "optimizer step");
    memcpy(c, b, n);
    c[24 + 3] = '\0';                                  /* NUL inside the config */
    reseal(c, n);
    refused(spit("nul.vtck", c, n), VT_EFORMAT, "NUL");
    memcpy(c, b, n);
    memset(c + n, 'x', 8);                             /* bytes after the checksum */
    refused(spit("trail.vtck", c, n + 8), VT_EFORMAT, "trailing");
    free(b);
    free(c);
    vt_vae_free(&model);
}

Test(hostile, parameter_table_that_lies) {
    size_t n;
    unsigned char *b = good_checkpoint(&n), *c = malloc(n);
    size_t np_at = counters_at(b) + 32 + 4 + 8 + 4;
    memcpy(c, b, n);
    put_u32(c + np_at, UINT32_MAX);                    /* 4 billion parameters */
    reseal(c, n);
    refused(spit("np.vtck", c, n), VT_EFORMAT, "cannot fit");
    memcpy(c, b, n);
    size_t name_len_at = np_at + 4, ndim_at = name_len_at + 4 + (c[name_len_at]);
    put_u32(c + name_len_at, 1u << 30);                /* a name longer than the file */
    reseal(c, n);
    refused(spit("name.vtck", c, n), VT_ETOOBIG, "parameter name");
    memcpy(c, b, n);
    put_u32(c + ndim_at, 9);
    reseal(c, n);
    refused(spit("ndim.vtck", c, n), VT_EFORMAT, "9 dims");
    memcpy(c, b, n);
    put_u32(c + ndim_at + 4, 65536);                   /* 65536 x 65536: numel 2^32 */
    put_u32(c + ndim_at + 8, 65536);
    reseal(c, n);
    refused(spit("dims.vtck", c, n), VT_EFORMAT, "elements");
    free(b);
    free(c);
    vt_vae_free(&model);
}

Test(hostile, nonfinite_values_refused_unless_asked) {
    size_t n;
    unsigned char *b = good_checkpoint(&n);
    size_t values_at = n - 4 - 3 * vt_store_numel(model.store) * 4 + 8;   /* inside a value */
    (void)values_at;
    /* The last float of the file is the last second moment: make it NaN. */
    put_u32(b + n - 8, 0x7fc00000u);
    reseal(b, n);
    const char *p = spit("nan.vtck", b, n);
    refused(p, VT_ENONFINITE, "optimizer moment");
    vt_error err;
    cr_assert_eq(vt_checkpoint_load_flags(p, model.store, NULL, NULL, VT_CHECKPOINT_ALLOW_NONFINITE,
                                          &err), 0, "%s", err.msg);
    /* And a NaN state is never written. */
    vt_store_values(model.store)[1] = INFINITY;
    cr_assert_eq(vt_checkpoint_save(in_dir("inf.vtck"), config, model.store, NULL, NULL, &err),
                 VT_ENONFINITE);
    free(b);
    vt_vae_free(&model);
}

/* A configuration asking for a far larger model than the table holds is refused
 * before the model is built (it would zero-fill gigabytes). */
Test(hostile, config_larger_than_the_parameter_table) {
    size_t n;
    unsigned char *b = good_checkpoint(&n);
    char big[600];
    char *h = strstr(config, "hidden=8");
    cr_assert_not_null(h);
    snprintf(big, sizeof big, "%.*shidden=65536%s", (int)(h - config), config, h + 8);
    size_t clen = strlen(config), blen = strlen(big);
    unsigned char *c = malloc(n + blen);
    memcpy(c, b, 20);
    put_u32(c + 20, (uint32_t)blen);
    memcpy(c + 24, big, blen);
    memcpy(c + 24 + blen, b + 24 + clen, n - 24 - clen);
    size_t m = n + blen - clen;
    reseal(c, m);
    const char *p = spit("big.vtck", c, m);
    vt_vae_config cfg;
    vt_error err = {0};
    cr_assert_neq(cli_model_file_config(p, &cfg, 0, &err), 0);
    cr_expect_not_null(strstr(err.msg, "refused before building"), "%s", err.msg);
    free(b);
    free(c);
    vt_vae_free(&model);
}

Test(hostile, config_numel_matches_the_built_model) {
    vt_vae_config cases[5];
    for (int i = 0; i < 5; i++) {
        cases[i] = vt_vae_default_config();
        cases[i].x_dim = 12, cases[i].n_hidden = 2, cases[i].hidden[0] = 7, cases[i].hidden[1] = 5;
        cases[i].latent = 3;
    }
    cases[1].posterior = VT_POSTERIOR_FULLCOV;
    cases[2].prior = VT_PRIOR_MOG, cases[2].mog_components = 4;
    cases[3].likelihood = VT_LIK_GAUSSIAN_LEARNED;
    cases[4].n_classes = 10, cases[4].n_hidden = 0;
    for (int i = 0; i < 5; i++) {
        vt_vae v;
        cr_assert_eq(vt_vae_init(&v, &cases[i], NULL), 0);
        size_t sum = 0;
        for (int p = 0; p < vt_store_count(v.store); p++) sum += vt_numel(vt_store_get(v.store, p));
        cr_expect_eq(vt_vae_config_numel(&cases[i]), sum, "case %d", i);
        vt_vae_free(&v);
    }
    vt_vae_config huge = vt_vae_default_config();
    huge.latent = 65536, huge.posterior = VT_POSTERIOR_FULLCOV, huge.hidden[1] = 1 << 20;
    cr_expect_gt(vt_vae_config_numel(&huge), (size_t)1 << 38);   /* no wrap to something small */
}

/* ---- IDX and gzip ---- */
static size_t idx_header(unsigned char *b, uint32_t n, uint32_t h, uint32_t w) {
    unsigned char hd[16] = {0, 0, 8, 3};
    uint32_t d[3] = {n, h, w};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) hd[4 + 4 * i + k] = (unsigned char)(d[i] >> (24 - 8 * k));
    memcpy(b, hd, 16);
    return 16;
}

static const char *gzip_file(const char *name, const unsigned char *b, size_t n, const char *tail,
                             size_t tail_n) {
    const char *path = in_dir(name);
    gzFile g = gzopen(path, "wb");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, b, (unsigned)n), (int)n);
    gzclose(g);
    if (tail_n) {
        FILE *f = fopen(path, "ab");
        fwrite(tail, 1, tail_n, f);
        fclose(f);
    }
    return path;
}

Test(hostile, gzip_with_trailing_garbage_is_refused) {
    unsigned char b[16 + 2 * 4 * 4] = {0};
    idx_header(b, 2, 4, 4);
    vt_idx idx;
    vt_error err;
    const char *p = gzip_file("ok.gz", b, sizeof b, NULL, 0);
    cr_assert_eq(vt_idx_read(&idx, p, 3, "images", &err), 0, "%s", err.msg);
    vt_idx_free(&idx);
    p = gzip_file("trail.gz", b, sizeof b, "garbage!", 8);
    cr_assert_eq(vt_idx_read(&idx, p, 3, "images", &err), VT_EFORMAT, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "after the end of the gzip stream"), "%s", err.msg);
}

/* A few hundred bytes of gzip declaring 2 GiB: refused at the header, not after
 * inflating and allocating gigabytes. */
Test(hostile, gzip_bomb_fails_before_allocating) {
    unsigned char b[16];
    idx_header(b, 2700, 28 * 28, 1000);   /* 2.1 GB declared */
    vt_idx idx;
    vt_error err;
    const char *p = gzip_file("bomb.gz", b, sizeof b, NULL, 0);
    cr_assert_eq(vt_idx_read(&idx, p, 3, "images", &err), VT_ETOOBIG, "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "expand"), "%s", err.msg);
    /* A real bomb: 32 MiB of zeros behind a header declaring only 16 bytes. */
    size_t big = (size_t)32 << 20;
    unsigned char *z = calloc(1, big);
    idx_header(z, 1, 4, 4);
    p = gzip_file("bomb2.gz", z, big, NULL, 0);
    free(z);
    cr_assert_neq(vt_idx_read(&idx, p, 3, "images", &err), 0);
    cr_expect_not_null(strstr(err.msg, "found more"), "%s", err.msg);
}
