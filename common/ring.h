/*
 * One direction of a VMBus ring buffer, usable as writer or reader.
 *
 * The ring works on any memory the caller maps: guest pages in the guest, a
 * GPADL mapped through the root's checked accessor, or flat buffers in host
 * tests.  The control page and the data area are passed separately; the data
 * area must be contiguous in the caller's address space.
 *
 * The peer is not trusted.  Every index and length it writes is checked
 * before use; a bad value makes the call fail with -EIO (index) or -EBADMSG
 * (packet descriptor) and leaves the ring untouched, never a crash or an
 * access outside the two areas.  Packets are copied out before they are
 * parsed, so the peer cannot change them after validation.
 *
 * Writer: ring_put() appends packets privately; ring_flush() publishes them
 * all with one index store and says whether the reader must be signalled
 * (ring was empty before and the reader's interrupt_mask is 0).  ring_send()
 * is put + flush.
 *
 * Reader: ring_peek()/ring_read() consume privately; ring_read_done()
 * publishes the read index and says whether the writer must be signalled
 * (free space crossed the writer's pending_send_sz).
 *
 * One writer and one reader may run concurrently on the two ends (separate
 * struct ring values over the same memory).  A struct ring itself is not
 * thread-safe.  No globals; pure C11 with __atomic builtins.
 */
#ifndef COMMON_RING_H
#define COMMON_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ring.h"

struct ring {
    struct vmbus_ring_ctrl *ctrl; /* shared control page */
    uint8_t *data;                /* shared data area */
    uint32_t size;                /* data bytes, multiple of 8 */
    uint32_t priv_write;          /* writer: next byte, not yet published */
    uint32_t pub_write;           /* writer: last published write index */
    uint32_t priv_read;           /* reader: next byte, not yet published */
    uint32_t pub_read;            /* reader: last published read index */
};

/* One piece of a packet being written. */
struct ring_iov {
    const void *base;
    uint32_t len;
};

/* What ring_peek()/ring_read() report about a packet (validated). */
struct ring_pkt_info {
    uint16_t type;   /* VMBUS_PKT_* */
    uint16_t flags;  /* VMBUS_PKT_FLAG_* */
    uint32_t offset; /* payload offset from packet start, bytes, >= 16 */
    uint32_t len;    /* packet bytes without trailer, >= offset */
    uint64_t trans_id;
};

/*
 * Attaches to a ring.  size must be a non-zero multiple of 8 and < 2^31.
 * Takes the private indices from the control page (as the peer left them,
 * checked).  Returns 0, -EINVAL (bad size or NULL areas), -EIO (control page
 * indices out of range).
 */
int ring_attach(struct ring *r, void *ctrl, void *data, uint32_t size);

/*
 * Owner set-up (the guest, before handing the ring to the host): zeroes the
 * indices and masks, advertises pending_send_sz support.  Then attaches.
 */
int ring_init(struct ring *r, void *ctrl, void *data, uint32_t size);

/* Bytes a packet with payload_len bytes (including its descriptor) takes. */
static inline uint32_t ring_pkt_bytes(uint32_t payload_len)
{
    return ((payload_len + 7u) & ~7u) + VMBUS_PKT_TRAILER_BYTES;
}

/* ---- writer ---- */

/*
 * Appends one packet made of the concatenated iov pieces (the caller builds
 * the struct vmbus_pkt_desc as the first bytes), padded to 8, plus the
 * trailer.  Not visible to the reader until ring_flush().
 * Returns 0, -EAGAIN (not enough free space now), -EMSGSIZE (larger than the
 * ring could ever hold), -EIO (the reader's read_index is corrupt).
 */
int ring_put(struct ring *r, const struct ring_iov *iov, size_t n);

/*
 * Publishes everything put so far.  Returns true when the reader must be
 * signalled: the ring was empty before this publication and the reader's
 * interrupt_mask is 0.
 */
bool ring_flush(struct ring *r);

/* ring_put() + ring_flush(): 1 = signal the reader, 0 = don't, or the
 * negative ring_put() error. */
int ring_send(struct ring *r, const struct ring_iov *iov, size_t n);

/* Free bytes for the writer now (the reader's index is re-read); a packet
 * of ring_pkt_bytes(x) fits when that is < the free space.  -EIO if corrupt. */
int64_t ring_write_space(struct ring *r);

/*
 * Asks the reader to signal once at least `bytes` are free (pending_send_sz;
 * 0 cancels).  Returns true if that much is already free, so the caller
 * retries at once instead of waiting.  The reader only honours it when its
 * side advertises VMBUS_RING_FEATURE_PENDING_SEND_SZ.
 */
bool ring_want_space(struct ring *r, uint32_t bytes);

/* ---- reader ---- */

/*
 * Describes the next unread packet without consuming it.  Returns 0,
 * -EAGAIN (ring empty), -EIO (write_index corrupt), -EBADMSG (descriptor
 * lengths inconsistent: offset8 < 2, len8 < offset8, or the packet is longer
 * than the bytes written).
 */
int ring_peek(struct ring *r, struct ring_pkt_info *info);

/*
 * Copies the next packet (descriptor included, trailer excluded, info->len
 * bytes) into buf and consumes it privately.  The descriptor in buf is the
 * validated copy.  Returns 0, the ring_peek() errors, or -EMSGSIZE when
 * buflen < info->len (info is filled, nothing consumed; see ring_skip()).
 */
int ring_read(struct ring *r, void *buf, uint32_t buflen,
              struct ring_pkt_info *info);

/* Consumes the next packet without copying it.  ring_peek() errors. */
int ring_skip(struct ring *r);

/*
 * Publishes the read index.  Returns true when the writer must be signalled:
 * it set pending_send_sz, this ring advertises the feature, and the free
 * space went from below pending_send_sz to at least it.
 */
bool ring_read_done(struct ring *r);

/* Reader's interrupt mask: set 1 while polling.  ring_unmask() sets it to 0
 * and returns true if packets are waiting (poll again, no signal will come). */
void ring_mask(struct ring *r);
bool ring_unmask(struct ring *r);

/* True if nothing is waiting for the reader. */
bool ring_empty(struct ring *r);

#endif /* COMMON_RING_H */
