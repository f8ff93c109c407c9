/* Unit tests for common/rndis.c: RNDIS parsers and builders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/rndis.h"

#include <errno.h>
#include <string.h>

static uint8_t buf[512];

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
    memcpy(p + off, &v, 4);
}

static void test_min_len_table(void **state)
{
    (void)state;
    assert_int_equal(rndis_min_len(RNDIS_MSG_PACKET), 44);
    assert_int_equal(rndis_min_len(RNDIS_MSG_INIT), 24);
    assert_int_equal(rndis_min_len(RNDIS_MSG_QUERY), 28);
    assert_int_equal(rndis_min_len(RNDIS_MSG_INIT_CMPLT), 52);
    assert_int_equal(rndis_min_len(RNDIS_MSG_KEEPALIVE_CMPLT), 16);
    assert_int_equal(rndis_min_len(0), 0);
    assert_int_equal(rndis_min_len(9), 0);
    assert_int_equal(rndis_min_len(0x80000001u), 0); /* no PACKET_CMPLT */
    assert_int_equal(rndis_min_len(0x80000003u), 0); /* no HALT_CMPLT */
    assert_int_equal(rndis_min_len(0x40000002u), 0);
    assert_int_equal(rndis_min_len(0xffffffffu), 0);
}

static void test_packet_roundtrip_with_ppi(void **state)
{
    (void)state;
    struct rndis_ppi_u32 ppi[2] = {
        {RNDIS_PPI_TCPIP_CHECKSUM, RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP},
        {RNDIS_PPI_IEEE_8021Q, 5u << RNDIS_VLAN_ID_SHIFT},
    };
    int off = rndis_build_packet(buf, sizeof(buf), ppi, 2, 60);
    assert_int_equal(off, 44 + 32);
    for (int i = 0; i < 60; i++)
        buf[off + i] = (uint8_t)i;

    struct rndis_view v;
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), 0);
    assert_int_equal(v.type, RNDIS_MSG_PACKET);
    assert_int_equal(v.len, 44 + 32 + 60);
    assert_ptr_equal(v.buf, buf + off);
    assert_int_equal(v.buf_len, 60);
    assert_int_equal(v.ppi_len, 32);

    uint32_t val;
    assert_int_equal(
        rndis_ppi_u32(v.ppi, v.ppi_len, RNDIS_PPI_IEEE_8021Q, &val), 0);
    assert_int_equal(val, 5u << RNDIS_VLAN_ID_SHIFT);
    assert_int_equal(
        rndis_ppi_u32(v.ppi, v.ppi_len, RNDIS_PPI_TCPIP_CHECKSUM, &val), 0);
    assert_int_equal(val, RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP);
    assert_int_equal(
        rndis_ppi_u32(v.ppi, v.ppi_len, RNDIS_PPI_HASH_VALUE, &val), -ENOENT);
}

static void test_packet_offsets_count_from_byte_8(void **state)
{
    (void)state;
    /* A frame right after the 44-byte header has data_offset 36. */
    int off = rndis_build_packet(buf, sizeof(buf), NULL, 0, 14);
    assert_int_equal(off, 44);
    uint32_t data_offset;
    memcpy(&data_offset, buf + 8, 4);
    assert_int_equal(data_offset, 36);

    /* data_offset 35 would overlap the header: rejected. */
    put32(buf, 8, 35);
    struct rndis_view v;
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), -EBADMSG);
    /* Frame running one byte past msg_len: rejected. */
    put32(buf, 8, 37);
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), -EBADMSG);
    /* Wrapping offset. */
    put32(buf, 8, 0xfffffffcu);
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), -EBADMSG);
    put32(buf, 8, 36);
    put32(buf, 12, 0xffffffffu);
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), -EBADMSG);
    put32(buf, 12, 14);
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), 0);
    /* PPI area outside the message. */
    put32(buf, 28, 36);
    put32(buf, 32, 100);
    assert_int_equal(rndis_parse(buf, sizeof(buf), &v), -EBADMSG);
}

