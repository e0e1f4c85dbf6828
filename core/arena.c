/* The arena: every per-step tensor, gradient and tape node is carved from here. */
#define _DEFAULT_SOURCE 1   /* madvise's MADV_HUGEPAGE (Linux) */
#include "core/internal.h"
#include "core/pages.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* In sanitizer builds the unused part of every block is poisoned (VT_ASAN, see
 * core/internal.h), so a read or write past a tensor's end is caught even though the
 * next tensor sits right behind it. */
#ifdef VT_ASAN
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define VT_ALIGN 64
/* No single block beyond 1 TiB: a larger request is a wrapped or hostile size, and
 * refusing it here gives a clean error instead of an allocator abort. */
#define VT_HEAP_MAX ((size_t)1 << 40)

/* bytes rounded up to the alignment; 0 when beyond VT_HEAP_MAX. */
static size_t round_up(size_t bytes) {
    if (bytes > VT_HEAP_MAX) return 0;
    size_t r = (bytes + VT_ALIGN - 1) / VT_ALIGN * VT_ALIGN;
    return r ? r : VT_ALIGN;
}

void vt_prefer_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t b = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (e > b) (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void *vt_heap_alloc(size_t bytes) {
    void *p = NULL;
    size_t rounded = round_up(bytes);
    if (!rounded || posix_memalign(&p, VT_ALIGN, rounded) != 0) return NULL;
    if (rounded >= ((size_t)4 << 20)) vt_prefer_huge_pages(p, rounded);   /* core/pages.h */
    return p;
}

void vt_heap_free(void *p) { free(p); }

static int push_block(vt_arena *a, size_t cap) {
    if (a->n_blocks == a->max_blocks) {
        int m = a->max_blocks ? 2 * a->max_blocks : 8;
        vt_block *nb = realloc(a->blocks, (size_t)m * sizeof *nb);
        if (!nb) return -1;
        a->blocks = nb;
        a->max_blocks = m;
    }
    char *mem = vt_heap_alloc(cap);
    if (!mem) return -1;
    POISON(mem, cap);
    a->blocks[a->n_blocks++] = (vt_block){mem, cap, 0};
    return 0;
}

int vt_arena_init(vt_arena *a, size_t bytes) {
    memset(a, 0, sizeof *a);
    return push_block(a, bytes ? bytes : (size_t)1 << 20);
}

static void free_block(vt_block *b) {
    UNPOISON(b->mem, b->cap);
    vt_heap_free(b->mem);
}

void vt_arena_release(vt_arena *a) {
    for (int i = 0; i < a->n_blocks; i++) free_block(&a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

void *vt_arena_take(vt_arena *a, size_t bytes) {
    size_t need = round_up(bytes);
    if (need == 0) return NULL;   /* no block that large can exist */
    if (a->n_blocks == 0 && push_block(a, need) != 0) return NULL;
    vt_block *b = &a->blocks[a->n_blocks - 1];
    if (b->cap - b->used < need) {
        /* Grow geometrically so a growing step needs few blocks. */
        size_t cap = b->cap <= SIZE_MAX / 2 && b->cap * 2 > need ? b->cap * 2 : need;
        if (push_block(a, cap) != 0) return NULL;
        b = &a->blocks[a->n_blocks - 1];
    }
    void *p = b->mem + b->used;
    b->used += need;
    UNPOISON(p, bytes ? bytes : 1);   /* the rounding slack stays poisoned */
    return p;
}

size_t vt_arena_bytes_used(const vt_arena *a) {
    size_t u = 0;
    for (int i = 0; i < a->n_blocks; i++) u += a->blocks[i].used;
    return u;
}

size_t vt_arena_bytes_cap(const vt_arena *a) {
    size_t c = 0;
    for (int i = 0; i < a->n_blocks; i++) c += a->blocks[i].cap;
    return c;
}

void vt_arena_clear(vt_arena *a) {
    size_t used = vt_arena_bytes_used(a);
    if (used > a->high_water) a->high_water = used;
    if (a->n_blocks > 1) {
        /* The step outgrew the first block: replace all blocks by one that fits the
         * largest step seen (plus slack), so later steps stay in a single block. */
        size_t cap = a->high_water + a->high_water / 4;
        for (int i = 0; i < a->n_blocks; i++) free_block(&a->blocks[i]);
        a->n_blocks = 0;
        if (push_block(a, cap) != 0) push_block(a, (size_t)1 << 20);
    }
    if (a->n_blocks > 0) {
        a->blocks[0].used = 0;
        POISON(a->blocks[0].mem, a->blocks[0].cap);   /* last step's tensors are gone */
    }
}
