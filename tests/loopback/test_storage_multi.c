/*
 * Loopback tests of storage sub-channels: storvsc asking storvsp for
 * sub-channels and spreading commands over them, each reply on the channel
 * of its request; CREATE_SUB_CHANNELS sent by hand at the right and the
 * wrong steps of the handshake, malformed, too large, twice, on a
 * sub-channel; the VMBus offers that follow (class, instance, index,
 * relid, connection id); rescinds of a sub-channel and of the primary
 * with its sub-channels; a new connection after Unload.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/guid.h"
#include "proto/scsi.h"
#include "proto/vstor.h"
#include "root/vsp/storvsp/storvsp.h"
#include "tests/loopback/held_disk.h"
#include "tests/loopback/shim.h"
#include "vsc/storvsc/storvsc.h"

#define GUEST_PAGES 8192u   /* 32 MiB of loopback guest memory */
#define DISK_SECTORS 16384u /* 8 MiB */
#define TIMEOUT_NS 2000000000ull
#define NO_REPLY 0xFFFFFFFFu

struct fixture {
    struct lb lb;
    struct held_disk held;
    struct storvsp *vsp;
    struct storvsp_mem mem;
    struct storvsc *vsc;
    /* raw client: packets received on any channel */
    struct vmbus_channel *ch;
    struct {
        struct vmbus_channel *ch;
        uint64_t id;
        uint16_t type;
        uint32_t len;
        struct vstor_packet p;
    } got[64];
    unsigned ngot;
    uint64_t next_id;
};

static struct fixture *make_host(int32_t max_subs, uint16_t max_version)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    f->mem.sectors = DISK_SECTORS;
    f->mem.data = calloc(DISK_SECTORS, 512);
    assert_non_null(f->mem.data);
    struct storvsp_config sc = {.max_subchannels = max_subs,
                                .max_version = max_version};
    f->vsp = storvsp_create(f->lb.srv, &sc);
    assert_non_null(f->vsp);
    f->held.mem = &f->mem;
    assert_int_equal(
        storvsp_add_disk(f->vsp, 0, &held_disk_ops, &f->held, "MULTI0"), 0);
    f->next_id = 100;
    return f;
}

/* storvsc asking for `subs` (its config value) from a host allowing
 * max_subs, started. */
static struct fixture *make_vsc(int32_t max_subs, uint32_t subs)
{
    struct fixture *f = make_host(max_subs, 0);
    struct storvsc_config c;
    memset(&c, 0, sizeof(c));
    c.plat = lb_guest_platform(&f->lb);
    c.timeout_ns = TIMEOUT_NS;
    c.bounce = true;
    c.subchannels = subs;
    f->vsc = storvsc_create(f->lb.vb, &c);
    assert_non_null(f->vsc);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    assert_int_equal(storvsc_start(f->vsc), 0);
    return f;
}

static void destroy(struct fixture *f)
{
    if (f->vsc)
        storvsc_destroy(f->vsc);
    if (f->ch)
        vmbus_chan_close(f->ch);
    lb_pump(&f->lb);
    if (f->vsp)
        storvsp_destroy(f->vsp);
    lb_fini(&f->lb);
    free(f->mem.data);
    free(f);
}

/* --- the raw client ------------------------------------------------------ */

static void raw_cb(struct vmbus_channel *ch, void *ctx)
{
    struct fixture *f = ctx;
    uint8_t buf[256];
    struct vmbus_pkt_info info;
    while (vmbus_chan_recv(ch, buf, sizeof(buf), &info) == 0) {
        assert_true(f->ngot < 64);
        uint32_t plen = info.len - info.offset;
        f->got[f->ngot].ch = ch;
        f->got[f->ngot].id = info.trans_id;
        f->got[f->ngot].type = info.type;
        f->got[f->ngot].len = plen;
        memset(&f->got[f->ngot].p, 0, sizeof(struct vstor_packet));
        memcpy(&f->got[f->ngot].p, buf + info.offset,
               plen < sizeof(struct vstor_packet)
                   ? plen
                   : sizeof(struct vstor_packet));
        f->ngot++;
    }
}

