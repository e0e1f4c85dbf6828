/* Private to the core: the context and arena layout. Ops use the public API only. */
#ifndef VT_CORE_INTERNAL_H
#define VT_CORE_INTERNAL_H

#include "vtape/core.h"
#include <pthread.h>

#if defined(__SANITIZE_ADDRESS__)
#define VT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VT_ASAN 1
#endif
#endif
#ifdef VT_ASAN
#include <sanitizer/asan_interface.h>
/* 1 when [p, p + n) lies in arena memory released by a reset (poisoned). */
#define VT_RELEASED(p, n) (__asan_region_is_poisoned((void *)(p), (n)) != NULL)
#else
#define VT_RELEASED(p, n) 0
#endif

typedef struct vt_block {
    char *mem;
    size_t cap, used;
} vt_block;

/* Bump allocator over a few blocks. Reset coalesces them into one block that fits a
 * whole step, so a steady-state step touches the heap zero times. */
typedef struct vt_arena {
    vt_block *blocks;
    int n_blocks, max_blocks;
    size_t high_water;    /* most bytes one step has used */
} vt_arena;

typedef struct vt_pool vt_pool;

struct vt_ctx {
    vt_arena arena;
    uint64_t gen;          /* bumped by reset; tensors remember theirs */
    vt_node *tape_tail;
    size_t tape_len;
    int grad_enabled;
    int params_frozen;     /* vt_set_params_frozen: persistent inputs take no gradient */
    int threads;
    vt_pool *pool;
    uint64_t seed, step, stream;
    char error[512];
    int has_error;
    int anomaly;           /* check every op's output and every backward's gradients */
    const char *scope;     /* label of the current model term, for anomaly messages */
    vt_tensor poison;      /* returned by failed ops; lives in the ctx, never stale */
    float poison_value;
};

int vt_arena_init(vt_arena *a, size_t bytes);
void vt_arena_release(vt_arena *a);
void *vt_arena_take(vt_arena *a, size_t bytes);   /* NULL when the heap says no */
void vt_arena_clear(vt_arena *a);
size_t vt_arena_bytes_used(const vt_arena *a);
size_t vt_arena_bytes_cap(const vt_arena *a);

vt_pool *vt_pool_new(int threads);
void vt_pool_free(vt_pool *p);
void vt_pool_run(vt_pool *p, size_t n, size_t grain, vt_range_fn fn, void *arg);
/* 1 while the calling thread runs a chunk of some pool's job. */
int vt_pool_in_chunk(void);

vt_tensor *vt_null_ctx_poison(void);
/* Anomaly mode: the first non-finite value of out's data (forward) or of the inputs'
 * gradients after node's backward, reported as the context error. 1 when all finite. */
int vt_anomaly_check_forward(vt_ctx *ctx, const char *op, const vt_tensor *out);
int vt_anomaly_check_backward(vt_ctx *ctx, const vt_node *node);

void *vt_heap_alloc(size_t bytes);   /* 64-byte aligned */
void vt_heap_free(void *p);

#endif
