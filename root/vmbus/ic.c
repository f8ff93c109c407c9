/* Host side of the integration components (see root/vmbus/ic.h). */
#include "common/ic_services.h"
#include "root/vmbus/ic.h"

#include <errno.h>
#include <string.h>

#include "common/vmbus_msg.h"

_Static_assert(IC_HOST_COUNT == IC_SERVICE_COUNT, "one service table");

#define FW_BYTES (ic_framework_nversions * sizeof(struct ic_version))

struct ic_hsvc {
    struct ic_host *ic;
    unsigned svc;
    struct vmbus_server_channel *dev; /* our device's channel */
    struct vmbus_server_channel *ch;  /* set while open */
    bool ready;
    struct ic_version fw, msg;
    uint8_t next_tid;
};

struct ic_host {
    struct vmbus_server *srv;
    struct ic_host_events ev;
    struct ic_hsvc svc[IC_HOST_COUNT];
    uint64_t hb_seq; /* last heartbeat sequence sent */
    uint64_t hb_count;
    uint64_t hb_last_ns;
    uint64_t bad;
    uint64_t trans_id;
    uint32_t kvp_index; /* of the last enumerate sent */
    bool lookup;        /* ic_host_kvp_lookup() running */
    uint8_t lookup_pool;
    char lookup_key[IC_KVP_MAX_KEY_BYTES / 2];
    uint8_t buf[IC_MAX_PACKET + 64];     /* packet being sent or read */
    uint8_t kvp_body[IC_KVP_MSG_BYTES];  /* KVP request being built */
    struct ic_kvp_enumerate kvp_scratch; /* its value part */
};

static void remove_devices(struct ic_host *ic)
{
    unsigned i;

    for (i = 0; i < IC_HOST_COUNT; i++) {
        if (ic->svc[i].dev)
            vmbus_server_rescind(ic->srv, ic->svc[i].dev);
        ic->svc[i].dev = NULL;
        ic->svc[i].ch = NULL;
        ic->svc[i].ready = false;
    }
}

static int send_req(struct ic_hsvc *s, uint16_t msgtype, const void *body,
                    uint32_t body_len)
{
    struct ic_host *ic = s->ic;
    struct ic_pipe_hdr p;
    struct ic_hdr h;

    if (!s->ch || !vmbus_server_chan_is_open(s->ch))
        return -ENOTCONN;
    if (body_len > sizeof(ic->buf) - IC_BODY_OFFSET)
        return -EINVAL;
    memset(&p, 0, sizeof(p));
    p.msgsize = (uint32_t)sizeof(h) + body_len;
    memset(&h, 0, sizeof(h));
    h.framework =
        msgtype == IC_MSG_NEGOTIATE ? ic_framework_versions[0] : s->fw;
    h.msgtype = msgtype;
    h.msgver =
        msgtype == IC_MSG_NEGOTIATE ? ic_services[s->svc].versions[0] : s->msg;
    h.msgsize = (uint16_t)body_len;
    h.transaction_id = s->next_tid++;
    h.flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST;
    memcpy(ic->buf, &p, sizeof(p));
    memcpy(ic->buf + sizeof(p), &h, sizeof(h));
    memcpy(ic->buf + IC_BODY_OFFSET, body, body_len);
    return vmbus_server_chan_send(s->ch, VMBUS_PKT_DATA_INBAND, 0,
                                  ++ic->trans_id, ic->buf,
                                  IC_BODY_OFFSET + body_len);
}

static void send_negotiate(struct ic_hsvc *s)
{
    uint8_t body[sizeof(struct ic_negotiate) + 4 * 8];
    struct ic_negotiate n;
    uint16_t nv = ic_services[s->svc].nversions;

    memset(&n, 0, sizeof(n));
    n.framework_count = 2;
    n.message_count = nv;
    memcpy(body, &n, sizeof(n));
    memcpy(body + sizeof(n), ic_framework_versions, FW_BYTES);
    memcpy(body + sizeof(n) + FW_BYTES, ic_services[s->svc].versions, 4u * nv);
    send_req(s, IC_MSG_NEGOTIATE, body,
             (uint32_t)(sizeof(n) + FW_BYTES + 4u * nv));
}