/* A host with the SCSI channel opened by the raw client (no storvsc). */
static struct fixture *make_raw(int32_t max_subs, uint16_t max_version)
{
    struct fixture *f = make_host(max_subs, max_version);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    f->ch = vmbus_find_channel(f->lb.vb, &scsi);
    assert_non_null(f->ch);
    assert_int_equal(vmbus_chan_open(f->ch, 16384, 16384, NULL, 0, raw_cb, f),
                     0);
    return f;
}

/*
 * Sends op on ch with payload u (ulen bytes after the 12-byte header; the
 * packet is len bytes, 0 = the 64-byte packet) and returns the status of
 * its reply, which must come on ch, or NO_REPLY.  *out gets the reply.
 */
static uint32_t raw_op(struct fixture *f, struct vmbus_channel *ch, uint32_t op,
                       const void *u, uint32_t ulen, uint32_t len,
                       struct vstor_packet *out)
{
    struct vstor_packet p;
    memset(&p, 0, sizeof(p));
    p.operation = op;
    p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    if (ulen)
        memcpy(&p.u, u, ulen);
    uint64_t id = f->next_id++;
    f->ngot = 0;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, id,
                                     &p, len ? len : sizeof(p)),
                     0);
    lb_pump(&f->lb);
    for (unsigned i = 0; i < f->ngot; i++) {
        if (f->got[i].id != id)
            continue;
        assert_ptr_equal(f->got[i].ch, ch);
        assert_int_equal(f->got[i].type, VMBUS_PKT_COMPLETION);
        assert_int_equal(f->got[i].p.operation, VSTOR_OP_COMPLETE_IO);
        if (out)
            *out = f->got[i].p;
        return f->got[i].p.status;
    }
    return NO_REPLY;
}

static uint32_t create_subs(struct fixture *f, struct vmbus_channel *ch,
                            uint16_t n)
{
    return raw_op(f, ch, VSTOR_OP_CREATE_SUB_CHANNELS, &n, sizeof(n), 0, NULL);
}

/* BEGIN, QUERY_PROTOCOL_VERSION(v); with props also QUERY_PROPERTIES. */
static void begin(struct fixture *f, uint16_t v, int props,
                  struct vstor_channel_props *out)
{
    struct vstor_packet r;
    assert_int_equal(
        raw_op(f, f->ch, VSTOR_OP_BEGIN_INITIALIZATION, NULL, 0, 0, NULL), 0);
    struct vstor_version ver = {v, 0};
    assert_int_equal(raw_op(f, f->ch, VSTOR_OP_QUERY_PROTOCOL_VERSION, &ver,
                            sizeof(ver), 0, NULL),
                     0);
    if (!props)
        return;
    assert_int_equal(
        raw_op(f, f->ch, VSTOR_OP_QUERY_PROPERTIES, NULL, 0, 0, &r), 0);
    if (out)
        *out = r.u.props;
}

static uint32_t end_init(struct fixture *f)
{
    return raw_op(f, f->ch, VSTOR_OP_END_INITIALIZATION, NULL, 0, 0, NULL);
}

static size_t subs_of(struct fixture *f, struct vmbus_channel **out)
{
    return vmbus_chan_subchannels(f->ch, out, 16);
}

/* --- storvsc against storvsp --------------------------------------------- */

static unsigned done_count;
static void count_done(struct storvsc_cmd *c)
{
    (void)c;
    done_count++;
}

/* Writes then reads back `n` 4 KiB blocks with all commands in flight at
 * once, so they spread over the channels. */
