/*
 * Unit tests for common/mbinfo*.c: Multiboot 1 and 2 information, well
 * formed and malformed, read through a bounded fake physical memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/mbinfo.h"

#include <errno.h>
#include <string.h>

#define MEM_BASE 0x10000u
#define MEM_SIZE 0x4000u

static uint8_t mem[MEM_SIZE] __attribute__((aligned(8)));

static const void *fake_mem(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || len > MEM_SIZE || pa - MEM_BASE > MEM_SIZE - len)
        return NULL;
    return mem + (pa - MEM_BASE);
}

/* --- Multiboot 2 builder -------------------------------------------------- */

static size_t mb2_len;

static void mb2_begin(void)
{
    memset(mem, 0, sizeof(mem));
    mb2_len = 8;
}

static void mb2_tag(uint32_t type, const void *body, uint32_t body_len)
{
    uint32_t hdr[2] = {type, 8 + body_len};
    memcpy(mem + mb2_len, hdr, 8);
    if (body_len)
        memcpy(mem + mb2_len + 8, body, body_len);
    mb2_len += (8 + body_len + 7) & ~7u;
}

static void mb2_end(void)
{
    mb2_tag(0, NULL, 0);
    uint32_t total = (uint32_t)mb2_len;
    memcpy(mem, &total, 4);
}

static void mb2_string(uint32_t type, const char *s)
{
    mb2_tag(type, s, (uint32_t)strlen(s) + 1);
}

struct mmap_body {
    uint32_t entry_size, entry_version;
    struct {
        uint64_t addr, len;
        uint32_t type, zero;
    } e[3];
};

static void mb2_mmap(void)
{
    struct mmap_body m = {24,
                          0,
                          {{0, 0x9fc00, 1, 0},
                           {0x100000, 0x3f00000, 1, 0},
                           {0xfffc0000, 0x40000, 2, 0}}};
    mb2_tag(6, &m, sizeof(m));
}

static void test_mb2_full(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_string(1, "heap=8M hello");
    mb2_string(2, "GRUB 2.06");
    uint8_t mod[64] = {0};
    uint32_t range[2] = {0x200000, 0x201000};
    memcpy(mod, range, 8);
    strcpy((char *)mod + 8, "hello.elf arg");
    mb2_tag(3, mod, 8 + 14);
    mb2_mmap();
    mb2_tag(99, "ignored", 7); /* unknown tags are skipped */
    mb2_end();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     0);
    assert_int_equal(bi.protocol, 2);
    assert_string_equal(bi.cmdline, "heap=8M hello");
    assert_string_equal(bi.loader, "GRUB 2.06");
    assert_int_equal(bi.nmods, 1);
    assert_int_equal(bi.mods[0].start, 0x200000);
    assert_int_equal(bi.mods[0].end, 0x201000);
    assert_string_equal(bi.mods[0].cmdline, "hello.elf arg");
    assert_int_equal(bi.nmmap, 3);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[2].type, BOOT_MEM_RESERVED);
    assert_int_equal(mbinfo_available_bytes(&bi), 0x9fc00 + 0x3f00000);
    assert_int_equal(bi.info_start, MEM_BASE);
    assert_int_equal(bi.info_end, MEM_BASE + mb2_len);
}

static void test_mb2_bad_magic_and_address(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_mmap();
    mb2_end();
    assert_int_equal(mbinfo_parse(0x12345678, MEM_BASE, fake_mem, NULL, &bi),
                     -EINVAL);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, 0x100, fake_mem, NULL, &bi),
                     -EFAULT);
    assert_int_equal(
        mbinfo_parse(MBINFO_MAGIC2, MEM_BASE + 4, fake_mem, NULL, &bi),
        -EBADMSG); /* misaligned */
}

static void test_mb2_total_size_lies(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_mmap();
    mb2_end();
    uint32_t total = MEM_SIZE * 2; /* runs past memory */
    memcpy(mem, &total, 4);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EFAULT);
    total = 4;
    memcpy(mem, &total, 4);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

