/* Unit tests for storage/part.c (MBR, extended partitions, GPT) and
 * storage/crc32.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storage/blk.h"
#include "storage/crc32.h"
#include "storage/part.h"

#include <errno.h>
#include <string.h>

#define NSEC 4096

static uint8_t disk[NSEC * 512];
static struct blk_mem mem = {.data = disk, .sectors = NSEC, .sector_size = 512};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void mbr_entry(uint64_t sector, int slot, uint8_t type, uint32_t start,
                      uint32_t count)
{
    uint8_t *e = disk + sector * 512 + 446 + 16 * slot;
    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, count);
    disk[sector * 512 + 510] = 0x55;
    disk[sector * 512 + 511] = 0xAA;
}

static int scan(struct part *p, size_t max)
{
    struct blk_dev dev;
    assert_int_equal(blk_init(&dev, &blk_mem_ops, &mem, 512, 4), 0);
    int r = part_scan(&dev, p, max);
    blk_fini(&dev);
    return r;
}

static int setup(void **state)
{
    (void)state;
    memset(disk, 0, sizeof(disk));
    return 0;
}

static void test_crc32_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
    uint32_t c = crc32_update(0, "1234", 4);
    assert_int_equal(crc32_update(c, "56789", 5), 0xCBF43926u);
}

static void test_blank_disk_has_no_table(void **state)
{
    struct part p[4];
    (void)state;
    assert_int_equal(scan(p, 4), 0);
    /* a whole-disk FAT boot sector is not a partition table */
    disk[0] = 0xEB;
    memcpy(disk + 0x52, "FAT32   ", 8);
    mbr_entry(0, 0, 0x0C, 1, 100);
    assert_int_equal(scan(p, 4), 0);
}

static void test_mbr_primary_and_logical(void **state)
{
    struct part p[8];
    (void)state;
    mbr_entry(0, 0, 0x0C, 2048, 1000);
    mbr_entry(0, 1, 0x83, 3048, 200);
    mbr_entry(0, 2, 0x0F, 3300, 700);   /* extended 3300..3999 */
    mbr_entry(3300, 0, 0x06, 10, 100);  /* logical 3310 */
    mbr_entry(3300, 1, 0x05, 200, 300); /* next EBR at 3500 */
    mbr_entry(3500, 0, 0x0B, 20, 50);   /* logical 3520 */
    assert_int_equal(scan(p, 8), 4);
    assert_int_equal(p[0].start, 2048);
    assert_int_equal(p[0].count, 1000);
    assert_int_equal(p[0].index, 1);
    assert_true(part_is_fat(&p[0]));
    assert_false(part_is_fat(&p[1]));
    assert_int_equal(p[2].start, 3310);
    assert_int_equal(p[2].index, 5);
    assert_int_equal(p[3].start, 3520);
    assert_int_equal(p[3].count, 50);
    assert_int_equal(p[3].index, 6);
    /* more partitions than room: counted, not stored */
    assert_int_equal(scan(p, 1), 4);
}

static void test_mbr_errors(void **state)
{
    struct part p[8];
    (void)state;
    mbr_entry(0, 0, 0x0C, 2048, NSEC); /* past the end */
    assert_int_equal(scan(p, 8), -EUCLEAN);
    memset(disk, 0, 512);
    mbr_entry(0, 0, 0x0F, 1000, 1000);
    mbr_entry(1000, 0, 0x06, 10, 10);
    mbr_entry(1000, 1, 0x05, 100, 10); /* next EBR ... */
    mbr_entry(1100, 1, 0x05, 100, 10); /* ... points back at itself */
    assert_int_equal(scan(p, 8), -EUCLEAN);
    memset(disk, 0, 512);
    mbr_entry(0, 0, 0x0C, 100, 10);
    disk[446 + 16] = 0x33; /* status byte neither 0 nor 0x80 */
    assert_int_equal(scan(p, 8), 0);
}

static const uint8_t basic_data[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9,
                                       0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6,
                                       0xB7, 0x26, 0x99, 0xC7};

