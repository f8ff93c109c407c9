/*
 * Loopback tests of the guest VMBus client against the root VMBus server:
 * negotiation matrix, offers, hot add, GPADL sizes and limits, open/close,
 * packets, ring wraparound, full rings and pending_send_sz, rescind, unload,
 * and malformed messages in both directions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/guid.h"
#include "tests/loopback/echo_vsp.h"
#include "tests/loopback/shim.h"

#define GUEST_PAGES 20000u

static const struct vmbus_guid class_echo =
    VMBUS_GUID_INIT(0x12345678, 0x1111, 0x2222, 0x3333, 0x444455556666ull);
static const struct vmbus_guid class_other =
    VMBUS_GUID_INIT(0x87654321, 0x1111, 0x2222, 0x3333, 0x444455556666ull);

struct fixture {
    struct lb lb;
    struct echo_vsp echo;
    struct vmbus_server_channel *sch;
};

static int setup_cfg(void **state, const struct vmbus_server_config *cfg)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct vmbus_server_device d;

    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, cfg), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    d = echo_vsp_device(&f->echo, class_echo, 1);
    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, &f->sch), 0);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_cfg(state, NULL);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    lb_fini(&f->lb);
    free(f);
    return 0;
}

static struct vmbus_channel *connect_echo(struct fixture *f)
{
    struct vmbus_channel *ch;

    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    ch = vmbus_find_channel(f->lb.vb, &class_echo);
    assert_non_null(ch);
    return ch;
}

static unsigned cb_count;
static void count_cb(struct vmbus_channel *ch, void *ctx)
{
    cb_count++;
}

static struct vmbus_channel *open_echo(struct fixture *f, uint32_t ring)
{
    struct vmbus_channel *ch = connect_echo(f);

    assert_int_equal(
        vmbus_chan_open(ch, ring, ring, "hello", 5, count_cb, NULL), 0);
    assert_true(vmbus_server_chan_is_open(f->sch));
    return ch;
}

/* ---- negotiation ---- */

static void test_negotiation_matrix(void **state)
{
    static const uint32_t client[] = {VMBUS_VERSION(3, 0), VMBUS_VERSION(4, 0),
                                      VMBUS_VERSION(4, 1), VMBUS_VERSION(5, 0),
                                      VMBUS_VERSION(5, 1), VMBUS_VERSION(5, 2),
                                      VMBUS_VERSION(5, 3), VMBUS_VERSION(6, 0)};
    static const uint32_t server[] = {
        VMBUS_VERSION(0, 13), VMBUS_VERSION(1, 1), VMBUS_VERSION(2, 4),
        VMBUS_VERSION(3, 0),  VMBUS_VERSION(4, 0), VMBUS_VERSION(4, 1),
        VMBUS_VERSION(5, 0),  VMBUS_VERSION(5, 1), VMBUS_VERSION(5, 2),
        VMBUS_VERSION(5, 3),  VMBUS_VERSION(6, 0)};
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(client) / sizeof(client[0]); i++) {
        for (j = 0; j < sizeof(server) / sizeof(server[0]); j++) {
            struct vmbus_server_config cfg = {.max_version = server[j],
                                              .msg_conn_id = 0x800074};
            uint32_t want = client[i] < server[j] ? client[i] : server[j];
            struct echo_vsp echo = {0};
            struct vmbus_server_device d =
                echo_vsp_device(&echo, class_echo, 1);
            struct vmbus_channel *ch;
            struct vmbus_pkt_info info;
            uint8_t buf[64];
            struct lb lb;
            int rc;

            assert_int_equal(lb_init(&lb, 64, &cfg), 0);
            assert_int_equal(vmbus_server_add_device(lb.srv, &d, NULL), 0);
            rc = vmbus_connect(lb.vb, client[i]);
            if (want < VMBUS_VERSION(3, 0)) {
                assert_int_equal(rc, -ENOTSUP);
                assert_false(vmbus_server_connected(lb.srv));
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(vmbus_version(lb.vb), want);
                assert_int_equal(vmbus_server_version(lb.srv), want);
                assert_int_equal(vmbus_msg_conn_id(lb.vb),
                                 want >= VMBUS_VERSION(5, 0) ? 0x800074u : 1u);
                /* A channel works at every version. */
                ch = vmbus_find_channel(lb.vb, &class_echo);
                assert_non_null(ch);
                assert_int_equal(
                    vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL), 0);
                assert_int_equal(
                    vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                    VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 9, "v",
                                    1),
                    0);
                lb_pump(&lb);
                assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info),
                                 0);
                assert_int_equal(info.trans_id, 9);
                vmbus_chan_close(ch);
                assert_int_equal(vmbus_disconnect(lb.vb), 0);
                assert_false(vmbus_server_connected(lb.srv));
            }
            lb_fini(&lb);
        }
    }
}

/* Posts raw bytes to the server and returns the reply left in the slot. */
static uint32_t raw_post(struct lb *lb, uint32_t conn, const void *m,
                         uint32_t len, void *reply)
{
    uint32_t st = vmbus_server_on_post_message(lb->srv, conn,
                                               HV_MESSAGE_TYPE_VMBUS, m, len);
    if (reply) {
        memset(reply, 0, 240);
        if (lb->slot.message_type == HV_MESSAGE_TYPE_VMBUS)
            memcpy(reply, lb->slot.payload, lb->slot.payload_size);
    }
    lb->slot.message_type = HV_MESSAGE_TYPE_NONE;
    vmbus_server_on_eom(lb->srv);
    return st;
}

