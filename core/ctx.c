/* The context: arena, tape head, sticky error, grad mode, noise position. */
#include "core/internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every call given a NULL context returns: there is no context to hold an error,
 * so the poison tensor is a shared, never-stale one (generation 0). */
static float null_poison_value;
static vt_tensor null_poison = {.data = &null_poison_value, .ndim = 2, .shape = {1, 1},
                                .flags = VT_POISON, .gen = 0};

vt_tensor *vt_null_ctx_poison(void) {
    null_poison_value = 0.0f;
    return &null_poison;
}

vt_ctx *vt_ctx_new(const vt_ctx_opts *opts) {
    vt_ctx_opts o = opts ? *opts : (vt_ctx_opts){0};
    vt_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    if (vt_arena_init(&ctx->arena, o.arena_bytes) != 0) {
        free(ctx);
        return NULL;
    }
    ctx->gen = 1;
    ctx->grad_enabled = 1;
    ctx->seed = o.seed;
    ctx->anomaly = o.anomaly != 0;
    ctx->threads = o.threads > 1 ? o.threads : 1;
    if (ctx->threads > 1) {
        ctx->pool = vt_pool_new(ctx->threads);
        if (!ctx->pool) ctx->threads = 1;
    }
    ctx->poison = (vt_tensor){.data = &ctx->poison_value, .ndim = 2, .shape = {1, 1},
                              .flags = VT_POISON, .gen = 0};
    return ctx;
}

void vt_ctx_free(vt_ctx *ctx) {
    if (!ctx) return;
    if (ctx->pool) vt_pool_free(ctx->pool);
    vt_arena_release(&ctx->arena);
    free(ctx);
}

void vt_ctx_reset(vt_ctx *ctx) {
    if (!ctx) return;
    vt_arena_clear(&ctx->arena);
    ctx->gen++;
    ctx->tape_tail = NULL;
    ctx->tape_len = 0;
    ctx->has_error = 0;
    ctx->error[0] = '\0';
    ctx->step++;
    ctx->stream = 0;
    ctx->scope = NULL;
    ctx->params_frozen = 0;
}

const char *vt_ctx_error(const vt_ctx *ctx) {
    if (!ctx) return "vt_ctx_error: context is NULL";
    return ctx->has_error ? ctx->error : NULL;
}

void vt_ctx_clear_error(vt_ctx *ctx) {
    if (!ctx) return;
    ctx->has_error = 0;
    ctx->error[0] = '\0';
}

vt_tensor *vt_fail(vt_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return vt_null_ctx_poison();
    if (!ctx->has_error) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
        va_end(ap);
        ctx->has_error = 1;
    }
    ctx->poison_value = 0.0f;
    return &ctx->poison;
}

int vt_set_grad_enabled(vt_ctx *ctx, int enabled) {
    if (!ctx) return 0;
    int prev = ctx->grad_enabled;
    ctx->grad_enabled = enabled != 0;
    return prev;
}

int vt_grad_enabled(const vt_ctx *ctx) { return ctx ? ctx->grad_enabled : 0; }

int vt_set_params_frozen(vt_ctx *ctx, int frozen) {
    if (!ctx) return 0;
    int prev = ctx->params_frozen;
    ctx->params_frozen = frozen != 0;
    return prev;
}
size_t vt_ctx_arena_used(const vt_ctx *ctx) { return ctx ? vt_arena_bytes_used(&ctx->arena) : 0; }
size_t vt_ctx_arena_capacity(const vt_ctx *ctx) { return ctx ? vt_arena_bytes_cap(&ctx->arena) : 0; }
int vt_ctx_threads(const vt_ctx *ctx) { return ctx ? ctx->threads : 0; }
size_t vt_ctx_tape_len(const vt_ctx *ctx) { return ctx ? ctx->tape_len : 0; }
uint64_t vt_ctx_step(const vt_ctx *ctx) { return ctx ? ctx->step : 0; }
void vt_ctx_set_step(vt_ctx *ctx, uint64_t step) { if (ctx) ctx->step = step; }
uint64_t vt_ctx_seed(const vt_ctx *ctx) { return ctx ? ctx->seed : 0; }

void *vt_arena_alloc(vt_ctx *ctx, size_t bytes) {
    if (!ctx) return NULL;
    void *p = vt_arena_take(&ctx->arena, bytes);
    if (!p) vt_fail(ctx, "vt_arena_alloc: cannot give %zu bytes (out of memory or beyond "
                         "the address space)", bytes);
    return p;
}

/* The pool's counters carry a chunk index in 32 bits, and a job of more than 2^24
 * chunks only spends its time claiming them: past that the grain grows (still
 * independent of the thread count) rather than the counter overflowing into the job
 * tag, which would leave the job unfinished forever. */
#define MAX_CHUNKS ((size_t)1 << 24)

void vt_parallel_for(vt_ctx *ctx, size_t n, size_t grain, vt_range_fn fn, void *arg) {
    if (!fn || n == 0) return;
    if (grain == 0) grain = 1;
    if ((n - 1) / grain >= MAX_CHUNKS) grain = (n - 1) / MAX_CHUNKS + 1;
    if (!ctx || !ctx->pool || n <= grain || vt_pool_in_chunk()) {
        /* Same chunk boundaries as the pool, so reductions match bit for bit. */
        for (size_t b = 0; b < n; b = n - b > grain ? b + grain : n)
            fn(arg, b, n - b > grain ? b + grain : n);
        return;
    }
    vt_pool_run(ctx->pool, n, grain, fn, arg);
}
