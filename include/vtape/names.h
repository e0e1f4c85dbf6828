/* Enum ↔ name tables. Every public enum whose values have names (estimators,
 * optimizers, schedules, activations, binarization, model families) has exactly one
 * table, `vt_<enum>_names`, declared beside the enum; value i is named name[i]. The
 * library parses with it and the `vtape` command builds its option lists from it. */
#ifndef VTAPE_NAMES_H
#define VTAPE_NAMES_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_names {
    int count;
    const char *const *name;
} vt_names;

/* The value named `name` (ASCII case-insensitive), or -1. */
int vt_names_find(const vt_names *t, const char *name);
/* The name of `value`, or "unknown" when out of range. */
const char *vt_names_get(const vt_names *t, int value);
/* ASCII case-insensitive equality; 1 when equal (0 for NULL). */
int vt_name_eq(const char *a, const char *b);

#define VT_NAMES(array) {(int)(sizeof(array) / sizeof((array)[0])), array}

#ifdef __cplusplus
}
#endif
#endif
