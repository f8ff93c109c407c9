/*
 * Guest VMBus client: connection, message dispatch, offers, rescinds and
 * driver binding.  Channel data paths live in vmbus/channel.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/guid.h"
#include "common/vmbus_msg.h"
#include "vmbus/vmbus_internal.h"

#define VMBUS_POST_RETRY_NS 100000u /* after HV_STATUS_INSUFFICIENT_BUFFERS */

/* Versions we speak, newest first. */
static const uint32_t versions[] = {
    VMBUS_VERSION_COPPER,     VMBUS_VERSION_WIN10_V5_3,
    VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1,
    VMBUS_VERSION_WIN10_V5,   VMBUS_VERSION_WIN10_RS3_0,
    VMBUS_VERSION_WIN10,      VMBUS_VERSION_WIN8_1,
};

void vmbus_logf(struct vmbus *vb, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    /* A misbehaving host must not flood the console. */
    if (!vb->plat.log || vb->log_budget == 0)
        return;
    if (--vb->log_budget == 0) {
        vb->plat.log(vb->plat.ctx, "vmbus: log budget spent");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    vb->plat.log(vb->plat.ctx, line);
}

struct vmbus *vmbus_create(const struct vmbus_platform *plat)
{
    struct vmbus *vb = calloc(1, sizeof(*vb));

    if (!vb)
        return NULL;
    vb->plat = *plat;
    vb->timeout_ns = VMBUS_DEFAULT_TIMEOUT_NS;
    vb->log_budget = 256;
    vb->next_gpadl = 0xE1E0;
    vb->next_open_id = 1;
    return vb;
}

void vmbus_destroy(struct vmbus *vb)
{
    size_t i;

    if (!vb)
        return;
    for (i = 0; i <= VMBUS_MAX_RELID; i++)
        if (vb->chans[i])
            vmbus_chan_free(vb->chans[i]);
    if (vb->int_page)
        vb->plat.free_pages(vb->plat.ctx, vb->int_page, 1);
    if (vb->monitor_pages)
        vb->plat.free_pages(vb->plat.ctx, vb->monitor_pages, 2);
    free(vb);
}

void vmbus_set_timeout(struct vmbus *vb, uint64_t ns)
{
    vb->timeout_ns = ns;
}

uint32_t vmbus_version(const struct vmbus *vb)
{
    return vb->connected ? vb->version : 0;
}

uint32_t vmbus_msg_conn_id(const struct vmbus *vb)
{
    return vb->msg_conn_id;
}

/* Posts to `conn`, retrying while the host's queue is full. */
static int post_to(struct vmbus *vb, uint32_t conn, const void *msg,
                   uint32_t len)
{
    uint64_t deadline = vb->plat.now_ns(vb->plat.ctx) + vb->timeout_ns;

    for (;;) {
        int rc = vb->plat.post_message(vb->plat.ctx, conn,
                                       HV_MESSAGE_TYPE_VMBUS, msg, len);
        uint64_t now;

        if (rc != -EAGAIN)
            return rc == 0 ? 0 : -EIO;
        now = vb->plat.now_ns(vb->plat.ctx);
        if (now >= deadline)
            return -ETIMEDOUT;
        /* No interrupt announces that the host's queue drained: retry
         * soon rather than sleeping until the deadline. */
        vb->plat.wait(vb->plat.ctx, now + VMBUS_POST_RETRY_NS < deadline
                                        ? now + VMBUS_POST_RETRY_NS
                                        : deadline);
    }
}

int vmbus_post(struct vmbus *vb, const void *msg, uint32_t len)
{
    return post_to(vb, vb->msg_conn_id, msg, len);
}

int vmbus_wait_flag(struct vmbus *vb, const bool *flag)
{
    uint64_t deadline = vb->plat.now_ns(vb->plat.ctx) + vb->timeout_ns;

    while (!*flag) {
        if (vb->plat.now_ns(vb->plat.ctx) >= deadline)
            return -ETIMEDOUT;
        vb->plat.wait(vb->plat.ctx, deadline);
    }
    return 0;
}

static void release_channel(struct vmbus *vb, struct vmbus_channel *ch);

static int post_hdr(struct vmbus *vb, uint32_t type)
{
    struct vmbus_msg_hdr h = {.msgtype = type};
    return vmbus_post(vb, &h, sizeof(h));
}

/* Names this client in 6.0 InitiateContact messages. */
static const struct vmbus_guid enlight_client_id =
    VMBUS_GUID_INIT(0x8f1c2e4a, 0x6b3d, 0x4e57, 0x9a10, 0x5e4c1a7b2d39ull);

static int try_version(struct vmbus *vb, uint32_t version)
{
    struct vmbus_msg_initiate_contact m;
    uint32_t conn, len = VMBUS_MSG_INITIATE_CONTACT_SIZE;
    int rc;

    memset(&m, 0, sizeof(m));
    m.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    m.version_requested = version;
    m.target_vp = 0;
    if (version >= VMBUS_VERSION_WIN10_V5) {
        m.interrupt_page_or_sint = VMBUS_CONTACT_SINT(VMBUS_MESSAGE_SINT, 0);
        conn = VMBUS_CONNID_MESSAGE_4;
    } else {
        m.interrupt_page_or_sint =
            vb->plat.virt_to_phys(vb->plat.ctx, vb->int_page);
        conn = VMBUS_CONNID_MESSAGE;
    }
    m.monitor_page1 = vb->plat.virt_to_phys(vb->plat.ctx, vb->monitor_pages);
    m.monitor_page2 = m.monitor_page1 + HV_PAGE_SIZE;
    if (version >= VMBUS_VERSION_COPPER) {
        /* No optional features requested: feature_flags stay 0. */
        m.client_id = enlight_client_id;
        len = VMBUS_MSG_INITIATE_CONTACT_SIZE_COPPER;
    }

    vb->vresp_done = false;
    vb->version = version; /* sizes the answer's validation */
    rc = post_to(vb, conn, &m, len);
    if (rc < 0)
        return rc;
    rc = vmbus_wait_flag(vb, &vb->vresp_done);
    if (rc < 0)
        return rc;
    if (!vb->vresp.version_supported)
        return -ENOTSUP;
    if (version >= VMBUS_VERSION_COPPER &&
        vb->vresp_len < VMBUS_MSG_VERSION_RESPONSE_SIZE_COPPER) {
        vmbus_logf(vb, "vmbus: 6.0 accepted with a %u-byte response",
                   vb->vresp_len);
        return -ENOTSUP;
    }
    if (vb->vresp.connection_state != 0) {
        vmbus_logf(vb, "vmbus: version %u.%u accepted, state %u", version >> 16,
                   version & 0xFFFF, vb->vresp.connection_state);
        return -ECONNREFUSED;
    }
    vb->msg_conn_id = conn;
    if (version >= VMBUS_VERSION_WIN10_V5) {
        if (vb->vresp.msg_conn_id != 0)
            vb->msg_conn_id = vb->vresp.msg_conn_id;
        else
            vmbus_logf(vb, "vmbus: host gave message connection 0; "
                           "keeping 4");
    }
    return 0;
}

static void probe_channel(struct vmbus *vb, struct vmbus_channel *ch)
{
    size_t i;

    ch->probed = true;
    /* Sub-channels belong to the driver of their primary, which asked the
     * device for them; they are found through vmbus_channel_at(). */
    if (ch->offer.sub_channel_index != 0)
        return;
    for (i = 0; i < vb->ndrivers; i++) {
        const struct vmbus_driver *d = vb->drivers[i];
        if (!guid_equal(&d->class_id, &ch->offer.interface_type))
            continue;
        if (d->probe(ch, d->ctx) == 0) {
            ch->drv = d;
            return;
        }
        vmbus_logf(vb, "vmbus: %s declined relid %u", d->name, ch->relid);
    }
}

int vmbus_connect(struct vmbus *vb, uint32_t max_version)
{
    size_t i;
    int rc = -ENOTSUP;

    if (vb->connected)
        return -EALREADY;
    /* Channels of an earlier connection are gone on the host side. */
    for (i = 1; i <= VMBUS_MAX_RELID; i++)
        if (vb->chans[i])
            release_channel(vb, vb->chans[i]);
    if (!vb->int_page)
        vb->int_page = vb->plat.alloc_pages(vb->plat.ctx, 1);
    if (!vb->monitor_pages)
        vb->monitor_pages = vb->plat.alloc_pages(vb->plat.ctx, 2);
    if (!vb->int_page || !vb->monitor_pages)
        return -ENOMEM;
    if (max_version == 0)
        max_version = versions[0];

    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        if (versions[i] > max_version)
            continue;
        rc = try_version(vb, versions[i]);
        if (rc != -ENOTSUP)
            break;
    }
    if (rc < 0) {
        vb->version = 0;
        vmbus_logf(vb, "vmbus: no version agreed (%d)", rc);
        return rc;
    }
    vb->connected = true;
    vmbus_logf(vb, "vmbus: version %u.%u, message connection %u",
               vb->version >> 16, vb->version & 0xFFFF, vb->msg_conn_id);

    vb->offers_done = false;
    rc = post_hdr(vb, VMBUS_MSG_REQUEST_OFFERS);
    if (rc == 0)
        rc = vmbus_wait_flag(vb, &vb->offers_done);
    if (rc < 0) {
        vb->connected = false;
        return rc;
    }
    vmbus_poll(vb);
    return 0;
}