static void io_burst(struct fixture *f, unsigned n, uint8_t seed)
{
    static struct storvsc_cmd cmds[32];
    static uint8_t bufs[32][4096], back[32][4096];
    assert_true(n <= 32);
    for (int pass = 0; pass < 2; pass++) {
        done_count = 0;
        for (unsigned i = 0; i < n; i++) {
            struct storvsc_cmd *c = &cmds[i];
            memset(c, 0, sizeof(*c));
            if (pass == 0)
                memset(bufs[i], (uint8_t)(seed + i), sizeof(bufs[i]));
            c->cdb[0] = pass ? SCSI_READ_10 : SCSI_WRITE_10;
            scsi_put(c->cdb + 2, 4, 8u * i);
            scsi_put(c->cdb + 7, 2, 8);
            c->cdb_len = 10;
            c->dir = pass ? STORVSC_DIR_IN : STORVSC_DIR_OUT;
            c->buf = pass ? back[i] : bufs[i];
            c->len = 4096;
            c->done = count_done;
            assert_int_equal(storvsc_submit(f->vsc, c), 0);
        }
        while (done_count < n)
            storvsc_wait(f->vsc, f->lb.now_ns + 1000000);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(cmds[i].status, 0);
    }
    for (unsigned i = 0; i < n; i++) {
        assert_memory_equal(back[i], bufs[i], 4096);
        assert_memory_equal(f->mem.data + 4096u * i, bufs[i], 4096);
    }
}

static void test_subchannels_created_and_used(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 3);
    assert_int_equal(storvsc_channels(f->vsc), 4);
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 3);
    /* the offers: the primary's class and instance, indexes 1..3, their
     * own relids and connection ids, all open */
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *p = vmbus_find_channel(f->lb.vb, &scsi);
    assert_non_null(p);
    assert_int_equal(vmbus_chan_sub_index(p), 0);
    struct vmbus_channel *subs[8];
    assert_int_equal(vmbus_chan_subchannels(p, subs, 8), 3);
    for (unsigned i = 0; i < 3; i++) {
        const struct vmbus_msg_offer *o = vmbus_chan_offer(subs[i]);
        assert_int_equal(vmbus_chan_sub_index(subs[i]), i + 1);
        assert_ptr_equal(vmbus_chan_primary(subs[i]), p);
        assert_true(guid_equal(vmbus_chan_class(subs[i]), &scsi));
        assert_true(
            guid_equal(vmbus_chan_instance(subs[i]), vmbus_chan_instance(p)));
        assert_int_not_equal(vmbus_chan_relid(subs[i]), vmbus_chan_relid(p));
        assert_int_not_equal(o->connection_id,
                             vmbus_chan_offer(p)->connection_id);
        for (unsigned k = 0; k < i; k++)
            assert_int_not_equal(o->connection_id,
                                 vmbus_chan_offer(subs[k])->connection_id);
        struct vmbus_server_channel *h =
            vmbus_server_channel(f->lb.srv, vmbus_chan_relid(subs[i]));
        assert_non_null(h);
        assert_true(vmbus_server_chan_is_open(h));
        assert_int_equal(vmbus_server_chan_sub_index(h), i + 1);
        assert_int_equal(vmbus_server_chan_relid(vmbus_server_chan_primary(h)),
                         vmbus_chan_relid(p));
    }
    /* commands go over every channel, replies come back right */
    io_burst(f, 32, 0x40);
    const struct storvsc_stats *st = storvsc_get_stats(f->vsc);
    for (unsigned k = 0; k < 4; k++)
        assert_true(st->chan_commands[k] >= 8);
    assert_int_equal(st->bad_replies, 0);
    assert_int_equal(storvsp_get_stats(f->vsp)->bad_packets, 0);
    destroy(f);
}

static void test_subchannel_counts(void **state)
{
    (void)state;
    /* the default: none asked for */
    struct fixture *f = make_vsc(0, 0);
    assert_int_equal(storvsc_channels(f->vsc), 1);
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 0);
    io_burst(f, 8, 1);
    assert_int_equal(storvsc_get_stats(f->vsc)->chan_commands[0], 16);
    destroy(f);
    /* one */
    f = make_vsc(0, 1);
    assert_int_equal(storvsc_channels(f->vsc), 2);
    io_burst(f, 8, 4);
    assert_int_equal(storvsc_get_stats(f->vsc)->chan_commands[1], 8);
    destroy(f);
    /* more than the host's maximum: capped at it */
    f = make_vsc(2, 4);
    assert_int_equal(storvsc_channels(f->vsc), 3);
    io_burst(f, 12, 2);
    destroy(f);
    /* a host without multi-channel */
    f = make_vsc(-1, 4);
    assert_int_equal(storvsc_channels(f->vsc), 1);
    io_burst(f, 4, 3);
    destroy(f);
}