static bool known(const struct ic_version *list, size_t n, struct ic_version v)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (list[i].major == v.major && list[i].minor == v.minor)
            return true;
    return false;
}

static int on_negotiate(struct ic_hsvc *s, const uint8_t *msg, uint32_t len,
                        const struct ic_hdr *h)
{
    struct ic_negotiate n;
    struct ic_version fw, mv;

    if (len < IC_BODY_OFFSET + sizeof(n))
        return -EBADMSG;
    memcpy(&n, msg + IC_BODY_OFFSET, sizeof(n));
    if (n.framework_count == 0 && n.message_count == 0) {
        s->ready = false; /* the guest speaks none of our versions */
        return 0;
    }
    if (n.framework_count != 1 || n.message_count != 1 ||
        len < IC_BODY_OFFSET + sizeof(n) + 8u)
        return -EBADMSG;
    memcpy(&fw, msg + IC_BODY_OFFSET + sizeof(n), 4);
    memcpy(&mv, msg + IC_BODY_OFFSET + sizeof(n) + 4, 4);
    if (!known(ic_framework_versions, ic_framework_nversions, fw) ||
        !known(ic_services[s->svc].versions, ic_services[s->svc].nversions, mv))
        return -EBADMSG;
    s->fw = fw;
    s->msg = mv;
    s->ready = h->status == IC_S_OK;
    return 0;
}

static int on_kvp(struct ic_host *ic, const uint8_t *msg, uint32_t len,
                  const struct ic_hdr *h)
{
    struct ic_kvp_hdr kh;
    struct ic_kvp_value v;
    char key[IC_KVP_MAX_KEY_BYTES / 2] = "",
                                    value[IC_KVP_MAX_VALUE_BYTES / 2] = "";
    const uint8_t *body = msg + IC_BODY_OFFSET + sizeof(kh);
    uint32_t index = 0;

    if (len < IC_BODY_OFFSET + sizeof(kh))
        return -EBADMSG;
    memcpy(&kh, msg + IC_BODY_OFFSET, sizeof(kh));
    if (h->status == IC_S_OK &&
        (kh.operation == IC_KVP_OP_GET || kh.operation == IC_KVP_OP_SET ||
         kh.operation == IC_KVP_OP_ENUMERATE)) {
        uint32_t off = kh.operation == IC_KVP_OP_ENUMERATE ? 4u : 0u;

        if (len < IC_BODY_OFFSET + sizeof(kh) + off + sizeof(v))
            return -EBADMSG;
        if (off)
            memcpy(&index, body, 4);
        memcpy(&v, body + off, sizeof(v));
        if (v.key_size > sizeof(v.key) || v.value_size > sizeof(v.value))
            return -EBADMSG;
        if (vmbus_ic_utf16_to_ascii(v.key, v.key_size, key, sizeof(key)) < 0)
            return -EBADMSG;
        if (v.value_type == IC_KVP_REG_SZ &&
            vmbus_ic_utf16_to_ascii(v.value, v.value_size, value,
                                    sizeof(value)) < 0)
            return -EBADMSG;
    } else if (kh.operation == IC_KVP_OP_ENUMERATE) {
        index = ic->kvp_index;
    }
    if (ic->lookup && kh.operation == IC_KVP_OP_ENUMERATE) {
        uint32_t status = h->status;

        if (status == IC_S_OK && strcmp(key, ic->lookup_key) != 0) {
            /* Not this one: ask for the next entry. */
            if (ic_host_kvp_enumerate(ic, ic->lookup_pool, index + 1) == 0)
                return 0;
            status = IC_E_FAIL;
        }
        ic->lookup = false;
        if (status != IC_S_OK) {
            if (ic->ev.kvp_result)
                ic->ev.kvp_result(ic->ev.ctx, kh.operation, kh.pool, index,
                                  status, ic->lookup_key, "");
            return 0;
        }
    }
    if (ic->ev.kvp_result)
        ic->ev.kvp_result(ic->ev.ctx, kh.operation, kh.pool, index, h->status,
                          key, value);
    return 0;
}

