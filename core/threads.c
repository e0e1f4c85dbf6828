/* vtape's own worker pool for element-wise work. Workers sleep on a condition
 * variable between jobs (no spinning), so they do not steal the cores OpenBLAS's
 * threads need during a GEMM. Chunks are fixed by `grain`, not by thread count. */
#include "core/internal.h"
#include <stdatomic.h>
#include <stdlib.h>

struct vt_pool {
    int n_workers;
    pthread_t *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t job_id;           /* bumped for each job */
    int quit;
    int busy;                  /* workers still inside the current job */
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
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->job_id == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->job_id;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
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
    p->busy = p->n_workers;
    p->job_id++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