/* --- CREATE_SUB_CHANNELS by hand ----------------------------------------- */

static void test_create_at_wrong_steps(void **state)
{
    (void)state;
    struct fixture *f = make_raw(0, 0);
    struct vmbus_channel *subs[16];
    /* before anything, after BEGIN, after the version: no */
    assert_int_equal(create_subs(f, f->ch, 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    begin(f, VSTOR_VERSION_WIN10, 0, NULL);
    assert_int_equal(create_subs(f, f->ch, 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    struct vstor_channel_props props;
    /* after QUERY_PROPERTIES it is taken; the properties say so */
    begin(f, VSTOR_VERSION_WIN10, 1, &props);
    assert_int_equal(props.max_sub_channels, STORVSP_MAX_SUBCHANNELS);
    assert_int_equal(props.flags & VSTOR_PROP_MULTI_CHANNEL,
                     VSTOR_PROP_MULTI_CHANNEL);
    assert_int_equal(create_subs(f, f->ch, 2), 0);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 2);
    /* twice in one handshake: no, and nothing more is offered */
    assert_int_equal(create_subs(f, f->ch, 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(end_init(f), 0);
    assert_int_equal(create_subs(f, f->ch, 3),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(subs_of(f, subs), 2);
    /* a new handshake may ask again, after END_INITIALIZATION as Linux
     * does; the two that exist count, one more is offered */
    begin(f, VSTOR_VERSION_WIN10, 1, NULL);
    assert_int_equal(end_init(f), 0);
    assert_int_equal(create_subs(f, f->ch, 3), 0);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vmbus_chan_sub_index(subs[i]), i + 1);
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 3);
    /* fewer than exist: fine, nothing changes */
    begin(f, VSTOR_VERSION_WIN10, 1, NULL);
    assert_int_equal(create_subs(f, f->ch, 1), 0);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 3);
    destroy(f);

    /* before VSTOR 5.1 there is no multi-channel at all */
    f = make_raw(0, VSTOR_VERSION_WIN7);
    begin(f, VSTOR_VERSION_WIN7, 1, &props);
    assert_int_equal(props.max_sub_channels, 0);
    assert_int_equal(props.flags & VSTOR_PROP_MULTI_CHANNEL, 0);
    assert_int_equal(create_subs(f, f->ch, 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 0);
    destroy(f);

    /* a host configured without sub-channels refuses them */
    f = make_raw(-1, 0);
    begin(f, VSTOR_VERSION_WIN10, 1, &props);
    assert_int_equal(props.flags, 0);
    assert_int_equal(create_subs(f, f->ch, 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    destroy(f);
}

static void test_create_too_many_and_malformed(void **state)
{
    (void)state;
    struct fixture *f = make_raw(2, 0);
    struct vmbus_channel *subs[16];
    struct vstor_channel_props props;
    begin(f, VSTOR_VERSION_WIN10, 1, &props);
    assert_int_equal(props.max_sub_channels, 2);
    /* more than the maximum, everything the field holds, or none */
    assert_int_equal(create_subs(f, f->ch, 3), VSTOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(create_subs(f, f->ch, 0xFFFF),
                     VSTOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(create_subs(f, f->ch, 0), VSTOR_STATUS_INVALID_PARAMETER);
    uint16_t n = 1;
    /* a packet shorter than the header gets no answer at all */
    assert_int_equal(
        raw_op(f, f->ch, VSTOR_OP_CREATE_SUB_CHANNELS, &n, sizeof(n), 8, NULL),
        NO_REPLY);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 0);
    /* none of that used up the one request: the 14-byte packet works */
    assert_int_equal(
        raw_op(f, f->ch, VSTOR_OP_CREATE_SUB_CHANNELS, &n, sizeof(n), 14, NULL),
        0);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 1);
    /* random bytes as CREATE_SUB_CHANNELS packets, every length */
    uint32_t x = 99;
    for (uint32_t len = 4; len <= 64; len++) {
        uint8_t junk[64];
        for (unsigned k = 0; k < sizeof(junk); k++) {
            x = x * 1103515245u + 12345u;
            junk[k] = (uint8_t)(x >> 16);
        }
        memcpy(junk, &(uint32_t){VSTOR_OP_CREATE_SUB_CHANNELS}, 4);
        f->ngot = 0;
        assert_int_equal(vmbus_chan_send(f->ch, VMBUS_PKT_DATA_INBAND,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                         7000 + len, junk, len),
                         0);
        lb_pump(&f->lb);
    }
    assert_true(subs_of(f, subs) <= 2);
    destroy(f);
}

static void test_subchannel_requests(void **state)
{
    (void)state;
    struct fixture *f = make_raw(0, 0);
    struct vmbus_channel *subs[16];
    begin(f, VSTOR_VERSION_WIN10, 1, NULL);
    assert_int_equal(create_subs(f, f->ch, 2), 0);
    lb_pump(&f->lb);
    assert_int_equal(subs_of(f, subs), 2);
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(
            vmbus_chan_open(subs[i], 16384, 16384, NULL, 0, raw_cb, f), 0);
    /* before END_INITIALIZATION a sub-channel serves nothing */
    uint8_t tur[16] = {SCSI_TEST_UNIT_READY};
    struct vstor_srb srb;
    memset(&srb, 0, sizeof(srb));
    srb.length = VSTOR_SRB_SIZE;
    srb.cdb_length = 6;
    srb.data_in = VSTOR_DATA_UNKNOWN;
    memcpy(srb.u.cdb, tur, 6);
    assert_int_equal(
        raw_op(f, subs[0], VSTOR_OP_EXECUTE_SRB, &srb, sizeof(srb), 0, NULL),
        VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(end_init(f), 0);
    /* then requests are answered on the channel they came on */
    struct vstor_packet r;
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(
            raw_op(f, subs[i], VSTOR_OP_EXECUTE_SRB, &srb, sizeof(srb), 0, &r),
            0);
        assert_int_equal(r.u.srb.srb_status, VSTOR_SRB_STATUS_SUCCESS);
        assert_int_equal(
            raw_op(f, subs[i], VSTOR_OP_RESET_BUS, NULL, 0, 0, NULL), 0);
    }
    /* the handshake belongs to the primary */
    uint64_t bad = storvsp_get_stats(f->vsp)->bad_packets;
    assert_int_equal(create_subs(f, subs[0], 1),
                     VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(
        raw_op(f, subs[1], VSTOR_OP_BEGIN_INITIALIZATION, NULL, 0, 0, NULL),
        VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(
        raw_op(f, subs[1], VSTOR_OP_QUERY_PROPERTIES, NULL, 0, 0, NULL),
        VSTOR_STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(storvsp_get_stats(f->vsp)->bad_packets, bad + 3);
    assert_true(storvsp_get_stats(f->vsp)->ready);
    /* a sub-channel closed: the others keep working */
    vmbus_chan_close(subs[0]);
    lb_pump(&f->lb);
    assert_int_equal(
        raw_op(f, subs[1], VSTOR_OP_EXECUTE_SRB, &srb, sizeof(srb), 0, NULL),
        0);
    assert_int_equal(
        raw_op(f, f->ch, VSTOR_OP_EXECUTE_SRB, &srb, sizeof(srb), 0, NULL), 0);
    vmbus_chan_close(subs[1]);
    destroy(f);
}

/* --- rescinds and reconnection ------------------------------------------- */

static void test_rescind_subchannel(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 2);
    assert_int_equal(storvsc_channels(f->vsc), 3);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *p = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_channel *subs[4];
    assert_int_equal(vmbus_chan_subchannels(p, subs, 4), 2);
    uint32_t relid = vmbus_chan_relid(subs[0]);
    assert_int_equal(
        vmbus_server_rescind(f->lb.srv, vmbus_server_channel(f->lb.srv, relid)),
        0);
    lb_pump(&f->lb);
    vmbus_poll(f->lb.vb);
    lb_pump(&f->lb);
    /* the guest let it go; storvsc carries on with the others */
    assert_null(vmbus_server_channel(f->lb.srv, relid));
    assert_int_equal(storvsc_channels(f->vsc), 2);
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 1);
    io_burst(f, 16, 9);
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 0);
    destroy(f);
}

/* A sub-channel rescinded but not yet released (no vmbus_poll() since):
 * commands pass it by for the other channels instead of failing. */
static void test_rescinded_subchannel_skipped(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 2);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *p = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_channel *subs[4];
    assert_int_equal(vmbus_chan_subchannels(p, subs, 4), 2);
    uint32_t relid = vmbus_chan_relid(subs[0]);
    assert_int_equal(
        vmbus_server_rescind(f->lb.srv, vmbus_server_channel(f->lb.srv, relid)),
        0);
    lb_pump(&f->lb);
    assert_true(vmbus_chan_rescinded(subs[0]));
    assert_int_equal(storvsc_channels(f->vsc), 3); /* not released yet */
    uint64_t before = storvsc_get_stats(f->vsc)->chan_commands[1];
    io_burst(f, 16, 13); /* every command submitted and completed */
    assert_int_equal(storvsc_get_stats(f->vsc)->chan_commands[1], before);
    assert_true(storvsc_get_stats(f->vsc)->chan_commands[2] >= 16);
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 0);
    vmbus_poll(f->lb.vb);
    lb_pump(&f->lb);
    assert_int_equal(storvsc_channels(f->vsc), 2);
    destroy(f);
}

/* A sub-channel rescinded with commands in flight on it: the guest fails
 * them at once; the host drops their late answers, and the commands on
 * the other channels complete as usual. */
static void test_rescind_subchannel_in_flight(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 2);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *p = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_channel *subs[4];
    assert_int_equal(vmbus_chan_subchannels(p, subs, 4), 2);
    static struct storvsc_cmd cmds[6];
    static uint8_t bufs[6][4096];
    f->held.hold = 1;
    done_count = 0;
    for (unsigned i = 0; i < 6; i++) {
        struct storvsc_cmd *c = &cmds[i];
        memset(c, 0, sizeof(*c));
        c->cdb[0] = SCSI_READ_10;
        scsi_put(c->cdb + 2, 4, 8u * i);
        scsi_put(c->cdb + 7, 2, 8);
        c->cdb_len = 10;
        c->dir = STORVSC_DIR_IN;
        c->buf = bufs[i];
        c->len = 4096;
        c->done = count_done;
        assert_int_equal(storvsc_submit(f->vsc, c), 0);
    }
    lb_pump(&f->lb);
    assert_int_equal(f->held.n, 6);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 6);
    uint32_t relid = vmbus_chan_relid(subs[1]);
    assert_int_equal(
        vmbus_server_rescind(f->lb.srv, vmbus_server_channel(f->lb.srv, relid)),
        0);
    lb_pump(&f->lb);
    vmbus_poll(f->lb.vb);
    lb_pump(&f->lb);
    assert_int_equal(storvsc_channels(f->vsc), 2);
    unsigned failed = 0;
    for (unsigned i = 0; i < 6; i++)
        failed += cmds[i].complete && cmds[i].status == -ENODEV;
    assert_int_equal(failed, 2);
    assert_int_equal(done_count, 2);
    held_disk_release(&f->held);
    while (done_count < 6)
        storvsc_wait(f->vsc, f->lb.now_ns + 1000000);
    for (unsigned i = 0; i < 6; i++)
        assert_true(cmds[i].status == 0 || cmds[i].status == -ENODEV);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 0);
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 0);
    io_burst(f, 8, 11);
    destroy(f);
}