static void test_header_checks(void **state)
{
    (void)state;
    struct rndis_view v;
    int n = rndis_build_keepalive(buf, sizeof(buf), 7);
    assert_int_equal(n, 12);
    assert_int_equal(rndis_parse(buf, 7, &v), -EBADMSG);  /* < header */
    assert_int_equal(rndis_parse(buf, 11, &v), -EBADMSG); /* msg_len > len */
    assert_int_equal(rndis_parse(buf, 12, &v), 0);
    assert_int_equal(v.request_id, 7);

    put32(buf, 4, 4); /* msg_len below the header */
    assert_int_equal(rndis_parse(buf, 12, &v), -EBADMSG);
    put32(buf, 4, 8); /* below the type's size */
    assert_int_equal(rndis_parse(buf, 12, &v), -EBADMSG);

    put32(buf, 0, 0x99);
    put32(buf, 4, 12);
    assert_int_equal(rndis_parse(buf, 12, &v), -ENOMSG);
    assert_int_equal(v.len, 12); /* the caller can skip it */
}

static void test_init_roundtrip(void **state)
{
    (void)state;
    struct rndis_view v;
    assert_int_equal(rndis_build_init(buf, 23, 1, 0x4000), -ENOSPC);
    assert_int_equal(rndis_build_init(buf, sizeof(buf), 1, 0x4000), 24);
    assert_int_equal(rndis_parse(buf, 24, &v), 0);
    assert_int_equal(v.type, RNDIS_MSG_INIT);
    assert_int_equal(v.request_id, 1);
    assert_int_equal(v.major_version, 1);
    assert_int_equal(v.max_xfer_size, 0x4000);

    assert_int_equal(rndis_build_init_cmplt(buf, sizeof(buf), 1,
                                            RNDIS_STATUS_SUCCESS, 8, 0x40000,
                                            3),
                     52);
    assert_int_equal(rndis_parse(buf, 52, &v), 0);
    assert_int_equal(v.type, RNDIS_MSG_INIT_CMPLT);
    assert_int_equal(v.status, 0);
    assert_int_equal(v.medium, RNDIS_MEDIUM_802_3);
    assert_int_equal(v.max_pkts_per_msg, 8);
    assert_int_equal(v.max_xfer_size, 0x40000);
    assert_int_equal(v.pkt_alignment_factor, 3);
    assert_int_equal(rndis_parse(buf, 51, &v), -EBADMSG);
}

static void test_oid_request_and_completion(void **state)
{
    (void)state;
    struct rndis_view v;
    uint32_t filter = RNDIS_FILTER_DIRECTED | RNDIS_FILTER_BROADCAST;
    int n =
        rndis_build_oid_req(buf, sizeof(buf), RNDIS_MSG_SET, 9,
                            RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4);
    assert_int_equal(n, 32);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_int_equal(v.oid, RNDIS_OID_GEN_CURRENT_PACKET_FILTER);
    assert_int_equal(v.buf_len, 4);
    assert_ptr_equal(v.buf, buf + 28);

    n = rndis_build_oid_req(buf, sizeof(buf), RNDIS_MSG_QUERY, 10,
                            RNDIS_OID_802_3_PERMANENT_ADDRESS, NULL, 0);
    assert_int_equal(n, 28);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_null(v.buf);
    assert_int_equal(
        rndis_build_oid_req(buf, sizeof(buf), RNDIS_MSG_INIT, 1, 0, NULL, 0),
        -EINVAL);

    const uint8_t mac[6] = {0x00, 0x15, 0x5d, 1, 2, 3};
    n = rndis_build_query_cmplt(buf, sizeof(buf), 10, 0, mac, 6);
    assert_int_equal(n, 30);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_int_equal(v.request_id, 10);
    assert_int_equal(v.buf_len, 6);
    assert_memory_equal(v.buf, mac, 6);

    /* Info buffer offset pointing into the fixed part. */
    put32(buf, 20, 4);
    assert_int_equal(rndis_parse(buf, n, &v), -EBADMSG);
    /* Zero length with any offset is fine. */
    put32(buf, 16, 0);
    put32(buf, 20, 0xffffff00u);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_null(v.buf);
}

static void test_status_messages(void **state)
{
    (void)state;
    struct rndis_view v;
    int n = rndis_build_indicate(buf, sizeof(buf),
                                 RNDIS_STATUS_MEDIA_DISCONNECT, NULL, 0);
    assert_int_equal(n, 20);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_int_equal(v.status, RNDIS_STATUS_MEDIA_DISCONNECT);

    n = rndis_build_status_cmplt(buf, sizeof(buf), RNDIS_MSG_KEEPALIVE_CMPLT, 3,
                                 RNDIS_STATUS_SUCCESS);
    assert_int_equal(n, 16);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_int_equal(v.type, RNDIS_MSG_KEEPALIVE_CMPLT);
    assert_int_equal(v.request_id, 3);
    assert_int_equal(
        rndis_build_status_cmplt(buf, sizeof(buf), RNDIS_MSG_QUERY_CMPLT, 3, 0),
        -EINVAL);

    n = rndis_build_reset_cmplt(buf, sizeof(buf), RNDIS_STATUS_SUCCESS, 1);
    assert_int_equal(n, 16);
    assert_int_equal(rndis_parse(buf, n, &v), 0);
    assert_int_equal(v.status, 0);
    assert_int_equal(rndis_build_reset(buf, sizeof(buf)), 12);
    assert_int_equal(rndis_build_halt(buf, sizeof(buf), 4), 12);
    assert_int_equal(rndis_parse(buf, 12, &v), 0);
    assert_int_equal(v.type, RNDIS_MSG_HALT);
}

