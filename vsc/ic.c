/* Guest integration components (see vsc/ic.h). */
#include "common/ic_services.h"
#include "vsc/ic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/vmbus_msg.h"

_Static_assert(IC_SVC_COUNT == IC_SERVICE_COUNT, "one service table");

#define IC_RING_BYTES (16u * 1024u)

struct kvp_entry {
    char key[IC_GUEST_KVP_KEY];
    char value[IC_GUEST_KVP_VALUE];
};

struct ic_service {
    struct ic_guest *g;
    unsigned svc;
    struct vmbus_driver drv;
    struct vmbus_channel *ch;
    struct ic_version fw, msg; /* negotiated */
};

struct ic_guest {
    struct ic_guest_config cfg;
    struct ic_service svc[IC_SVC_COUNT];
    struct kvp_entry pools[IC_KVP_POOL_COUNT][IC_GUEST_KVP_ENTRIES];
    struct ic_guest_stats stats;
    int shutdown_pending;
    uint32_t shutdown_flags;
    uint8_t buf[IC_MAX_PACKET + 64]; /* one packet being answered */
};

static int ver_eq(struct ic_version a, struct ic_version b)
{
    return a.major == b.major && a.minor == b.minor;
}

/* Picks the newest of ours that the host lists; 0 if found. */
static int pick(const uint8_t *list, uint32_t n, const struct ic_version *ours,
                size_t nours, struct ic_version *out)
{
    size_t i;
    uint32_t k;

    for (i = 0; i < nours; i++) {
        for (k = 0; k < n; k++) {
            struct ic_version v;
            memcpy(&v, list + 4u * k, sizeof(v));
            if (ver_eq(v, ours[i])) {
                *out = v;
                return 0;
            }
        }
    }
    return -1;
}

static int negotiate(struct ic_service *s, uint8_t *msg, uint32_t len,
                     struct ic_hdr *h)
{
    struct ic_negotiate n;
    struct ic_version fw, mv;
    uint8_t *list = msg + IC_BODY_OFFSET + sizeof(n);
    uint32_t total;

    if (len < IC_BODY_OFFSET + sizeof(n))
        return -EBADMSG;
    memcpy(&n, msg + IC_BODY_OFFSET, sizeof(n));
    total = (uint32_t)n.framework_count + n.message_count;
    if (total > IC_NEGOTIATE_MAX_VERSIONS ||
        len < IC_BODY_OFFSET + sizeof(n) + 4u * total)
        return -EBADMSG;
    if (pick(list, n.framework_count, ic_framework_versions,
             ic_framework_nversions, &fw) == 0 &&
        pick(list + 4u * n.framework_count, n.message_count,
             ic_services[s->svc].versions, ic_services[s->svc].nversions,
             &mv) == 0) {
        s->fw = fw;
        s->msg = mv;
        n.framework_count = 1;
        n.message_count = 1;
        memcpy(list, &fw, 4);
        memcpy(list + 4, &mv, 4);
        h->status = IC_S_OK;
    } else {
        n.framework_count = 0;
        n.message_count = 0;
        h->status = IC_E_FAIL;
    }
    memcpy(msg + IC_BODY_OFFSET, &n, sizeof(n));
    h->msgsize = IC_NEGOTIATE_RESP_MSGSIZE;
    s->g->stats.negotiations++;
    return 0;
}

static int heartbeat(struct ic_service *s, uint8_t *msg, uint32_t len,
                     struct ic_hdr *h)
{
    struct ic_heartbeat hb;

    if (len < IC_BODY_OFFSET + IC_HEARTBEAT_MIN)
        return -EBADMSG;
    memset(&hb, 0, sizeof(hb));
    memcpy(&hb, msg + IC_BODY_OFFSET,
           len - IC_BODY_OFFSET < sizeof(hb) ? len - IC_BODY_OFFSET
                                             : sizeof(hb));
    hb.seq_num++;
    memcpy(msg + IC_BODY_OFFSET, &hb.seq_num, sizeof(hb.seq_num));
    if (len >= IC_BODY_OFFSET + 12u) {
        uint32_t st = IC_HB_STATE_HEALTHY;
        memcpy(msg + IC_BODY_OFFSET + 8, &st, 4);
    }
    h->status = IC_S_OK;
    s->g->stats.heartbeats++;
    return 0;
}

static int shutdown_req(struct ic_service *s, uint8_t *msg, uint32_t len,
                        struct ic_hdr *h)
{
    struct ic_shutdown sd;