static void test_old_versions_raw(void **state)
{
    struct lb lb;
    struct vmbus_msg_initiate_contact m;
    struct vmbus_msg_version_response r;
    uint8_t reply[240];
    uint32_t v;
    static const uint32_t old[] = {VMBUS_VERSION(0, 13), VMBUS_VERSION(1, 1),
                                   VMBUS_VERSION(2, 4)};

    (void)state;
    assert_int_equal(lb_init(&lb, 64, NULL), 0);
    for (v = 0; v < 3; v++) {
        memset(&m, 0, sizeof(m));
        m.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
        m.version_requested = old[v];
        m.interrupt_page_or_sint = 5 * HV_PAGE_SIZE;
        raw_post(&lb, 1, &m, 40, reply);
        memcpy(&r, reply, sizeof(r));
        assert_int_equal(r.hdr.msgtype, VMBUS_MSG_VERSION_RESPONSE);
        assert_int_equal(r.version_supported, 1);
        assert_int_equal(vmbus_server_version(lb.srv), old[v]);
    }
    /* Below 2.4 an interrupt page outside guest memory is refused. */
    m.version_requested = VMBUS_VERSION(1, 1);
    m.interrupt_page_or_sint = 1ull << 40;
    raw_post(&lb, 1, &m, 40, reply);
    memcpy(&r, reply, sizeof(r));
    assert_int_equal(r.version_supported, 0);
    /* 6.0 needs the 56-byte contact and answers with 20 bytes. */
    m.version_requested = VMBUS_VERSION(6, 0);
    m.interrupt_page_or_sint =
        VMBUS_CONTACT_SINT(2, 0) | (uint64_t)VMBUS_FEATURE_CLIENT_ID << 32;
    raw_post(&lb, 4, &m, 40, reply);
    memcpy(&r, reply, sizeof(r));
    assert_int_equal(r.version_supported, 0);
    /* On connection 4 the contact's SINT is used; on 1 it is always 2. */
    m.interrupt_page_or_sint = VMBUS_CONTACT_SINT(0, 0);
    raw_post(&lb, 1, &m, 56, reply);
    memcpy(&r, reply, sizeof(r));
    assert_int_equal(r.version_supported, 1);
    m.interrupt_page_or_sint = VMBUS_CONTACT_SINT(7, 0);
    raw_post(&lb, 4, &m, 56, reply); /* answer goes to SINT 7: not seen */
    assert_int_equal(reply[0], 0);
    m.interrupt_page_or_sint = VMBUS_CONTACT_SINT(2, 0);
    raw_post(&lb, 4, &m, 56, reply);
    memcpy(&r, reply, sizeof(r));
    assert_int_equal(r.version_supported, 1);
    assert_int_equal(r.msg_conn_id, 4);
    assert_int_equal(r.supported_features, 0);
    assert_int_equal(vmbus_server_version(lb.srv), VMBUS_VERSION(6, 0));
    /* Unknown versions are refused. */
    m.version_requested = VMBUS_VERSION(3, 7);
    raw_post(&lb, 1, &m, 40, reply);
    memcpy(&r, reply, sizeof(r));
    assert_int_equal(r.version_supported, 0);
    lb_fini(&lb);
}

/* WS2008-style channel signalling through the interrupt page. */
static void test_ws2008_interrupt_page(void **state)
{
    struct fixture *f = *state;
    struct lb *lb = &f->lb;
    struct vmbus_msg_initiate_contact m;
    struct vmbus_msg_hdr h = {.msgtype = VMBUS_MSG_REQUEST_OFFERS};
    uint8_t reply[240];
    struct vmbus_msg_offer o;
    uint8_t *page = lb->mem + 8 * HV_PAGE_SIZE;

    memset(&m, 0, sizeof(m));
    m.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    m.version_requested = VMBUS_VERSION_WS2008;
    m.interrupt_page_or_sint = 8 * HV_PAGE_SIZE;
    raw_post(lb, 1, &m, 40, reply);
    raw_post(lb, 1, &h, 8, reply);
    memcpy(&o, reply, sizeof(o));
    assert_int_equal(o.hdr.msgtype, VMBUS_MSG_OFFER_CHANNEL);
    assert_int_equal(o.connection_id, 0); /* 190-byte offer */
    /* A guest signal on connection 2 with the relid bit set in the second
     * half of the page reaches the channel (closed: nothing to run), and
     * the bit is consumed. */
    page[HV_PAGE_SIZE / 2] = (uint8_t)(1u << o.child_relid);
    assert_int_equal(vmbus_server_on_signal_event(lb->srv, 2, 0),
                     HV_STATUS_SUCCESS);
    assert_int_equal(page[HV_PAGE_SIZE / 2], 0);
}

/* ---- offers ---- */

static unsigned probes, removes;
static struct vmbus_channel *probed_ch;
static int probe_ok(struct vmbus_channel *ch, void *ctx)
{
    probes++;
    probed_ch = ch;
    return 0;
}
static void remove_cb(struct vmbus_channel *ch, void *ctx)
{
    removes++;
    if (ctx)
        vmbus_chan_close(ch);
}

static void test_offers_and_drivers(void **state)
{
    struct fixture *f = *state;
    struct echo_vsp other = {0};
    struct vmbus_server_device d = echo_vsp_device(&other, class_other, 7);
    struct vmbus_driver drv = {.name = "echo",
                               .class_id = class_echo,
                               .probe = probe_ok,
                               .remove = remove_cb};
    struct vmbus_channel *ch;
    const struct vmbus_msg_offer *o;

    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, NULL), 0);
    probes = 0;
    assert_int_equal(vmbus_register_driver(f->lb.vb, &drv), 0);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), -EALREADY);
    assert_int_equal(probes, 1);
    assert_non_null(vmbus_channel_at(f->lb.vb, 0));
    assert_non_null(vmbus_channel_at(f->lb.vb, 1));
    assert_null(vmbus_channel_at(f->lb.vb, 2));
    ch = vmbus_find_channel(f->lb.vb, &class_other);
    assert_non_null(ch);
    o = vmbus_chan_offer(ch);
    assert_int_equal(o->mmio_megabytes, 7);
    assert_int_equal(o->user_defined[0], 7);
    assert_int_equal(vmbus_chan_instance(ch)->data1, 0xEC400007u);
    assert_int_equal(o->connection_id,
                     VMBUS_SERVER_CONN_BASE + vmbus_chan_relid(ch));
    assert_ptr_equal(probed_ch, vmbus_find_channel(f->lb.vb, &class_echo));

    /* Hot add: offered at once, probed on the next poll. */
    d = echo_vsp_device(&other, class_echo, 9);
    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, NULL), 0);
    lb_pump(&f->lb);
    vmbus_poll(f->lb.vb);
    assert_int_equal(probes, 2);
    assert_non_null(vmbus_channel_at(f->lb.vb, 2));
}