int ic_host_handle(struct ic_host *ic, unsigned svc, const uint8_t *msg,
                   uint32_t len)
{
    struct ic_hsvc *s;
    struct ic_hdr h;
    int rc = 0;

    if (svc >= IC_HOST_COUNT)
        return -EBADMSG;
    s = &ic->svc[svc];
    if (vmbus_ic_check(msg, len, &h) < 0 || !(h.flags & IC_FLAG_RESPONSE)) {
        ic->bad++;
        return -EBADMSG;
    }
    if (h.msgtype == IC_MSG_NEGOTIATE) {
        rc = on_negotiate(s, msg, len, &h);
    } else if (!s->ready || h.msgtype != ic_services[svc].msgtype) {
        rc = -EBADMSG;
    } else if (svc == IC_HOST_HEARTBEAT) {
        uint64_t seq;
        if (len < IC_BODY_OFFSET + IC_HEARTBEAT_MIN)
            rc = -EBADMSG;
        else {
            memcpy(&seq, msg + IC_BODY_OFFSET, 8);
            if (seq == ic->hb_seq + 1)
                ic->hb_count++;
        }
    } else if (svc == IC_HOST_SHUTDOWN) {
        if (ic->ev.shutdown_result)
            ic->ev.shutdown_result(ic->ev.ctx, h.status);
    } else if (svc == IC_HOST_KVP) {
        rc = on_kvp(ic, msg, len, &h);
    }
    if (rc < 0)
        ic->bad++;
    return rc;
}

/* ---- VMBus device callbacks ---- */

static uint32_t ic_open(struct vmbus_server_channel *ch, void *ctx,
                        const uint8_t *user_data)
{
    struct ic_hsvc *s = ctx;

    (void)user_data;
    s->ch = ch;
    s->dev = ch; /* also a device offered again after a rescind */
    s->ready = false;
    return 0;
}

static void ic_rescinded(struct vmbus_server_channel *ch, void *ctx)
{
    struct ic_hsvc *s = ctx;

    if (s->dev == ch)
        s->dev = NULL;
    if (s->ch == ch)
        s->ch = NULL;
}

static void ic_opened(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    send_negotiate(ctx);
}

static void ic_close(struct vmbus_server_channel *ch, void *ctx)
{
    struct ic_hsvc *s = ctx;

    (void)ch;
    s->ready = false;
    s->ch = NULL;
    if (s->svc == IC_HOST_KVP)
        s->ic->lookup = false;
}

static void ic_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct ic_hsvc *s = ctx;
    struct ic_host *ic = s->ic;
    struct ring_pkt_info info;
    int rc;

    for (;;) {
        rc = vmbus_server_chan_recv(ch, ic->buf, sizeof(ic->buf), &info);
        if (rc == -EMSGSIZE) {
            /* Nothing legitimate is this large: the guest is broken. */
            ic->bad++;
            break;
        }
        if (rc < 0)
            break;
        if (info.type == VMBUS_PKT_DATA_INBAND)
            ic_host_handle(ic, s->svc, ic->buf + info.offset,
                           info.len - info.offset);
    }
}

static const struct vmbus_server_device_ops ic_ops = {
    .open = ic_open,
    .opened = ic_opened,
    .close = ic_close,
    .rescinded = ic_rescinded,
    .packet = ic_packet,
};

