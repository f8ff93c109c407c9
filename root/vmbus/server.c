/*
 * Root VMBus server (see root/vmbus/server.h).
 *
 * Every message is copied out of the hypercall input, checked by
 * vmbus_msg_check() and then dispatched through a table.  Requests the guest
 * waits on (versions, GPADLs, opens, teardowns) are always answered, with a
 * failure status if need be, so a buggy guest fails instead of hanging.
 */
#include "root/vmbus/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/vmbus_msg.h"

enum sch_state {
    SCH_REGISTERED, /* known, not offered to the current connection */
    SCH_OFFERED,
    SCH_OPEN,
    SCH_RESCINDED, /* offer withdrawn, waiting for RelIdReleased */
};

struct vmbus_server_channel {
    struct vmbus_server *srv;
    struct vmbus_server_device dev;
    uint32_t relid;
    uint32_t conn_id;
    enum sch_state state;
    struct ring in;  /* guest -> host: we read */
    struct ring out; /* host -> guest: we write */
    uint32_t ring_gpadl;
    bool signal_pending;
    bool polled; /* inbound ring masked: vmbus_server_poll() reads it */
    struct vmbus_server_channel *poll_next;
    uint64_t poll_pass; /* the vmbus_server_poll() pass that last saw it */
    void *priv;
    uint16_t sub_index; /* 0: a primary channel */
    uint16_t last_sub;  /* primary: highest sub_channel_index handed out */
    struct vmbus_server_channel *primary; /* sub-channel: NULL once freed */
};

struct srv_gpadl {
    struct gpadl_asm a;
    bool complete;
    struct srv_gpadl *next;
};

struct queued_msg {
    uint32_t len;
    uint8_t bytes[VMBUS_MSG_MAX_BYTES];
};

struct vmbus_server {
    struct vmbus_server_platform plat;
    struct vmbus_server_config cfg;
    bool connected;
    bool offers_requested;
    uint32_t version;
    uint32_t sint;
    uint64_t int_page_gpa; /* pre-2.4 interrupt page, 0 if none */
    struct vmbus_server_channel *chans[VMBUS_MAX_RELID + 1];
    struct srv_gpadl *gpadls;
    uint32_t ngpadls;
    struct queued_msg *queue;
    uint32_t qhead, qcount;
    unsigned depth; /* entry points active: defer interrupts */
    /* Channels whose guest must be interrupted, deduplicated by
     * signal_pending; past the array the flags are scanned instead. */
    uint32_t pending[32];
    unsigned npending;
    bool pending_overflow;
    struct vmbus_server_channel *polled; /* channels with polled set */
    uint64_t poll_pass;                  /* vmbus_server_poll() calls */
    unsigned log_budget;  /* lines left, refilled by vmbus_server_reset() */
    uint32_t cur_conn_id; /* connection of the message being handled */
    struct vmbus_server_stats stats;
};

static const uint32_t known_versions[] = {
    VMBUS_VERSION_WS2008,     VMBUS_VERSION_WIN7,
    VMBUS_VERSION_WIN8,       VMBUS_VERSION_WIN8_1,
    VMBUS_VERSION_WIN10,      VMBUS_VERSION_WIN10_RS3_0,
    VMBUS_VERSION_WIN10_V5,   VMBUS_VERSION_WIN10_V5_1,
    VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_3,
    VMBUS_VERSION_COPPER,
};