int vmbus_disconnect(struct vmbus *vb)
{
    size_t i;
    int rc;

    if (!vb->connected)
        return -ENOTCONN;
    vb->unload_done = false;
    rc = post_hdr(vb, VMBUS_MSG_UNLOAD);
    if (rc == 0)
        rc = vmbus_wait_flag(vb, &vb->unload_done);
    vb->connected = false;
    /* Unload releases everything on the host side: drop our state without
     * further messages, keep the structs for drivers still holding them. */
    for (i = 0; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (ch) {
            ch->state = CHAN_DEAD;
            ch->ring_gpadl = 0;
        }
    }
    return rc;
}

int vmbus_register_driver(struct vmbus *vb, const struct vmbus_driver *drv)
{
    if (!drv || !drv->probe)
        return -EINVAL;
    if (vb->ndrivers >= VMBUS_MAX_DRIVERS)
        return -ENOSPC;
    vb->drivers[vb->ndrivers++] = drv;
    return 0;
}

int vmbus_unregister_driver(struct vmbus *vb, const struct vmbus_driver *drv)
{
    size_t i;

    for (i = 0; i < vb->ndrivers; i++) {
        if (vb->drivers[i] == drv) {
            memmove(&vb->drivers[i], &vb->drivers[i + 1],
                    (vb->ndrivers - i - 1) * sizeof(vb->drivers[0]));
            vb->ndrivers--;
            /* Its channels forget it: a later rescind must not call a
             * driver that may be freed by now. */
            for (size_t r = 1; r <= VMBUS_MAX_RELID; r++)
                if (vb->chans[r] && vb->chans[r]->drv == drv)
                    vb->chans[r]->drv = NULL;
            return 0;
        }
    }
    return -ENOENT;
}