struct ic_host *ic_host_create(struct vmbus_server *srv,
                               const struct ic_host_events *ev)
{
    struct ic_host *ic;
    unsigned i;

    /* The server's allocator keeps us free of malloc. */
    ic = vmbus_server_alloc(srv, sizeof(*ic));
    if (!ic)
        return NULL;
    memset(ic, 0, sizeof(*ic));
    ic->srv = srv;
    if (ev)
        ic->ev = *ev;
    ic->hb_seq = 100;
    for (i = 0; i < IC_HOST_COUNT; i++) {
        struct vmbus_server_device d;

        ic->svc[i].ic = ic;
        ic->svc[i].svc = i;
        memset(&d, 0, sizeof(d));
        d.name = ic_services[i].name;
        d.class_id = ic_services[i].class_id;
        d.instance_id = ic_services[i].class_id;
        d.instance_id.data4[7] ^= 0x5A;
        d.ops = &ic_ops;
        d.ctx = &ic->svc[i];
        if (vmbus_server_add_device(srv, &d, &ic->svc[i].dev) < 0) {
            remove_devices(ic);
            vmbus_server_free(srv, ic);
            return NULL;
        }
    }
    return ic;
}

void ic_host_destroy(struct ic_host *ic)
{
    if (!ic)
        return;
    remove_devices(ic);
    vmbus_server_free(ic->srv, ic);
}

bool ic_host_ready(const struct ic_host *ic, unsigned svc)
{
    return svc < IC_HOST_COUNT && ic->svc[svc].ready;
}

uint32_t ic_host_version(const struct ic_host *ic, unsigned svc)
{
    if (!ic_host_ready(ic, svc))
        return 0;
    return (uint32_t)ic->svc[svc].msg.major << 16 | ic->svc[svc].msg.minor;
}

uint64_t ic_host_heartbeats(const struct ic_host *ic)
{
    return ic->hb_count;
}

uint64_t ic_host_bad_messages(const struct ic_host *ic)
{
    return ic->bad;
}

static int ready_or(struct ic_host *ic, unsigned svc)
{
    return ic->svc[svc].ready ? 0 : -ENOTCONN;
}

int ic_host_tick(struct ic_host *ic, uint64_t now_ns, uint64_t period_ns)
{
    uint8_t body[IC_HEARTBEAT_SEND_BYTES];
    struct ic_heartbeat hb;
    int rc;

    if (!ic->svc[IC_HOST_HEARTBEAT].ready ||
        (ic->hb_last_ns && now_ns - ic->hb_last_ns < period_ns))
        return 0;
    memset(&hb, 0, sizeof(hb));
    hb.seq_num = ic->hb_seq + 10;
    memset(body, 0, sizeof(body));
    memcpy(body, &hb, sizeof(hb));
    rc = send_req(&ic->svc[IC_HOST_HEARTBEAT], IC_MSG_HEARTBEAT, body,
                  sizeof(body));
    if (rc < 0)
        return rc;
    ic->hb_seq = hb.seq_num;
    ic->hb_last_ns = now_ns ? now_ns : 1;
    return 1;
}

int ic_host_shutdown(struct ic_host *ic, uint32_t flags, uint32_t reason)
{
    struct ic_shutdown sd;
    int rc = ready_or(ic, IC_HOST_SHUTDOWN);

    if (rc < 0)
        return rc;
    memset(&sd, 0, sizeof(sd));
    sd.reason_code = reason;
    sd.timeout_seconds = 60;
    sd.flags = flags;
    return send_req(&ic->svc[IC_HOST_SHUTDOWN], IC_MSG_SHUTDOWN, &sd,
                    sizeof(sd));
}

int ic_host_timesync(struct ic_host *ic, uint64_t time_100ns,
                     uint64_t vm_ref_100ns, uint8_t flags)
{
    struct ic_hsvc *s = &ic->svc[IC_HOST_TIMESYNC];
    int rc = ready_or(ic, IC_HOST_TIMESYNC);

    if (rc < 0)
        return rc;
    if (s->msg.major >= 4) {
        struct ic_timesync_v4 t;
        memset(&t, 0, sizeof(t));
        t.parent_time = time_100ns;
        t.vm_reference = vm_ref_100ns;
        t.flags = flags;
        return send_req(s, IC_MSG_TIMESYNC, &t, sizeof(t));
    } else {
        struct ic_timesync_v3 t;
        memset(&t, 0, sizeof(t));
        t.parent_time = time_100ns;
        t.flags = flags;
        return send_req(s, IC_MSG_TIMESYNC, &t, sizeof(t));
    }
}