    if (len < IC_BODY_OFFSET + IC_SHUTDOWN_MIN)
        return -EBADMSG;
    memcpy(&sd, msg + IC_BODY_OFFSET, IC_SHUTDOWN_MIN);
    s->g->stats.shutdowns++;
    if (!s->g->cfg.shutdown ||
        (sd.flags & (IC_SHUTDOWN_FLAG_RESTART | IC_SHUTDOWN_FLAG_HIBERNATE))) {
        h->status = IC_E_NOT_SUPPORTED;
        return 0;
    }
    h->status = IC_S_OK;
    s->g->shutdown_pending = 1;
    s->g->shutdown_flags = sd.flags;
    return 0;
}

static int timesync(struct ic_service *s, uint8_t *msg, uint32_t len,
                    struct ic_hdr *h)
{
    uint64_t parent;
    uint8_t flags;

    if (h->msgver.major >= 4) {
        struct ic_timesync_v4 t;
        if (len < IC_BODY_OFFSET + IC_TIMESYNC_V4_MIN)
            return -EBADMSG;
        memcpy(&t, msg + IC_BODY_OFFSET, IC_TIMESYNC_V4_MIN);
        parent = t.parent_time;
        flags = t.flags;
        if (s->g->cfg.ref_time) {
            uint64_t now = s->g->cfg.ref_time(s->g->cfg.ctx);
            /* Only a forward, plausible (< 1 h) age is applied. */
            if (now >= t.vm_reference && now - t.vm_reference < 36000000000ull)
                parent += now - t.vm_reference;
        }
    } else {
        struct ic_timesync_v3 t;
        if (len < IC_BODY_OFFSET + IC_TIMESYNC_V3_MIN)
            return -EBADMSG;
        memcpy(&t, msg + IC_BODY_OFFSET, IC_TIMESYNC_V3_MIN);
        parent = t.parent_time;
        flags = t.flags;
    }
    s->g->stats.timesyncs++;
    h->status = IC_S_OK;
    if (parent < IC_EPOCH_DELTA_100NS ||
        parent - IC_EPOCH_DELTA_100NS > UINT64_MAX / 100u)
        return 0; /* before 1970 or beyond 2554: ignore the sample */
    if ((flags & (IC_TIMESYNC_SYNC | IC_TIMESYNC_SAMPLE)) && s->g->cfg.set_time)
        s->g->cfg.set_time(s->g->cfg.ctx,
                           (parent - IC_EPOCH_DELTA_100NS) * 100u, flags);
    return 0;
}

/* ---- KVP ---- */

static struct kvp_entry *kvp_find(struct ic_guest *g, uint8_t pool,
                                  const char *key)
{
    uint32_t i;

    for (i = 0; i < IC_GUEST_KVP_ENTRIES; i++)
        if (g->pools[pool][i].key[0] && !strcmp(g->pools[pool][i].key, key))
            return &g->pools[pool][i];
    return NULL;
}

static int kvp_put_value(struct ic_kvp_value *v, const char *key,
                         const char *value)
{
    v->value_type = IC_KVP_REG_SZ;
    v->key_size = vmbus_ic_ascii_to_utf16(key, v->key, sizeof(v->key));
    v->value_size = vmbus_ic_ascii_to_utf16(value, v->value, sizeof(v->value));
    return v->key_size && v->value_size ? 0 : -EINVAL;
}

/* Entry `index` of a pool: the provider for AUTO, the table otherwise. */
static int kvp_entry_at(struct ic_guest *g, uint8_t pool, uint32_t index,
                        char *key, char *value)
{
    uint32_t i, n = 0;

    if (pool == IC_KVP_POOL_AUTO) {
        if (!g->cfg.kvp_auto)
            return -ENOENT;
        key[0] = value[0] = '\0';
        if (g->cfg.kvp_auto(g->cfg.ctx, index, key, IC_GUEST_KVP_KEY, value,
                            IC_GUEST_KVP_VALUE) < 0)
            return -ENOENT;
        key[IC_GUEST_KVP_KEY - 1] = value[IC_GUEST_KVP_VALUE - 1] = '\0';
        return 0;
    }
    for (i = 0; i < IC_GUEST_KVP_ENTRIES; i++) {
        struct kvp_entry *e = &g->pools[pool][i];
        if (e->key[0] && n++ == index) {
            memcpy(key, e->key, IC_GUEST_KVP_KEY);
            memcpy(value, e->value, IC_GUEST_KVP_VALUE);
            return 0;
        }
    }
    return -ENOENT;
}

static int kvp(struct ic_service *s, uint8_t *msg, uint32_t len,
               struct ic_hdr *h)
{
    struct ic_guest *g = s->g;
    struct ic_kvp_hdr kh;
    struct ic_kvp_enumerate en;
    char key[IC_GUEST_KVP_KEY], value[IC_GUEST_KVP_VALUE];
    uint8_t *body = msg + IC_BODY_OFFSET + sizeof(kh);
    struct kvp_entry *e;
    uint32_t i;