static void test_rescind_primary_takes_subchannels(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 3);
    io_burst(f, 8, 5);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *p = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_channel *subs[4];
    assert_int_equal(vmbus_chan_subchannels(p, subs, 4), 3);
    uint32_t relids[4] = {vmbus_chan_relid(p)};
    for (unsigned i = 0; i < 3; i++)
        relids[i + 1] = vmbus_chan_relid(subs[i]);
    /* the controller goes away: every channel is rescinded */
    storvsp_destroy(f->vsp);
    f->vsp = NULL;
    lb_pump(&f->lb);
    assert_true(vmbus_chan_rescinded(p));
    for (unsigned i = 0; i < 3; i++)
        assert_true(vmbus_chan_rescinded(subs[i]));
    vmbus_poll(f->lb.vb);
    lb_pump(&f->lb);
    for (unsigned i = 0; i < 4; i++)
        assert_null(vmbus_server_channel(f->lb.srv, relids[i]));
    assert_null(vmbus_channel_at(f->lb.vb, 0));
    assert_int_equal(storvsc_channels(f->vsc), 0);
    struct storvsc_cmd c;
    memset(&c, 0, sizeof(c));
    c.cdb[0] = SCSI_TEST_UNIT_READY;
    c.cdb_len = 6;
    assert_int_equal(storvsc_submit(f->vsc, &c), -ENOTCONN);
    destroy(f);
}