static void slog(struct vmbus_server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void slog(struct vmbus_server *srv, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    if (!srv->plat.log)
        return;
    /* A guest must not flood the root's console: a budget of lines, then
     * one notice and silence (counted in stats.logs_dropped). */
    if (srv->log_budget == 0) {
        srv->stats.logs_dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    srv->plat.log(srv->plat.ctx, line);
    if (--srv->log_budget == 0)
        srv->plat.log(srv->plat.ctx,
                      "vmbus-server: log budget spent; further lines dropped");
}

/* ---- outbound messages ---- */

static int try_post(struct vmbus_server *srv, const void *msg, uint32_t len)
{
    int rc = srv->plat.post_message(srv->plat.ctx, srv->sint, msg, len);

    if (rc == 0)
        srv->stats.msgs_out++;
    return rc;
}

static void drain_queue(struct vmbus_server *srv)
{
    while (srv->qcount) {
        struct queued_msg *q = &srv->queue[srv->qhead];
        int rc = try_post(srv, q->bytes, q->len);

        if (rc == -EBUSY)
            return;
        if (rc < 0) {
            srv->stats.msgs_dropped++;
            slog(srv, "vmbus-server: %s dropped: %d",
                 vmbus_msg_name(*(const uint32_t *)q->bytes), rc);
        }
        srv->qhead = (srv->qhead + 1) % srv->cfg.queue_len;
        srv->qcount--;
    }
}

/* Sends in order: straight to the slot if nothing is queued. */
static void send_msg(struct vmbus_server *srv, const void *msg, uint32_t len)
{
    struct queued_msg *q;

    if (srv->qcount == 0) {
        int rc = try_post(srv, msg, len);
        if (rc == 0)
            return;
        if (rc != -EBUSY) {
            srv->stats.msgs_dropped++;
            slog(srv, "vmbus-server: %s dropped: %d",
                 vmbus_msg_name(*(const uint32_t *)msg), rc);
            return;
        }
    }
    if (srv->qcount == srv->cfg.queue_len) {
        srv->stats.msgs_dropped++;
        slog(srv, "vmbus-server: queue full, %s dropped",
             vmbus_msg_name(*(const uint32_t *)msg));
        return;
    }
    q = &srv->queue[(srv->qhead + srv->qcount) % srv->cfg.queue_len];
    memcpy(q->bytes, msg, len);
    q->len = len;
    srv->qcount++;
    srv->stats.msgs_queued++;
}

/* ---- interrupts ---- */

/* Sets the guest's flag for one channel; true if the SINT must be raised. */
static bool signal_one(struct vmbus_server *srv,
                       struct vmbus_server_channel *ch)
{
    uint32_t flag = ch->relid;

    if (!ch->signal_pending)
        return false;
    ch->signal_pending = false;
    if (srv->version < VMBUS_VERSION_WIN8) {
        /* Before 2.4 the relid bit lives in the interrupt page and SIEFP
         * flag 0 only says "look there". */
        uint8_t *page =
            srv->plat.gpa_map(srv->plat.ctx, srv->int_page_gpa, HV_PAGE_SIZE);
        if (!page)
            return false;
        __atomic_fetch_or(&page[ch->relid / 8],
                          (uint8_t)(1u << (ch->relid % 8)), __ATOMIC_SEQ_CST);
        flag = 0;
    }
    if (srv->plat.set_event_flag(srv->plat.ctx, srv->sint, flag) < 0)
        return false;
    srv->stats.flags_set++;
    return true;
}

/* Sets the flags of every channel with news, then raises the SINT once. */
static void flush_signals(struct vmbus_server *srv)
{
    bool any = false;
    unsigned i;

    for (i = 0; i < srv->npending; i++) {
        struct vmbus_server_channel *ch = srv->chans[srv->pending[i]];
        if (ch && signal_one(srv, ch))
            any = true;
    }
    srv->npending = 0;
    if (srv->pending_overflow) {
        srv->pending_overflow = false;
        for (i = 1; i <= VMBUS_MAX_RELID; i++)
            if (srv->chans[i] && signal_one(srv, srv->chans[i]))
                any = true;
    }
    if (any) {
        srv->plat.raise_sint(srv->plat.ctx, srv->sint);
        srv->stats.interrupts_out++;
    }
}

static void enter(struct vmbus_server *srv)
{
    srv->depth++;
}

static void leave(struct vmbus_server *srv)
{
    if (--srv->depth == 0) {
        drain_queue(srv);
        flush_signals(srv);
    }
}

/* ---- GPADLs ---- */

static struct srv_gpadl *find_gpadl(struct vmbus_server *srv, uint32_t handle)
{
    struct srv_gpadl *g;

    for (g = srv->gpadls; g; g = g->next)
        if (g->a.handle == handle)
            return g;
    return NULL;
}

static void free_gpadl(struct vmbus_server *srv, struct srv_gpadl *g)
{
    struct srv_gpadl **pp;

    for (pp = &srv->gpadls; *pp; pp = &(*pp)->next) {
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    }
    srv->plat.free(srv->plat.ctx, g->a.buf);
    srv->plat.free(srv->plat.ctx, g);
    srv->ngpadls--;
}

static void free_gpadls_of(struct vmbus_server *srv, uint32_t relid)
{
    struct srv_gpadl *g = srv->gpadls, *next;

    for (; g; g = next) {
        next = g->next;
        if (relid == 0 || g->a.relid == relid)
            free_gpadl(srv, g);
    }
}

static void gpadl_answer(struct vmbus_server *srv, uint32_t relid,
                         uint32_t handle, uint32_t status)
{
    struct vmbus_msg_gpadl_created m;

    memset(&m, 0, sizeof(m));
    m.hdr.msgtype = VMBUS_MSG_GPADL_CREATED;
    m.child_relid = relid;
    m.gpadl = handle;
    m.status = status;
    send_msg(srv, &m, sizeof(m));
}

/* Checks every page of a complete GPADL and answers. */
static void gpadl_finish(struct vmbus_server *srv, struct srv_gpadl *g)
{
    int64_t pages = gpadl_asm_validate(&g->a, UINT64_MAX >> HV_PAGE_SHIFT);
    uint32_t i, k;

    if (pages > 0) {
        for (i = 0; i < g->a.range_count && pages > 0; i++) {
            struct gpadl_range r;
            gpadl_get_range(&g->a, i, &r);
            for (k = 0; k < r.npfn; k++) {
                if (r.pfns[k] > (UINT64_MAX >> HV_PAGE_SHIFT) ||
                    !srv->plat.gpa_map(srv->plat.ctx,
                                       r.pfns[k] << HV_PAGE_SHIFT,
                                       HV_PAGE_SIZE)) {
                    slog(srv,
                         "vmbus-server: GPADL 0x%x page 0x%llx outside "
                         "guest memory",
                         g->a.handle, (unsigned long long)r.pfns[k]);
                    pages = -1;
                    break;
                }
            }
        }
    } else {
        slog(srv, "vmbus-server: GPADL 0x%x malformed ranges", g->a.handle);
    }
    if (pages <= 0) {
        gpadl_answer(srv, g->a.relid, g->a.handle,
                     VMBUS_STATUS_INVALID_PARAMETER);
        free_gpadl(srv, g);
        return;
    }
    g->complete = true;
    gpadl_answer(srv, g->a.relid, g->a.handle, VMBUS_STATUS_SUCCESS);
}

static struct vmbus_server_channel *lookup(struct vmbus_server *srv,
                                           uint32_t relid)
{
    if (relid == 0 || relid > VMBUS_MAX_RELID)
        return NULL;
    return srv->chans[relid];
}

static void on_gpadl_header(struct vmbus_server *srv, const void *buf,
                            uint32_t len)
{
    struct vmbus_server_channel *ch;
    struct gpadl_asm a;
    struct srv_gpadl *g;
    uint32_t pages;
    int rc;

    rc = gpadl_asm_header(&a, buf, len);
    if (rc < 0) {
        struct vmbus_msg_gpadl_header h;
        memcpy(&h, buf, sizeof(h));
        slog(srv, "vmbus-server: bad GpadlHeader 0x%x: %d", h.gpadl, rc);
        if (h.gpadl && !find_gpadl(srv, h.gpadl))
            gpadl_answer(srv, h.child_relid, h.gpadl,
                         VMBUS_STATUS_INVALID_PARAMETER);
        return;
    }
    ch = lookup(srv, a.relid);
    pages = a.buflen / 8u - a.range_count;
    if (!ch || ch->state == SCH_RESCINDED || ch->state == SCH_REGISTERED) {
        slog(srv, "vmbus-server: GPADL 0x%x for bad relid %u", a.handle,
             a.relid);
        gpadl_answer(srv, a.relid, a.handle, VMBUS_STATUS_INVALID_PARAMETER);
        return;
    }
    if (find_gpadl(srv, a.handle)) {
        slog(srv, "vmbus-server: GPADL handle 0x%x reused", a.handle);
        return; /* answering would confuse the owner of the handle */
    }
    if (pages > srv->cfg.max_gpadl_pages ||
        srv->ngpadls >= srv->cfg.max_gpadls) {
        slog(srv, "vmbus-server: GPADL 0x%x over limits (%u pages, %u held)",
             a.handle, pages, srv->ngpadls);
        gpadl_answer(srv, a.relid, a.handle, VMBUS_STATUS_NO_MEMORY);
        return;
    }
    g = srv->plat.alloc(srv->plat.ctx, sizeof(*g));
    a.buf = srv->plat.alloc(srv->plat.ctx, a.buflen);
    if (!g || !a.buf) {
        srv->plat.free(srv->plat.ctx, g);
        srv->plat.free(srv->plat.ctx, a.buf);
        gpadl_answer(srv, a.relid, a.handle, VMBUS_STATUS_NO_MEMORY);
        return;
    }
    memset(g, 0, sizeof(*g));
    g->a = a;
    g->next = srv->gpadls;
    srv->gpadls = g;
    srv->ngpadls++;
    if (gpadl_asm_start(&g->a, buf, len) == 1)
        gpadl_finish(srv, g);
}

static void on_gpadl_body(struct vmbus_server *srv, const void *buf,
                          uint32_t len)
{
    struct vmbus_msg_gpadl_body b;
    struct srv_gpadl *g;
    int rc;

    memcpy(&b, buf, sizeof(b));
    g = find_gpadl(srv, b.gpadl);
    if (!g || g->complete) {
        slog(srv, "vmbus-server: GpadlBody for unknown GPADL 0x%x", b.gpadl);
        return;
    }
    rc = gpadl_asm_body(&g->a, buf, len);
    if (rc < 0) {
        slog(srv, "vmbus-server: GPADL 0x%x: bad body (%d)", b.gpadl, rc);
        gpadl_answer(srv, g->a.relid, g->a.handle,
                     VMBUS_STATUS_INVALID_PARAMETER);
        free_gpadl(srv, g);
    } else if (rc == 1) {
        gpadl_finish(srv, g);
    }
}

static void stop_polling(struct vmbus_server *srv,
                         struct vmbus_server_channel *ch)
{
    struct vmbus_server_channel **pp;

    if (!ch->polled)
        return;
    ch->polled = false;
    for (pp = &srv->polled; *pp; pp = &(*pp)->poll_next) {
        if (*pp == ch) {
            *pp = ch->poll_next;
            break;
        }
    }
    ch->poll_next = NULL;
}

static void close_channel(struct vmbus_server *srv,
                          struct vmbus_server_channel *ch)
{
    if (ch->state != SCH_OPEN)
        return;
    ch->state = SCH_OFFERED;
    ch->signal_pending = false;
    stop_polling(srv, ch);
    ch->ring_gpadl = 0;
    if (ch->dev.ops && ch->dev.ops->close)
        ch->dev.ops->close(ch, ch->dev.ctx);
}

static void on_gpadl_teardown(struct vmbus_server *srv, const void *buf,
                              uint32_t len)
{
    struct vmbus_msg_gpadl_teardown m;
    struct vmbus_msg_gpadl_torndown r;
    struct vmbus_server_channel *ch;
    struct srv_gpadl *g;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    g = find_gpadl(srv, m.gpadl);
    if (!g || !g->complete || g->a.relid != m.child_relid) {
        slog(srv, "vmbus-server: teardown of unknown GPADL 0x%x relid %u",
             m.gpadl, m.child_relid);
        return;
    }
    ch = lookup(srv, m.child_relid);
    if (ch && ch->state == SCH_OPEN && ch->ring_gpadl == m.gpadl) {
        slog(srv, "vmbus-server: relid %u ring GPADL torn down while open",
             ch->relid);
        close_channel(srv, ch);
    }
    free_gpadl(srv, g);
    memset(&r, 0, sizeof(r));
    r.hdr.msgtype = VMBUS_MSG_GPADL_TORNDOWN;
    r.gpadl = m.gpadl;
    send_msg(srv, &r, sizeof(r));
}

/* ---- offers and channels ---- */

static void send_offer(struct vmbus_server *srv,
                       struct vmbus_server_channel *ch)
{
    struct vmbus_msg_offer o;

    memset(&o, 0, sizeof(o));
    o.hdr.msgtype = VMBUS_MSG_OFFER_CHANNEL;
    o.interface_type = ch->dev.class_id;
    o.interface_instance = ch->dev.instance_id;
    o.flags = ch->dev.offer_flags;
    o.mmio_megabytes = ch->dev.mmio_megabytes;
    memcpy(o.user_defined, ch->dev.user_defined, sizeof(o.user_defined));
    o.sub_channel_index = ch->sub_index;
    o.child_relid = ch->relid;
    if (srv->version >= VMBUS_VERSION_WIN7) {
        o.interrupt_flags = VMBUS_OFFER_DEDICATED_INTERRUPT;
        o.connection_id = ch->conn_id;
    }
    ch->state = SCH_OFFERED;
    send_msg(srv, &o,
             srv->version >= VMBUS_VERSION_WIN7 ? VMBUS_MSG_OFFER_SIZE
                                                : VMBUS_MSG_OFFER_SIZE_WS2008);
}

static void open_result(struct vmbus_server *srv, uint32_t relid,
                        uint32_t open_id, uint32_t status)
{
    struct vmbus_msg_open_result r;

    memset(&r, 0, sizeof(r));
    r.hdr.msgtype = VMBUS_MSG_OPEN_CHANNEL_RESULT;
    r.child_relid = relid;
    r.open_id = open_id;
    r.status = status;
    send_msg(srv, &r, sizeof(r));
}

/* Maps the ring GPADL; 0 or an NTSTATUS for the OpenResult. */
static uint32_t map_rings(struct vmbus_server *srv,
                          struct vmbus_server_channel *ch,
                          const struct vmbus_msg_open_channel *m)
{
    struct srv_gpadl *g = find_gpadl(srv, m->ring_gpadl);
    struct gpadl_range r;
    uint32_t k, down = m->downstream_ring_page_offset;
    uint8_t *base;

    if (!g || !g->complete || g->a.relid != ch->relid) {
        slog(srv, "vmbus-server: open relid %u: unknown GPADL 0x%x", ch->relid,
             m->ring_gpadl);
        return VMBUS_STATUS_INVALID_PARAMETER;
    }
    if (g->a.range_count != 1 || gpadl_get_range(&g->a, 0, &r) < 0 ||
        r.byte_offset != 0 || r.byte_count != r.npfn * HV_PAGE_SIZE ||
        down < 2 || down > r.npfn - 2 || r.npfn < 4) {
        slog(srv,
             "vmbus-server: open relid %u: bad ring layout (%u pages, "
             "downstream %u)",
             ch->relid, r.npfn, down);
        return VMBUS_STATUS_INVALID_PARAMETER;
    }
    /* Rings must be contiguous in guest-physical memory. */
    for (k = 1; k < r.npfn; k++) {
        if (r.pfns[k] != r.pfns[0] + k) {
            slog(srv,
                 "vmbus-server: open relid %u: ring pages not "
                 "contiguous",
                 ch->relid);
            return VMBUS_STATUS_INVALID_PARAMETER;
        }
    }
    base = srv->plat.gpa_map(srv->plat.ctx, r.pfns[0] << HV_PAGE_SHIFT,
                             (uint64_t)r.npfn * HV_PAGE_SIZE);
    if (!base)
        return VMBUS_STATUS_INVALID_PARAMETER;
    if (ring_attach(&ch->in, base, base + HV_PAGE_SIZE,
                    (down - 1) * HV_PAGE_SIZE) < 0 ||
        ring_attach(&ch->out, base + (uint64_t)down * HV_PAGE_SIZE,
                    base + (uint64_t)(down + 1) * HV_PAGE_SIZE,
                    (r.npfn - down - 1) * HV_PAGE_SIZE) < 0) {
        slog(srv, "vmbus-server: open relid %u: ring indices corrupt",
             ch->relid);
        return VMBUS_STATUS_INVALID_PARAMETER;
    }
    ch->ring_gpadl = m->ring_gpadl;
    return VMBUS_STATUS_SUCCESS;
}

static void on_open(struct vmbus_server *srv, const void *buf, uint32_t len)
{
    struct vmbus_msg_open_channel m;
    struct vmbus_server_channel *ch;
    uint32_t status;

    (void)len;
    memset(&m, 0, sizeof(m));
    memcpy(&m, buf, VMBUS_MSG_OPEN_CHANNEL_SIZE);
    ch = lookup(srv, m.child_relid);
    if (!ch || ch->state != SCH_OFFERED) {
        slog(srv, "vmbus-server: open of relid %u refused (%s)", m.child_relid,
             !ch ? "unknown" : "not offered or open");
        open_result(srv, m.child_relid, m.open_id,
                    VMBUS_STATUS_INVALID_PARAMETER);
        return;
    }
    status = map_rings(srv, ch, &m);
    if (status == 0 && ch->dev.ops && ch->dev.ops->open)
        status = ch->dev.ops->open(ch, ch->dev.ctx, m.user_data);
    if (status == 0 && ch->state != SCH_OFFERED) {
        slog(srv, "vmbus-server: relid %u rescinded while opening", ch->relid);
        status = VMBUS_STATUS_DEVICE_NOT_READY;
    }
    if (status != 0) {
        ch->ring_gpadl = 0;
        open_result(srv, ch->relid, m.open_id, status);
        return;
    }
    ch->state = SCH_OPEN;
    open_result(srv, ch->relid, m.open_id, VMBUS_STATUS_SUCCESS);
    if (ch->dev.ops && ch->dev.ops->opened)
        ch->dev.ops->opened(ch, ch->dev.ctx);
}

static void on_close(struct vmbus_server *srv, const void *buf, uint32_t len)
{
    struct vmbus_msg_relid m;
    struct vmbus_server_channel *ch;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    ch = lookup(srv, m.child_relid);
    if (!ch || ch->state != SCH_OPEN) {
        slog(srv, "vmbus-server: close of relid %u that is not open",
             m.child_relid);
        return;
    }
    close_channel(srv, ch);
}

static void free_channel(struct vmbus_server *srv,
                         struct vmbus_server_channel *ch)
{
    uint32_t i;

    stop_polling(srv, ch);
    if (ch->sub_index == 0)
        for (i = 1; i <= VMBUS_MAX_RELID; i++)
            if (srv->chans[i] && srv->chans[i]->primary == ch)
                srv->chans[i]->primary = NULL;
    free_gpadls_of(srv, ch->relid);
    srv->chans[ch->relid] = NULL;
    srv->plat.free(srv->plat.ctx, ch);
}

static void on_relid_released(struct vmbus_server *srv, const void *buf,
                              uint32_t len)
{
    struct vmbus_msg_relid m;
    struct vmbus_server_channel *ch;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    ch = lookup(srv, m.child_relid);
    if (!ch || ch->state != SCH_RESCINDED) {
        slog(srv, "vmbus-server: RelIdReleased for relid %u not rescinded",
             m.child_relid);
        return;
    }
    free_channel(srv, ch);
}

static void on_request_offers(struct vmbus_server *srv, const void *buf,
                              uint32_t len)
{
    struct vmbus_msg_hdr h = {.msgtype = VMBUS_MSG_ALL_OFFERS_DELIVERED};
    uint32_t i;

    (void)buf;
    (void)len;
    if (srv->offers_requested) {
        slog(srv, "vmbus-server: offers requested twice");
        return;
    }
    srv->offers_requested = true;
    for (i = 1; i <= VMBUS_MAX_RELID; i++)
        if (srv->chans[i] && srv->chans[i]->state == SCH_REGISTERED)
            send_offer(srv, srv->chans[i]);
    send_msg(srv, &h, sizeof(h));
}

/* Drops the connection's state: channels closed, GPADLs freed, rescinded
 * channels released, sub-channels (made for this connection) dropped, the
 * rest back to "not offered". */
static void disconnect(struct vmbus_server *srv)
{
    uint32_t i;

    for (i = 1; i <= VMBUS_MAX_RELID; i++) {
        struct vmbus_server_channel *ch = srv->chans[i];
        if (!ch)
            continue;
        close_channel(srv, ch);
        if (ch->sub_index && ch->state != SCH_RESCINDED && ch->dev.ops &&
            ch->dev.ops->rescinded)
            ch->dev.ops->rescinded(ch, ch->dev.ctx);
        if (ch->state == SCH_RESCINDED || ch->sub_index) {
            free_channel(srv, ch);
        } else {
            ch->state = SCH_REGISTERED;
            ch->last_sub = 0;
        }
    }
    free_gpadls_of(srv, 0);
    srv->connected = false;
    srv->offers_requested = false;
    srv->version = 0;
    srv->int_page_gpa = 0;
    srv->sint = VMBUS_MESSAGE_SINT;
}

static bool version_known(uint32_t v)
{
    size_t i;

    for (i = 0; i < sizeof(known_versions) / sizeof(known_versions[0]); i++)
        if (known_versions[i] == v)
            return true;
    return false;
}

static void on_initiate_contact(struct vmbus_server *srv, const void *buf,
                                uint32_t len)
{
    struct vmbus_msg_initiate_contact m;
    struct vmbus_msg_version_response r;
    uint32_t v;
    uint32_t sint = VMBUS_MESSAGE_SINT;

    memset(&m, 0, sizeof(m));
    memcpy(&m, buf, VMBUS_MSG_INITIATE_CONTACT_SIZE);
    v = m.version_requested;
    if (srv->connected) {
        slog(srv, "vmbus-server: InitiateContact while connected: reset");
        disconnect(srv);
    }
    memset(&r, 0, sizeof(r));
    r.hdr.msgtype = VMBUS_MSG_VERSION_RESPONSE;
    if (v >= VMBUS_VERSION_COPPER &&
        len < VMBUS_MSG_INITIATE_CONTACT_SIZE_COPPER) {
        slog(srv, "vmbus-server: 6.0 contact of %u bytes", len);
        v = 0;
    } else if (v >= VMBUS_VERSION_WIN10_V5 &&
               srv->cur_conn_id != VMBUS_CONNID_MESSAGE) {
        /* Contact on the multi-client connection names its SINT; on the
         * legacy connection 1 the SINT is always 2. */
        sint = VMBUS_CONTACT_GET_SINT(m.interrupt_page_or_sint);
        if (sint >= HV_SINT_COUNT) {
            slog(srv, "vmbus-server: contact asks for SINT %u", sint);
            v = 0;
        }
    } else if (v < VMBUS_VERSION_WIN8 &&
               (!m.interrupt_page_or_sint ||
                !srv->plat.gpa_map(srv->plat.ctx, m.interrupt_page_or_sint,
                                   HV_PAGE_SIZE) ||
                (m.interrupt_page_or_sint & (HV_PAGE_SIZE - 1)))) {
        slog(srv, "vmbus-server: version 0x%x needs a valid interrupt page", v);
        v = 0;
    }
    if (v && version_known(v) && v <= srv->cfg.max_version) {
        srv->connected = true;
        srv->version = v;
        srv->sint = sint;
        srv->int_page_gpa =
            v < VMBUS_VERSION_WIN10_V5 ? m.interrupt_page_or_sint : 0;
        r.version_supported = 1;
        r.connection_state = 0;
        r.msg_conn_id = v >= VMBUS_VERSION_WIN10_V5 ? srv->cfg.msg_conn_id
                                                    : VMBUS_CONNID_MESSAGE;
        /* 6.0: none of the optional features asked for is granted. */
        r.supported_features = 0;
        slog(srv, "vmbus-server: version %u.%u accepted", v >> 16, v & 0xFFFF);
    } else {
        slog(srv, "vmbus-server: version 0x%x refused", m.version_requested);
    }
    send_msg(srv, &r,
             m.version_requested >= VMBUS_VERSION_COPPER
                 ? VMBUS_MSG_VERSION_RESPONSE_SIZE_COPPER
                 : VMBUS_MSG_VERSION_RESPONSE_SIZE);
}

static void on_unload(struct vmbus_server *srv, const void *buf, uint32_t len)
{
    struct vmbus_msg_hdr h = {.msgtype = VMBUS_MSG_UNLOAD_COMPLETE};

    (void)buf;
    (void)len;
    disconnect(srv);
    send_msg(srv, &h, sizeof(h));
}

static void on_modify_channel(struct vmbus_server *srv, const void *buf,
                              uint32_t len)
{
    struct vmbus_msg_modify_channel m;
    struct {
        struct vmbus_msg_hdr hdr;
        uint32_t child_relid;
        uint32_t status;
    } r;

    (void)len;
    memcpy(&m, buf, sizeof(m));
    if (srv->version < VMBUS_VERSION_WIN10_V5_3)
        return; /* older guests expect no answer */
    memset(&r, 0, sizeof(r));
    r.hdr.msgtype = VMBUS_MSG_MODIFY_CHANNEL_RESPONSE;
    r.child_relid = m.child_relid;
    r.status = lookup(srv, m.child_relid) ? VMBUS_STATUS_SUCCESS
                                          : VMBUS_STATUS_INVALID_PARAMETER;
    send_msg(srv, &r, sizeof(r));
}

typedef void (*srv_handler)(struct vmbus_server *srv, const void *buf,
                            uint32_t len);

/* Guest-to-host messages; needs_connection marks those refused before a
 * version is agreed. */
static const struct {
    srv_handler fn;
    bool needs_connection;
} handlers[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_INITIATE_CONTACT] = {on_initiate_contact, false},
    [VMBUS_MSG_UNLOAD] = {on_unload, false},
    [VMBUS_MSG_REQUEST_OFFERS] = {on_request_offers, true},
    [VMBUS_MSG_GPADL_HEADER] = {on_gpadl_header, true},
    [VMBUS_MSG_GPADL_BODY] = {on_gpadl_body, true},
    [VMBUS_MSG_GPADL_TEARDOWN] = {on_gpadl_teardown, true},
    [VMBUS_MSG_OPEN_CHANNEL] = {on_open, true},
    [VMBUS_MSG_CLOSE_CHANNEL] = {on_close, true},
    [VMBUS_MSG_RELID_RELEASED] = {on_relid_released, true},
    [VMBUS_MSG_MODIFY_CHANNEL] = {on_modify_channel, true},
};

uint32_t vmbus_server_on_post_message(struct vmbus_server *srv,
                                      uint32_t conn_id, uint32_t msg_type,
                                      const void *payload, uint32_t len)
{
    uint64_t buf[VMBUS_MSG_MAX_BYTES / 8];
    uint32_t type = 0;
    int rc;

    if (conn_id != VMBUS_CONNID_MESSAGE && conn_id != VMBUS_CONNID_MESSAGE_4 &&
        conn_id != srv->cfg.msg_conn_id)
        return HV_STATUS_INVALID_CONNECTION_ID;
    if (msg_type != HV_MESSAGE_TYPE_VMBUS || len > VMBUS_MSG_MAX_BYTES)
        return HV_STATUS_INVALID_PARAMETER;
    enter(srv);
    srv->cur_conn_id = conn_id;
    srv->stats.msgs_in++;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, payload, len);
    rc = vmbus_msg_check(buf, len, VMBUS_DIR_TO_HOST, srv->version, &type);
    if (rc < 0) {
        slog(srv, "vmbus-server: bad message type %u (%s) len %u: %d", type,
             vmbus_msg_name(type), len, rc);
    } else if (!handlers[type].fn) {
        slog(srv, "vmbus-server: %s not supported", vmbus_msg_name(type));
    } else if (handlers[type].needs_connection && !srv->connected) {
        slog(srv, "vmbus-server: %s before InitiateContact",
             vmbus_msg_name(type));
    } else {
        handlers[type].fn(srv, buf, len);
    }
    leave(srv);
    return HV_STATUS_SUCCESS;
}

