/* Unit tests for the child Multiboot loader (root/boot/loader*.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/boot/loader.h"

#define RAM_SIZE (8u << 20)
#define MB2_MAGIC 0xE85250D6u
#define MB1_MAGIC 0x1BADB002u

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct gmem mem = {ram, RAM_SIZE};
static uint8_t img[0x4000];

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static void w16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static void w32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void w64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static uint32_t r32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, ram + gpa, 4);
    return v;
}

/* ELF64 with one PT_LOAD: file 0x1000..0x2000 -> 1 MiB, memsz 0x3000. */
static void make_elf64(uint64_t entry, uint64_t paddr, uint64_t memsz)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = 2;
    img[5] = 1;
    img[6] = 1;
    w16(img + 0x10, 2);  /* ET_EXEC */
    w16(img + 0x12, 62); /* x86-64 */
    w32(img + 0x14, 1);
    w64(img + 0x18, entry);
    w64(img + 0x20, 64); /* phoff */
    w16(img + 0x34, 64);
    w16(img + 0x36, 56); /* phentsize */
    w16(img + 0x38, 1);  /* phnum */
    uint8_t *ph = img + 64;
    w32(ph, 1); /* PT_LOAD */
    w64(ph + 0x08, 0x1000);
    w64(ph + 0x10, paddr);
    w64(ph + 0x18, paddr);
    w64(ph + 0x20, 0x1000);
    w64(ph + 0x28, memsz);
    memset(img + 0x1000, 0xCC, 0x1000);
}

/* A Multiboot2 header at file offset off, with optional extra tag. */
static void make_mb2(uint32_t off, const uint8_t *tag, uint32_t tag_len)
{
    uint8_t *h = img + off;
    uint32_t len = 16 + tag_len + 8;
    w32(h, MB2_MAGIC);
    w32(h + 4, 0);
    w32(h + 8, len);
    w32(h + 12, (uint32_t) - (MB2_MAGIC + len));
    if (tag_len)
        memcpy(h + 16, tag, tag_len);
    w16(h + 16 + tag_len, 0);
    w16(h + 18 + tag_len, 0);
    w32(h + 20 + tag_len, 8);
}

static void make_mb1(uint32_t off, uint32_t flags)
{
    uint8_t *h = img + off;
    w32(h, MB1_MAGIC);
    w32(h + 4, flags);
    w32(h + 8, (uint32_t) - (MB1_MAGIC + flags));
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0xEE, sizeof(ram));
    return 0;
}

/* Finds an MB2 info tag of the given type, or returns 0. */
static uint64_t find_tag(uint32_t info, uint32_t type)
{
    uint32_t total = r32(info);
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t t = r32(info + off), sz = r32(info + off + 4);
        if (t == type)
            return info + off;
        if (t == 0)
            break;
        off += (sz + 7) & ~7u;
    }
    return 0;
}

static void test_mb2_elf64(void **state)
{
    struct loader_result r;
    static const char mod[] = "module-bytes";
    struct loader_module m = {mod, sizeof(mod), "initrd arg"};
    (void)state;
    make_elf64(0x100040, 0x100000, 0x3000);
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "app x=1", &m, 1, &r),
                     0);
    assert_int_equal(r.mb_version, 2);
    assert_int_equal(r.magic, 0x36D76289u);
    assert_int_equal(r.entry, 0x100040);
    assert_int_equal(r.image_end, 0x103000);
    assert_int_equal(ram[0x100000 + 16 + 24], 0xCC); /* after the header */
    assert_int_equal(ram[0x102000], 0);              /* bss zeroed */
    assert_int_equal(r.info_gpa % 8, 0);
    assert_true(r.info_gpa >= r.image_end);
    uint64_t t = find_tag(r.info_gpa, 1);
    assert_int_not_equal(t, 0);
    assert_string_equal((const char *)ram + t + 8, "app x=1");
    t = find_tag(r.info_gpa, 2);
    assert_string_equal((const char *)ram + t + 8, "Enlight root");
    t = find_tag(r.info_gpa, 3);
    assert_int_not_equal(t, 0);
    uint32_t ms = r32(t + 8), me = r32(t + 12);
    assert_int_equal(me - ms, sizeof(mod));
    assert_int_equal(ms % 4096, 0);
    assert_memory_equal(ram + ms, mod, sizeof(mod));
    assert_string_equal((const char *)ram + t + 16, "initrd arg");
    t = find_tag(r.info_gpa, 6);
    assert_int_equal(r32(t + 8), 24); /* entry size */
    uint64_t base, len;
    memcpy(&base, ram + t + 16 + 2 * 24, 8);
    memcpy(&len, ram + t + 16 + 2 * 24 + 8, 8);
    assert_int_equal(base, 0x100000);
    assert_int_equal(base + len, RAM_SIZE);
    t = find_tag(r.info_gpa, 4);
    assert_int_equal(r32(t + 12), (RAM_SIZE - 0x100000) / 1024);
    assert_int_not_equal(find_tag(r.info_gpa, 0), 0);
}

