/*
 * Fuzz target: the root's decoder of the MOV forms a child uses on MMIO
 * (root/hv/insn.c), in long mode and 32-bit mode: any 15 bytes give a
 * decoded instruction within bounds or an error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "root/hv/insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void root_log(const char *fmt, ...);
void root_log(const char *fmt, ...)
{
    (void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct mmio_insn in;
    unsigned n = (unsigned)(size - 1 > 15 ? 15 : size - 1);
    bool lm = data[0] & 1, db = data[0] & 2;
    if (insn_decode_mov(data + 1, n, lm, db, &in) == 0) {
        if (in.len == 0 || in.len > n)
            abort();
        if (in.size != 1 && in.size != 2 && in.size != 4 && in.size != 8)
            abort();
    }
    return 0;
}
