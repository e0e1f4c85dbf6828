/* Private to io/: the checkpoint layout shared by the writer and the reader.
 *
 * All integers little-endian:
 *   "VTAPECKP" u32 version  u64 payload_bytes  payload  u32 crc32(payload)
 * payload:
 *   u32 config_len, config bytes            (no NUL inside)
 *   u32 notes_len, notes bytes              (version >= 2; no NUL inside)
 *   u64 step, epoch, seed, noise_step
 *   u32 n_slots (0..2), i64 optimizer t, u32 optimizer kind
 *   u32 n_params; per parameter: u32 name_len, name, u32 ndim, u32 dims[ndim]
 *   values of every parameter (float32), then each slot's values of every parameter */
#ifndef VT_IO_CHECKPOINT_FORMAT_H
#define VT_IO_CHECKPOINT_FORMAT_H

#include <stdint.h>

static const char VT_CKPT_MAGIC[8] = {'V', 'T', 'A', 'P', 'E', 'C', 'K', 'P'};
enum { VT_CKPT_HEAD = 20, VT_CKPT_TAIL = 4 };
#define VT_CKPT_MAX_PAYLOAD ((uint64_t)1 << 38)   /* 256 GiB */
#define VT_CKPT_MAX_TEXT ((uint32_t)1 << 20)      /* config and notes: 1 MiB each */
#define VT_CKPT_MAX_NAME 4096u

#endif
