/*
 * RNDIS message parsing and building (wire formats in proto/rndis.h).
 *
 * Pure C with no globals: the guest's netvsc, the root's netvsp, the host
 * tests and the fuzzer link it unchanged.  Parsers take a message as bytes
 * from a peer (possibly hostile, possibly unaligned, possibly still mapped
 * into the peer: read each field once) and either return a view whose
 * pointers lie inside [msg, msg + len) or an error.  Builders write into a
 * caller's buffer and return the message length.
 *
 * Offsets on the wire count from RNDIS_OFFSET_BASE (8 bytes after the
 * message start); views hold plain pointers so callers never redo that
 * arithmetic.
 */
#ifndef COMMON_RNDIS_H
#define COMMON_RNDIS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/rndis.h"

/* A validated RNDIS message. */
struct rndis_view {
    uint32_t type;       /* RNDIS_MSG_* */
    uint32_t len;        /* msg_len: bytes of this message, <= buffer */
    uint32_t request_id; /* 0 where the type has none */
    uint32_t status;     /* completions and INDICATE, else 0 */
    uint32_t oid;        /* QUERY and SET requests, else 0 */
    /* The variable part: the frame (PACKET), the information buffer
     * (QUERY/SET, QUERY_CMPLT), the status buffer (INDICATE); NULL and 0
     * when the message has none or its length is 0. */
    const uint8_t *buf;
    uint32_t buf_len;
    /* PACKET only: the per-packet info area (NULL, 0 if none). */
    const uint8_t *ppi;
    uint32_t ppi_len;
    /* INIT_CMPLT only (0 otherwise). */
    uint32_t major_version, minor_version, medium, max_pkts_per_msg;
    uint32_t max_xfer_size, pkt_alignment_factor;
    /* INIT request only: the peer's max_xfer_size goes to max_xfer_size,
     * versions to major/minor_version. */
};

/*
 * Validates the message at the start of msg (len bytes available; a
 * transfer may hold several messages back to back: the next starts at
 * msg + view->len, which is a multiple of 4 for well-formed peers but is
 * not required to be).
 * Returns 0 and fills *v; -EBADMSG when msg_len is below 8, above len, or
 * below the type's fixed size, or when a buffer lies outside the message
 * or overlaps its fixed part; -ENOMSG for an unknown message type (v->type
 * and v->len are still filled when the header itself is sound, so the
 * caller may skip it).
 */
int rndis_parse(const void *msg, uint32_t len, struct rndis_view *v);

/* Minimum msg_len of a message type, or 0 for an unknown type. */
uint32_t rndis_min_len(uint32_t type);

/*
 * Finds per-packet info element `type` (RNDIS_PPI_*; the internal bit is
 * compared too) in a PPI area from a packet view and returns its data.
 * Returns 0, -ENOENT (absent), -EBADMSG (an element with size < 12, size
 * beyond the area, or data offset outside the element).
 */
int rndis_ppi_find(const uint8_t *ppi, uint32_t ppi_len, uint32_t type,
                   const uint8_t **data, uint32_t *data_len);
/* The same for elements holding a u32 (checksum, VLAN, LSO, hash):
 * 0, -ENOENT, -EBADMSG (also when the data is shorter than 4 bytes). */
int rndis_ppi_u32(const uint8_t *ppi, uint32_t ppi_len, uint32_t type,
                  uint32_t *value);

/* ---- builders: each returns the message length or -ENOSPC (cap too
 * small) / -EINVAL (bad argument).  buf needs no alignment. ---- */

/* One u32-valued per-packet info element for rndis_build_packet(). */
struct rndis_ppi_u32 {
    uint32_t type; /* RNDIS_PPI_* */
    uint32_t value;
};
#define RNDIS_PPI_U32_BYTES 16u /* element size of a u32 PPI */
#define RNDIS_MAX_PPIS 4u

/*
 * PACKET header plus nppi (<= RNDIS_MAX_PPIS) u32 elements for a frame of
 * frame_len bytes that the caller places right after the header: the
 * return value is the frame's offset from buf (44 + 16 * nppi); msg_len is
 * that plus frame_len.  cap must cover header and frame.
 */
int rndis_build_packet(void *buf, uint32_t cap, const struct rndis_ppi_u32 *ppi,
                       uint32_t nppi, uint32_t frame_len);

int rndis_build_init(void *buf, uint32_t cap, uint32_t request_id,
                     uint32_t max_xfer_size);
/* QUERY or SET (type) carrying info_len bytes of info (info may be NULL
 * when info_len is 0). */
int rndis_build_oid_req(void *buf, uint32_t cap, uint32_t type,
                        uint32_t request_id, uint32_t oid, const void *info,
                        uint32_t info_len);
int rndis_build_keepalive(void *buf, uint32_t cap, uint32_t request_id);
int rndis_build_halt(void *buf, uint32_t cap, uint32_t request_id);
int rndis_build_reset(void *buf, uint32_t cap);

/* Host side. */
int rndis_build_init_cmplt(void *buf, uint32_t cap, uint32_t request_id,
                           uint32_t status, uint32_t max_pkts_per_msg,
                           uint32_t max_xfer_size,
                           uint32_t pkt_alignment_factor);
int rndis_build_query_cmplt(void *buf, uint32_t cap, uint32_t request_id,
                            uint32_t status, const void *info,
                            uint32_t info_len);
/* SET_CMPLT or KEEPALIVE_CMPLT (type). */
int rndis_build_status_cmplt(void *buf, uint32_t cap, uint32_t type,
                             uint32_t request_id, uint32_t status);
int rndis_build_reset_cmplt(void *buf, uint32_t cap, uint32_t status,
                            uint32_t addressing_reset);
int rndis_build_indicate(void *buf, uint32_t cap, uint32_t status,
                         const void *sbuf, uint32_t sbuf_len);

#endif /* COMMON_RNDIS_H */