static void test_unload_drops_subchannels(void **state)
{
    (void)state;
    struct fixture *f = make_vsc(0, 2);
    assert_int_equal(storvsc_channels(f->vsc), 3);
    assert_int_equal(vmbus_disconnect(f->lb.vb), 0);
    lb_pump(&f->lb);
    /* the server dropped the sub-channels with the connection */
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 0);
    unsigned n = 0;
    for (uint32_t r = 1; r <= VMBUS_MAX_RELID; r++)
        n += vmbus_server_channel(f->lb.srv, r) != NULL;
    assert_int_equal(n, 1);
    /* a new connection and handshake make them again */
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    assert_int_equal(storvsc_start(f->vsc), 0);
    assert_int_equal(storvsc_channels(f->vsc), 3);
    assert_int_equal(storvsp_get_stats(f->vsp)->subchannels, 2);
    io_burst(f, 12, 7);
    destroy(f);
}

/* The server's sub-channel API refuses what it cannot do. */
static void test_server_api_limits(void **state)
{
    (void)state;
    struct fixture *f = make_host(0, 0);
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_server_channel *prim = NULL;
    for (uint32_t r = 1; r <= VMBUS_MAX_RELID && !prim; r++) {
        struct vmbus_server_channel *h = vmbus_server_channel(f->lb.srv, r);
        if (h && guid_equal(&vmbus_server_chan_device(h)->class_id, &scsi))
            prim = h;
    }
    assert_non_null(prim);
    /* not offered yet: nothing to add to */
    assert_int_equal(vmbus_server_offer_subchannels(f->lb.srv, prim, 1, NULL),
                     -ENOTCONN);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    assert_int_equal(vmbus_server_offer_subchannels(f->lb.srv, prim, 0, NULL),
                     -EINVAL);
    assert_int_equal(
        vmbus_server_offer_subchannels(f->lb.srv, prim,
                                       VMBUS_SERVER_MAX_SUBCHANNELS + 1, NULL),
        -EINVAL);
    struct vmbus_server_channel *made[2];
    assert_int_equal(vmbus_server_offer_subchannels(f->lb.srv, prim, 2, made),
                     0);
    assert_int_equal(vmbus_server_chan_sub_index(made[1]), 2);
    assert_int_equal(
        vmbus_server_offer_subchannels(f->lb.srv, made[0], 1, NULL), -EINVAL);
    lb_pump(&f->lb);
    vmbus_poll(f->lb.vb);
    struct vmbus_channel *gp = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_channel *subs[4];
    assert_int_equal(vmbus_chan_subchannels(gp, subs, 4), 2);
    /* the guest waits for more that never come: it gets what there is */
    assert_int_equal(vmbus_chan_wait_subchannels(gp, 3, subs), 2);
    assert_int_equal(vmbus_chan_wait_subchannels(subs[0], 1, subs), -EINVAL);
    destroy(f);
}

