/* vtape's own worker pool for element-wise work and, with the AVX-512 GEMM backend,
 * matrix products. A step hands the pool dozens of short jobs (17 GEMMs, element-wise
 * ops) a few microseconds apart, and waking a sleeping thread costs a futex call and
 * an inter-processor interrupt each time, so workers first spin for SPIN_NS on the
 * job counter, then sleep on a condition variable: an idle pool (between steps, or
 * while OpenBLAS's threads run a GEMM) costs no CPU after that. Chunks are fixed by
 * `grain`, not by thread count. */
#include "core/internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_NS 100000   /* 0.1 ms: longer than the gaps between a step's jobs */

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spin until *v != old (1) or SPIN_NS pass (0). */
static int spin_while_eq(atomic_uint_fast64_t *v, uint64_t old) {
    long long t0 = now_ns();
    for (int i = 1;; i++) {
        if (atomic_load_explicit(v, memory_order_acquire) != old) return 1;
        CPU_RELAX();
        if ((i & 63) == 0 && now_ns() - t0 > SPIN_NS) return 0;
    }
}

struct vt_pool {
    int n_workers;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    atomic_uint_fast64_t job_id;   /* bumped for each job */
    int quit;
    atomic_uint_fast64_t busy;     /* workers still inside the current job */
    vt_range_fn fn;
    void *arg;
    size_t n, grain;
    atomic_size_t next;        /* next chunk start */
};

static void run_chunks(vt_pool *p) {
    for (;;) {
        size_t b = atomic_fetch_add(&p->next, p->grain);
        if (b >= p->n) return;
        size_t e = b + p->grain < p->n ? b + p->grain : p->n;
        p->fn(p->arg, b, e);
    }
}

static void *worker(void *arg) {
    vt_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        if (!spin_while_eq(&p->job_id, seen)) {
            pthread_mutex_lock(&p->mu);
            while (!p->quit && atomic_load(&p->job_id) == seen)
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        /* quit is set under the mutex and bumps job_id, so this read sees it. */
        pthread_mutex_lock(&p->mu);
        int quit = p->quit;
        pthread_mutex_unlock(&p->mu);
        if (quit) break;
        seen = atomic_load(&p->job_id);
        run_chunks(p);
        if (atomic_fetch_sub(&p->busy, 1) == 1) {   /* the last one out wakes the caller */
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

vt_pool *vt_pool_new(int threads) {
    vt_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_workers = threads - 1;   /* the calling thread works too */
    p->workers = calloc((size_t)p->n_workers, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < p->n_workers; i++) {
        if (pthread_create(&p->workers[i], NULL, worker, p) != 0) {
            p->n_workers = i;
            break;
        }
    }
    return p;
}

void vt_pool_free(vt_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    atomic_fetch_add(&p->job_id, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->workers);
    free(p);
}

void vt_pool_run(vt_pool *p, size_t n, size_t grain, vt_range_fn fn, void *arg) {
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->grain = grain;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, (uint64_t)p->n_workers);
    atomic_fetch_add_explicit(&p->job_id, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    long long t0 = now_ns();
    while (atomic_load_explicit(&p->busy, memory_order_acquire) != 0 && now_ns() - t0 < SPIN_NS)
        CPU_RELAX();
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->busy) != 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