    if (len < IC_BODY_OFFSET + sizeof(kh))
        return -EBADMSG;
    memcpy(&kh, msg + IC_BODY_OFFSET, sizeof(kh));
    g->stats.kvp_requests++;
    h->status = IC_E_FAIL;
    if (kh.pool >= IC_KVP_POOL_COUNT)
        return 0;

    switch (kh.operation) {
    case IC_KVP_OP_ENUMERATE:
        if (len < IC_BODY_OFFSET + IC_KVP_MSG_BYTES)
            return -EBADMSG;
        memcpy(&en.index, body, sizeof(en.index));
        if (kvp_entry_at(g, kh.pool, en.index, key, value) < 0)
            return 0;
        memset(&en.data, 0, sizeof(en.data));
        if (kvp_put_value(&en.data, key, value) == 0) {
            memcpy(body + 4, &en.data, sizeof(en.data));
            h->status = IC_S_OK;
        }
        return 0;
    case IC_KVP_OP_GET:
    case IC_KVP_OP_SET:
        if (len < IC_BODY_OFFSET + sizeof(kh) + sizeof(struct ic_kvp_value))
            return -EBADMSG;
        memcpy(&en.data, body, sizeof(en.data));
        if (en.data.key_size > IC_KVP_MAX_KEY_BYTES ||
            en.data.value_size > IC_KVP_MAX_VALUE_BYTES ||
            vmbus_ic_utf16_to_ascii(en.data.key, en.data.key_size, key,
                                    sizeof(key)) <= 0)
            return 0;
        if (kh.operation == IC_KVP_OP_SET) {
            if (kh.pool == IC_KVP_POOL_AUTO ||
                en.data.value_type != IC_KVP_REG_SZ ||
                vmbus_ic_utf16_to_ascii(en.data.value, en.data.value_size,
                                        value, sizeof(value)) < 0)
                return 0;
            e = kvp_find(g, kh.pool, key);
            for (i = 0; !e && i < IC_GUEST_KVP_ENTRIES; i++)
                if (!g->pools[kh.pool][i].key[0])
                    e = &g->pools[kh.pool][i];
            if (!e)
                return 0;
            memcpy(e->key, key, sizeof(key));
            memcpy(e->value, value, sizeof(value));
            h->status = IC_S_OK;
            return 0;
        }
        if (kh.pool == IC_KVP_POOL_AUTO) {
            char k2[IC_GUEST_KVP_KEY] = "";
            for (i = 0; kvp_entry_at(g, kh.pool, i, k2, value) == 0; i++)
                if (!strcmp(k2, key))
                    break;
            if (strcmp(k2, key))
                return 0;
        } else {
            e = kvp_find(g, kh.pool, key);
            if (!e)
                return 0;
            memcpy(value, e->value, sizeof(value));
        }
        if (kvp_put_value(&en.data, key, value) == 0) {
            memcpy(body, &en.data, sizeof(en.data));
            h->status = IC_S_OK;
        }
        return 0;
    case IC_KVP_OP_DELETE: {
        struct ic_kvp_delete d;
        if (len < IC_BODY_OFFSET + sizeof(kh) + sizeof(d))
            return -EBADMSG;
        memcpy(&d, body, sizeof(d));
        if (d.key_size > IC_KVP_MAX_KEY_BYTES ||
            vmbus_ic_utf16_to_ascii(d.key, d.key_size, key, sizeof(key)) <= 0 ||
            kh.pool == IC_KVP_POOL_AUTO)
            return 0;
        e = kvp_find(g, kh.pool, key);
        if (e) {
            memset(e, 0, sizeof(*e));
            h->status = IC_S_OK;
        }
        return 0;
    }
    default:
        h->status = IC_E_NOT_SUPPORTED;
        return 0;
    }
}

int ic_guest_kvp_identity(void *identity, uint32_t index, char *key,
                          size_t key_cap, char *value, size_t value_cap)
{
    const struct ic_guest_identity *id = identity;
    const struct {
        const char *key;
        const char *value;
    } items[] = {
        {"FullyQualifiedDomainName", id->host_name},
        {"IntegrationServicesVersion", id->ics_version},
        {"NetworkAddressIPv4", id->ipv4},
        {"NetworkAddressIPv6", id->ipv6},
        {"OSBuildNumber", id->os_build},
        {"OSName", id->os_name},
        {"OSMajorVersion", id->os_major},
        {"OSMinorVersion", id->os_minor},
        {"OSVersion", id->os_version},
        {"ProcessorArchitecture", id->arch},
    };
    size_t i, n = 0;

    for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        if (!items[i].value || n++ != index)
            continue;
        if (strlen(items[i].key) >= key_cap ||
            strlen(items[i].value) >= value_cap)
            return -ENOENT;
        strcpy(key, items[i].key);
        strcpy(value, items[i].value);
        return 0;
    }
    return -ENOENT;
}

