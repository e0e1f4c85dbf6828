/* Checkpoints: parameters, optimizer moments and step, training position, noise
 * state and the model's configuration text in one versioned file.
 *
 * Writes are atomic: the file is written to "<path>.tmp", fsync'd and renamed over
 * <path>, so a crash mid-write leaves the previous checkpoint whole. Loads check the
 * magic, version, length and CRC-32, and that every parameter's name and shape match
 * the store; nothing in the store or optimizer changes unless all checks pass. */
#ifndef VTAPE_CHECKPOINT_H
#define VTAPE_CHECKPOINT_H

#include "vtape/core.h"
#include "vtape/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_CHECKPOINT_VERSION 1

typedef struct vt_train_state {
    uint64_t step;        /* optimizer steps taken */
    uint64_t epoch;       /* epochs completed */
    uint64_t seed;        /* noise seed of the context */
    uint64_t noise_step;  /* vt_ctx_step of the context */
} vt_train_state;

/* opt may be NULL (no optimizer state saved). 0, or −1 with a message. */
int vt_checkpoint_save(const char *path, const char *config, vt_store *store,
                       const vt_optim *opt, const vt_train_state *state, vt_error *err);
/* The configuration text, to build the model before loading into it. */
int vt_checkpoint_read_config(const char *path, char *config, size_t len, vt_error *err);
/* Restore into a store built from that configuration; opt and state may be NULL.
 * A file saved without optimizer state leaves opt as it is. */
int vt_checkpoint_load(const char *path, vt_store *store, vt_optim *opt,
                       vt_train_state *state, vt_error *err);

#ifdef __cplusplus
}
#endif
#endif