/* ---- GPADLs ---- */

static void gpadl_roundtrip(struct fixture *f, struct vmbus_channel *ch,
                            uint32_t npages)
{
    uint64_t *pfns = calloc(npages + 1, sizeof(*pfns));
    const struct gpadl_asm *a;
    struct gpadl_range r;
    uint32_t h = 0, i;
    uint8_t *mem;

    assert_non_null(pfns);
    mem = f->lb.vb ? NULL : NULL;
    (void)mem;
    /* Deliberately scattered pages. */
    for (i = 0; i < npages; i++)
        pfns[i] = 1 + (i * 7919u) % (GUEST_PAGES - 1);
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, npages, &h), 0);
    assert_int_not_equal(h, 0);
    a = vmbus_server_chan_gpadl(f->sch, h);
    assert_non_null(a);
    assert_int_equal(a->range_count, 1);
    assert_int_equal(gpadl_get_range(a, 0, &r), 0);
    assert_int_equal(r.npfn, npages);
    assert_int_equal(r.byte_count, npages * HV_PAGE_SIZE);
    assert_memory_equal(r.pfns, pfns, npages * 8u);
    assert_int_equal(vmbus_chan_gpadl_teardown(ch, h), 0);
    assert_null(vmbus_server_chan_gpadl(f->sch, h));
    free(pfns);
}

static void test_gpadl_sizes(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = connect_echo(f);
    static const uint32_t sizes[] = {1,  2,  25,   26,   27,   28,  53,
                                     54, 55, 1000, 4096, 8000, 8190};
    uint64_t pfn = 1;
    uint32_t h, i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        gpadl_roundtrip(f, ch, sizes[i]);
    assert_int_equal(vmbus_chan_gpadl_create(ch, &pfn, 0, &h), -EINVAL);
    assert_int_equal(vmbus_chan_gpadl_create(ch, &pfn, 8191, &h), -EINVAL);
    /* A PFN outside guest memory is refused by the host. */
    pfn = GUEST_PAGES + 5;
    assert_int_equal(vmbus_chan_gpadl_create(ch, &pfn, 1, &h), -ECONNREFUSED);
}

static void test_gpadl_limits(void **state)
{
    struct vmbus_server_config cfg = {.max_gpadl_pages = 100, .max_gpadls = 2};
    struct fixture *f;
    struct vmbus_channel *ch;
    uint64_t pfns[101];
    uint32_t h1, h2, h3, i;

    setup_cfg(state, &cfg);
    f = *state;
    ch = connect_echo(f);
    for (i = 0; i < 101; i++)
        pfns[i] = 10 + i;
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, 101, &h1),
                     -ECONNREFUSED);
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, 100, &h1), 0);
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, 1, &h2), 0);
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, 1, &h3), -ECONNREFUSED);
    assert_int_equal(vmbus_chan_gpadl_teardown(ch, h1), 0);
    assert_int_equal(vmbus_chan_gpadl_create(ch, pfns, 1, &h3), 0);
    teardown(state);
}

/* ---- channels and packets ---- */

static void test_open_send_close(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 4 * HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    uint8_t buf[256];

    assert_memory_equal(f->echo.user_data, "hello", 5);
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL),
                     -EBUSY);
    cb_count = 0;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 42,
                                     "ping!", 5),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 1);
    assert_true(cb_count >= 1);
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), 0);
    assert_int_equal(info.type, VMBUS_PKT_COMPLETION);
    assert_int_equal(info.trans_id, 42);
    assert_int_equal(info.offset, 16);
    assert_memory_equal(buf + info.offset, "ping!", 5);
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EAGAIN);

    vmbus_chan_close(ch);
    assert_false(vmbus_server_chan_is_open(f->sch));
    assert_int_equal(f->echo.closes, 1);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "x", 1),
                     -ENOTCONN);
    /* Reopen works and the ring memory was returned. */
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL), 0);
    vmbus_chan_close(ch);
    assert_int_equal(vmbus_chan_open(ch, 8192, 4000, NULL, 0, NULL, NULL),
                     -EINVAL);
}

static void test_open_refused(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = connect_echo(f);
    uint64_t before;

    f->echo.refuse_open = true;
    before = f->lb.pages_allocated;
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL),
                     -ECONNREFUSED);
    assert_int_equal(f->lb.pages_allocated, before);
    f->echo.refuse_open = false;
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL), 0);
}

static void test_batching_signals_once(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 16 * HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    uint64_t before = f->lb.signals_sent;
    uint8_t buf[64];
    int i, n = 0;

    for (i = 0; i < 10; i++)
        assert_int_equal(
            vmbus_chan_put(ch, VMBUS_PKT_DATA_INBAND, 0, (uint64_t)i, "abc", 3),
            0);
    assert_int_equal(f->lb.signals_sent, before);
    assert_int_equal(vmbus_chan_flush(ch), 0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 10);
    while (vmbus_chan_recv(ch, buf, sizeof(buf), &info) == 0) {
        assert_int_equal(info.trans_id, (uint64_t)n);
        n++;
    }
    assert_int_equal(n, 10);
    /* The host's replies came with one interrupt at most. */
    assert_true(f->lb.sints_raised <= 2);
}

