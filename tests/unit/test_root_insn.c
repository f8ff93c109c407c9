/* Unit tests for the child page walk and MOV decoding (root/hv/insn.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "root/hv/insn.h"

#define RAM_SIZE (4u << 20)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vcpu v;

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    vcpu_init(&v, ram, RAM_SIZE, 1000000000ull, 0);
    return 0;
}

static void put64(uint64_t gpa, uint64_t val)
{
    memcpy(ram + gpa, &val, 8);
}
static void put32(uint64_t gpa, uint32_t val)
{
    memcpy(ram + gpa, &val, 4);
}

static struct mmio_insn dec(const uint8_t *b, unsigned n, bool lm, int want)
{
    struct mmio_insn mi;
    assert_int_equal(insn_decode_mov(b, n, lm, true, &mi), want);
    return mi;
}

static void test_decode_forms(void **state)
{
    (void)state;
    /* mov %eax, (%rdx) */
    static const uint8_t st[] = {0x89, 0x02};
    struct mmio_insn mi = dec(st, sizeof(st), true, 0);
    assert_int_equal(mi.len, 2);
    assert_true(mi.is_write);
    assert_int_equal(mi.size, 4);
    assert_int_equal(mi.reg, GPR_RAX);
    /* mov 0xb0(%rax), %r9d: REX.R, disp32 */
    static const uint8_t ld[] = {0x44, 0x8B, 0x88, 0xB0, 0, 0, 0};
    mi = dec(ld, sizeof(ld), true, 0);
    assert_int_equal(mi.len, 7);
    assert_false(mi.is_write);
    assert_int_equal(mi.reg, GPR_R9);
    assert_int_equal(mi.dst_size, 4);
    /* movl $0x1ff, 0xf0(%rdi): C7 /0 disp8 imm32 */
    static const uint8_t im[] = {0xC7, 0x47, 0xF0, 0xFF, 0x01, 0, 0};
    mi = dec(im, sizeof(im), true, 0);
    assert_int_equal(mi.len, 7);
    assert_true(mi.has_imm);
    assert_int_equal(mi.imm, 0x1FF);
    /* mov %ecx, 0x0(%rax,%rbx,4) with SIB + disp8, ds: prefix */
    static const uint8_t sib[] = {0x3E, 0x89, 0x4C, 0x98, 0x00};
    mi = dec(sib, sizeof(sib), true, 0);
    assert_int_equal(mi.len, 5);
    assert_int_equal(mi.reg, GPR_RCX);
    /* SIB with no base: disp32 */
    static const uint8_t nob[] = {0x8B, 0x04, 0x25, 0xB0, 0x00, 0xE0, 0xFE};
    mi = dec(nob, sizeof(nob), true, 0);
    assert_int_equal(mi.len, 7);
    /* RIP-relative */
    static const uint8_t rip[] = {0x8B, 0x05, 1, 2, 3, 4};
    assert_int_equal(dec(rip, sizeof(rip), true, 0).len, 6);
    /* movzbl (%rax), %eax and movzwl */
    static const uint8_t zx[] = {0x0F, 0xB6, 0x00};
    mi = dec(zx, sizeof(zx), true, 0);
    assert_int_equal(mi.size, 1);
    assert_int_equal(mi.dst_size, 4);
    assert_int_equal(mi.len, 3);
    /* 64-bit store with REX.W */
    static const uint8_t w[] = {0x48, 0x89, 0x10};
    assert_int_equal(dec(w, sizeof(w), true, 0).size, 8);
    /* 16-bit store with 0x66 */
    static const uint8_t h[] = {0x66, 0x89, 0x10};
    assert_int_equal(dec(h, sizeof(h), true, 0).size, 2);
    /* movabs 0xfee00030, %eax (A1 moffs64) and its 32-bit-code form */
    static const uint8_t mo[] = {0xA1, 0x30, 0x00, 0xE0, 0xFE, 0, 0, 0, 0};
    mi = dec(mo, sizeof(mo), true, 0);
    assert_int_equal(mi.len, 9);
    assert_int_equal(mi.reg, GPR_RAX);
    assert_int_equal(mi.size, 4);
    assert_false(mi.is_write);
    static const uint8_t mo32[] = {0xA3, 0xB0, 0x00, 0xE0, 0xFE};
    struct mmio_insn mm;
    assert_int_equal(insn_decode_mov(mo32, sizeof(mo32), false, true, &mm), 0);
    assert_int_equal(mm.len, 5);
    assert_true(mm.is_write);
    assert_int_equal(insn_decode_mov(mo, 5, true, true, &mm), -EFAULT);
    /* 32-bit code: same encodings, no REX */
    static const uint8_t p32[] = {0x89, 0x0D, 0xB0, 0x00, 0xE0, 0xFE};
    struct mmio_insn m32;
    assert_int_equal(insn_decode_mov(p32, sizeof(p32), false, true, &m32), 0);
    assert_int_equal(m32.len, 6);
    assert_int_equal(m32.reg, GPR_RCX);
}

