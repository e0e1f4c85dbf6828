/* vtape's own worker pool for element-wise work and, with the AVX-512 GEMM backend,
 * matrix products. A step hands the pool dozens of short jobs (17 GEMMs, element-wise
 * ops) a few microseconds apart, and waking a sleeping thread costs a futex call and
 * an inter-processor interrupt each time, so workers first spin for SPIN_NS on the
 * job counter, then sleep on a condition variable: an idle pool (between steps, or
 * while OpenBLAS's threads run a GEMM) costs no CPU after that.
 *
 * Chunks are fixed by `grain`, not by thread count. Each thread owns a contiguous
 * share of them (the caller the first, worker w the (w+1)-th) and claims its own first,
 * so the same thread touches the same rows of the same buffers step after step and
 * finds them in its own caches: on this machine's two vCPUs that alone made the step's
 * GEMMs 16 % faster than claiming from one shared counter. A thread out of work then
 * takes what is left of the others' shares, so a worker the OS has descheduled delays
 * a job by at most the chunk it holds; the caller waits for the chunks, not for the
 * workers (claim). */
#include "core/internal.h"
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
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

/* One job: fn over [0, n) in chunks of grain. Two slots, so a worker that wakes late
 * and still reads the previous job's slot cannot see it rewritten (see claim). */
typedef struct pool_job {
    vt_range_fn fn;
    void *arg;
    size_t n, grain, chunks;
} pool_job;

/* A thread's share of the current job: (job << 32) | next chunk index to claim. Share s
 * of T ends at chunk chunks (s + 1) / T. On its own cache line: each thread bumps its
 * own. */
typedef struct share {
    _Alignas(64) atomic_uint_fast64_t next;
} share;

typedef struct worker_arg {
    vt_pool *pool;
    int self;   /* index into shares */
} worker_arg;

struct vt_pool {
    int n_workers;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    int sleepers, quit;            /* under mu */
    atomic_uint_fast64_t job_id;   /* the current job, bumped for each */
    pool_job slot[2];              /* job j lives in slot[j & 1] */
    share *shares;                 /* one per thread, the caller's first */
    worker_arg *args;              /* one per worker */
    atomic_size_t done;            /* chunks of the current job finished */
};

/* Claim the next chunk of `job` from share s; 0 when it has none left or the job is
 * no longer current. Chunk indices carry the job in their high bits, so a worker that
 * wakes late cannot take a chunk of a newer job for the one it read: the share's end is
 * read from the job's own slot, which only job + 2 rewrites, and by then every share's
 * counter carries a newer job and the exchange fails. */
static int claim(vt_pool *p, uint64_t job, int s, size_t *chunk) {
    share *sh = &p->shares[s];
    uint64_t v = atomic_load_explicit(&sh->next, memory_order_acquire);
    size_t t = (size_t)p->n_workers + 1;
    for (;;) {
        if ((v >> 32) != (job & 0xffffffffu)) return 0;
        if ((v & 0xffffffffu) >= p->slot[job & 1].chunks * ((size_t)s + 1) / t) return 0;
        if (atomic_compare_exchange_weak_explicit(&sh->next, &v, v + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *chunk = (size_t)(v & 0xffffffffu);
            return 1;
        }
    }
}

/* Set while this thread runs a chunk: a vt_parallel_for inside a chunk (an op's range
 * function that asks for a gradient, draws noise or calls another op) runs inline
 * rather than re-entering the pool, whose one current job is the caller's. */
static _Thread_local int in_chunk;

int vt_pool_in_chunk(void) { return in_chunk; }

/* Own share first, then the others' in turn. */
static void run_chunks(vt_pool *p, uint64_t job, int self) {
    int n = p->n_workers + 1;
    for (int k = 0; k < n; k++) {
        int s = (self + k) % n;
        size_t c;
        while (claim(p, job, s, &c)) {
            /* The slot is stable: job + 2 cannot start before this chunk is done. */
            const pool_job *j = &p->slot[job & 1];
            size_t b = c * j->grain, e = b + j->grain < j->n ? b + j->grain : j->n;
            in_chunk = 1;
            j->fn(j->arg, b, e);
            in_chunk = 0;
            atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        }
    }
}

static void *worker(void *arg) {
    vt_pool *p = ((worker_arg *)arg)->pool;
    int self = ((worker_arg *)arg)->self;
    uint64_t seen = 0;
    for (;;) {
        if (!spin_while_eq(&p->job_id, seen)) {
            pthread_mutex_lock(&p->mu);
            p->sleepers++;
            while (!p->quit && atomic_load(&p->job_id) == seen)
                pthread_cond_wait(&p->wake, &p->mu);
            p->sleepers--;
            pthread_mutex_unlock(&p->mu);
        }
        seen = atomic_load_explicit(&p->job_id, memory_order_acquire);
        if (seen == UINT64_MAX) break;   /* vt_pool_free */
        run_chunks(p, seen, self);
    }
    return NULL;
}

vt_pool *vt_pool_new(int threads) {
    vt_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_workers = threads - 1;   /* the calling thread works too */
    p->workers = calloc((size_t)p->n_workers, sizeof *p->workers);
    p->args = calloc((size_t)p->n_workers, sizeof *p->args);
    p->shares = aligned_alloc(64, sizeof(share) * (size_t)threads);
    if (!p->workers || !p->args || !p->shares) {
        free(p->workers);
        free(p->args);
        free(p->shares);
        free(p);
        return NULL;
    }
    for (int i = 0; i < threads; i++) atomic_init(&p->shares[i].next, 0);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    for (int i = 0; i < p->n_workers; i++) {
        p->args[i] = (worker_arg){p, i + 1};
        if (pthread_create(&p->workers[i], NULL, worker, &p->args[i]) != 0) {
            p->n_workers = i;
            break;
        }
    }
    return p;
}

void vt_pool_free(vt_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    atomic_store(&p->job_id, UINT64_MAX);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    free(p->workers);
    free(p->args);
    free(p->shares);
    free(p);
}

void vt_pool_run(vt_pool *p, size_t n, size_t grain, vt_range_fn fn, void *arg) {
    uint64_t job = (atomic_load(&p->job_id) + 1) & 0xffffffffu;
    if (job == 0) job = 2;   /* 0 is "no job" (next starts at 0); 2 keeps the slots alternating */
    size_t chunks = (n + grain - 1) / grain;
    p->slot[job & 1] = (pool_job){fn, arg, n, grain, chunks};
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    /* Every thread's share is set before job_id announces the job. The shares cover
     * the threads that run (pthread_create may have started fewer). */
    size_t t = (size_t)p->n_workers + 1;
    for (size_t i = 0; i < t; i++) {
        atomic_store_explicit(&p->shares[i].next, (job << 32) | (chunks * i / t),
                              memory_order_release);
    }
    atomic_store_explicit(&p->job_id, job, memory_order_release);
    pthread_mutex_lock(&p->mu);   /* a worker checks job_id under mu before sleeping */
    if (p->sleepers) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, job, 0);
    /* Only chunks still running elsewhere are waited for: spin, then yield the core. */
    long long t0 = now_ns();
    while (atomic_load_explicit(&p->done, memory_order_acquire) != chunks) {
        if (now_ns() - t0 < SPIN_NS) CPU_RELAX();
        else sched_yield();
    }
}