/* Builds a KVP request of the host's usual 2,580 bytes in ic->buf's body
 * area via a scratch body, then sends it. */
static int kvp_send(struct ic_host *ic, uint8_t op, uint8_t pool,
                    uint32_t index, const char *key, const char *value)
{
    uint8_t *body = ic->kvp_body;
    struct ic_kvp_hdr kh = {.operation = op, .pool = pool};
    struct ic_kvp_enumerate *en = &ic->kvp_scratch;
    uint32_t off = 0;
    int rc = ready_or(ic, IC_HOST_KVP);

    if (rc < 0)
        return rc;
    if (pool >= IC_KVP_POOL_COUNT)
        return -EINVAL;
    memset(body, 0, IC_KVP_MSG_BYTES);
    memset(en, 0, sizeof(*en));
    memcpy(body, &kh, sizeof(kh));
    if (op == IC_KVP_OP_DELETE) {
        struct ic_kvp_delete d;
        memset(&d, 0, sizeof(d));
        d.key_size = vmbus_ic_ascii_to_utf16(key, d.key, sizeof(d.key));
        if (!d.key_size)
            return -EINVAL;
        memcpy(body + sizeof(kh), &d, sizeof(d));
    } else {
        if (op == IC_KVP_OP_ENUMERATE) {
            en->index = index;
            off = 4;
        } else {
            en->data.value_type = IC_KVP_REG_SZ;
            en->data.key_size = vmbus_ic_ascii_to_utf16(key, en->data.key,
                                                        sizeof(en->data.key));
            if (!en->data.key_size)
                return -EINVAL;
            if (value) {
                en->data.value_size = vmbus_ic_ascii_to_utf16(
                    value, en->data.value, sizeof(en->data.value));
                if (!en->data.value_size)
                    return -EINVAL;
            }
        }
        if (off)
            memcpy(body + sizeof(kh), en, sizeof(*en));
        else
            memcpy(body + sizeof(kh), &en->data, sizeof(en->data));
    }
    ic->kvp_index = index;
    return send_req(&ic->svc[IC_HOST_KVP], IC_MSG_KVP, body, IC_KVP_MSG_BYTES);
}

int ic_host_kvp_enumerate(struct ic_host *ic, uint8_t pool, uint32_t index)
{
    return kvp_send(ic, IC_KVP_OP_ENUMERATE, pool, index, NULL, NULL);
}

int ic_host_kvp_lookup(struct ic_host *ic, uint8_t pool, const char *key)
{
    int rc;

    if (ic->lookup)
        return -EBUSY;
    if (strlen(key) >= sizeof(ic->lookup_key))
        return -EINVAL;
    rc = ic_host_kvp_enumerate(ic, pool, 0);
    if (rc < 0)
        return rc;
    strcpy(ic->lookup_key, key);
    ic->lookup_pool = pool;
    ic->lookup = true;
    return 0;
}

int ic_host_kvp_get(struct ic_host *ic, uint8_t pool, const char *key)
{
    return kvp_send(ic, IC_KVP_OP_GET, pool, 0, key, NULL);
}

int ic_host_kvp_set(struct ic_host *ic, uint8_t pool, const char *key,
                    const char *value)
{
    return kvp_send(ic, IC_KVP_OP_SET, pool, 0, key, value);
}

int ic_host_kvp_delete(struct ic_host *ic, uint8_t pool, const char *key)
{
    return kvp_send(ic, IC_KVP_OP_DELETE, pool, 0, key, NULL);
}
