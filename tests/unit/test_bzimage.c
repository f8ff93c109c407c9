/* Unit tests for root/linux/bzimage.c, the Linux 64-bit boot loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "root/linux/bzimage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void root_log(const char *fmt, ...);
void root_log(const char *fmt, ...)
{
    (void)fmt;
}

#define RAM (64u << 20)
#define IMG 8192u

static uint8_t *ram;
static struct gmem mem;
static uint8_t img[IMG];
static uint8_t initrd[10000];

static void put16(uint8_t *p, unsigned off, uint16_t v)
{
    memcpy(p + off, &v, 2);
}
static void put32(uint8_t *p, unsigned off, uint32_t v)
{
    memcpy(p + off, &v, 4);
}
static void put64(uint8_t *p, unsigned off, uint64_t v)
{
    memcpy(p + off, &v, 8);
}
static uint32_t get32(const uint8_t *p, unsigned off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}
static uint64_t get64(const uint8_t *p, unsigned off)
{
    uint64_t v;
    memcpy(&v, p + off, 8);
    return v;
}

/* A minimal image that follows the boot protocol: one setup sector. */
static void make_image(void)
{
    memset(img, 0, sizeof(img));
    img[0x1F1] = 1;
    put16(img, 0x1FE, 0xAA55);
    img[0x200] = 0xEB;
    img[0x201] = 0x66; /* header ends at 0x268 */
    put32(img, 0x202, 0x53726448);
    put16(img, 0x206, 0x020F);
    put32(img, 0x22C, 0x7FFFFFFF);
    put32(img, 0x230, 0x200000);
    img[0x234] = 1;
    put16(img, 0x236, 0x1);
    put32(img, 0x238, 2048);
    put64(img, 0x258, 0x1000000);
    put32(img, 0x260, 0x400000);
    for (unsigned i = 1024; i < IMG; i++)
        img[i] = (uint8_t)(i * 7);
}

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM);
    mem = (struct gmem){ram, RAM};
    for (unsigned i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5A);
    make_image();
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void test_loads_everything(void **state)
{
    struct linux_entry e;
    (void)state;
    make_image();
    assert_int_equal(linux_load(&mem, img, IMG, initrd, sizeof(initrd),
                                "console=ttyS0 quiet", 0xE0000, &e),
                     0);
    assert_int_equal(e.protocol, 0x020F);
    assert_int_equal(e.kernel_start, 0x1000000);
    assert_int_equal(e.rip, 0x1000200);
    assert_memory_equal(ram + 0x1000000, img + 1024, IMG - 1024);
    /* initrd at the top of RAM, page aligned. */
    assert_int_equal(e.initrd_end - e.initrd_start, sizeof(initrd));
    assert_int_equal(e.initrd_start & 0xFFF, 0);
    assert_true(e.initrd_end <= RAM);
    assert_memory_equal(ram + e.initrd_start, initrd, sizeof(initrd));

    const uint8_t *bp = ram + e.rsi;
    assert_int_equal(bp[0x210], 0xFF); /* type_of_loader */
    assert_true(bp[0x211] & 0x01);     /* LOADED_HIGH */
    assert_int_equal(get32(bp, 0x202), 0x53726448);
    assert_int_equal(get32(bp, 0x218), e.initrd_start);
    assert_int_equal(get32(bp, 0x21C), sizeof(initrd));
    assert_string_equal((char *)ram + get32(bp, 0x228), "console=ttyS0 quiet");
    assert_int_equal(get64(bp, 0x070), 0xE0000);
    /* e820: low RAM, holes, high RAM to the end. */
    assert_int_equal(bp[0x1E8], 4);
    assert_int_equal(get64(bp, 0x2D0), 0);
    assert_int_equal(get32(bp, 0x2D0 + 16), 1);
    assert_int_equal(get64(bp, 0x2D0 + 60), 0x100000);
    assert_int_equal(get64(bp, 0x2D0 + 68), RAM - 0x100000);
    /* Identity map: PML4 -> PDPT -> PD with 2 MiB pages. */
    const uint64_t *pt = (const uint64_t *)(ram + e.cr3);
    assert_int_equal(pt[0] & ~0xFFFull, e.cr3 + 0x1000);
    assert_int_equal(pt[1024 + 8], (8ull << 21) | 0x83);
    const uint64_t *gdt = (const uint64_t *)(ram + e.gdt_base);
    assert_int_equal(gdt[LINUX_BOOT_CS / 8] >> 53 & 1, 1); /* L bit */
}

static void test_rejects_bad_images(void **state)
{
    struct linux_entry e;
    (void)state;
    make_image();
    assert_int_equal(linux_load(&mem, img, 100, NULL, 0, "", 0, &e), -ENOEXEC);
    put32(img, 0x202, 0);
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "", 0, &e), -ENOEXEC);
    make_image();
    put16(img, 0x206, 0x0209);
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "", 0, &e), -ENOTSUP);
    make_image();
    put16(img, 0x236, 0);
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "", 0, &e), -ENOEXEC);
    make_image();
    img[0x1F1] = 200; /* setup past the end of the file */
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "", 0, &e), -EINVAL);
}

static void test_does_not_fit(void **state)
{
    struct linux_entry e;
    (void)state;
    make_image();
    put32(img, 0x260, 0x7F000000); /* init_size beyond RAM */
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "", 0, &e), -ERANGE);
    make_image();
    assert_int_equal(linux_load(&mem, img, IMG, initrd, RAM, "", 0, &e),
                     -ERANGE);
    make_image();
    put32(img, 0x22C, 0x1100000); /* initrd must sit below the kernel end */
    assert_int_equal(
        linux_load(&mem, img, IMG, initrd, sizeof(initrd), "", 0, &e), -ERANGE);
    make_image();
    put32(img, 0x238, 4);
    assert_int_equal(linux_load(&mem, img, IMG, NULL, 0, "too long", 0, &e),
                     -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_everything),
        cmocka_unit_test(test_rejects_bad_images),
        cmocka_unit_test(test_does_not_fit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
