/* Names of enum values: one table per enum (declared beside the enum), shared by the
 * library's parsers and the command's option lists, so the two cannot disagree. */
#include "vtape/names.h"

int vt_name_eq(const char *a, const char *b) {
    if (!a || !b) return 0;
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

int vt_names_find(const vt_names *t, const char *name) {
    for (int i = 0; t && name && i < t->count; i++)
        if (vt_name_eq(name, t->name[i])) return i;
    return -1;
}

const char *vt_names_get(const vt_names *t, int value) {
    return t && value >= 0 && value < t->count ? t->name[value] : "unknown";
}
