/*
 * Child page walk and MOV decoding for MMIO emulation (Intel SDM vol 2
 * ch. 2 for the encoding, AMD APM vol 2 ch. 5 for the page tables).
 */
#include "root/hv/insn.h"

#include <errno.h>
#include <string.h>

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define EFER_LMA (1ull << 10)
#define ADDR_MASK 0x000FFFFFFFFFF000ull

static int read_entry(const struct vcpu *v, uint64_t gpa, unsigned size,
                      uint64_t *e)
{
    const void *p = gmem_ptr(&v->mem, gpa, size);
    if (!p)
        return -EFAULT;
    *e = 0;
    memcpy(e, p, size);
    return 0;
}

int insn_translate(const struct vcpu *v, uint64_t la, uint64_t *gpa)
{
    uint64_t e;
    if (!(v->cr0 & X86_CR0_PG)) {
        *gpa = la & 0xFFFFFFFFull;
        return 0;
    }
    if (!(v->cr4 & CR4_PAE)) {
        uint32_t l = (uint32_t)la;
        if (read_entry(v, (v->cr3 & 0xFFFFF000u) + (l >> 22) * 4, 4, &e) ||
            !(e & PTE_P))
            return -EFAULT;
        if ((e & PTE_PS) && (v->cr4 & CR4_PSE)) {
            *gpa =
                (e & 0xFFC00000u) | ((e & 0x1FE000ull) << 19) | (l & 0x3FFFFF);
            return 0;
        }
        if (read_entry(v, (e & 0xFFFFF000u) + ((l >> 12) & 0x3FF) * 4, 4, &e) ||
            !(e & PTE_P))
            return -EFAULT;
        *gpa = (e & 0xFFFFF000u) | (l & 0xFFF);
        return 0;
    }
    int levels;
    uint64_t table;
    if (v->efer & EFER_LMA) {
        levels = 4;
        table = v->cr3 & ADDR_MASK;
    } else {
        /* PAE: the PDPT is 32-byte aligned, 4 entries. */
        la &= 0xFFFFFFFFull;
        if (read_entry(v, (v->cr3 & 0xFFFFFFE0u) + (la >> 30) * 8, 8, &e) ||
            !(e & PTE_P))
            return -EFAULT;
        levels = 2;
        table = e & ADDR_MASK;
    }
    for (int lvl = levels; lvl >= 1; lvl--) {
        unsigned shift = 12 + 9 * (unsigned)(lvl - 1);
        if (read_entry(v, table + ((la >> shift) & 0x1FF) * 8, 8, &e) ||
            !(e & PTE_P))
            return -EFAULT;
        if (lvl > 1 && (e & PTE_PS)) {
            if (lvl > 3)
                return -EFAULT;
            uint64_t mask = (1ull << shift) - 1;
            *gpa = (e & ADDR_MASK & ~mask) | (la & mask);
            return 0;
        }
        table = e & ADDR_MASK;
    }
    *gpa = table | (la & 0xFFF);
    return 0;
}

int insn_fetch(const struct vcpu *v, uint8_t *buf, unsigned len)
{
    uint64_t la = v->cs_base + v->rip;
    if (!v->long_mode)
        la &= 0xFFFFFFFFull;
    unsigned got = 0;
    if (len > 15)
        len = 15;
    while (got < len) {
        uint64_t gpa;
        if (insn_translate(v, la + got, &gpa))
            break;
        unsigned chunk = 0x1000 - (unsigned)((la + got) & 0xFFF);
        if (chunk > len - got)
            chunk = len - got;
        const uint8_t *p = gmem_ptr(&v->mem, gpa, chunk);
        if (!p)
            break;
        memcpy(buf + got, p, chunk);
        got += chunk;
    }
    return got ? (int)got : -EFAULT;
}

/* Bytes of ModRM + SIB + displacement for a memory operand, or -EINVAL. */
static int modrm_len(const uint8_t *b, unsigned n, bool addr32_or_64)
{
    if (n < 1)
        return -EFAULT;
    uint8_t modrm = b[0];
    unsigned mod = modrm >> 6, rm = modrm & 7, len = 1;
    if (!addr32_or_64 || mod == 3)
        return -EINVAL;
    if (rm == 4) {
        if (n < 2)
            return -EFAULT;
        len++;
        if (mod == 0 && (b[1] & 7) == 5)
            len += 4;
    } else if (mod == 0 && rm == 5) {
        len += 4; /* disp32 or RIP-relative */
    }
    if (mod == 1)
        len += 1;
    else if (mod == 2)
        len += 4;
    return (int)len;
}