static void chan_signalled(struct vmbus_server *srv,
                           struct vmbus_server_channel *ch)
{
    (void)srv;
    if (ch->state == SCH_OPEN && ch->dev.ops && ch->dev.ops->packet)
        ch->dev.ops->packet(ch, ch->dev.ctx);
}

uint32_t vmbus_server_on_signal_event(struct vmbus_server *srv,
                                      uint32_t conn_id, uint16_t flag)
{
    struct vmbus_server_channel *ch;
    uint32_t i;

    (void)flag;
    if (conn_id == VMBUS_CONNID_EVENT) {
        /* WS2008 style: scan the guest-to-host half of the page. */
        uint8_t *half;

        if (!srv->connected || !srv->int_page_gpa)
            return HV_STATUS_INVALID_CONNECTION_ID;
        half = srv->plat.gpa_map(srv->plat.ctx,
                                 srv->int_page_gpa + HV_PAGE_SIZE / 2,
                                 HV_PAGE_SIZE / 2);
        if (!half)
            return HV_STATUS_INVALID_CONNECTION_ID;
        enter(srv);
        srv->stats.signals_in++;
        for (i = 1; i <= VMBUS_MAX_RELID; i++) {
            uint8_t bit = (uint8_t)(1u << (i % 8));
            if (!(__atomic_load_n(&half[i / 8], __ATOMIC_RELAXED) & bit))
                continue;
            __atomic_fetch_and(&half[i / 8], (uint8_t)~bit, __ATOMIC_SEQ_CST);
            if ((ch = srv->chans[i]))
                chan_signalled(srv, ch);
        }
        leave(srv);
        return HV_STATUS_SUCCESS;
    }
    if (conn_id <= VMBUS_SERVER_CONN_BASE ||
        conn_id - VMBUS_SERVER_CONN_BASE > VMBUS_MAX_RELID)
        return HV_STATUS_INVALID_CONNECTION_ID;
    ch = srv->chans[conn_id - VMBUS_SERVER_CONN_BASE];
    if (!ch || ch->state == SCH_REGISTERED)
        return HV_STATUS_INVALID_CONNECTION_ID;
    enter(srv);
    srv->stats.signals_in++;
    chan_signalled(srv, ch);
    leave(srv);
    return HV_STATUS_SUCCESS;
}