static void release_channel(struct vmbus *vb, struct vmbus_channel *ch)
{
    struct vmbus_msg_relid m;
    const struct vmbus_driver *drv = ch->drv;

    /* A sub-channel belongs to its primary's driver once that opened it
     * (rings still held, also after Unload); one it never opened is no
     * business of the driver's, whatever a host offers and rescinds. */
    if (ch->primary && (ch->state == CHAN_OPEN || ch->state == CHAN_OPENING ||
                        (ch->state == CHAN_DEAD && ch->ring_mem)))
        drv = ch->primary->drv;
    if (drv && drv->remove)
        drv->remove(ch, drv->ctx);
    vmbus_chan_close(ch);
    if (vb->connected) {
        memset(&m, 0, sizeof(m));
        m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
        m.child_relid = ch->relid;
        if (vmbus_post(vb, &m, sizeof(m)) < 0)
            vmbus_logf(vb, "vmbus: RelIdReleased %u not sent", ch->relid);
    }
    vb->chans[ch->relid] = NULL;
    for (size_t i = 1; i <= VMBUS_MAX_RELID; i++)
        if (vb->chans[i] && vb->chans[i]->primary == ch)
            vb->chans[i]->primary = NULL;
    vmbus_chan_free(ch);
}

void vmbus_poll(struct vmbus *vb)
{
    size_t i;

    if (!vb->connected || !vb->poll_work)
        return;
    vb->poll_work = false;
    for (i = 1; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (!ch)
            continue;
        if (ch->rescinded)
            release_channel(vb, ch);
        else if (!ch->probed)
            probe_channel(vb, ch);
    }
}