int insn_decode_mov(const uint8_t *b, unsigned n, bool long_mode, bool cs_db,
                    struct mmio_insn *out)
{
    unsigned i = 0;
    bool opsize16 = false, addr_override = false;
    uint8_t rex = 0;

    memset(out, 0, sizeof(*out));
    for (;; i++) {
        if (i >= n)
            return -EFAULT;
        uint8_t p = b[i];
        if (p == 0x66)
            opsize16 = true;
        else if (p == 0x67)
            addr_override = true;
        else if (p == 0x2E || p == 0x36 || p == 0x3E || p == 0x26 ||
                 p == 0x64 || p == 0x65)
            continue;
        else
            break;
        if (i >= 14)
            return -EINVAL;
    }
    if (long_mode && (b[i] & 0xF0) == 0x40) {
        rex = b[i++];
        if (i >= n)
            return -EFAULT;
    }
    /* Addressing: 64-bit code uses 64/32-bit forms; 32-bit code flips to
     * 16-bit addressing with 0x67, which we do not decode. */
    bool addr_ok = long_mode || (cs_db != addr_override);
    bool def32 = long_mode || cs_db;
    uint8_t opsize = (rex & 8) ? 8 : (opsize16 == def32 ? 2 : 4);
    uint8_t op = b[i++];
    bool twobyte = false;
    if (op >= 0xA0 && op <= 0xA3) {
        /* MOV AL/eAX <-> moffs: the address is an immediate of the
         * address size (GCC emits these for absolute addresses). */
        unsigned asz = long_mode ? (addr_override ? 4 : 8)
                                 : (cs_db != addr_override ? 4 : 2);
        if (asz == 2)
            return -EINVAL;
        if (i + asz > n)
            return -EFAULT;
        out->is_write = op >= 0xA2;
        out->size = (op & 1) ? opsize : 1;
        out->dst_size = out->size;
        out->reg = GPR_RAX;
        out->len = (uint8_t)(i + asz);
        return 0;
    }
    if (op == 0x0F) {
        if (i >= n)
            return -EFAULT;
        op = b[i++];
        twobyte = true;
    }
    if (i >= n)
        return -EFAULT;
    uint8_t reg = (uint8_t)(((b[i] >> 3) & 7) | ((rex & 4) ? 8 : 0));

    if (!twobyte) {
        switch (op) {
        case 0x88: /* MOV r/m8, r8 */
        case 0x89: /* MOV r/m, r */
            out->is_write = 1;
            out->size = op == 0x88 ? 1 : opsize;
            out->reg = reg;
            break;
        case 0x8A: /* MOV r8, r/m8 */
        case 0x8B: /* MOV r, r/m */
            out->size = op == 0x8A ? 1 : opsize;
            out->reg = reg;
            break;
        case 0xC6: /* MOV r/m8, imm8 */
        case 0xC7: /* MOV r/m, imm16/32 */
            if (((b[i] >> 3) & 7) != 0)
                return -EINVAL;
            out->is_write = 1;
            out->has_imm = 1;
            out->size = op == 0xC6 ? 1 : opsize;
            break;
        default:
            return -EINVAL;
        }
    } else {
        if (op != 0xB6 && op != 0xB7) /* MOVZX r, r/m8 | r/m16 */
            return -EINVAL;
        out->size = op == 0xB6 ? 1 : 2;
        out->reg = reg;
    }
    if (out->size == 1 && !(rex) && !out->has_imm && (reg & 4) && !twobyte)
        return -EINVAL; /* AH/CH/DH/BH: not used for MMIO */
    int ml = modrm_len(b + i, n - i, addr_ok);
    if (ml < 0)
        return ml;
    i += (unsigned)ml;
    if (i > n)
        return -EFAULT; /* displacement cut short */
    if (out->has_imm) {
        unsigned isz = out->size == 1 ? 1 : (out->size == 2 ? 2 : 4);
        if (i + isz > n)
            return -EFAULT;
        uint32_t imm = 0;
        memcpy(&imm, b + i, isz);
        out->imm = imm;
        i += isz;
    }
    if (i > 15)
        return -EINVAL;
    out->dst_size = twobyte ? opsize : out->size;
    out->len = (uint8_t)i;
    return 0;
}
