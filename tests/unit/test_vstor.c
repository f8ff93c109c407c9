/* Unit tests for proto/vstor.h and proto/scsi.h: layouts the compiler
 * already asserts, checked again as byte images, and the helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto/scsi.h"
#include "proto/vstor.h"

#include <string.h>

static void test_packet_sizes_follow_version(void **state)
{
    (void)state;
    assert_int_equal(VSTOR_PACKET_SIZE_FOR(VSTOR_VERSION_WIN7), 0x30);
    assert_int_equal(VSTOR_PACKET_SIZE_FOR(VSTOR_VERSION_WIN8), 0x40);
    assert_int_equal(VSTOR_PACKET_SIZE_FOR(VSTOR_VERSION_WIN10), 0x40);
    assert_int_equal(VSTOR_SENSE_SIZE_FOR(VSTOR_VERSION_WIN6), 18);
    assert_int_equal(VSTOR_SENSE_SIZE_FOR(VSTOR_VERSION_WIN81), 20);
    assert_int_equal(VSTOR_VERSION_WIN10, 0x0602);
    assert_int_equal(VSTOR_VERSION_WIN8, 0x0501);
    assert_int_equal(VSTOR_VERSION_WIN7, 0x0402);
}

static void test_srb_byte_image(void **state)
{
    struct vstor_packet p;
    uint8_t *b = (uint8_t *)&p;
    (void)state;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_EXECUTE_SRB;
    p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    p.u.srb.length = VSTOR_SRB_SIZE;
    p.u.srb.lun = 3;
    p.u.srb.cdb_length = 10;
    p.u.srb.data_in = VSTOR_DATA_IN;
    p.u.srb.data_transfer_length = 0x1000;
    p.u.srb.u.cdb[0] = SCSI_READ_10;
    p.u.srb.srb_flags = VSTOR_SRB_FLAGS_DATA_IN;
    assert_int_equal(b[0], 3);
    assert_int_equal(b[4], 1);
    assert_int_equal(b[12], 0x34);
    assert_int_equal(b[12 + 7], 3);
    assert_int_equal(b[12 + 8], 10);
    assert_int_equal(b[12 + 10], 1);
    assert_int_equal(b[12 + 13], 0x10);
    assert_int_equal(b[12 + 16], 0x28);
    assert_int_equal(b[12 + 0x28], 0x40);
    p.u.props.max_transfer_bytes = 0x40000;
    assert_int_equal(b[12 + 14], 4);
}

static void test_scsi_big_endian_fields(void **state)
{
    struct scsi_cdb16 c;
    (void)state;
    memset(&c, 0, sizeof(c));
    scsi_put(c.lba, 8, 0x0102030405060708ull);
    scsi_put(c.length, 4, 0x11223344u);
    assert_int_equal(c.lba[0], 1);
    assert_int_equal(c.lba[7], 8);
    assert_int_equal(((uint8_t *)&c)[10], 0x11);
    assert_int_equal(scsi_get(c.lba, 8), 0x0102030405060708ull);
    assert_int_equal(scsi_get(c.length, 4), 0x11223344u);
    struct scsi_cdb6 r6 = {SCSI_READ_6, {0xFF, 0x12, 0x34}, 0, 0};
    assert_int_equal(scsi_get(r6.lba, 3) & SCSI_CDB6_LBA_MASK, 0x1F1234);
    assert_int_equal(offsetof(struct scsi_sense_fixed, asc), 12);
    assert_int_equal(offsetof(struct scsi_vpd_block_limits, max_transfer), 8);
    assert_int_equal(VSTOR_SRB_STATUS_CODE(0xC4), VSTOR_SRB_STATUS_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_sizes_follow_version),
        cmocka_unit_test(test_srb_byte_image),
        cmocka_unit_test(test_scsi_big_endian_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
