/*
 * RNDIS parsing and building (contract in common/rndis.h).
 *
 * Fields are read with memcpy: messages come from receive buffers and send
 * sections at arbitrary offsets, so no alignment is assumed.  Offset
 * arithmetic is done in 64 bits so a peer's 0xffffffff cannot wrap.
 */
#include "common/rndis.h"

#include <errno.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
    uint32_t v;
    memcpy(&v, p + off, sizeof(v));
    return v;
}

static void wr32(uint8_t *p, uint32_t off, uint32_t v)
{
    memcpy(p + off, &v, sizeof(v));
}

/*
 * Per-type layout: fixed size and where the common fields sit (byte
 * offsets from the message start; 0 = the type has no such field, since
 * offset 0 is always msg_type).  buf_len_at/buf_off_at locate the
 * variable buffer, whose own offset counts from RNDIS_OFFSET_BASE.
 */
struct rndis_layout {
    uint32_t min_len;
    uint8_t req_id_at;
    uint8_t status_at;
    uint8_t oid_at;
    uint8_t buf_len_at;
    uint8_t buf_off_at;
};

#define L_IDX(type) (((type)&0xfu) | (((type) >> 27) & 0x10u))
#define L_COUNT 0x20u

static const struct rndis_layout layouts[L_COUNT] = {
    [L_IDX(RNDIS_MSG_PACKET)] = {sizeof(struct rndis_packet), 0, 0, 0,
                                 offsetof(struct rndis_packet, data_len),
                                 offsetof(struct rndis_packet, data_offset)},
    [L_IDX(RNDIS_MSG_INIT)] = {sizeof(struct rndis_init_req), 8, 0, 0, 0, 0},
    [L_IDX(RNDIS_MSG_HALT)] = {sizeof(struct rndis_halt_req), 8, 0, 0, 0, 0},
    [L_IDX(RNDIS_MSG_QUERY)] = {sizeof(struct rndis_oid_req), 8, 0, 12, 16, 20},
    [L_IDX(RNDIS_MSG_SET)] = {sizeof(struct rndis_oid_req), 8, 0, 12, 16, 20},
    [L_IDX(RNDIS_MSG_RESET)] = {sizeof(struct rndis_reset_req), 0, 0, 0, 0, 0},
    [L_IDX(RNDIS_MSG_INDICATE)] = {sizeof(struct rndis_indicate), 0, 8, 0, 12,
                                   16},
    [L_IDX(RNDIS_MSG_KEEPALIVE)] = {sizeof(struct rndis_keepalive_req), 8, 0, 0,
                                    0, 0},
    [L_IDX(RNDIS_MSG_INIT_CMPLT)] = {sizeof(struct rndis_init_cmplt), 8, 12, 0,
                                     0, 0},
    [L_IDX(RNDIS_MSG_QUERY_CMPLT)] = {sizeof(struct rndis_query_cmplt), 8, 12,
                                      0, 16, 20},
    [L_IDX(RNDIS_MSG_SET_CMPLT)] = {sizeof(struct rndis_status_cmplt), 8, 12, 0,
                                    0, 0},
    [L_IDX(RNDIS_MSG_RESET_CMPLT)] = {sizeof(struct rndis_reset_cmplt), 0, 8, 0,
                                      0, 0},
    [L_IDX(RNDIS_MSG_KEEPALIVE_CMPLT)] = {sizeof(struct rndis_status_cmplt), 8,
                                          12, 0, 0, 0},
};

static const struct rndis_layout *layout_of(uint32_t type)
{
    /* Only types 1..8, with or without the completion bit, are known. */
    if ((type & ~(RNDIS_MSG_COMPLETION | 0xfu)) != 0)
        return NULL;
    uint32_t i = L_IDX(type);
    if (i >= L_COUNT || layouts[i].min_len == 0)
        return NULL;
    return &layouts[i];
}

uint32_t rndis_min_len(uint32_t type)
{
    const struct rndis_layout *l = layout_of(type);
    return l ? l->min_len : 0;
}

/*
 * A buffer of blen bytes at boff (from RNDIS_OFFSET_BASE) must lie inside
 * the message and after its fixed part.  A zero-length buffer is accepted
 * whatever its offset (hosts send offset 0 with length 0).
 */
static int check_buf(uint32_t msg_len, uint32_t fixed, uint32_t boff,
                     uint32_t blen, uint32_t *start)
{
    if (blen == 0) {
        *start = 0;
        return 0;
    }
    uint64_t s = (uint64_t)boff + RNDIS_OFFSET_BASE;
    if (s < fixed || s + blen > msg_len)
        return -EBADMSG;
    *start = (uint32_t)s;
    return 0;
}

