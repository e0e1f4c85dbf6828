/* The fuzzers' input as a file: vtape's readers take paths, so each input is put in an
 * in-memory file (memfd) and read back through /proc/self/fd. */
#ifndef VT_FUZZ_FILE_H
#define VT_FUZZ_FILE_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static int fuzz_fd = -1;
static char fuzz_path[64];

static const char *fuzz_as_file(const uint8_t *data, size_t size) {
    if (fuzz_fd < 0) {
        fuzz_fd = memfd_create("vtape-fuzz", 0);
        if (fuzz_fd < 0) return NULL;
        snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
    }
    if (ftruncate(fuzz_fd, 0) != 0 || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size) return NULL;
    return fuzz_path;
}
#endif