/* Writes a GPT header at lba with entries at elba (128 entries x 128). */
static void gpt_header(uint64_t lba, uint64_t alt, uint64_t elba)
{
    uint8_t *h = disk + lba * 512;
    uint8_t *ents = disk + elba * 512;
    memset(h, 0, 512);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x00010000);
    put32(h + 12, 92);
    put64(h + 24, lba);
    put64(h + 32, alt);
    put64(h + 40, 34);
    put64(h + 48, NSEC - 34);
    put64(h + 72, elba);
    put32(h + 80, 128);
    put32(h + 84, 128);
    put32(h + 88, crc32_update(0, ents, 128 * 128));
    put32(h + 16, crc32_update(0, h, 92));
}

static void gpt_disk(void)
{
    mbr_entry(0, 0, 0xEE, 1, NSEC - 1);
    for (int copy = 0; copy < 2; copy++) {
        uint8_t *e = disk + (copy ? NSEC - 33 : 2) * 512;
        memcpy(e, basic_data, 16);
        e[16] = 1;
        put64(e + 32, 100);
        put64(e + 40, 1099);
        const char *name = "data";
        for (int i = 0; name[i]; i++)
            e[56 + 2 * i] = (uint8_t)name[i];
        e += 128;
        e[0] = 0x42; /* some other type */
        put64(e + 32, 2000);
        put64(e + 40, 2999);
    }
    gpt_header(1, NSEC - 1, 2);
    gpt_header(NSEC - 1, 1, NSEC - 33);
}

static void test_gpt(void **state)
{
    struct part p[4];
    (void)state;
    gpt_disk();
    assert_int_equal(scan(p, 4), 2);
    assert_int_equal(p[0].scheme, PART_SCHEME_GPT);
    assert_int_equal(p[0].start, 100);
    assert_int_equal(p[0].count, 1000);
    assert_string_equal(p[0].name, "data");
    assert_true(part_is_fat(&p[0]));
    assert_false(part_is_fat(&p[1]));
    assert_int_equal(p[1].index, 2);
}

static void test_gpt_falls_back_to_backup(void **state)
{
    struct part p[4];
    (void)state;
    gpt_disk();
    disk[512 + 40] ^= 1; /* primary header CRC now wrong */
    assert_int_equal(scan(p, 4), 2);
    assert_int_equal(p[0].start, 100);
    gpt_disk();
    disk[2 * 512 + 32] ^= 1; /* primary entries CRC wrong */
    assert_int_equal(scan(p, 4), 2);
    assert_int_equal(p[0].start, 100);
}

static void test_gpt_errors(void **state)
{
    struct part p[4];
    (void)state;
    gpt_disk();
    disk[512 + 40] ^= 1;
    disk[(NSEC - 1) * 512 + 40] ^= 1;
    assert_int_equal(scan(p, 4), -EUCLEAN);
    /* an entry outside the usable range, with correct CRCs */
    gpt_disk();
    for (int copy = 0; copy < 2; copy++)
        put64(disk + (copy ? NSEC - 33 : 2) * 512 + 40, NSEC + 5);
    gpt_header(1, NSEC - 1, 2);
    gpt_header(NSEC - 1, 1, NSEC - 33);
    assert_int_equal(scan(p, 4), -EUCLEAN);
    /* a huge entry count */
    gpt_disk();
    put32(disk + 512 + 80, 1u << 30);
    put32(disk + 512 + 16, 0);
    put32(disk + 512 + 16, crc32_update(0, disk + 512, 92));
    assert_int_equal(scan(p, 4), 2); /* primary refused, backup used */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test_setup(test_blank_disk_has_no_table, setup),
        cmocka_unit_test_setup(test_mbr_primary_and_logical, setup),
        cmocka_unit_test_setup(test_mbr_errors, setup),
        cmocka_unit_test_setup(test_gpt, setup),
        cmocka_unit_test_setup(test_gpt_falls_back_to_backup, setup),
        cmocka_unit_test_setup(test_gpt_errors, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