void vmbus_server_batch_begin(struct vmbus_server *srv)
{
    enter(srv);
}

void vmbus_server_batch_end(struct vmbus_server *srv)
{
    leave(srv);
}

void vmbus_server_on_eom(struct vmbus_server *srv)
{
    enter(srv);
    leave(srv);
}

void vmbus_server_poll(struct vmbus_server *srv)
{
    struct vmbus_server_channel *ch;

    enter(srv);
    /* Masked inbound rings get no signals: their packets are found here,
     * once per trip of the root's loop.  A packet callback may unmask
     * (unlink) any channel of its device, the next one included, so the
     * walk starts over after each callback and skips channels this pass
     * has already seen. */
    srv->poll_pass++;
    ch = srv->polled;
    while (ch) {
        if (ch->poll_pass == srv->poll_pass) {
            ch = ch->poll_next;
            continue;
        }
        ch->poll_pass = srv->poll_pass;
        if (ch->state == SCH_OPEN && !ring_empty(&ch->in)) {
            chan_signalled(srv, ch);
            ch = srv->polled;
        } else {
            ch = ch->poll_next;
        }
    }
    leave(srv);
}

void vmbus_server_reset(struct vmbus_server *srv)
{
    enter(srv);
    disconnect(srv);
    srv->qcount = 0;
    srv->qhead = 0;
    srv->log_budget = VMBUS_SERVER_LOG_BUDGET;
    leave(srv);
}