int rndis_parse(const void *msg, uint32_t len, struct rndis_view *v)
{
    const uint8_t *p = msg;

    memset(v, 0, sizeof(*v));
    if (len < sizeof(struct rndis_hdr))
        return -EBADMSG;
    v->type = rd32(p, 0);
    v->len = rd32(p, 4);
    if (v->len < sizeof(struct rndis_hdr) || v->len > len)
        return -EBADMSG;

    const struct rndis_layout *l = layout_of(v->type);
    if (!l)
        return -ENOMSG;
    if (v->len < l->min_len)
        return -EBADMSG;

    if (l->req_id_at)
        v->request_id = rd32(p, l->req_id_at);
    if (l->status_at)
        v->status = rd32(p, l->status_at);
    if (l->oid_at)
        v->oid = rd32(p, l->oid_at);
    if (l->buf_len_at) {
        uint32_t blen = rd32(p, l->buf_len_at);
        uint32_t start;
        if (check_buf(v->len, l->min_len, rd32(p, l->buf_off_at), blen, &start))
            return -EBADMSG;
        v->buf = blen ? p + start : NULL;
        v->buf_len = blen;
    }

    switch (v->type) {
    case RNDIS_MSG_PACKET: {
        uint32_t plen =
            rd32(p, offsetof(struct rndis_packet, per_pkt_info_len));
        uint32_t start;
        if (check_buf(
                v->len, l->min_len,
                rd32(p, offsetof(struct rndis_packet, per_pkt_info_offset)),
                plen, &start))
            return -EBADMSG;
        v->ppi = plen ? p + start : NULL;
        v->ppi_len = plen;
        break;
    }
    case RNDIS_MSG_INIT:
        v->major_version =
            rd32(p, offsetof(struct rndis_init_req, major_version));
        v->minor_version =
            rd32(p, offsetof(struct rndis_init_req, minor_version));
        v->max_xfer_size =
            rd32(p, offsetof(struct rndis_init_req, max_xfer_size));
        break;
    case RNDIS_MSG_INIT_CMPLT:
        v->major_version =
            rd32(p, offsetof(struct rndis_init_cmplt, major_version));
        v->minor_version =
            rd32(p, offsetof(struct rndis_init_cmplt, minor_version));
        v->medium = rd32(p, offsetof(struct rndis_init_cmplt, medium));
        v->max_pkts_per_msg =
            rd32(p, offsetof(struct rndis_init_cmplt, max_pkts_per_msg));
        v->max_xfer_size =
            rd32(p, offsetof(struct rndis_init_cmplt, max_xfer_size));
        v->pkt_alignment_factor =
            rd32(p, offsetof(struct rndis_init_cmplt, pkt_alignment_factor));
        break;
    default:
        break;
    }
    return 0;
}

int rndis_ppi_find(const uint8_t *ppi, uint32_t ppi_len, uint32_t type,
                   const uint8_t **data, uint32_t *data_len)
{
    uint32_t at = 0;

    while (ppi_len - at >= sizeof(struct rndis_ppi)) {
        uint32_t size = rd32(ppi, at);
        uint32_t etype = rd32(ppi, at + 4);
        uint32_t off = rd32(ppi, at + 8);
        if (size < sizeof(struct rndis_ppi) || size > ppi_len - at ||
            off < sizeof(struct rndis_ppi) || off > size)
            return -EBADMSG;
        if (etype == type) {
            *data = ppi + at + off;
            *data_len = size - off;
            return 0;
        }
        at += size;
    }
    /* Trailing bytes too short for an element are malformed too. */
    return at == ppi_len ? -ENOENT : -EBADMSG;
}

int rndis_ppi_u32(const uint8_t *ppi, uint32_t ppi_len, uint32_t type,
                  uint32_t *value)
{
    const uint8_t *d;
    uint32_t dlen;
    int rc = rndis_ppi_find(ppi, ppi_len, type, &d, &dlen);
    if (rc)
        return rc;
    if (dlen < sizeof(uint32_t))
        return -EBADMSG;
    *value = rd32(d, 0);
    return 0;
}

/* ---- builders ---- */

static uint8_t *start_msg(void *buf, uint32_t cap, uint32_t type, uint32_t len)
{
    if (len > cap)
        return NULL;
    uint8_t *p = buf;
    memset(p, 0, len);
    wr32(p, 0, type);
    wr32(p, 4, len);
    return p;
}

