/*
 * What the root needs to emulate a child's MMIO access without decode
 * assists (QEMU's SVM has none): a walk of the child's own page tables and
 * a decoder for the MOV forms guests use on device registers.
 */
#ifndef ROOT_HV_INSN_H
#define ROOT_HV_INSN_H

#include <stdint.h>

#include "root/hv/vcpu.h"

/*
 * Translates a child linear address through the child's paging (none,
 * 32-bit, PAE, 4-level) as set by cr0/cr4/efer/cr3 in v.  Returns 0 and
 * the GPA, or -EFAULT when a table is outside RAM or an entry is not
 * present.  No permission checks: the child just used the mapping.
 */
int insn_translate(const struct vcpu *v, uint64_t la, uint64_t *gpa);

/*
 * Copies up to len instruction bytes at CS:RIP (len <= 15).  Returns the
 * number of bytes fetched (fewer at an unmapped page), or -EFAULT if none.
 */
int insn_fetch(const struct vcpu *v, uint8_t *buf, unsigned len);

/* A decoded 32-bit MOV between a register (or immediate) and memory. */
struct mmio_insn {
    uint8_t len;      /* instruction length in bytes */
    uint8_t is_write; /* 1: store to memory */
    uint8_t size;     /* memory access size in bytes: 1, 2, 4 or 8 */
    uint8_t dst_size; /* register bytes a load writes (MOVZX widens) */
    uint8_t reg;      /* GPR_* for register forms */
    uint8_t has_imm;  /* store of an immediate */
    uint32_t imm;
};

/*
 * Decodes bytes[0..n) in the code size given by long_mode/cs_db: MOV
 * r/m,r (88/89), MOV r,r/m (8A/8B), MOV r/m,imm (C6/C7), MOV with a moffs
 * address (A0-A3), MOVZX (0F B6/B7)
 * with optional REX, 0x66 and segment prefixes.  Returns 0, -EINVAL for
 * anything else (register operands, 16-bit addressing, other opcodes),
 * -EFAULT when n is too short.
 */
int insn_decode_mov(const uint8_t *bytes, unsigned n, bool long_mode,
                    bool cs_db, struct mmio_insn *out);

#endif /* ROOT_HV_INSN_H */