static void test_decode_rejects(void **state)
{
    struct mmio_insn mi;
    (void)state;
    static const uint8_t regop[] = {0x89, 0xC0}; /* register operand */
    assert_int_equal(insn_decode_mov(regop, 2, true, true, &mi), -EINVAL);
    static const uint8_t other[] = {0x01, 0x02}; /* add */
    assert_int_equal(insn_decode_mov(other, 2, true, true, &mi), -EINVAL);
    static const uint8_t c7[] = {0xC7, 0x48, 0x00, 0, 0, 0, 0}; /* /1 */
    assert_int_equal(insn_decode_mov(c7, 7, true, true, &mi), -EINVAL);
    /* mov 0x...(%rax), %eax with its disp32 cut short. */
    static const uint8_t trunc[] = {0x8B, 0x80, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(insn_decode_mov(trunc, 6, true, true, &mi), 0);
    assert_int_equal(insn_decode_mov(trunc, 3, true, true, &mi), -EFAULT);
    assert_int_equal(insn_decode_mov(trunc, 1, true, true, &mi), -EFAULT);
    static const uint8_t prefixes[15] = {0x3E, 0x3E, 0x3E, 0x3E, 0x3E,
                                         0x3E, 0x3E, 0x3E, 0x3E, 0x3E,
                                         0x3E, 0x3E, 0x3E, 0x3E, 0x3E};
    assert_true(insn_decode_mov(prefixes, 15, true, true, &mi) < 0);
    /* 16-bit addressing in 32-bit code (0x67) is not decoded. */
    static const uint8_t a16[] = {0x67, 0x89, 0x07};
    assert_int_equal(insn_decode_mov(a16, 3, false, true, &mi), -EINVAL);
    /* AH-style byte registers. */
    static const uint8_t ah[] = {0x88, 0x20};
    assert_int_equal(insn_decode_mov(ah, 2, true, true, &mi), -EINVAL);
    assert_int_equal(insn_decode_mov(ah, 0, true, true, &mi), -EFAULT);
    /* Immediate cut short. */
    static const uint8_t imm[] = {0xC7, 0x00, 1, 2};
    assert_int_equal(insn_decode_mov(imm, 4, true, true, &mi), -EFAULT);
}

static void test_walk_long_mode(void **state)
{
    uint64_t gpa;
    (void)state;
    v.cr0 = X86_CR0_PE | X86_CR0_PG;
    v.cr4 = 1u << 5;
    v.efer = 1u << 10;
    v.cr3 = 0x10000;
    uint64_t la = 0xFFFF800000201123ull;
    put64(0x10000 + ((la >> 39) & 511) * 8, 0x11000 | 3);
    put64(0x11000 + ((la >> 30) & 511) * 8, 0x12000 | 3);
    put64(0x12000 + ((la >> 21) & 511) * 8, 0x13000 | 3);
    put64(0x13000 + ((la >> 12) & 511) * 8, 0x30000 | 3);
    assert_int_equal(insn_translate(&v, la, &gpa), 0);
    assert_int_equal(gpa, 0x30123);
    /* 2 MiB page */
    put64(0x12000 + ((la >> 21) & 511) * 8, 0x200000 | 0x83);
    assert_int_equal(insn_translate(&v, la, &gpa), 0);
    assert_int_equal(gpa, 0x200000 + (la & 0x1FFFFF));
    /* Not present, and tables outside RAM. */
    put64(0x12000 + ((la >> 21) & 511) * 8, 0);
    assert_int_equal(insn_translate(&v, la, &gpa), -EFAULT);
    put64(0x11000 + ((la >> 30) & 511) * 8, (RAM_SIZE + 0x1000) | 3);
    assert_int_equal(insn_translate(&v, la, &gpa), -EFAULT);
    v.cr3 = 0xFFFFFF000ull;
    assert_int_equal(insn_translate(&v, la, &gpa), -EFAULT);
}

static void test_walk_legacy(void **state)
{
    uint64_t gpa;
    (void)state;
    v.cr0 = X86_CR0_PE;
    assert_int_equal(insn_translate(&v, 0x1234, &gpa), 0);
    assert_int_equal(gpa, 0x1234);
    /* 32-bit paging, 4 KiB and 4 MiB pages. */
    v.cr0 |= X86_CR0_PG;
    v.cr3 = 0x20000;
    put32(0x20000 + (0xC0001000u >> 22) * 4, 0x21000 | 3);
    put32(0x21000 + ((0xC0001000u >> 12) & 0x3FF) * 4, 0x5000 | 3);
    assert_int_equal(insn_translate(&v, 0xC0001010u, &gpa), 0);
    assert_int_equal(gpa, 0x5010);
    v.cr4 = 1u << 4; /* PSE */
    put32(0x20000 + (0x00400000u >> 22) * 4, 0x00400000u | 0x83);
    assert_int_equal(insn_translate(&v, 0x00400010u, &gpa), 0);
    assert_int_equal(gpa, 0x00400010u);
    /* PAE without long mode. */
    v.cr4 = 1u << 5;
    v.cr3 = 0x22000;
    put64(0x22000 + 3 * 8, 0x23000 | 1);
    put64(0x23000 + ((0xC0201000u >> 21) & 511) * 8, 0x24000 | 3);
    put64(0x24000 + ((0xC0201000u >> 12) & 511) * 8, 0x6000 | 3);
    assert_int_equal(insn_translate(&v, 0xC0201004u, &gpa), 0);
    assert_int_equal(gpa, 0x6004);
}

static void test_fetch_across_pages(void **state)
{
    uint8_t buf[15];
    (void)state;
    v.cr0 = X86_CR0_PE;
    v.rip = RAM_SIZE - 3;
    memcpy(ram + RAM_SIZE - 3, "\x89\x02\x90", 3);
    assert_int_equal(insn_fetch(&v, buf, 15), 3); /* RAM ends */
    v.rip = RAM_SIZE + 0x100;
    assert_int_equal(insn_fetch(&v, buf, 15), -EFAULT);
    v.rip = 0x1FFE;
    memcpy(ram + 0x1FFE, "\x8B\x80\x10\x20\x30\x40", 6);
    assert_int_equal(insn_fetch(&v, buf, 6), 6);
    assert_memory_equal(buf, "\x8B\x80\x10\x20\x30\x40", 6);
}

/* Random byte strings: decode never reads past n nor returns a length
 * beyond it or beyond 15. */
static void test_decode_random(void **state)
{
    uint32_t x = 0xC0FFEEu;
    (void)state;
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t b[15];
        for (int i = 0; i < 15; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b[i] = (uint8_t)x;
        }
        unsigned n = 1 + x % 15;
        uint8_t *heap = malloc(n); /* ASan catches any overread */
        memcpy(heap, b, n);
        struct mmio_insn mi;
        int rc = insn_decode_mov(heap, n, (x >> 8) & 1, (x >> 9) & 1, &mi);
        if (rc == 0) {
            assert_true(mi.len >= 1 && mi.len <= n && mi.len <= 15);
            assert_true(mi.size == 1 || mi.size == 2 || mi.size == 4 ||
                        mi.size == 8);
            assert_true(mi.reg < GPR_COUNT);
        } else {
            assert_true(rc == -EINVAL || rc == -EFAULT);
        }
        free(heap);
    }
}