int ic_guest_handle(struct ic_guest *g, unsigned svc, uint8_t *msg,
                    uint32_t len, uint32_t cap, uint32_t *out_len)
{
    struct ic_service *s;
    struct ic_hdr h;
    int rc;

    if (svc >= IC_SVC_COUNT || cap < len)
        return -EINVAL;
    s = &g->svc[svc];
    if (vmbus_ic_check(msg, len, &h) < 0) {
        g->stats.bad_messages++;
        return -EBADMSG;
    }
    if (h.flags & IC_FLAG_RESPONSE) {
        g->stats.bad_messages++;
        return -EBADMSG;
    }
    if (h.msgtype == IC_MSG_NEGOTIATE)
        rc = negotiate(s, msg, len, &h);
    else if (h.msgtype != ic_services[svc].msgtype)
        rc = -EBADMSG;
    else if (svc == IC_SVC_HEARTBEAT)
        rc = heartbeat(s, msg, len, &h);
    else if (svc == IC_SVC_SHUTDOWN)
        rc = shutdown_req(s, msg, len, &h);
    else if (svc == IC_SVC_TIMESYNC)
        rc = timesync(s, msg, len, &h);
    else
        rc = kvp(s, msg, len, &h);
    if (rc < 0) {
        g->stats.bad_messages++;
        return rc;
    }
    h.flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
    memcpy(msg + sizeof(struct ic_pipe_hdr), &h, sizeof(h));
    *out_len = len;
    return 1;
}

int ic_guest_take_shutdown(struct ic_guest *g, uint32_t *flags)
{
    if (!g->shutdown_pending)
        return 0;
    g->shutdown_pending = 0;
    *flags = g->shutdown_flags;
    return 1;
}

static void on_channel(struct vmbus_channel *ch, void *ctx)
{
    struct ic_service *s = ctx;
    struct ic_guest *g = s->g;
    struct vmbus_pkt_info info;
    uint32_t flags, out_len;
    int rc;

    for (;;) {
        rc = vmbus_chan_recv(ch, g->buf, sizeof(g->buf), &info);
        if (rc == -EAGAIN)
            break;
        if (rc == -EMSGSIZE) {
            /* Larger than any IC message: skip it. */
            uint8_t *big = malloc(info.len);
            if (!big || vmbus_chan_recv(ch, big, info.len, &info) < 0) {
                free(big);
                break;
            }
            free(big);
            g->stats.bad_messages++;
            continue;
        }
        if (rc < 0)
            break;
        if (info.type != VMBUS_PKT_DATA_INBAND)
            continue;
        rc = ic_guest_handle(g, s->svc, g->buf + info.offset,
                             info.len - info.offset,
                             (uint32_t)sizeof(g->buf) - info.offset, &out_len);
        if (rc == 1)
            vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, info.trans_id,
                            g->buf + info.offset, out_len);
        if (ic_guest_take_shutdown(g, &flags))
            g->cfg.shutdown(g->cfg.ctx, flags);
    }
}

static int probe(struct vmbus_channel *ch, void *ctx)
{
    struct ic_service *s = ctx;

    if (s->ch)
        return -EBUSY;
    if (vmbus_chan_open(ch, IC_RING_BYTES, IC_RING_BYTES, NULL, 0, on_channel,
                        s) < 0)
        return -EIO;
    s->ch = ch;
    return 0;
}

static void remove_ic(struct vmbus_channel *ch, void *ctx)
{
    struct ic_service *s = ctx;

    vmbus_chan_close(ch);
    s->ch = NULL;
}

struct ic_guest *ic_guest_create(struct vmbus *vb,
                                 const struct ic_guest_config *cfg)
{
    struct ic_guest *g = calloc(1, sizeof(*g));
    unsigned i;

    if (!g)
        return NULL;
    g->cfg = *cfg;
    for (i = 0; i < IC_SVC_COUNT; i++) {
        struct ic_service *s = &g->svc[i];
        s->g = g;
        s->svc = i;
        s->drv.name = ic_services[i].name;
        s->drv.class_id = ic_services[i].class_id;
        s->drv.probe = probe;
        s->drv.remove = remove_ic;
        s->drv.ctx = s;
        if (vmbus_register_driver(vb, &s->drv) < 0) {
            while (i-- > 0)
                vmbus_unregister_driver(vb, &g->svc[i].drv);
            free(g);
            return NULL;
        }
    }
    return g;
}

void ic_guest_destroy(struct ic_guest *g)
{
    free(g);
}

const struct ic_guest_stats *ic_guest_get_stats(const struct ic_guest *g)
{
    return &g->stats;
}
