/* Private to io/: a checkpoint file parsed and validated (io/checkpoint_read.c), for
 * the public readers (io/checkpoint_load.c). */
#ifndef VT_IO_CHECKPOINT_PARSE_H
#define VT_IO_CHECKPOINT_PARSE_H

#include <stddef.h>
#include "vtape/checkpoint.h"
#include "io/checkpoint_format.h"

/* ---- a bounds-checked cursor ---- */
typedef struct {
    const unsigned char *p;
    size_t n, off;
    const char *path;
    vt_error *err;
    int bad;
} rbuf;

/* ---- the whole file, parsed and validated ---- */
typedef struct {
    size_t name_off;
    uint32_t name_len, ndim, dims[VT_MAX_DIMS];
    size_t numel;
} ckpt_param;

typedef struct {
    unsigned char *file;      /* payload and CRC */
    rbuf r;
    uint32_t version, config_len, notes_len, n_slots, opt_kind, np;
    size_t config_off, notes_off, values_off, numel;
    uint64_t opt_t;
    vt_train_state st;
    ckpt_param *params;
} ckpt;

/* Read and validate the whole file (flags: VT_CHECKPOINT_*). 0, or a VT_E* code with
 * err naming the file and offset; on failure nothing needs closing. */
int vt_ckpt_open(ckpt *c, const char *path, unsigned flags, vt_error *err);
void vt_ckpt_close(ckpt *c);
uint32_t vt_ckpt_crc(const unsigned char *p, size_t n);   /* io/checkpoint.c */

#endif
