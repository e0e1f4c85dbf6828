/* KL-weight (β) schedules for the ELBO: pure functions of the optimizer step, so a
 * resumed run only needs the step count to continue on the same curve. */
#include "vtape/elbo.h"
#include <math.h>
#include <stdio.h>

static const char *const beta_names[] = {"constant", "linear", "cyclical"};
const vt_names vt_beta_kind_names = VT_NAMES(beta_names);

int vt_beta_kind_parse(const char *name) { return vt_names_find(&vt_beta_kind_names, name); }

const char *vt_beta_kind_name(vt_beta_kind kind) { return vt_names_get(&vt_beta_kind_names, (int)kind); }

static int schedule_error(vt_error *err, const char *what, double value) {
    vt_error_set(err, VT_EARG, "beta schedule: %s (got %g)", what, value);
    return -1;
}

static int finite_nonneg(float x) { return x >= 0.0f && isfinite(x); }

int vt_beta_schedule_check(const vt_beta_schedule *s, vt_error *err) {
    if (!s) return schedule_error(err, "no schedule given", 0);
    if (!finite_nonneg(s->beta))
        return schedule_error(err, "beta must be finite and >= 0", s->beta);
    switch (s->kind) {
    case VT_BETA_CONSTANT:
        return 0;
    case VT_BETA_LINEAR:
        if (s->warmup_steps < 0)
            return schedule_error(err, "linear warmup_steps must be >= 0",
                                  (double)s->warmup_steps);
        return 0;
    case VT_BETA_CYCLICAL:
        if (s->cycles < 1)
            return schedule_error(err, "cyclical needs cycles >= 1", s->cycles);
        if (s->total_steps < s->cycles)
            return schedule_error(err, "cyclical needs total_steps >= cycles",
                                  (double)s->total_steps);
        if (!(s->ramp > 0.0f && s->ramp <= 1.0f))
            return schedule_error(err, "cyclical ramp must be in (0, 1]",
                                  s->ramp);
        return 0;
    }
    return schedule_error(err, "unknown kind", s->kind);
}

float vt_beta_at(const vt_beta_schedule *s, long step) {
    if (vt_beta_schedule_check(s, NULL) != 0) return NAN;
    if (step < 0) step = 0;
    const double beta = s->beta;
    switch (s->kind) {
    case VT_BETA_LINEAR:
        if (step >= s->warmup_steps) return s->beta;
        return (float)(beta * (double)step / (double)s->warmup_steps);
    case VT_BETA_CYCLICAL: {
        if (step >= s->total_steps) return s->beta;
        /* A fractional period keeps the M cycles equal when M does not divide T. */
        const double period = (double)s->total_steps / s->cycles;
        const double u = fmod((double)step, period) / period;
        return u < s->ramp ? (float)(beta * u / s->ramp) : s->beta;
    }
    case VT_BETA_CONSTANT:
    default:
        return s->beta;
    }
}