static void test_mb2_tag_overruns(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_string(1, "x");
    mb2_mmap();
    mb2_end();
    uint32_t huge = 0x1000;
    memcpy(mem + 8 + 4, &huge, 4); /* the cmdline tag claims 4 KiB */
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
    uint32_t tiny = 4;
    memcpy(mem + 8 + 4, &tiny, 4);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

static void test_mb2_no_end_tag(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_mmap();
    uint32_t total = (uint32_t)mb2_len;
    memcpy(mem, &total, 4);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

static void test_mb2_unterminated_string_and_bad_mmap(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    mb2_tag(1, "abcdefgh", 8); /* no NUL: bounded by the tag */
    mb2_mmap();
    mb2_end();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     0);
    assert_string_equal(bi.cmdline, "abcdefgh");

    mb2_begin();
    struct mmap_body m = {3, 0, {{0}}}; /* entry size too small */
    mb2_tag(6, &m, sizeof(m));
    mb2_end();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);

    mb2_begin(); /* no memory information at all */
    mb2_string(1, "x");
    mb2_end();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

static void test_mb2_module_end_before_start(void **state)
{
    struct boot_info bi;
    (void)state;
    mb2_begin();
    uint32_t mod[3] = {0x3000, 0x2000, 0};
    mb2_tag(3, mod, sizeof(mod));
    mb2_mmap();
    mb2_end();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC2, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

/* --- Multiboot 1 ------------------------------------------------------------
 */

/* Offsets in the Multiboot 1 information structure. */
#define MB1_FLAGS 0
#define MB1_MEM_LOWER 4
#define MB1_MEM_UPPER 8
#define MB1_CMDLINE 16
#define MB1_MODS_COUNT 20
#define MB1_MODS_ADDR 24
#define MB1_MMAP_LENGTH 44
#define MB1_MMAP_ADDR 48
#define MB1_LOADER 64

static void put32(size_t off, uint32_t v)
{
    memcpy(mem + off, &v, 4);
}
static void put64(size_t off, uint64_t v)
{
    memcpy(mem + off, &v, 8);
}

static void mb1_build(void)
{
    memset(mem, 0, sizeof(mem));
    put32(MB1_FLAGS, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    put32(MB1_MEM_LOWER, 639);
    put32(MB1_MEM_UPPER, 64512);
    strcpy((char *)mem + 0x200, "root.elf child_mem=64M");
    put32(MB1_CMDLINE, MEM_BASE + 0x200);
    strcpy((char *)mem + 0x300, "qemu");
    put32(MB1_LOADER, MEM_BASE + 0x300);
    put32(MB1_MODS_COUNT, 1);
    put32(MB1_MODS_ADDR, MEM_BASE + 0x400);
    put32(0x400, 0x800000);
    put32(0x404, 0x810000);
    put32(0x408, MEM_BASE + 0x500);
    strcpy((char *)mem + 0x500, "hello.elf a b");
    /* Two map entries of 20 bytes each plus their size words. */
    put32(0x600, 20);
    put64(0x604, 0);
    put64(0x60c, 0x9fc00);
    put32(0x614, 1);
    put32(0x618, 20);
    put64(0x61c, 0x100000);
    put64(0x624, 0x7f00000);
    put32(0x62c, 1);
    put32(MB1_MMAP_ADDR, MEM_BASE + 0x600);
    put32(MB1_MMAP_LENGTH, 48);
}

static void test_mb1_full(void **state)
{
    struct boot_info bi;
    (void)state;
    mb1_build();
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     0);
    assert_int_equal(bi.protocol, 1);
    assert_string_equal(bi.cmdline, "root.elf child_mem=64M");
    assert_string_equal(bi.loader, "qemu");
    assert_int_equal(bi.nmods, 1);
    assert_int_equal(bi.mods[0].start, 0x800000);
    assert_string_equal(bi.mods[0].cmdline, "hello.elf a b");
    assert_int_equal(bi.nmmap, 2);
    assert_int_equal(bi.mmap[1].len, 0x7f00000);
}

static void test_mb1_bad_pointers(void **state)
{
    struct boot_info bi;
    (void)state;
    mb1_build();
    put32(MB1_CMDLINE, 0x10); /* outside memory */
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     -EFAULT);
    mb1_build();
    put32(MB1_MODS_COUNT, 5000);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
    mb1_build();
    put32(0x618, 4000); /* second map entry runs past the map */
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
    mb1_build();
    /* A string that runs to the end of memory without a NUL. */
    memset(mem + MEM_SIZE - 16, 'a', 16);
    put32(MB1_CMDLINE, MEM_BASE + MEM_SIZE - 16);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     -EFAULT);
}

static void test_mb1_basic_memory_only(void **state)
{
    struct boot_info bi;
    (void)state;
    mb1_build();
    put32(MB1_FLAGS, 1u << 0);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     0);
    assert_int_equal(bi.nmmap, 2);
    assert_int_equal(bi.mmap[1].base, 0x100000);
    assert_int_equal(bi.mmap[1].len, 64512ull * 1024);
    put32(MB1_FLAGS, 0);
    assert_int_equal(mbinfo_parse(MBINFO_MAGIC1, MEM_BASE, fake_mem, NULL, &bi),
                     -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mb2_full),
        cmocka_unit_test(test_mb2_bad_magic_and_address),
        cmocka_unit_test(test_mb2_total_size_lies),
        cmocka_unit_test(test_mb2_tag_overruns),
        cmocka_unit_test(test_mb2_no_end_tag),
        cmocka_unit_test(test_mb2_unterminated_string_and_bad_mmap),
        cmocka_unit_test(test_mb2_module_end_before_start),
        cmocka_unit_test(test_mb1_full),
        cmocka_unit_test(test_mb1_bad_pointers),
        cmocka_unit_test(test_mb1_basic_memory_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
