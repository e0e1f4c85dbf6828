/* Private to optim/: the optimizer state shared by the constructor and the updates. */
#ifndef VT_OPTIM_INTERNAL_H
#define VT_OPTIM_INTERNAL_H

#include "vtape/optim.h"

/* Moments below this magnitude are stored as 0. Adam's moments of weights whose
 * gradient stays zero decay geometrically (m by beta1, v by beta2 per step) and would
 * spend thousands of steps as subnormals, each of which costs ~100 cycles per
 * arithmetic op on x86. Far above FLT_MIN (1.2e-38), so a stored moment times a beta
 * never lands in the subnormal range for long. Harmless numerically: a flushed m
 * moves p by at most lr * 1e-30 / eps, and a flushed v changes sqrt(v) by < 1e-15,
 * far below eps (1e-8 by default). The alternative, setting FTZ/DAZ in MXCSR, would
 * change floating-point mode for the caller's whole thread. */
#define VT_MOMENT_FLUSH 1e-30f

/* The update loops run over blocks of this many elements with a scalar tail: GCC's
 * -O2 vectorizer only vectorizes a loop when no remainder loop is needed, which a
 * fixed-length inner loop guarantees. (Adam's sqrtf also needs -fno-math-errno.) */
#define VT_OPTIM_BLOCK 16

struct vt_optim {
    vt_store *store;
    vt_optim_config cfg;
    long t;              /* updates taken */
    vt_ctx *ctx;         /* whose threads run the update; NULL: the caller's thread */
};

/* The updates proper. Slot pointers are looked up on every step because adding
 * parameters to the store may move its blocks. t is already advanced. Return 0, or
 * a negative code with err filled when a slot cannot be allocated. */
int vt_sgd_update(vt_optim *opt, float lr, vt_error *err);
/* Adam and AdamW; with zero_grad each gradient is set to 0 right after it is read. */
int vt_adam_update(vt_optim *opt, float lr, int zero_grad, vt_error *err);


#endif