/* Random page tables: the walk terminates, reads only RAM (ASan). */
static void test_walk_random(void **state)
{
    uint32_t x = 0xBADC0DEu;
    (void)state;
    v.cr0 = X86_CR0_PE | X86_CR0_PG;
    for (int iter = 0; iter < 2000; iter++) {
        for (int i = 0; i < 64; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint64_t e = ((uint64_t)x << 32) | (x * 2654435761u);
            if (i % 2)
                e = (e & 0x3FF000ull) | (x & 0xFFF); /* inside RAM */
            put64((x % (RAM_SIZE / 8)) * 8, e);
        }
        v.cr3 = x & 0x3FF000u;
        v.cr4 = (x & 1) ? (1u << 5) : ((x & 2) ? (1u << 4) : 0);
        v.efer = (x & 4) ? (1u << 10) : 0;
        uint64_t gpa;
        uint64_t la = ((uint64_t)x << 20) ^ x;
        if (insn_translate(&v, la, &gpa) == 0 && !(v.cr4 & (1u << 5)))
            assert_true(gpa < (1ull << 40)); /* PSE-40 at most */
    }
}

static void test_regions(void **state)
{
    static uint8_t vram[3 * 4096] __attribute__((aligned(4096)));
    (void)state;
    uint64_t top = RAM_SIZE;
    assert_int_equal(vcpu_add_region(&v, 0xF8000000ull, sizeof(vram), vram), 0);
    assert_ptr_equal(vcpu_gpa_ptr(&v, 0xF8001000ull, 8), vram + 4096);
    assert_null(vcpu_gpa_ptr(&v, 0xF8002FFCull, 8)); /* runs past the end */
    assert_null(gmem_ptr(&v.mem, 0xF8000000ull, 8)); /* RAM only */
    assert_ptr_equal(vcpu_gpa_ptr(&v, 0x1000, 4), ram + 0x1000);
    /* Overlaps, misalignment, wrap, RAM: refused. */
    assert_int_equal(vcpu_add_region(&v, 0xF8002000ull, 4096, vram), -EINVAL);
    assert_int_equal(vcpu_add_region(&v, top - 4096, 8192, vram), -EINVAL);
    assert_int_equal(vcpu_add_region(&v, 0xF0000010ull, 4096, vram), -EINVAL);
    assert_int_equal(vcpu_add_region(&v, 0xF0000000ull, 0, vram), -EINVAL);
    assert_int_equal(vcpu_add_region(&v, 0xFFFFFFFFFFFFF000ull, 8192, vram),
                     -EINVAL);
    for (unsigned i = 1; i < VCPU_MAX_REGIONS; i++)
        assert_int_equal(vcpu_add_region(&v, 0x100000000ull * i, 4096, vram),
                         0);
    assert_int_equal(vcpu_add_region(&v, 0x900000000ull, 4096, vram), -ENOSPC);
    assert_int_equal(vcpu_remove_region(&v, 0xF8000000ull), 0);
    assert_null(vcpu_gpa_ptr(&v, 0xF8001000ull, 8));
    assert_int_equal(vcpu_remove_region(&v, 0xF8000000ull), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_decode_forms, setup),
        cmocka_unit_test_setup(test_decode_rejects, setup),
        cmocka_unit_test_setup(test_walk_long_mode, setup),
        cmocka_unit_test_setup(test_walk_legacy, setup),
        cmocka_unit_test_setup(test_fetch_across_pages, setup),
        cmocka_unit_test_setup(test_decode_random, setup),
        cmocka_unit_test_setup(test_walk_random, setup),
        cmocka_unit_test_setup(test_regions, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