static void test_mb2_entry_tag_and_optional(void **state)
{
    struct loader_result r;
    uint8_t tags[16 + 16];
    (void)state;
    make_elf64(0x100040, 0x100000, 0x1000);
    /* Entry address tag, then an optional EFI tag that is ignored. */
    w16(tags, 3);
    w16(tags + 2, 0);
    w32(tags + 4, 12);
    w32(tags + 8, 0x100080);
    w32(tags + 12, 0); /* padding to 8 */
    w16(tags + 16, 7);
    w16(tags + 18, 1);
    w32(tags + 20, 8);
    make_mb2(0x1000, tags, 24);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r), 0);
    assert_int_equal(r.entry, 0x100080);
    /* The same EFI tag, required: refused. */
    w16(tags + 18, 0);
    make_mb2(0x1000, tags, 24);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ENOTSUP);
}

static void test_mb2_malformed_headers(void **state)
{
    struct loader_result r;
    uint8_t tag[8];
    (void)state;
    make_elf64(0x100040, 0x100000, 0x1000);
    make_mb2(0x1000, NULL, 0);
    w32(img + 0x100C, 0); /* bad checksum: not a header at all */
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ENOEXEC);
    /* A tag whose size runs past the header. */
    w16(tag, 1);
    w16(tag + 2, 0);
    w32(tag + 4, 0x1000);
    make_mb2(0x1000, tag, 8);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* A zero-sized tag. */
    w32(tag + 4, 0);
    make_mb2(0x1000, tag, 8);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* Header length beyond the file. */
    make_mb2(0x1000, NULL, 0);
    uint32_t len = 0x100000;
    w32(img + 0x1008, len);
    w32(img + 0x100C, (uint32_t) - (MB2_MAGIC + len));
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* No end tag: the header ends inside a tag list. */
    make_mb2(0x1000, NULL, 0);
    w16(img + 0x1010, 4);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* Header past the 32 KiB search window is not seen. */
    assert_int_equal(loader_load(&mem, img, 8, "", NULL, 0, &r), -ENOEXEC);
}

static void test_elf_malformed(void **state)
{
    struct loader_result r;
    (void)state;
    make_elf64(0x100040, RAM_SIZE - 0x1000, 0x3000); /* past RAM end */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ERANGE);
    make_elf64(0x100040, 0xFFFFFFFFFFFFF000ull, 0x3000); /* wraps */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ERANGE);
    make_elf64(0x100040, 0x100000, 0x800); /* filesz > memsz */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    make_elf64(0x100040, 0x100000, 0x3000);
    w64(img + 64 + 0x08, 0x3800); /* p_offset + filesz past the file */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    make_elf64(0x100040, 0x100000, 0x3000);
    w16(img + 0x38, 2000); /* phnum */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    make_elf64(0x100040, 0x100000, 0x3000);
    w64(img + 0x20, 0x3FF0); /* phoff: table past the file */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    make_elf64(0x100000000ull, 0x100000, 0x3000); /* entry above 4 GiB */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ERANGE);
    make_elf64(0x100040, 0x100000, 0x3000);
    img[5] = 2; /* big-endian */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    make_elf64(0x100040, 0x100000, 0x3000);
    w32(img + 64, 6); /* no PT_LOAD at all */
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* Not ELF and no address fields. */
    memset(img, 0, 64);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ENOEXEC);
}

static void test_mb1_elf32_and_info(void **state)
{
    struct loader_result r;
    struct loader_module m = {"abc", 3, "m1"};
    (void)state;
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = 1;
    img[5] = 1;
    w16(img + 0x10, 2);
    w16(img + 0x12, 3);
    w32(img + 0x18, 0x200010); /* entry */
    w32(img + 0x1C, 52);       /* phoff */
    w16(img + 0x2A, 32);
    w16(img + 0x2C, 1);
    uint8_t *ph = img + 52;
    w32(ph, 1);
    w32(ph + 4, 0x1000);
    w32(ph + 8, 0x200000);
    w32(ph + 12, 0x200000);
    w32(ph + 16, 0x100);
    w32(ph + 20, 0x2000);
    make_mb1(0x1000, 3);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "k a b", &m, 1, &r),
                     0);
    assert_int_equal(r.mb_version, 1);
    assert_int_equal(r.magic, 0x2BADB002u);
    assert_int_equal(r.entry, 0x200010);
    uint32_t info = r.info_gpa;
    uint32_t flags = r32(info);
    assert_true(flags & (1u << 0));
    assert_true(flags & (1u << 2));
    assert_true(flags & (1u << 3));
    assert_true(flags & (1u << 6));
    assert_true(flags & (1u << 9));
    assert_string_equal((const char *)ram + r32(info + 16), "k a b");
    assert_string_equal((const char *)ram + r32(info + 64), "Enlight root");
    assert_int_equal(r32(info + 20), 1); /* mods_count */
    uint32_t mods = r32(info + 24);
    assert_memory_equal(ram + r32(mods), "abc", 3);
    assert_int_equal(r32(mods + 4) - r32(mods), 3);
    assert_string_equal((const char *)ram + r32(mods + 8), "m1");
    assert_int_equal(r32(info + 44), 3 * 24); /* mmap_length */
    /* A required video mode cannot be honoured. */
    make_mb1(0x1000, 4);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -ENOTSUP);
}