static void test_gpa_put_flush_signals_once(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 16 * HV_PAGE_SIZE);
    uint64_t pfns[2] = {200, 201};
    struct vmbus_chan_range r = {5000, 100, pfns};
    uint64_t before = f->lb.signals_sent;

    for (int i = 0; i < 8; i++)
        assert_int_equal(
            vmbus_chan_put_gpa(ch, &r, 1, 0, (uint64_t)i, "cmd", 3), 0);
    /* Nothing is visible or signalled before the flush... */
    assert_int_equal(f->lb.signals_sent, before);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 0);
    /* ...and the flush publishes all eight with one signal. */
    assert_int_equal(vmbus_chan_flush(ch), 0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 8);
    r.byte_offset = 4096;
    assert_int_equal(vmbus_chan_put_gpa(ch, &r, 1, 0, 9, "c", 1), -EINVAL);
}

/* The host masks its inbound ring: the guest stops signalling and the
 * server's poll (the root's loop) finds the packets instead. */
static void test_host_mask_polls_ring(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 4 * HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    uint8_t buf[64];
    uint64_t before;

    vmbus_server_chan_mask(f->sch);
    before = f->lb.signals_sent;
    for (int i = 0; i < 3; i++)
        assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                         (uint64_t)i, "abc", 3),
                         0);
    assert_int_equal(f->lb.signals_sent, before);
    assert_int_equal(f->echo.packets, 0);
    vmbus_server_poll(f->lb.srv);
    assert_int_equal(f->echo.packets, 3);
    lb_pump(&f->lb);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), 0);
        assert_int_equal(info.trans_id, (uint64_t)i);
    }
    /* The guest may clear the mask (page 4: the send ring's control
     * page): that costs a signal, nothing else, and the server keeps
     * polling. */
    struct vmbus_ring_ctrl *out_ctrl =
        (struct vmbus_ring_ctrl *)(f->lb.mem + 4 * HV_PAGE_SIZE);
    assert_int_equal(out_ctrl->interrupt_mask, 1);
    out_ctrl->interrupt_mask = 0;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 10, "x", 1),
                     0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 4);

    /* No lost wake-up: a packet put while masked is reported by the
     * unmask, and the next one signals. */
    vmbus_server_chan_mask(f->sch);
    f->echo.stall = true;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 11, "y", 1),
                     0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    assert_true(vmbus_server_chan_unmask(f->sch));
    f->echo.stall = false;
    echo_vsp_ops.packet(f->sch, &f->echo);
    assert_int_equal(f->echo.packets, 5);
    assert_false(vmbus_server_chan_unmask(f->sch));
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 12, "z", 1),
                     0);
    assert_int_equal(f->lb.signals_sent, before + 2);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 6);

    /* Closing ends polling: after a reopen the guest signals again. */
    vmbus_server_chan_mask(f->sch);
    vmbus_chan_close(ch);
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL), 0);
    before = f->lb.signals_sent;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 13, "w", 1),
                     0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 7);
}

/* The guest masks its receive ring while draining: the host adds packets
 * without interrupting; unmasking reports what is waiting. */
static void test_guest_mask_holds_interrupts(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 4 * HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    uint8_t buf[64];
    uint64_t before;

    lb_pump(&f->lb);
    vmbus_chan_mask(ch);
    before = f->lb.sints_raised;
    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 1, "a", 1), 0);
    assert_int_equal(f->lb.sints_raised, before);
    assert_true(vmbus_chan_unmask(ch));
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), 0);
    assert_int_equal(info.trans_id, 1);
    assert_false(vmbus_chan_unmask(ch));
    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 2, "b", 1), 0);
    assert_int_equal(f->lb.sints_raised, before + 1);
}

static void test_interrupt_coalescing(void **state)
{
    struct fixture *f = *state;
    struct echo_vsp e2 = {0};
    struct vmbus_server_device d = echo_vsp_device(&e2, class_other, 2);
    struct vmbus_server_channel *s2;
    struct vmbus_channel *c1, *c2;
    uint64_t before;

    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, &s2), 0);
    c1 = open_echo(f, 8192);
    c2 = vmbus_find_channel(f->lb.vb, &class_other);
    assert_int_equal(vmbus_chan_open(c2, 8192, 8192, NULL, 0, NULL, NULL), 0);
    (void)c1;
    /* Outside an entry point each send interrupts at once... */
    before = f->lb.sints_raised;
    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 1, "a", 1), 0);
    assert_int_equal(f->lb.sints_raised, before + 1);
    lb_pump(&f->lb);
    /* ...and a batch over two channels interrupts once. */
    before = f->lb.sints_raised;
    vmbus_server_batch_begin(f->lb.srv);
    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 2, "b", 1), 0);
    assert_int_equal(
        vmbus_server_chan_send(s2, VMBUS_PKT_DATA_INBAND, 0, 3, "c", 1), 0);
    assert_int_equal(f->lb.sints_raised, before);
    vmbus_server_batch_end(f->lb.srv);
    assert_int_equal(f->lb.sints_raised, before + 1);
    assert_int_equal(vmbus_server_get_stats(f->lb.srv)->flags_set >= 2, 1);
}

/* A packet callback that unmasks another polled channel (unlinking the
 * next one in the poll list) does not make the poll skip the channels
 * after it: the third device's masked packet is still found. */