/* Injects a sub-channel offer made from o (the primary's offer, GUIDs as
 * the caller left them) at index with relid. */
static void offer_sub(struct fixture *f, struct vmbus_msg_offer o,
                      uint16_t index, uint32_t relid)
{
    o.hdr.msgtype = VMBUS_MSG_OFFER_CHANNEL;
    o.sub_channel_index = index;
    o.child_relid = relid;
    o.connection_id = VMBUS_SERVER_CONN_BASE + relid;
    lb_inject_to_guest(&f->lb, &o, sizeof(o));
}

/* A host offering more sub-channels than a caller has room for: the
 * count says how many there are, out holds the lowest indexes and nothing
 * is written past it. */
static void test_guest_more_offers_than_room(void **state)
{
    (void)state;
    struct fixture *f = make_raw(0, 0);
    static const uint16_t index[] = {6, 2, 5, 1, 4, 3};
    for (unsigned i = 0; i < 6; i++)
        offer_sub(f, *vmbus_chan_offer(f->ch), index[i], 1500 + i);
    lb_pump(&f->lb);
    struct vmbus_channel *out[2 + 4];
    for (size_t max = 0; max <= 2; max++) {
        for (unsigned i = 0; i < 6; i++)
            out[i] = (struct vmbus_channel *)&out; /* canary */
        assert_int_equal(vmbus_chan_subchannels(f->ch, out, max), 6);
        for (unsigned i = 0; i < max; i++)
            assert_int_equal(vmbus_chan_sub_index(out[i]), i + 1);
        for (size_t i = max; i < 6; i++)
            assert_ptr_equal(out[i], (struct vmbus_channel *)&out);
    }
    assert_int_equal(vmbus_chan_wait_subchannels(f->ch, 3, out), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(vmbus_chan_sub_index(out[i]), i + 1);
    destroy(f);
}

/* A hostile host's sub-channel offers: one without a primary, an index
 * offered twice; neither is attached to the controller. */
static void test_guest_odd_subchannel_offers(void **state)
{
    (void)state;
    struct fixture *f = make_raw(0, 0);
    struct vmbus_msg_offer o = *vmbus_chan_offer(f->ch);
    offer_sub(f, o, 1, 1500);
    offer_sub(f, o, 1, 1501);
    o.interface_instance.data1 ^= 1;
    offer_sub(f, o, 2, 1502);
    lb_pump(&f->lb);
    struct vmbus_channel *subs[4];
    assert_int_equal(subs_of(f, subs), 1);
    assert_int_equal(vmbus_chan_relid(subs[0]), 1500);
    unsigned orphans = 0;
    for (size_t i = 0; vmbus_channel_at(f->lb.vb, i); i++) {
        struct vmbus_channel *c = vmbus_channel_at(f->lb.vb, i);
        if (vmbus_chan_sub_index(c) && !vmbus_chan_primary(c))
            orphans++;
    }
    assert_int_equal(orphans, 2);
    destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subchannels_created_and_used),
        cmocka_unit_test(test_subchannel_counts),
        cmocka_unit_test(test_create_at_wrong_steps),
        cmocka_unit_test(test_create_too_many_and_malformed),
        cmocka_unit_test(test_subchannel_requests),
        cmocka_unit_test(test_rescind_subchannel),
        cmocka_unit_test(test_rescinded_subchannel_skipped),
        cmocka_unit_test(test_rescind_subchannel_in_flight),
        cmocka_unit_test(test_rescind_primary_takes_subchannels),
        cmocka_unit_test(test_unload_drops_subchannels),
        cmocka_unit_test(test_server_api_limits),
        cmocka_unit_test(test_guest_odd_subchannel_offers),
        cmocka_unit_test(test_guest_more_offers_than_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