static void test_mb1_address_fields(void **state)
{
    struct loader_result r;
    (void)state;
    memset(img, 0x11, sizeof(img));
    /* Header at 0x100 describes: file starts at load_addr 0x300000. */
    uint8_t *h = img + 0x100;
    uint32_t flags = 0x10003;
    w32(h, MB1_MAGIC);
    w32(h + 4, flags);
    w32(h + 8, (uint32_t) - (MB1_MAGIC + flags));
    w32(h + 12, 0x300100); /* header_addr */
    w32(h + 16, 0x300000); /* load_addr */
    w32(h + 20, 0x301000); /* load_end_addr */
    w32(h + 24, 0x302000); /* bss_end_addr */
    w32(h + 28, 0x300200); /* entry */
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r), 0);
    assert_int_equal(r.entry, 0x300200);
    assert_int_equal(ram[0x300000], 0x11);
    assert_int_equal(ram[0x301800], 0);
    /* header_addr below load_addr is nonsense. */
    w32(h + 12, 0x2FF000);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
    /* load_end beyond the file. */
    w32(h + 12, 0x300100);
    w32(h + 20, 0x310000);
    w32(h + 24, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", NULL, 0, &r),
                     -EINVAL);
}

static void test_no_room_for_modules(void **state)
{
    struct loader_result r;
    static uint8_t big[RAM_SIZE];
    struct loader_module m = {big, RAM_SIZE - 0x100000, ""};
    (void)state;
    make_elf64(0x100040, 0x100000, 0x1000);
    make_mb2(0x1000, NULL, 0);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", &m, 1, &r),
                     -ERANGE);
    assert_int_equal(loader_load(&mem, img, sizeof(img), "", &m, 99, &r),
                     -EINVAL);
    assert_int_equal(loader_load(&mem, NULL, 10, "", NULL, 0, &r), -EINVAL);
}

static uint32_t rng = 0x12345678u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Random mutations of valid images: any result but a crash is fine (the
 * host build runs under ASan/UBSan), and a success stays inside RAM. */
static void test_mutated_images(void **state)
{
    struct loader_result r;
    struct loader_module m = {"mod", 3, "m"};
    (void)state;
    for (int iter = 0; iter < 3000; iter++) {
        if (iter % 2) {
            make_elf64(0x100040, 0x100000, 0x3000);
            make_mb2(0x1000, NULL, 0);
        } else {
            make_elf64(0x100040, 0x100000, 0x3000);
            make_mb1(0x1000, 3);
        }
        int n = 1 + (int)(rnd() % 8);
        for (int i = 0; i < n; i++) {
            uint32_t at = rnd() % 0x1100; /* headers and tables */
            if (rnd() % 4 == 0)
                at = 0x1000 + rnd() % 0x40; /* the Multiboot header */
            img[at] = (uint8_t)rnd();
        }
        uint64_t len = (rnd() % 8) ? sizeof(img) : rnd() % sizeof(img);
        int rc = loader_load(&mem, img, len, "x", &m, 1, &r);
        if (rc == 0) {
            assert_true(r.entry < RAM_SIZE);
            assert_true(r.info_gpa < RAM_SIZE);
            assert_true(r.image_end <= RAM_SIZE);
        } else {
            assert_true(rc == -ENOEXEC || rc == -EINVAL || rc == -ENOTSUP ||
                        rc == -ERANGE);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mb2_elf64, setup),
        cmocka_unit_test_setup(test_mb2_entry_tag_and_optional, setup),
        cmocka_unit_test_setup(test_mb2_malformed_headers, setup),
        cmocka_unit_test_setup(test_elf_malformed, setup),
        cmocka_unit_test_setup(test_mb1_elf32_and_info, setup),
        cmocka_unit_test_setup(test_mb1_address_fields, setup),
        cmocka_unit_test_setup(test_no_room_for_modules, setup),
        cmocka_unit_test_setup(test_mutated_images, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