static void test_poll_survives_unmask_in_callback(void **state)
{
    struct fixture *f = *state;
    static const struct vmbus_guid class_third =
        VMBUS_GUID_INIT(0x13572468, 0x1111, 0x2222, 0x3333, 0x444455556666ull);
    struct echo_vsp e2 = {0}, e3 = {0};
    struct vmbus_server_device d2 = echo_vsp_device(&e2, class_other, 2);
    struct vmbus_server_device d3 = echo_vsp_device(&e3, class_third, 3);
    struct vmbus_server_channel *s2, *s3;
    struct vmbus_channel *c1, *c3;

    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d2, &s2), 0);
    assert_int_equal(vmbus_server_add_device(f->lb.srv, &d3, &s3), 0);
    c1 = open_echo(f, 8192);
    assert_int_equal(vmbus_chan_open(vmbus_find_channel(f->lb.vb, &class_other),
                                     8192, 8192, NULL, 0, NULL, NULL),
                     0);
    c3 = vmbus_find_channel(f->lb.vb, &class_third);
    assert_int_equal(vmbus_chan_open(c3, 8192, 8192, NULL, 0, NULL, NULL), 0);
    /* Masked last to first: the poll list runs f->sch, s2, s3. */
    vmbus_server_chan_mask(s3);
    vmbus_server_chan_mask(s2);
    vmbus_server_chan_mask(f->sch);
    f->echo.unmask = s2;
    assert_int_equal(vmbus_chan_send(c1, VMBUS_PKT_DATA_INBAND, 0, 1, "a", 1),
                     0);
    assert_int_equal(vmbus_chan_send(c3, VMBUS_PKT_DATA_INBAND, 0, 3, "c", 1),
                     0);
    vmbus_server_poll(f->lb.srv);
    assert_int_equal(f->echo.packets, 1);
    assert_int_equal(e3.packets, 1);
    assert_int_equal(e2.signals, 0);
    /* One pass visits each channel once: a stalled device's packet stays
     * for the next poll. */
    e3.stall = true;
    assert_int_equal(vmbus_chan_send(c3, VMBUS_PKT_DATA_INBAND, 0, 4, "d", 1),
                     0);
    vmbus_server_poll(f->lb.srv);
    assert_int_equal(e3.signals, 2);
    e3.stall = false;
    vmbus_server_poll(f->lb.srv);
    assert_int_equal(e3.packets, 2);
    f->echo.unmask = NULL;
}

static void test_ring_wraparound(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    uint8_t out[700], in[800];
    unsigned i, k;

    for (i = 0; i < 300; i++) {
        uint32_t len = 1 + (i * 37) % 600;
        for (k = 0; k < len; k++)
            out[k] = (uint8_t)(i + k);
        assert_int_equal(
            vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, i, out, len), 0);
        lb_pump(&f->lb);
        assert_int_equal(vmbus_chan_recv(ch, in, sizeof(in), &info), 0);
        assert_int_equal(info.trans_id, i);
        assert_true(info.len - info.offset >= len);
        assert_memory_equal(in + info.offset, out, len);
    }
    assert_int_equal(f->echo.last_err, 0);
}

static void test_full_ring_pending_send_sz(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = connect_echo(f);
    struct vmbus_pkt_info info;
    uint8_t pkt[200] = {0}, buf[512];
    uint32_t need = ring_pkt_bytes(16 + sizeof(pkt));
    unsigned sent = 0, got = 0;
    uint64_t signals;
    int rc;

    /* 8 KiB towards the host, only 4 KiB back. */
    assert_int_equal(vmbus_chan_open(ch, 2 * HV_PAGE_SIZE, HV_PAGE_SIZE, NULL,
                                     0, count_cb, NULL),
                     0);
    /* 1. Fill the guest -> host ring while the host does not read. */
    f->echo.stall = true;
    while ((rc = vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, sent, pkt,
                                 sizeof(pkt))) == 0)
        sent++;
    assert_int_equal(rc, -EAGAIN);
    assert_int_equal(sent, 8192 / need - (8192 % need == 0));
    assert_false(vmbus_chan_want_space(ch, need));

    /* 2. The host reads, but its replies fill our 4 KiB receive ring
     * first: it parks one and sets pending_send_sz on its side. */
    f->echo.stall = false;
    vmbus_server_on_signal_event(
        f->lb.srv, VMBUS_SERVER_CONN_BASE + vmbus_server_chan_relid(f->sch), 0);
    lb_pump(&f->lb);
    assert_true(f->echo.reply_blocked);
    assert_int_equal(f->echo.waits, 1);
    assert_true(f->echo.packets < sent);
    /* What it did read freed room for us. */
    assert_true(vmbus_chan_want_space(ch, need));
    vmbus_chan_want_space(ch, 0);

    /* 3. Reading our ring crosses the host's pending_send_sz: the guest
     * signals (without sending anything) and the host resumes. */
    signals = f->lb.signals_sent;
    for (;;) {
        rc = vmbus_chan_recv(ch, buf, sizeof(buf), &info);
        if (rc == -EAGAIN) {
            lb_pump(&f->lb);
            rc = vmbus_chan_recv(ch, buf, sizeof(buf), &info);
            if (rc == -EAGAIN)
                break;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(info.trans_id, got);
        got++;
    }
    assert_true(f->lb.signals_sent > signals);
    assert_int_equal(got, sent);
    assert_int_equal(f->echo.packets, sent);
    assert_false(f->echo.reply_blocked);
    assert_int_equal(f->echo.last_err, 0);
}

static void test_gpa_direct(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 4 * HV_PAGE_SIZE);
    uint64_t p1[2] = {100, 101}, p2[1] = {300};
    struct vmbus_chan_range r[2] = {{6000, 200, p1}, {10, 4000, p2}};
    struct vmbus_pkt_gpa_direct h;
    struct vmbus_gpa_range rh;
    uint64_t pfn;

    assert_int_equal(vmbus_chan_send_gpa(ch, r, 2, 0, 77, "cmd", 3), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 1);
    memcpy(&h, f->echo.last, sizeof(h));
    assert_int_equal(h.desc.type, VMBUS_PKT_DATA_GPA_DIRECT);
    assert_int_equal(h.range_count, 2);
    assert_int_equal(h.desc.offset8 * 8, 24 + 8 + 16 + 8 + 8);
    memcpy(&rh, f->echo.last + 24, 8);
    assert_int_equal(rh.byte_count, 6000);
    assert_int_equal(rh.byte_offset, 200);
    memcpy(&pfn, f->echo.last + 40, 8);
    assert_int_equal(pfn, 101);
    memcpy(&rh, f->echo.last + 48, 8);
    assert_int_equal(rh.byte_offset, 4000);
    assert_memory_equal(f->echo.last + h.desc.offset8 * 8, "cmd", 3);
    r[0].byte_offset = 4096;
    assert_int_equal(vmbus_chan_send_gpa(ch, r, 2, 0, 78, "c", 1), -EINVAL);
}