struct vmbus_channel *vmbus_channel_at(struct vmbus *vb, size_t n)
{
    size_t i;

    for (i = 1; i <= VMBUS_MAX_RELID; i++)
        if (vb->chans[i] && n-- == 0)
            return vb->chans[i];
    return NULL;
}

struct vmbus_channel *vmbus_find_channel(struct vmbus *vb,
                                         const struct vmbus_guid *class_id)
{
    size_t i;

    for (i = 1; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (ch && !ch->rescinded && ch->offer.sub_channel_index == 0 &&
            guid_equal(&ch->offer.interface_type, class_id))
            return ch;
    }
    return NULL;
}

uint16_t vmbus_chan_sub_index(const struct vmbus_channel *ch)
{
    return ch->offer.sub_channel_index;
}

struct vmbus_channel *vmbus_chan_primary(struct vmbus_channel *ch)
{
    return ch->offer.sub_channel_index ? ch->primary : ch;
}

size_t vmbus_chan_subchannels(struct vmbus_channel *primary,
                              struct vmbus_channel **out, size_t max)
{
    struct vmbus *vb = primary->vb;
    size_t i, k, n = 0;

    if (primary->offer.sub_channel_index != 0)
        return 0;
    for (i = 1; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (!ch || ch->primary != primary || ch->rescinded)
            continue;
        /* Insertion by sub_channel_index, keeping the max lowest: a host
         * may offer more sub-channels than out has room for. */
        k = n++;
        if (k >= max) {
            if (max == 0 || out[max - 1]->offer.sub_channel_index <=
                                ch->offer.sub_channel_index)
                continue;
            k = max - 1; /* the highest kept so far drops out */
        }
        for (; k > 0 && out[k - 1]->offer.sub_channel_index >
                            ch->offer.sub_channel_index;
             k--)
            out[k] = out[k - 1];
        out[k] = ch;
    }
    return n;
}

int vmbus_chan_wait_subchannels(struct vmbus_channel *primary, size_t n,
                                struct vmbus_channel **out)
{
    struct vmbus *vb = primary->vb;
    uint64_t deadline = vb->plat.now_ns(vb->plat.ctx) + vb->timeout_ns;

    if (primary->offer.sub_channel_index != 0)
        return -EINVAL;
    for (;;) {
        size_t got = vmbus_chan_subchannels(primary, out, n);
        if (got >= n)
            return (int)n;
        if (primary->rescinded || !vb->connected)
            return -ENODEV;
        if (vb->plat.now_ns(vb->plat.ctx) >= deadline)
            return got ? (int)got : -ETIMEDOUT;
        vb->plat.wait(vb->plat.ctx, deadline);
    }
}

/* ---- host -> guest messages ---- */

/* The live primary a sub-channel offer belongs to (same class and
 * instance), or NULL; an index the primary already has is refused. */