int rndis_build_packet(void *buf, uint32_t cap, const struct rndis_ppi_u32 *ppi,
                       uint32_t nppi, uint32_t frame_len)
{
    if (nppi > RNDIS_MAX_PPIS || (nppi && !ppi))
        return -EINVAL;
    uint32_t hdr =
        (uint32_t)sizeof(struct rndis_packet) + nppi * RNDIS_PPI_U32_BYTES;
    if ((uint64_t)hdr + frame_len > cap)
        return -ENOSPC;
    uint8_t *p = start_msg(buf, cap, RNDIS_MSG_PACKET, hdr + frame_len);
    wr32(p, offsetof(struct rndis_packet, data_offset),
         hdr - RNDIS_OFFSET_BASE);
    wr32(p, offsetof(struct rndis_packet, data_len), frame_len);
    if (nppi) {
        wr32(p, offsetof(struct rndis_packet, per_pkt_info_offset),
             (uint32_t)sizeof(struct rndis_packet) - RNDIS_OFFSET_BASE);
        wr32(p, offsetof(struct rndis_packet, per_pkt_info_len),
             nppi * RNDIS_PPI_U32_BYTES);
    }
    for (uint32_t i = 0; i < nppi; i++) {
        uint32_t at =
            (uint32_t)sizeof(struct rndis_packet) + i * RNDIS_PPI_U32_BYTES;
        wr32(p, at, RNDIS_PPI_U32_BYTES);
        wr32(p, at + 4, ppi[i].type);
        wr32(p, at + 8, (uint32_t)sizeof(struct rndis_ppi));
        wr32(p, at + 12, ppi[i].value);
    }
    return (int)hdr;
}

int rndis_build_init(void *buf, uint32_t cap, uint32_t request_id,
                     uint32_t max_xfer_size)
{
    uint8_t *p =
        start_msg(buf, cap, RNDIS_MSG_INIT, sizeof(struct rndis_init_req));
    if (!p)
        return -ENOSPC;
    wr32(p, offsetof(struct rndis_init_req, request_id), request_id);
    wr32(p, offsetof(struct rndis_init_req, major_version),
         RNDIS_MAJOR_VERSION);
    wr32(p, offsetof(struct rndis_init_req, minor_version),
         RNDIS_MINOR_VERSION);
    wr32(p, offsetof(struct rndis_init_req, max_xfer_size), max_xfer_size);
    return (int)sizeof(struct rndis_init_req);
}

int rndis_build_oid_req(void *buf, uint32_t cap, uint32_t type,
                        uint32_t request_id, uint32_t oid, const void *info,
                        uint32_t info_len)
{
    if ((type != RNDIS_MSG_QUERY && type != RNDIS_MSG_SET) ||
        (info_len && !info))
        return -EINVAL;
    uint64_t len = (uint64_t)sizeof(struct rndis_oid_req) + info_len;
    if (len > cap)
        return -ENOSPC;
    uint8_t *p = start_msg(buf, cap, type, (uint32_t)len);
    wr32(p, offsetof(struct rndis_oid_req, request_id), request_id);
    wr32(p, offsetof(struct rndis_oid_req, oid), oid);
    wr32(p, offsetof(struct rndis_oid_req, info_buf_len), info_len);
    wr32(p, offsetof(struct rndis_oid_req, info_buf_offset),
         RNDIS_OID_REQ_INFO_OFFSET);
    if (info_len)
        memcpy(p + sizeof(struct rndis_oid_req), info, info_len);
    return (int)len;
}

static int build_id_only(void *buf, uint32_t cap, uint32_t type,
                         uint32_t request_id)
{
    uint8_t *p = start_msg(buf, cap, type, 12);
    if (!p)
        return -ENOSPC;
    wr32(p, 8, request_id);
    return 12;
}

int rndis_build_keepalive(void *buf, uint32_t cap, uint32_t request_id)
{
    return build_id_only(buf, cap, RNDIS_MSG_KEEPALIVE, request_id);
}

int rndis_build_halt(void *buf, uint32_t cap, uint32_t request_id)
{
    return build_id_only(buf, cap, RNDIS_MSG_HALT, request_id);
}

int rndis_build_reset(void *buf, uint32_t cap)
{
    return build_id_only(buf, cap, RNDIS_MSG_RESET, 0);
}