/* ---- rescind and unload ---- */

static void test_rescind_open_channel(void **state)
{
    struct fixture *f = *state;
    struct vmbus_driver drv = {.name = "echo",
                               .class_id = class_echo,
                               .probe = probe_ok,
                               .remove = remove_cb,
                               .ctx = (void *)1};
    struct vmbus_channel *ch;
    uint32_t relid;

    removes = 0;
    assert_int_equal(vmbus_register_driver(f->lb.vb, &drv), 0);
    ch = open_echo(f, 8192);
    relid = vmbus_chan_relid(ch);
    assert_int_equal(vmbus_server_rescind(f->lb.srv, f->sch), 0);
    assert_int_equal(f->echo.closes, 1);
    lb_pump(&f->lb);
    assert_true(vmbus_chan_rescinded(ch));
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "x", 1),
                     -ENODEV);
    assert_non_null(vmbus_server_channel(f->lb.srv, relid));
    vmbus_poll(f->lb.vb);
    assert_int_equal(removes, 1);
    lb_pump(&f->lb);
    /* RelIdReleased freed the relid on the host. */
    assert_null(vmbus_server_channel(f->lb.srv, relid));
    assert_null(vmbus_find_channel(f->lb.vb, &class_echo));
    assert_int_equal(f->lb.pages_allocated, 3); /* int + monitor pages */
}

/* A driver unregistered (and perhaps freed) while its channel stays
 * offered: a later rescind does not call its remove(). */
static void test_rescind_after_unregister(void **state)
{
    struct fixture *f = *state;
    struct vmbus_driver drv = {.name = "echo",
                               .class_id = class_echo,
                               .probe = probe_ok,
                               .remove = remove_cb};
    removes = 0;
    assert_int_equal(vmbus_register_driver(f->lb.vb, &drv), 0);
    struct vmbus_channel *ch = open_echo(f, 8192);
    vmbus_chan_close(ch);
    assert_int_equal(vmbus_unregister_driver(f->lb.vb, &drv), 0);
    assert_int_equal(vmbus_server_rescind(f->lb.srv, f->sch), 0);
    lb_pump(&f->lb);
    vmbus_poll(f->lb.vb);
    assert_int_equal(removes, 0);
    lb_pump(&f->lb);
    assert_null(vmbus_find_channel(f->lb.vb, &class_echo));
}

static void test_rescind_during_open(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = connect_echo(f);
    uint32_t relid = vmbus_chan_relid(ch);

    f->echo.rescind_in_open = true;
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL),
                     -ENODEV);
    assert_true(vmbus_chan_rescinded(ch));
    vmbus_poll(f->lb.vb);
    lb_pump(&f->lb);
    assert_null(vmbus_server_channel(f->lb.srv, relid));
    assert_int_equal(f->lb.pages_allocated, 3);
    /* A new device may reuse the relid. */
    {
        struct echo_vsp e2 = {0};
        struct vmbus_server_device d = echo_vsp_device(&e2, class_echo, 2);
        assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, NULL), 0);
        lb_pump(&f->lb);
        vmbus_poll(f->lb.vb);
        ch = vmbus_find_channel(f->lb.vb, &class_echo);
        assert_non_null(ch);
        assert_int_equal(vmbus_chan_relid(ch), relid);
        assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL),
                         0);
    }
}

static void test_unload(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 8192);

    assert_int_equal(vmbus_disconnect(f->lb.vb), 0);
    assert_false(vmbus_server_connected(f->lb.srv));
    assert_int_equal(f->echo.closes, 1);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "x", 1),
                     -ENOTCONN);
    assert_int_equal(vmbus_disconnect(f->lb.vb), -ENOTCONN);
    /* A new connection starts from fresh offers. */
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    ch = vmbus_find_channel(f->lb.vb, &class_echo);
    assert_non_null(ch);
    assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL), 0);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "x", 1),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 1);
}

static void test_host_silent_times_out(void **state)
{
    struct fixture *f = *state;

    f->lb.drop_to_guest = true;
    assert_int_equal(vmbus_connect(f->lb.vb, 0), -ETIMEDOUT);
    f->lb.drop_to_guest = false;
    f->lb.refuse_posts = true;
    assert_int_equal(vmbus_connect(f->lb.vb, 0), -ETIMEDOUT);
}

/* ---- malformed messages ---- */

