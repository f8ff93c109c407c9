/*
 * The root VMBus server's platform seam: what the server needs from the
 * root's hypervisor core (root/hv/) for one child partition, and, in
 * root/vmbus/server.h, the entry points the core calls.
 *
 * Implemented by root/hv/ (SynIC emulation, guest memory) and by
 * tests/loopback/ (a flat "guest memory" array and in-process queues).
 *
 * Every guest-physical address the server or a VSP touches goes through
 * gpa_map(), the one checked accessor.  The server is single-threaded: the
 * core calls its entry points from one context.
 */
#ifndef ROOT_VMBUS_PLATFORM_H
#define ROOT_VMBUS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct vmbus_server_platform {
    void *ctx; /* passed back as the first argument of every call */

    /*
     * Host pointer to guest-physical [gpa, gpa + len), or NULL if any byte
     * is outside the guest's RAM, the range wraps, or it is not contiguous
     * in host memory.  len may be 0 (then only gpa is checked).  The
     * pointer stays valid until the partition is reset.
     */
    void *(*gpa_map)(void *ctx, uint64_t gpa, uint64_t len);

    /*
     * Delivers a VMBus message (HV_MESSAGE_TYPE_VMBUS, len <= 240 bytes)
     * into the guest's SIMP slot for `sint` and raises the SINT.  Returns
     * 0, -EBUSY (slot still occupied: the core sets the pending flag and
     * calls vmbus_server_on_eom() after the guest's EOM; the server keeps
     * the message queued), or -ENODEV (SIMP or SynIC disabled: dropped).
     */
    int (*post_message)(void *ctx, uint32_t sint, const void *payload,
                        uint32_t len);

    /* Sets event flag `flag` (0..2047) in the guest's SIEFP area for
     * `sint`, without interrupting.  0 or -ENODEV (SIEFP disabled). */
    int (*set_event_flag)(void *ctx, uint32_t sint, uint32_t flag);

    /* Raises `sint` (its vector, if unmasked).  The server calls it once
     * after setting a batch of flags. */
    void (*raise_sint)(void *ctx, uint32_t sint);

    /* Zeroed root memory for server state, or NULL. */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p);

    /* Monotonic nanoseconds. */
    uint64_t (*now_ns)(void *ctx);

    /* One line of diagnostics (no newline), or NULL to discard. */
    void (*log)(void *ctx, const char *line);
};

#endif /* ROOT_VMBUS_PLATFORM_H */