/* ---- lifecycle and devices ---- */

struct vmbus_server *
vmbus_server_create(const struct vmbus_server_platform *plat,
                    const struct vmbus_server_config *cfg)
{
    struct vmbus_server *srv;
    struct vmbus_server_config c = {0};

    if (cfg)
        c = *cfg;
    if (!c.max_version)
        c.max_version = VMBUS_VERSION_COPPER;
    if (!c.msg_conn_id)
        c.msg_conn_id = VMBUS_CONNID_MESSAGE_4;
    if (!c.max_gpadl_pages || c.max_gpadl_pages > GPADL_MAX_PFNS)
        c.max_gpadl_pages = GPADL_MAX_PFNS;
    if (!c.max_gpadls)
        c.max_gpadls = 256;
    if (!c.queue_len)
        c.queue_len = 256;
    if (!plat || !plat->gpa_map || !plat->post_message ||
        !plat->set_event_flag || !plat->raise_sint || !plat->alloc ||
        !plat->free)
        return NULL;
    srv = plat->alloc(plat->ctx, sizeof(*srv));
    if (!srv)
        return NULL;
    memset(srv, 0, sizeof(*srv));
    srv->plat = *plat;
    srv->cfg = c;
    srv->sint = VMBUS_MESSAGE_SINT;
    srv->log_budget = VMBUS_SERVER_LOG_BUDGET;
    srv->queue = plat->alloc(plat->ctx, sizeof(*srv->queue) * c.queue_len);
    if (!srv->queue) {
        plat->free(plat->ctx, srv);
        return NULL;
    }
    return srv;
}