static void test_malformed_to_guest(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, 8192);
    struct vmbus_msg_offer o;
    struct vmbus_msg_open_result orr;
    struct vmbus_msg_gpadl_created gc;
    struct vmbus_msg_relid rs;
    struct hv_message big;
    uint8_t junk[240];
    unsigned logs = f->lb.logs;
    size_t i;

    memset(&o, 0, sizeof(o));
    o.hdr.msgtype = VMBUS_MSG_OFFER_CHANNEL;
    o.child_relid = 77;
    lb_inject_to_guest(&f->lb, &o, 190); /* short for 5.x */
    o.child_relid = 0;
    lb_inject_to_guest(&f->lb, &o, sizeof(o));
    o.child_relid = 5000;
    lb_inject_to_guest(&f->lb, &o, sizeof(o));
    o.child_relid = vmbus_chan_relid(ch); /* duplicate */
    lb_inject_to_guest(&f->lb, &o, sizeof(o));
    assert_null(vmbus_channel_at(f->lb.vb, 1));

    memset(&orr, 0, sizeof(orr));
    orr.hdr.msgtype = VMBUS_MSG_OPEN_CHANNEL_RESULT;
    orr.child_relid = vmbus_chan_relid(ch);
    lb_inject_to_guest(&f->lb, &orr, sizeof(orr));
    memset(&gc, 0, sizeof(gc));
    gc.hdr.msgtype = VMBUS_MSG_GPADL_CREATED;
    gc.gpadl = 0x1234;
    lb_inject_to_guest(&f->lb, &gc, sizeof(gc));
    gc.hdr.msgtype = VMBUS_MSG_GPADL_TORNDOWN;
    lb_inject_to_guest(&f->lb, &gc, 12);
    memset(&rs, 0, sizeof(rs));
    rs.hdr.msgtype = VMBUS_MSG_RESCIND_CHANNEL_OFFER;
    rs.child_relid = 999;
    lb_inject_to_guest(&f->lb, &rs, sizeof(rs));
    rs.hdr.msgtype = VMBUS_MSG_VERSION_RESPONSE;
    memset(junk, 0, sizeof(junk));
    memcpy(junk, &rs, sizeof(rs));
    lb_inject_to_guest(&f->lb, junk, 16);
    rs.hdr.msgtype = 99;
    lb_inject_to_guest(&f->lb, &rs, sizeof(rs));
    rs.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT; /* wrong direction */
    lb_inject_to_guest(&f->lb, &rs, sizeof(rs));
    for (i = 0; i < VMBUS_MSG_COUNT + 2; i++) {
        memset(junk, 0xFF, sizeof(junk));
        memcpy(junk, &i, 4);
        lb_inject_to_guest(&f->lb, junk, 9);
    }
    memset(&big, 0, sizeof(big));
    big.message_type = HV_MESSAGE_TYPE_VMBUS;
    big.payload_size = 250;
    vmbus_on_message(f->lb.vb, &big);
    big.message_type = HV_MESSAGE_TIMER_EXPIRED;
    vmbus_on_message(f->lb.vb, &big);
    assert_true(f->lb.logs > logs + 10);

    /* Still fully working. */
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 5, "ok", 2),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->echo.packets, 1);
}

static void test_hostile_ring_from_host(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, HV_PAGE_SIZE);
    struct vmbus_pkt_info info;
    struct vmbus_ring_ctrl *in_ctrl;
    struct vmbus_pkt_desc *d;
    uint8_t *in_data, buf[64];
    uint32_t w;

    /* Pages: 1 interrupt, 2-3 monitor, 4-5 send ring, 6-7 receive ring. */
    in_ctrl = (struct vmbus_ring_ctrl *)(f->lb.mem + 6 * HV_PAGE_SIZE);
    in_data = f->lb.mem + 7 * HV_PAGE_SIZE;
    assert_int_equal(in_ctrl->feature_bits, VMBUS_RING_FEATURE_PENDING_SEND_SZ);

    w = in_ctrl->write_index;
    in_ctrl->write_index = 4097;
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EIO);
    in_ctrl->write_index = 8192;
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EIO);
    in_ctrl->write_index = w;

    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 3, "data", 4),
        0);
    d = (struct vmbus_pkt_desc *)(in_data + w);
    d->len8 = 0xFFFF;
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EBADMSG);
    d->len8 = 3;
    d->offset8 = 1;
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EBADMSG);
    d->offset8 = 4;
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), -EBADMSG);
    d->offset8 = 2;
    assert_int_equal(vmbus_chan_recv(ch, buf, 8, &info), -EMSGSIZE);
    assert_int_equal(info.len, 24);
    assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), 0);
    assert_memory_equal(buf + 16, "data", 4);

    /* A transfer-page packet with its ranges before the payload. */
    {
        struct {
            uint16_t set;
            uint8_t owns, rsvd;
            uint32_t count;
            struct vmbus_xfer_range r;
        } x = {7, 0, 0, 1, {100, 4096}};
        assert_int_equal(
            vmbus_server_chan_send_hdr(f->sch, VMBUS_PKT_DATA_TRANSFER_PAGES, 0,
                                       4, &x, sizeof(x), "nvsp", 4),
            0);
        assert_int_equal(
            vmbus_server_chan_send_hdr(f->sch, 6, 0, 5, &x, 4, NULL, 0),
            -EINVAL);
        assert_int_equal(vmbus_chan_recv(ch, buf, sizeof(buf), &info), 0);
        assert_int_equal(info.type, VMBUS_PKT_DATA_TRANSFER_PAGES);
        assert_int_equal(info.offset, 32);
        assert_memory_equal(buf + 16, &x, sizeof(x));
        assert_memory_equal(buf + info.offset, "nvsp", 4);
    }
}

static void test_hostile_ring_from_guest(void **state)
{
    struct fixture *f = *state;
    struct vmbus_channel *ch = open_echo(f, HV_PAGE_SIZE);
    struct vmbus_ring_ctrl *out_ctrl;
    struct vmbus_pkt_desc *d;
    uint8_t *out_data;
    uint32_t conn = VMBUS_SERVER_CONN_BASE + vmbus_server_chan_relid(f->sch);

    /* Pages: 4 send ring control, 5 its data. */
    out_ctrl = (struct vmbus_ring_ctrl *)(f->lb.mem + 4 * HV_PAGE_SIZE);
    out_data = f->lb.mem + 5 * HV_PAGE_SIZE;
    out_ctrl->write_index = 4100;
    vmbus_server_on_signal_event(f->lb.srv, conn, 0);
    assert_int_equal(f->echo.last_err, -EIO);
    out_ctrl->write_index = 0;
    f->echo.last_err = 0;

    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "abc", 3),
                     0);
    d = (struct vmbus_pkt_desc *)out_data;
    f->lb.nsignals = 0; /* hold the guest's signal: corrupt first */
    d->len8 = 500;
    vmbus_server_on_signal_event(f->lb.srv, conn, 0);
    assert_int_equal(f->echo.last_err, -EBADMSG);
    assert_int_equal(f->echo.packets, 0);
    /* Repaired, the same packet goes through. */
    d->len8 = 3;
    vmbus_server_on_signal_event(f->lb.srv, conn, 0);
    assert_int_equal(f->echo.packets, 1);
}