static void test_ppi_malformed(void **state)
{
    (void)state;
    uint8_t p[32];
    const uint8_t *d;
    uint32_t dl;
    memset(p, 0, sizeof(p));
    /* size 0 would loop forever */
    assert_int_equal(rndis_ppi_find(p, 16, 1, &d, &dl), -EBADMSG);
    /* size beyond the area */
    put32(p, 0, 20);
    put32(p, 8, 12);
    assert_int_equal(rndis_ppi_find(p, 16, 1, &d, &dl), -EBADMSG);
    /* data offset beyond the element */
    put32(p, 0, 16);
    put32(p, 8, 17);
    assert_int_equal(rndis_ppi_find(p, 16, 1, &d, &dl), -EBADMSG);
    /* offset inside the element header */
    put32(p, 8, 4);
    assert_int_equal(rndis_ppi_find(p, 16, 1, &d, &dl), -EBADMSG);
    /* a good element followed by a stub */
    put32(p, 8, 12);
    put32(p, 4, 2);
    assert_int_equal(rndis_ppi_find(p, 16, 2, &d, &dl), 0);
    assert_int_equal(dl, 4);
    assert_int_equal(rndis_ppi_find(p, 20, 1, &d, &dl), -EBADMSG);
    assert_int_equal(rndis_ppi_find(p, 16, 1, &d, &dl), -ENOENT);
    /* u32 element with no data */
    put32(p, 0, 12);
    uint32_t val;
    assert_int_equal(rndis_ppi_u32(p, 12, 2, &val), -EBADMSG);
    /* the internal bit is part of the type */
    put32(p, 0, 16);
    put32(p, 4, 2 | RNDIS_PPI_INTERNAL);
    assert_int_equal(rndis_ppi_u32(p, 16, 2, &val), -ENOENT);
}

static void test_builders_refuse_small_buffers(void **state)
{
    (void)state;
    assert_int_equal(rndis_build_packet(buf, 44 + 13, NULL, 0, 14), -ENOSPC);
    assert_int_equal(rndis_build_packet(buf, sizeof(buf), NULL, 5, 14),
                     -EINVAL);
    assert_int_equal(rndis_build_query_cmplt(buf, 29, 1, 0, buf, 6), -ENOSPC);
    assert_int_equal(rndis_build_indicate(buf, 19, 0, NULL, 0), -ENOSPC);
    assert_int_equal(rndis_build_keepalive(buf, 11, 1), -ENOSPC);
    assert_int_equal(rndis_build_oid_req(buf, 31, RNDIS_MSG_SET, 1, 1, buf, 4),
                     -ENOSPC);
}

static void test_back_to_back_messages(void **state)
{
    (void)state;
    /* Two packets in one transfer: the second starts at the first's len. */
    int a = rndis_build_packet(buf, sizeof(buf), NULL, 0, 20);
    uint32_t l1 = (uint32_t)a + 20;
    int b = rndis_build_packet(buf + l1, sizeof(buf) - l1, NULL, 0, 30);
    assert_true(b > 0);
    uint32_t total = l1 + (uint32_t)b + 30;
    struct rndis_view v;
    assert_int_equal(rndis_parse(buf, total, &v), 0);
    assert_int_equal(v.buf_len, 20);
    assert_int_equal(rndis_parse(buf + v.len, total - v.len, &v), 0);
    assert_int_equal(v.buf_len, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_len_table),
        cmocka_unit_test(test_packet_roundtrip_with_ppi),
        cmocka_unit_test(test_packet_offsets_count_from_byte_8),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_init_roundtrip),
        cmocka_unit_test(test_oid_request_and_completion),
        cmocka_unit_test(test_status_messages),
        cmocka_unit_test(test_ppi_malformed),
        cmocka_unit_test(test_builders_refuse_small_buffers),
        cmocka_unit_test(test_back_to_back_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