void vmbus_server_destroy(struct vmbus_server *srv)
{
    uint32_t i;

    if (!srv)
        return;
    disconnect(srv);
    for (i = 1; i <= VMBUS_MAX_RELID; i++)
        if (srv->chans[i])
            free_channel(srv, srv->chans[i]);
    srv->plat.free(srv->plat.ctx, srv->queue);
    srv->plat.free(srv->plat.ctx, srv);
}

int vmbus_server_add_device(struct vmbus_server *srv,
                            const struct vmbus_server_device *dev,
                            struct vmbus_server_channel **out)
{
    struct vmbus_server_channel *ch;
    uint32_t relid;

    if (!dev)
        return -EINVAL;
    for (relid = 1; relid <= VMBUS_MAX_RELID; relid++)
        if (!srv->chans[relid])
            break;
    if (relid > VMBUS_MAX_RELID)
        return -ENOSPC;
    ch = srv->plat.alloc(srv->plat.ctx, sizeof(*ch));
    if (!ch)
        return -ENOMEM;
    memset(ch, 0, sizeof(*ch));
    ch->srv = srv;
    ch->dev = *dev;
    ch->relid = relid;
    ch->conn_id = VMBUS_SERVER_CONN_BASE + relid;
    ch->state = SCH_REGISTERED;
    srv->chans[relid] = ch;
    if (out)
        *out = ch;
    if (srv->offers_requested) {
        enter(srv);
        send_offer(srv, ch);
        leave(srv);
    }
    return 0;
}