static struct vmbus_channel *find_primary(struct vmbus *vb,
                                          const struct vmbus_msg_offer *o)
{
    struct vmbus_channel *p = NULL;
    size_t i;

    for (i = 1; i <= VMBUS_MAX_RELID && !p; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (ch && ch->offer.sub_channel_index == 0 && !ch->rescinded &&
            guid_equal(&ch->offer.interface_type, &o->interface_type) &&
            guid_equal(&ch->offer.interface_instance, &o->interface_instance))
            p = ch;
    }
    if (!p) {
        vmbus_logf(vb, "vmbus: sub-channel %u (relid %u) has no primary",
                   o->sub_channel_index, o->child_relid);
        return NULL;
    }
    for (i = 1; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_channel *ch = vb->chans[i];
        if (ch && ch->primary == p && !ch->rescinded &&
            ch->offer.sub_channel_index == o->sub_channel_index) {
            vmbus_logf(vb, "vmbus: sub-channel index %u offered twice",
                       o->sub_channel_index);
            return NULL;
        }
    }
    return p;
}

static void on_offer(struct vmbus *vb, const void *buf, uint32_t len)
{
    struct vmbus_msg_offer o;
    struct vmbus_channel *ch;

    memset(&o, 0, sizeof(o));
    memcpy(&o, buf, len < sizeof(o) ? len : sizeof(o));
    if (o.child_relid == 0 || o.child_relid > VMBUS_MAX_RELID) {
        vmbus_logf(vb, "vmbus: offer with relid %u dropped", o.child_relid);
        return;
    }
    if (vb->chans[o.child_relid]) {
        vmbus_logf(vb, "vmbus: duplicate offer for relid %u dropped",
                   o.child_relid);
        return;
    }
    ch = calloc(1, sizeof(*ch));
    if (!ch) {
        vmbus_logf(vb, "vmbus: no memory for relid %u", o.child_relid);
        return;
    }
    ch->vb = vb;
    ch->offer = o;
    ch->relid = o.child_relid;
    ch->sig_conn_id =
        len >= VMBUS_MSG_OFFER_SIZE ? o.connection_id : VMBUS_CONNID_EVENT;
    ch->state = CHAN_OFFERED;
    if (o.sub_channel_index != 0)
        ch->primary = find_primary(vb, &o);
    vb->chans[ch->relid] = ch;
    vb->poll_work = true;
}

static void on_rescind(struct vmbus *vb, const void *buf, uint32_t len)
{
    struct vmbus_msg_relid m;
    struct vmbus_channel *ch;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    if (m.child_relid == 0 || m.child_relid > VMBUS_MAX_RELID ||
        !(ch = vb->chans[m.child_relid])) {
        vmbus_logf(vb, "vmbus: rescind of unknown relid %u", m.child_relid);
        return;
    }
    ch->rescinded = true;
    vb->poll_work = true;
    /* The host will not answer requests for a rescinded channel. */
    if (vb->gpadl_wait && vb->gpadl_wait->relid == ch->relid) {
        vb->gpadl_wait->status = VMBUS_STATUS_DEVICE_NOT_READY;
        vb->gpadl_wait->done = true;
    }
    if (vb->teardown_wait && vb->teardown_wait->relid == ch->relid)
        vb->teardown_wait->done = true;
    if (ch->state == CHAN_OPENING) {
        ch->open_status = VMBUS_STATUS_DEVICE_NOT_READY;
        ch->open_done = true;
    }
}

static void on_gpadl_created(struct vmbus *vb, const void *buf, uint32_t len)
{
    struct vmbus_msg_gpadl_created m;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    if (!vb->gpadl_wait || vb->gpadl_wait->key != m.gpadl ||
        vb->gpadl_wait->done) {
        vmbus_logf(vb, "vmbus: unexpected GpadlCreated %#x", m.gpadl);
        return;
    }
    vb->gpadl_wait->status = m.status;
    vb->gpadl_wait->done = true;
}

static void on_gpadl_torndown(struct vmbus *vb, const void *buf, uint32_t len)
{
    struct vmbus_msg_gpadl_torndown m;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    if (!vb->teardown_wait || vb->teardown_wait->key != m.gpadl ||
        vb->teardown_wait->done) {
        vmbus_logf(vb, "vmbus: unexpected GpadlTorndown %#x", m.gpadl);
        return;
    }
    vb->teardown_wait->done = true;
}