int rndis_build_init_cmplt(void *buf, uint32_t cap, uint32_t request_id,
                           uint32_t status, uint32_t max_pkts_per_msg,
                           uint32_t max_xfer_size,
                           uint32_t pkt_alignment_factor)
{
    uint8_t *p = start_msg(buf, cap, RNDIS_MSG_INIT_CMPLT,
                           sizeof(struct rndis_init_cmplt));
    if (!p)
        return -ENOSPC;
    wr32(p, offsetof(struct rndis_init_cmplt, request_id), request_id);
    wr32(p, offsetof(struct rndis_init_cmplt, status), status);
    wr32(p, offsetof(struct rndis_init_cmplt, major_version),
         RNDIS_MAJOR_VERSION);
    wr32(p, offsetof(struct rndis_init_cmplt, minor_version),
         RNDIS_MINOR_VERSION);
    wr32(p, offsetof(struct rndis_init_cmplt, device_flags),
         RNDIS_DF_CONNECTIONLESS);
    wr32(p, offsetof(struct rndis_init_cmplt, medium), RNDIS_MEDIUM_802_3);
    wr32(p, offsetof(struct rndis_init_cmplt, max_pkts_per_msg),
         max_pkts_per_msg);
    wr32(p, offsetof(struct rndis_init_cmplt, max_xfer_size), max_xfer_size);
    wr32(p, offsetof(struct rndis_init_cmplt, pkt_alignment_factor),
         pkt_alignment_factor);
    return (int)sizeof(struct rndis_init_cmplt);
}

int rndis_build_query_cmplt(void *buf, uint32_t cap, uint32_t request_id,
                            uint32_t status, const void *info,
                            uint32_t info_len)
{
    if (info_len && !info)
        return -EINVAL;
    uint64_t len = (uint64_t)sizeof(struct rndis_query_cmplt) + info_len;
    if (len > cap)
        return -ENOSPC;
    uint8_t *p = start_msg(buf, cap, RNDIS_MSG_QUERY_CMPLT, (uint32_t)len);
    wr32(p, offsetof(struct rndis_query_cmplt, request_id), request_id);
    wr32(p, offsetof(struct rndis_query_cmplt, status), status);
    wr32(p, offsetof(struct rndis_query_cmplt, info_buf_len), info_len);
    if (info_len) {
        wr32(p, offsetof(struct rndis_query_cmplt, info_buf_offset),
             RNDIS_QUERY_CMPLT_INFO_OFFSET);
        memcpy(p + sizeof(struct rndis_query_cmplt), info, info_len);
    }
    return (int)len;
}

int rndis_build_status_cmplt(void *buf, uint32_t cap, uint32_t type,
                             uint32_t request_id, uint32_t status)
{
    if (type != RNDIS_MSG_SET_CMPLT && type != RNDIS_MSG_KEEPALIVE_CMPLT)
        return -EINVAL;
    uint8_t *p = start_msg(buf, cap, type, sizeof(struct rndis_status_cmplt));
    if (!p)
        return -ENOSPC;
    wr32(p, offsetof(struct rndis_status_cmplt, request_id), request_id);
    wr32(p, offsetof(struct rndis_status_cmplt, status), status);
    return (int)sizeof(struct rndis_status_cmplt);
}

int rndis_build_reset_cmplt(void *buf, uint32_t cap, uint32_t status,
                            uint32_t addressing_reset)
{
    uint8_t *p = start_msg(buf, cap, RNDIS_MSG_RESET_CMPLT,
                           sizeof(struct rndis_reset_cmplt));
    if (!p)
        return -ENOSPC;
    wr32(p, offsetof(struct rndis_reset_cmplt, status), status);
    wr32(p, offsetof(struct rndis_reset_cmplt, addressing_reset),
         addressing_reset);
    return (int)sizeof(struct rndis_reset_cmplt);
}

int rndis_build_indicate(void *buf, uint32_t cap, uint32_t status,
                         const void *sbuf, uint32_t sbuf_len)
{
    if (sbuf_len && !sbuf)
        return -EINVAL;
    uint64_t len = (uint64_t)sizeof(struct rndis_indicate) + sbuf_len;
    if (len > cap)
        return -ENOSPC;
    uint8_t *p = start_msg(buf, cap, RNDIS_MSG_INDICATE, (uint32_t)len);
    wr32(p, offsetof(struct rndis_indicate, status), status);
    wr32(p, offsetof(struct rndis_indicate, status_buf_len), sbuf_len);
    if (sbuf_len) {
        wr32(p, offsetof(struct rndis_indicate, status_buf_offset),
             (uint32_t)sizeof(struct rndis_indicate) - RNDIS_OFFSET_BASE);
        memcpy(p + sizeof(struct rndis_indicate), sbuf, sbuf_len);
    }
    return (int)len;
}
