/* Learning-rate and KL-weight schedules: pure functions of the step number, so a
 * resumed run only needs the step count to continue on the same curve. */
#include "optim/internal.h"
#include <math.h>
#include <stdio.h>

#define VT_PI 3.14159265358979323846

static int schedule_error(vt_error *err, const char *who, const char *what,
                          double value) {
    vt_error_set(err, VT_EARG, "%s: %s (got %g)", who, what, value);
    return -1;
}

static int finite_nonneg(float x) { return x >= 0.0f && isfinite(x); }

/* ---- learning rate ---- */

int vt_lr_schedule_check(const vt_lr_schedule *s, vt_error *err) {
    const char *who = "lr schedule";
    if (!s) return schedule_error(err, who, "no schedule given", 0);
    if (!finite_nonneg(s->lr)) return schedule_error(err, who,
                                                     "lr must be finite and >= 0", s->lr);
    if (s->warmup_steps < 0)
        return schedule_error(err, who, "warmup_steps must be >= 0",
                              (double)s->warmup_steps);
    switch (s->kind) {
    case VT_LR_CONSTANT:
        return 0;
    case VT_LR_STEP:
        if (s->step_size < 1)
            return schedule_error(err, who, "step decay needs step_size >= 1",
                                  (double)s->step_size);
        if (!(s->gamma > 0.0f && s->gamma <= 1.0f))
            return schedule_error(err, who, "step decay gamma must be in (0, 1]",
                                  s->gamma);
        return 0;
    case VT_LR_COSINE:
        if (s->decay_steps < 1)
            return schedule_error(err, who, "cosine needs decay_steps >= 1",
                                  (double)s->decay_steps);
        if (!(s->lr_min >= 0.0f && s->lr_min <= s->lr))
            return schedule_error(err, who, "cosine lr_min must be in [0, lr]",
                                  s->lr_min);
        return 0;
    }
    return schedule_error(err, who, "unknown kind", s->kind);
}

float vt_lr_at(const vt_lr_schedule *s, long step) {
    if (vt_lr_schedule_check(s, NULL) != 0) return NAN;
    if (step < 0) step = 0;
    const double lr = s->lr;
    if (step < s->warmup_steps) return (float)(lr * (double)(step + 1) / (double)s->warmup_steps);
    const long k = step - s->warmup_steps;
    switch (s->kind) {
    case VT_LR_STEP:
        return (float)(lr * pow(s->gamma, (double)(k / s->step_size)));
    case VT_LR_COSINE:
        if (k >= s->decay_steps) return s->lr_min;
        return (float)(s->lr_min + (lr - s->lr_min) * 0.5 *
                                       (1.0 + cos(VT_PI * (double)k / (double)s->decay_steps)));
    case VT_LR_CONSTANT:
    default:
        return s->lr;
    }
}

/* ---- names ---- */

static const char *const lr_names[] = {"constant", "step", "cosine"};
const vt_names vt_lr_kind_names = VT_NAMES(lr_names);

int vt_lr_kind_parse(const char *name) { return vt_names_find(&vt_lr_kind_names, name); }

const char *vt_lr_kind_name(vt_lr_kind kind) { return vt_names_get(&vt_lr_kind_names, (int)kind); }