static void on_version_response(struct vmbus *vb, const void *buf, uint32_t len)
{
    (void)len;
    if (vb->connected || vb->vresp_done) {
        vmbus_logf(vb, "vmbus: unexpected VersionResponse");
        return;
    }
    memset(&vb->vresp, 0, sizeof(vb->vresp));
    memcpy(&vb->vresp, buf, len < sizeof(vb->vresp) ? len : sizeof(vb->vresp));
    vb->vresp_len = len;
    vb->vresp_done = true;
}

static void on_open_result(struct vmbus *vb, const void *buf, uint32_t len)
{
    struct vmbus_msg_open_result m;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    vmbus_chan_on_open_result(vb, &m);
}

static void on_all_offers(struct vmbus *vb, const void *buf, uint32_t len)
{
    (void)buf;
    (void)len;
    vb->offers_done = true;
}

static void on_unload_complete(struct vmbus *vb, const void *buf, uint32_t len)
{
    (void)buf;
    (void)len;
    vb->unload_done = true;
}

typedef void (*msg_handler)(struct vmbus *vb, const void *buf, uint32_t len);

/* Messages the client handles; sizes are checked by vmbus_msg_check(). */
static const msg_handler handlers[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_OFFER_CHANNEL] = on_offer,
    [VMBUS_MSG_RESCIND_CHANNEL_OFFER] = on_rescind,
    [VMBUS_MSG_ALL_OFFERS_DELIVERED] = on_all_offers,
    [VMBUS_MSG_OPEN_CHANNEL_RESULT] = on_open_result,
    [VMBUS_MSG_GPADL_CREATED] = on_gpadl_created,
    [VMBUS_MSG_GPADL_TORNDOWN] = on_gpadl_torndown,
    [VMBUS_MSG_VERSION_RESPONSE] = on_version_response,
    [VMBUS_MSG_UNLOAD_COMPLETE] = on_unload_complete,
};

void vmbus_on_message(struct vmbus *vb, const struct hv_message *msg)
{
    uint64_t buf[VMBUS_MSG_MAX_BYTES / 8];
    uint32_t len, type;
    int rc;

    if (msg->message_type != HV_MESSAGE_TYPE_VMBUS) {
        vmbus_logf(vb, "vmbus: message type %#x ignored", msg->message_type);
        return;
    }
    len = msg->payload_size;
    if (len > VMBUS_MSG_MAX_BYTES) {
        vmbus_logf(vb, "vmbus: message of %u bytes dropped", len);
        return;
    }
    memcpy(buf, msg->payload, len);
    rc = vmbus_msg_check(buf, len, VMBUS_DIR_TO_GUEST, vb->version, &type);
    if (rc < 0) {
        vmbus_logf(vb, "vmbus: bad message type %u (%s) len %u: %d", type,
                   vmbus_msg_name(type), len, rc);
        return;
    }
    if (!handlers[type]) {
        vmbus_logf(vb, "vmbus: %s ignored", vmbus_msg_name(type));
        return;
    }
    handlers[type](vb, buf, len);
}

void vmbus_on_events(struct vmbus *vb, uint64_t *flags, size_t nwords)
{
    size_t w;

    if (nwords > (VMBUS_MAX_RELID + 1) / 64)
        nwords = (VMBUS_MAX_RELID + 1) / 64;
    for (w = 0; w < nwords; w++) {
        uint64_t bits;

        if (__atomic_load_n(&flags[w], __ATOMIC_RELAXED) == 0)
            continue;
        bits = __atomic_exchange_n(&flags[w], 0, __ATOMIC_ACQ_REL);
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            struct vmbus_channel *ch = vb->chans[w * 64 + b];

            bits &= bits - 1;
            if (ch && ch->state == CHAN_OPEN && ch->cb)
                ch->cb(ch, ch->cb_ctx);
        }
    }
}
