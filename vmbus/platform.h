/*
 * The guest VMBus client's platform seam: everything the client needs from
 * the partition it runs in, and the two entry points the platform calls.
 *
 * Implemented by winhv/ in the guest (hypercalls, SynIC pages, idle_until)
 * and by tests/loopback/ in host tests (a flat "guest memory" wired to the
 * root's VMBus server in the same process).  The client never touches MSRs,
 * hypercalls or interrupt vectors itself.
 *
 * Threading: the client is single-threaded.  The platform calls
 * vmbus_on_message() and vmbus_on_events() only from thread context (never
 * from an interrupt handler) -- typically from inside wait(), or from the
 * appliance's main loop.  An interrupt handler only notes that SINT 2 fired
 * and wakes whoever sleeps in wait().
 */
#ifndef VMBUS_PLATFORM_H
#define VMBUS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

struct vmbus;

struct vmbus_platform {
    void *ctx; /* passed back as the first argument of every call */

    /*
     * npages physically contiguous, zeroed, 4 KiB-aligned pages, or NULL.
     * The host reads and writes them (ring buffers, GPADL targets).
     */
    void *(*alloc_pages)(void *ctx, size_t npages);
    void (*free_pages)(void *ctx, void *p, size_t npages);

    /* Guest-physical address of memory from alloc_pages() or any other
     * memory the client hands to the host (e.g. GPA-direct buffers). */
    uint64_t (*virt_to_phys)(void *ctx, const void *p);

    /*
     * HvCallPostMessage: posts len (<= 240) bytes as message type
     * msg_type (HV_MESSAGE_TYPE_VMBUS) to connection conn_id.
     * Returns 0, -EAGAIN (HV_STATUS_INSUFFICIENT_BUFFERS: the host's queue
     * is full, retry after wait()), -EINVAL (bad connection id or size),
     * -EIO (any other hypercall failure).
     */
    int (*post_message)(void *ctx, uint32_t conn_id, uint32_t msg_type,
                        const void *payload, uint32_t len);

    /*
     * HvCallSignalEvent on conn_id (the channel's offer connection id) with
     * flag number `flag` (0 for VMBus channels).  Returns 0 or -EIO.
     */
    int (*signal_event)(void *ctx, uint32_t conn_id, uint16_t flag);

    /*
     * Blocks until something may have arrived or now_ns() >= deadline_ns,
     * whichever is first; may return early (spurious wake-ups are fine).
     * Any SINT 2 message or event flag pending when it returns must have
     * been delivered through vmbus_on_message() / vmbus_on_events().  In the
     * guest: idle_until(deadline) plus draining the SIMP/SIEFP slots.
     */
    void (*wait)(void *ctx, uint64_t deadline_ns);

    /* Monotonic nanoseconds. */
    uint64_t (*now_ns)(void *ctx);

    /* One line of diagnostics (no newline), or NULL to discard. */
    void (*log)(void *ctx, const char *line);
};

/*
 * Entry point: a message arrived in the SINT 2 slot.  The client copies the
 * payload out before returning, so the platform may then clear the slot
 * (message_type = NONE, barrier, EOM if the pending flag was set).  Messages
 * of other types or with payload_size > 240 are ignored and logged.
 */
void vmbus_on_message(struct vmbus *vb, const struct hv_message *msg);

/*
 * Entry point: SINT 2 event flags may be set.  `flags` is the SIEFP area of
 * SINT 2 (HV_EVENT_FLAGS_BYTES / 8 words), bit n = relid n; the client
 * atomically fetches-and-clears each word and runs the callbacks of the
 * channels whose bits were set.
 */
void vmbus_on_events(struct vmbus *vb, uint64_t *flags, size_t nwords);

#endif /* VMBUS_PLATFORM_H */
