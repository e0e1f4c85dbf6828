/* vtape optimizers, gradient clipping and schedules.
 *
 * An optimizer updates every parameter of a vt_store in one streaming pass over the
 * store's contiguous blocks (values, gradients, moments). It does not zero the
 * gradients: call vt_store_zero_grad() after each step.
 *
 *     vt_optim_config cfg = vt_optim_defaults(VT_ADAMW);
 *     vt_error err;
 *     vt_optim *opt = vt_optim_new(store, &cfg, &err);
 *     if (!opt) { fprintf(stderr, "%s\n", err.msg); ... }
 *     for (long step = 0; ...; step++) {
 *         ... forward, vt_backward ...
 *         float norm = vt_clip_grad_norm(store, 5.0f);
 *         if (!isfinite(norm)) { ... report, skip ... }
 *         else vt_optim_step(opt, vt_lr_at(&sched, step), &err);
 *         vt_store_zero_grad(store);
 *     }
 *
 * Nothing here exits or aborts: bad configurations return NULL or a negative VT_E*
 * code with err filled (vtape/error.h). */
#ifndef VTAPE_OPTIM_H
#define VTAPE_OPTIM_H

#include "vtape/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- optimizers ---- */
typedef enum vt_optim_kind {
    VT_SGD,    /* p -= lr * g, optional momentum / Nesterov (torch.optim.SGD, dampening 0) */
    VT_ADAM,   /* torch.optim.Adam; weight_decay is an L2 term added to the gradient */
    VT_ADAMW,  /* torch.optim.AdamW; weight_decay is decoupled: p -= lr*wd*p first */
} vt_optim_kind;

typedef struct vt_optim_config {
    vt_optim_kind kind;
    float weight_decay;  /* >= 0; L2 for SGD/Adam, decoupled for AdamW */
    float momentum;      /* SGD: in [0, 1); 0 is plain SGD */
    int nesterov;        /* SGD: Nesterov momentum (needs momentum > 0) */
    float beta1, beta2;  /* Adam/AdamW: each in [0, 1) */
    float eps;           /* Adam/AdamW: > 0 */
} vt_optim_config;

typedef struct vt_optim vt_optim;

/* PyTorch's defaults: Adam(W) betas (0.9, 0.999), eps 1e-8; AdamW weight decay 0.01. */
vt_optim_config vt_optim_defaults(vt_optim_kind kind);
/* 0 when cfg is valid, else -1 with a message in err (err may be NULL). */
int vt_optim_config_check(const vt_optim_config *cfg, vt_error *err);
/* An optimizer over every parameter of `store` (which must outlive it). Parameters
 * added to the store later are included too. NULL on a bad config, message in err. */
vt_optim *vt_optim_new(vt_store *store, const vt_optim_config *cfg, vt_error *err);
void vt_optim_free(vt_optim *opt);
/* One update with learning rate lr (finite, >= 0) from the store's gradients.
 * Advances the step count first, so the first step uses t = 1 for Adam's bias
 * correction. Returns 0, or a negative VT_E* code with err filled and nothing changed. */
int vt_optim_step(vt_optim *opt, float lr, vt_error *err);
/* vt_optim_step, then every gradient set to 0 (as vt_store_zero_grad), with Adam in the
 * same pass over memory: the update is memory-bound, so this saves a pass. The same
 * values as the two calls. On an error nothing changes, gradients included. */
int vt_optim_step_zero_grad(vt_optim *opt, float lr, vt_error *err);
/* Run the updates on ctx's worker threads (vt_ctx_opts.threads; ctx must outlive opt,
 * or call again with NULL). Updates are element-wise, so results are the same for any
 * thread count. */
void vt_optim_set_ctx(vt_optim *opt, vt_ctx *ctx);
const vt_optim_config *vt_optim_get_config(const vt_optim *opt);

/* State for checkpoints: the step count t and the store slots holding moments
 * (vt_store_slot(store, slots[i])). SGD without momentum has none; SGD with momentum
 * uses slot 0 (velocity); Adam/AdamW use slot 0 (m) and slot 1 (v). Two optimizers on
 * one store would share these slots. Restore by writing the slots and setting t. */
#define VT_OPTIM_MAX_SLOTS 2
int vt_optim_state_slots(const vt_optim *opt, int slots[VT_OPTIM_MAX_SLOTS]);
long vt_optim_get_step(const vt_optim *opt);
int vt_optim_set_step(vt_optim *opt, long t, vt_error *err);   /* t >= 0 */

extern const vt_names vt_optim_kind_names;   /* "sgd", "adam", "adamw" */
/* name (any case) -> kind, or -1 when unknown. */
int vt_optim_kind_parse(const char *name);
const char *vt_optim_kind_name(vt_optim_kind kind);

/* ---- gradient clipping ----
 * Global L2 norm of all gradients in the store (summed in double). When it exceeds
 * max_norm, every gradient is scaled by max_norm / norm so the norm becomes max_norm
 * (to float rounding). Returns the norm before clipping. When the norm is not finite
 * (NaN/Inf gradients, or above FLT_MAX) it is returned and the gradients are left
 * untouched, so the caller can report it and skip the step. max_norm <= 0 or NaN
 * only measures. */
float vt_clip_grad_norm(vt_store *store, float max_norm);

/* ---- learning-rate schedules: pure functions of the step ----
 * `step` counts the updates already taken (0 for the first; vt_optim_get_step()
 * before the update). With warmup_steps = W > 0, every kind first ramps linearly:
 * lr * (step + 1) / W for step < W (so no step is wasted at lr 0), then runs its
 * shape on k = step - W:
 *   constant: lr
 *   step:     lr * gamma^floor(k / step_size)
 *   cosine:   lr_min + (lr - lr_min) * (1 + cos(pi * k / decay_steps)) / 2,
 *             then lr_min for k >= decay_steps (the run is W + decay_steps long). */
typedef enum vt_lr_kind { VT_LR_CONSTANT, VT_LR_STEP, VT_LR_COSINE } vt_lr_kind;

typedef struct vt_lr_schedule {
    vt_lr_kind kind;
    float lr;            /* base rate, finite and >= 0 */
    long warmup_steps;   /* W >= 0; 0: no warm-up */
    long step_size;      /* step: decay every step_size (>= 1) steps */
    float gamma;         /* step: factor in (0, 1] */
    long decay_steps;    /* cosine: length of the decay (>= 1) */
    float lr_min;        /* cosine: final rate, in [0, lr] */
} vt_lr_schedule;

int vt_lr_schedule_check(const vt_lr_schedule *s, vt_error *err);
/* The rate for `step` (negative counts as 0); NaN for an invalid schedule, which
 * vt_optim_step then rejects. */
float vt_lr_at(const vt_lr_schedule *s, long step);
extern const vt_names vt_lr_kind_names;   /* "constant", "step", "cosine" */
/* name -> kind, or -1. */
int vt_lr_kind_parse(const char *name);
const char *vt_lr_kind_name(vt_lr_kind kind);

#ifdef __cplusplus
}
#endif
#endif
