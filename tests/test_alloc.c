/* A reset context performs no heap allocation in a repeated forward+backward step.
 * The test binary links vtape statically with -Wl,--wrap=malloc (and calloc, realloc,
 * posix_memalign, aligned_alloc), so every heap call vtape's code makes is counted. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "support.h"
#include "vtape/vtape.h"

static long heap_calls;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n) { heap_calls++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { heap_calls++; return __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { heap_calls++; return __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
    heap_calls++;
    return __real_posix_memalign(p, a, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n) { heap_calls++; return __real_aligned_alloc(a, n); }

/* A small VAE-shaped step: encoder (the fused linear + relu), reparameterized sample,
 * decoder, ELBO, and Adam on the context's threads. */
static void step(vt_ctx *ctx, vt_store *s, vt_optim *opt, const float *xb) {
    enum { B = 16, D = 64, H = 32, Z = 4 };
    vt_ctx_reset(ctx);
    vt_tensor *x = vt_from_data(ctx, 2, (int[]){B, D}, xb);
    vt_tensor *h = vt_linear_relu(ctx, x, vt_store_find(s, "e.w"), vt_store_find(s, "e.b"));
    vt_tensor *o = vt_linear(ctx, h, vt_store_find(s, "o.w"), vt_store_find(s, "o.b"));
    vt_tensor *mu = vt_slice_cols(ctx, o, 0, Z), *ls = vt_slice_cols(ctx, o, Z, Z);
    vt_tensor *z = vt_reparam_diag(ctx, mu, ls, vt_randn(ctx, B, Z));
    vt_tensor *hd = vt_tanh(ctx, vt_linear(ctx, z, vt_store_find(s, "d.w"), vt_store_find(s, "d.b")));
    vt_tensor *logits = vt_linear(ctx, hd, vt_store_find(s, "l.w"), vt_store_find(s, "l.b"));
    vt_tensor *nelbo = vt_add(ctx, vt_bce_logits_rows(ctx, logits, x), vt_kl_normal_std_rows(ctx, mu, ls));
    vt_tensor *loss = vt_mean(ctx, nelbo);
    vt_store_zero_grad(s);
    cr_assert_eq(vt_backward(ctx, loss, NULL), 0, "%s", vt_ctx_error(ctx));
    vt_error oe;
    cr_assert_eq(vt_optim_step(opt, 1e-3f, &oe), 0, "%s", oe.msg);
}

static void run(int threads) {
    enum { B = 16, D = 64, H = 32, Z = 4 };
    vt_store *s = vt_store_new();
    int shapes[8][2] = {{D, H}, {1, H}, {H, 2 * Z}, {1, 2 * Z}, {Z, H}, {1, H}, {H, D}, {1, D}};
    const char *names[8] = {"e.w", "e.b", "o.w", "o.b", "d.w", "d.b", "l.w", "l.b"};
    for (int i = 0; i < 8; i++) {
        vt_tensor *p = vt_store_param(s, names[i], 2, shapes[i], NULL);
        vt_test_fill_normal(p->data, vt_numel(p), 0.1f, (uint64_t)i);
    }
    static float xb[B * D];
    vt_test_fill_uniform(xb, B * D, 0, 1, 3);
    vt_ctx_opts o = {.arena_bytes = 1024, .threads = threads};  /* small: must grow first */
    vt_ctx *ctx = vt_ctx_new(&o);
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    vt_optim *opt = vt_optim_new(s, &oc, NULL);
    cr_assert_not_null(opt);
    vt_optim_set_ctx(opt, ctx);
    for (int i = 0; i < 3; i++) step(ctx, s, opt, xb);   /* the arena and moments grow to fit */
    long before = heap_calls;
    for (int i = 0; i < 20; i++) step(ctx, s, opt, xb);
    cr_assert_eq(heap_calls - before, 0, "%ld heap calls in 20 steady-state steps",
                 heap_calls - before);
    vt_optim_free(opt);
    vt_ctx_free(ctx);
    vt_store_free(s);
}

Test(alloc, wrapper_sees_vtape_allocations) {
    long before = heap_calls;
    vt_ctx *ctx = vt_ctx_new(NULL);
    cr_assert_gt(heap_calls, before, "the --wrap hook must count vtape's own calls");
    vt_ctx_free(ctx);
}

Test(alloc, steady_state_step_allocates_nothing) { run(1); }
Test(alloc, steady_state_step_allocates_nothing_with_threads) { run(2); }