static void test_malformed_to_host(void **state)
{
    struct fixture *f = *state;
    struct lb *lb = &f->lb;
    uint8_t reply[240], m[240] = {0};
    struct vmbus_msg_gpadl_header gh;
    struct vmbus_msg_open_channel op;
    struct vmbus_msg_open_result orr;
    struct vmbus_msg_gpadl_created gc;
    uint32_t t;
    unsigned logs;

    /* Bad connection ids and sizes are refused at the hypercall. */
    assert_int_equal(vmbus_server_on_post_message(lb->srv, 7, 1, m, 8),
                     HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(vmbus_server_on_post_message(lb->srv, 1, 1, m, 241),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(vmbus_server_on_post_message(lb->srv, 1, 2, m, 8),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(vmbus_server_on_signal_event(lb->srv, 0x9999, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(vmbus_server_on_signal_event(lb->srv, 2, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);

    /* Every type, every short length, before and after connecting. */
    logs = lb->logs;
    for (t = 0; t < VMBUS_MSG_COUNT + 3; t++) {
        uint32_t len;
        for (len = 0; len < 40; len += 3) {
            memset(m, 0xA5, sizeof(m));
            memcpy(m, &t, 4);
            raw_post(lb, 1, m, len, NULL);
        }
    }
    assert_true(lb->logs > logs);
    assert_false(vmbus_server_connected(lb->srv));

    connect_echo(f);
    /* Requests the guest waits on get failure answers. */
    memset(&gh, 0, sizeof(gh));
    gh.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
    gh.child_relid = vmbus_server_chan_relid(f->sch);
    gh.gpadl = 0x4444;
    gh.range_count = 1;
    gh.range_buflen = 8; /* zero pages */
    gh.range.byte_count = 0;
    raw_post(lb, 4, &gh, sizeof(gh), reply);
    memcpy(&gc, reply, sizeof(gc));
    assert_int_equal(gc.hdr.msgtype, VMBUS_MSG_GPADL_CREATED);
    assert_int_equal(gc.gpadl, 0x4444);
    assert_int_not_equal(gc.status, 0);

    gh.range_buflen = 16; /* one PFN announced, none carried; then a body
                             with two */
    gh.range.byte_count = 4096;
    raw_post(lb, 4, &gh, sizeof(gh), reply);
    {
        struct vmbus_msg_gpadl_body b = {.hdr.msgtype = VMBUS_MSG_GPADL_BODY,
                                         .gpadl = 0x4444};
        uint64_t pf[2] = {1, 2};
        memcpy(m, &b, sizeof(b));
        memcpy(m + sizeof(b), pf, sizeof(pf));
        raw_post(lb, 4, m, sizeof(b) + sizeof(pf), reply);
        memcpy(&gc, reply, sizeof(gc));
        assert_int_equal(gc.hdr.msgtype, VMBUS_MSG_GPADL_CREATED);
        assert_int_not_equal(gc.status, 0);
        /* Body for a GPADL nobody announced: dropped. */
        raw_post(lb, 4, m, sizeof(b) + 8, reply);
        assert_int_equal(reply[0], 0);
    }
    /* byte_offset past the page. */
    gh.range_buflen = 16;
    gh.range.byte_offset = 5000;
    memcpy(m, &gh, sizeof(gh));
    memset(m + sizeof(gh), 0, 8);
    m[sizeof(gh)] = 3;
    raw_post(lb, 4, m, sizeof(gh) + 8, reply);
    memcpy(&gc, reply, sizeof(gc));
    assert_int_not_equal(gc.status, 0);

    /* Open of an unknown relid and with an unknown GPADL. */
    memset(&op, 0, sizeof(op));
    op.hdr.msgtype = VMBUS_MSG_OPEN_CHANNEL;
    op.child_relid = 300;
    op.open_id = 9;
    raw_post(lb, 4, &op, 148, reply);
    memcpy(&orr, reply, sizeof(orr));
    assert_int_equal(orr.hdr.msgtype, VMBUS_MSG_OPEN_CHANNEL_RESULT);
    assert_int_equal(orr.open_id, 9);
    assert_int_not_equal(orr.status, 0);
    op.child_relid = vmbus_server_chan_relid(f->sch);
    op.ring_gpadl = 0x7777;
    raw_post(lb, 4, &op, 148, reply);
    memcpy(&orr, reply, sizeof(orr));
    assert_int_not_equal(orr.status, 0);
    assert_false(vmbus_server_chan_is_open(f->sch));

    /* Still works. */
    {
        struct vmbus_channel *ch = vmbus_find_channel(lb->vb, &class_echo);
        assert_int_equal(vmbus_chan_open(ch, 8192, 8192, NULL, 0, NULL, NULL),
                         0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiation_matrix),
        cmocka_unit_test(test_old_versions_raw),
        cmocka_unit_test_setup_teardown(test_ws2008_interrupt_page, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_offers_and_drivers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gpadl_sizes, setup, teardown),
        cmocka_unit_test(test_gpadl_limits),
        cmocka_unit_test_setup_teardown(test_open_send_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching_signals_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gpa_put_flush_signals_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_host_mask_polls_ring, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guest_mask_holds_interrupts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_coalescing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_poll_survives_unmask_in_callback,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_wraparound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_ring_pending_send_sz, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gpa_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescind_open_channel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rescind_after_unregister, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rescind_during_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_silent_times_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_to_guest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ring_from_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ring_from_guest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_to_host, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