static void rescind_one(struct vmbus_server *srv,
                        struct vmbus_server_channel *ch)
{
    struct vmbus_msg_relid m;

    close_channel(srv, ch);
    if (ch->dev.ops && ch->dev.ops->rescinded)
        ch->dev.ops->rescinded(ch, ch->dev.ctx);
    if (ch->state == SCH_REGISTERED) {
        free_channel(srv, ch);
    } else {
        ch->state = SCH_RESCINDED;
        memset(&m, 0, sizeof(m));
        m.hdr.msgtype = VMBUS_MSG_RESCIND_CHANNEL_OFFER;
        m.child_relid = ch->relid;
        send_msg(srv, &m, sizeof(m));
    }
}

int vmbus_server_rescind(struct vmbus_server *srv,
                         struct vmbus_server_channel *ch)
{
    uint32_t i;

    if (!ch || ch->state == SCH_RESCINDED)
        return -EINVAL;
    enter(srv);
    /* The sub-channels go first, so a guest never holds a sub-channel
     * whose primary it has already released. */
    if (ch->sub_index == 0)
        for (i = 1; i <= VMBUS_MAX_RELID; i++) {
            struct vmbus_server_channel *sub = srv->chans[i];
            if (sub && sub->primary == ch && sub->state != SCH_RESCINDED)
                rescind_one(srv, sub);
        }
    rescind_one(srv, ch);
    leave(srv);
    return 0;
}

static unsigned count_subs(struct vmbus_server *srv,
                           const struct vmbus_server_channel *primary)
{
    unsigned i, n = 0;

    for (i = 1; i <= VMBUS_MAX_RELID; i++)
        if (srv->chans[i] && srv->chans[i]->primary == primary &&
            srv->chans[i]->state != SCH_RESCINDED)
            n++;
    return n;
}

int vmbus_server_offer_subchannels(struct vmbus_server *srv,
                                   struct vmbus_server_channel *primary,
                                   uint16_t n,
                                   struct vmbus_server_channel **out)
{
    struct vmbus_server_channel *made[VMBUS_SERVER_MAX_SUBCHANNELS];
    uint32_t relid = 1;
    unsigned k, free_relids = 0;

    if (!primary || primary->sub_index || n == 0 ||
        count_subs(srv, primary) + n > VMBUS_SERVER_MAX_SUBCHANNELS ||
        primary->last_sub + n > 0xFFFFu)
        return -EINVAL;
    if (primary->state != SCH_OFFERED && primary->state != SCH_OPEN)
        return -ENOTCONN;
    /* sub_channel_index is part of the offer only from 2.4. */
    if (srv->version < VMBUS_VERSION_WIN8)
        return -ENOTSUP;
    for (k = 1; k <= VMBUS_MAX_RELID; k++)
        if (!srv->chans[k])
            free_relids++;
    if (free_relids < n)
        return -ENOSPC;
    for (k = 0; k < n; k++) {
        made[k] = srv->plat.alloc(srv->plat.ctx, sizeof(*made[k]));
        if (!made[k]) {
            while (k--)
                srv->plat.free(srv->plat.ctx, made[k]);
            return -ENOMEM;
        }
    }
    enter(srv);
    for (k = 0; k < n; k++) {
        struct vmbus_server_channel *ch = made[k];
        while (srv->chans[relid])
            relid++;
        memset(ch, 0, sizeof(*ch));
        ch->srv = srv;
        ch->dev = primary->dev;
        ch->relid = relid;
        ch->conn_id = VMBUS_SERVER_CONN_BASE + relid;
        ch->state = SCH_REGISTERED;
        ch->sub_index = ++primary->last_sub;
        ch->primary = primary;
        srv->chans[relid] = ch;
        if (out)
            out[k] = ch;
        send_offer(srv, ch);
    }
    leave(srv);
    return 0;
}

uint32_t vmbus_server_version(const struct vmbus_server *srv)
{
    return srv->connected ? srv->version : 0;
}

bool vmbus_server_connected(const struct vmbus_server *srv)
{
    return srv->connected;
}

struct vmbus_server_channel *vmbus_server_channel(struct vmbus_server *srv,
                                                  uint32_t relid)
{
    return lookup(srv, relid);
}

const struct vmbus_server_stats *
vmbus_server_get_stats(const struct vmbus_server *srv)
{
    return &srv->stats;
}

/* ---- channel API ---- */

uint32_t vmbus_server_chan_relid(const struct vmbus_server_channel *ch)
{
    return ch->relid;
}

