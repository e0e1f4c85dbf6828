/* Checkpoints: parameters, optimizer moments and step, training position, noise
 * state, the model's configuration text and free-form notes (an application's run
 * state, e.g. the metrics history) in one versioned file.
 *
 * Writes are atomic (vtape/io.h): a crash mid-write leaves the previous checkpoint
 * whole. A state holding a NaN or infinity is never written (VT_ENONFINITE).
 *
 * Loads trust nothing: the declared length must match the file's size before any
 * allocation, the CRC-32 must match, texts hold no NUL, counters are at most
 * VT_CHECKPOINT_MAX_COUNT, the parameter table must account for every remaining byte,
 * values must be finite (unless VT_CHECKPOINT_ALLOW_NONFINITE), and every parameter's
 * name and shape must match the store. Nothing in the store or optimizer changes
 * unless all checks pass. */
#ifndef VTAPE_CHECKPOINT_H
#define VTAPE_CHECKPOINT_H

#include "vtape/core.h"
#include "vtape/optim.h"
#include "vtape/io.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_CHECKPOINT_VERSION 2   /* 2 added the notes; version 1 files still load */
/* Step, epoch and optimizer counters beyond this (2^53) mark a damaged file. */
#define VT_CHECKPOINT_MAX_COUNT ((uint64_t)1 << 53)
/* Load flags. */
enum { VT_CHECKPOINT_ALLOW_NONFINITE = 1u << 0 };   /* inspect a diverged state */

typedef struct vt_train_state {
    uint64_t step;        /* optimizer steps taken */
    uint64_t epoch;       /* epochs completed */
    uint64_t seed;        /* noise seed of the context */
    uint64_t noise_step;  /* vt_ctx_step of the context */
} vt_train_state;

/* opt may be NULL (no optimizer state saved). 0, or −1 with a message. */
int vt_checkpoint_save(const char *path, const char *config, vt_store *store,
                       const vt_optim *opt, const vt_train_state *state, vt_error *err);
/* The same with notes (text without NUL, < 1 MiB; NULL: none). */
int vt_checkpoint_save_notes(const char *path, const char *config, const char *notes,
                             vt_store *store, const vt_optim *opt, const vt_train_state *state,
                             vt_error *err);

/* What a file holds, fully validated (flags as for loading) without a store: compare
 * numel with what a configuration would build before building it. */
typedef struct vt_checkpoint_info {
    unsigned version;
    long n_params;
    size_t numel;          /* elements of all parameters, from the parameter table */
    int n_slots;           /* optimizer moment blocks saved */
    vt_train_state state;
    size_t config_len, notes_len;
} vt_checkpoint_info;
int vt_checkpoint_inspect(const char *path, unsigned flags, vt_checkpoint_info *info,
                          vt_error *err);
/* The notes as a malloc'd string ("" when none), or NULL with err filled. */
char *vt_checkpoint_read_notes(const char *path, vt_error *err);
/* The configuration text, to build the model before loading into it. */
int vt_checkpoint_read_config(const char *path, char *config, size_t len, vt_error *err);
/* Restore into a store built from that configuration; opt and state may be NULL.
 * A file saved without optimizer state leaves opt as it is. */
int vt_checkpoint_load(const char *path, vt_store *store, vt_optim *opt,
                       vt_train_state *state, vt_error *err);
/* The same with VT_CHECKPOINT_* flags. */
int vt_checkpoint_load_flags(const char *path, vt_store *store, vt_optim *opt,
                             vt_train_state *state, unsigned flags, vt_error *err);

#ifdef __cplusplus
}
#endif
#endif