bool vmbus_server_chan_is_open(const struct vmbus_server_channel *ch)
{
    return ch->state == SCH_OPEN;
}

uint16_t vmbus_server_chan_sub_index(const struct vmbus_server_channel *ch)
{
    return ch->sub_index;
}

struct vmbus_server_channel *
vmbus_server_chan_primary(struct vmbus_server_channel *ch)
{
    return ch->sub_index ? ch->primary : ch;
}

const struct vmbus_server_device *
vmbus_server_chan_device(const struct vmbus_server_channel *ch)
{
    return &ch->dev;
}

struct vmbus_server *vmbus_server_chan_server(struct vmbus_server_channel *ch)
{
    return ch->srv;
}

void vmbus_server_chan_set_priv(struct vmbus_server_channel *ch, void *p)
{
    ch->priv = p;
}

void *vmbus_server_chan_priv(const struct vmbus_server_channel *ch)
{
    return ch->priv;
}

static void want_signal(struct vmbus_server_channel *ch)
{
    struct vmbus_server *srv = ch->srv;

    if (!ch->signal_pending) {
        ch->signal_pending = true;
        if (srv->npending < sizeof(srv->pending) / sizeof(srv->pending[0]))
            srv->pending[srv->npending++] = ch->relid;
        else
            srv->pending_overflow = true;
    }
    if (srv->depth == 0)
        flush_signals(srv);
}

int vmbus_server_chan_recv(struct vmbus_server_channel *ch, void *buf,
                           uint32_t buflen, struct ring_pkt_info *info)
{
    int rc;

    if (ch->state != SCH_OPEN)
        return -ENOTCONN;
    rc = ring_read(&ch->in, buf, buflen, info);
    if (rc < 0)
        return rc;
    if (ring_read_done(&ch->in))
        want_signal(ch);
    return 0;
}

void vmbus_server_chan_mask(struct vmbus_server_channel *ch)
{
    struct vmbus_server *srv = ch->srv;

    if (ch->state != SCH_OPEN)
        return;
    ring_mask(&ch->in); /* again if polled: the guest may have cleared it */
    if (ch->polled)
        return;
    ch->polled = true;
    ch->poll_next = srv->polled;
    srv->polled = ch;
}

bool vmbus_server_chan_unmask(struct vmbus_server_channel *ch)
{
    if (ch->state != SCH_OPEN)
        return false;
    stop_polling(ch->srv, ch);
    return ring_unmask(&ch->in);
}

bool vmbus_server_chan_unread(struct vmbus_server_channel *ch)
{
    if (ch->state != SCH_OPEN)
        return false;
    return __atomic_load_n(&ch->out.ctrl->read_index, __ATOMIC_ACQUIRE) !=
           ch->out.pub_write;
}

int vmbus_server_chan_put_hdr(struct vmbus_server_channel *ch, uint16_t type,
                              uint16_t flags, uint64_t trans_id,
                              const void *hdr, uint32_t hdr_len,
                              const void *data, uint32_t len)
{
    struct vmbus_pkt_desc d;
    struct ring_iov iov[3];
    size_t n = 0;
    uint64_t off = sizeof(d) + (uint64_t)hdr_len;

    if (ch->state != SCH_OPEN)
        return -ENOTCONN;
    if (hdr_len % 8u)
        return -EINVAL;
    if (off + len > 0x7FFF0u)
        return -EMSGSIZE;
    d.type = type;
    d.offset8 = (uint16_t)(off / 8u);
    d.len8 = (uint16_t)((off + len + 7u) / 8u);
    d.flags = flags;
    d.trans_id = trans_id;
    iov[n].base = &d;
    iov[n++].len = sizeof(d);
    if (hdr_len) {
        iov[n].base = hdr;
        iov[n++].len = hdr_len;
    }
    if (len) {
        iov[n].base = data;
        iov[n++].len = len;
    }
    return ring_put(&ch->out, iov, n);
}

int vmbus_server_chan_put(struct vmbus_server_channel *ch, uint16_t type,
                          uint16_t flags, uint64_t trans_id, const void *data,
                          uint32_t len)
{
    return vmbus_server_chan_put_hdr(ch, type, flags, trans_id, NULL, 0, data,
                                     len);
}

int vmbus_server_chan_flush(struct vmbus_server_channel *ch)
{
    if (ch->state != SCH_OPEN)
        return -ENOTCONN;
    if (ring_flush(&ch->out))
        want_signal(ch);
    return 0;
}

int vmbus_server_chan_send_hdr(struct vmbus_server_channel *ch, uint16_t type,
                               uint16_t flags, uint64_t trans_id,
                               const void *hdr, uint32_t hdr_len,
                               const void *data, uint32_t len)
{
    int rc = vmbus_server_chan_put_hdr(ch, type, flags, trans_id, hdr, hdr_len,
                                       data, len);

    if (rc < 0)
        return rc;
    return vmbus_server_chan_flush(ch);
}

int vmbus_server_chan_send(struct vmbus_server_channel *ch, uint16_t type,
                           uint16_t flags, uint64_t trans_id, const void *data,
                           uint32_t len)
{
    int rc = vmbus_server_chan_put(ch, type, flags, trans_id, data, len);

    if (rc < 0)
        return rc;
    return vmbus_server_chan_flush(ch);
}

bool vmbus_server_chan_want_space(struct vmbus_server_channel *ch,
                                  uint32_t bytes)
{
    if (ch->state != SCH_OPEN)
        return false;
    return ring_want_space(&ch->out, bytes);
}

const struct gpadl_asm *vmbus_server_chan_gpadl(struct vmbus_server_channel *ch,
                                                uint32_t handle)
{
    struct srv_gpadl *g = find_gpadl(ch->srv, handle);

    if (!g || !g->complete || g->a.relid != ch->relid)
        return NULL;
    return &g->a;
}

void *vmbus_server_gpa(struct vmbus_server *srv, uint64_t gpa, uint64_t len)
{
    return srv->plat.gpa_map(srv->plat.ctx, gpa, len);
}

void *vmbus_server_alloc(struct vmbus_server *srv, size_t bytes)
{
    return srv->plat.alloc(srv->plat.ctx, bytes);
}

void vmbus_server_free(struct vmbus_server *srv, void *p)
{
    srv->plat.free(srv->plat.ctx, p);
}
