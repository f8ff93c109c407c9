/*
 * WinHv's implementation of the VMBus client's platform seam
 * (vmbus/platform.h) in the guest: pages from page_alloc(), identity GPAs,
 * HvCallPostMessage and HvCallSignalEvent, SINT 2 in deferred mode so the
 * client runs in thread context, inside wait().
 */
#include <errno.h>

#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "vmbus/platform.h"
#include "winhv/winhv_internal.h"

static struct vmbus *glue_vb;

static void *glue_alloc(void *ctx, size_t npages)
{
    return page_alloc(npages);
}

static void glue_free(void *ctx, void *p, size_t npages)
{
    page_free(p, npages);
}

static uint64_t glue_v2p(void *ctx, const void *p)
{
    return virt_to_phys(p);
}

static int glue_post(void *ctx, uint32_t conn_id, uint32_t msg_type,
                     const void *payload, uint32_t len)
{
    int rc = winhv_post_message(conn_id, msg_type, payload, len);

    /* The seam knows three outcomes.  An unknown connection id is what an
     * old host answers to connection 4: the client must fall back to an
     * older version, not retry. */
    switch (rc) {
    case 0:
    case -EAGAIN:
    case -EINVAL:
        return rc;
    case -ENOTCONN:
        return -EINVAL;
    default:
        return -EIO;
    }
}

static int glue_signal(void *ctx, uint32_t conn_id, uint16_t flag)
{
    return winhv_signal_event(conn_id, flag) ? -EIO : 0;
}

static bool sint_pending(void)
{
    const struct winhv_state *s = &winhv_state;
    const uint64_t *w = winhv_sint_event_flags(WINHV_SINT_VMBUS);

    if (!w)
        return false;
    if (__atomic_load_n(&s->simp->sint_message[WINHV_SINT_VMBUS].message_type,
                        __ATOMIC_ACQUIRE) != HV_MESSAGE_TYPE_NONE)
        return true;
    for (unsigned i = 0; i < HV_EVENT_FLAGS_BYTES / 8; i++)
        if (__atomic_load_n(&w[i], __ATOMIC_RELAXED))
            return true;
    return false;
}

static void drain(void)
{
    uint64_t *w = winhv_sint_event_flags(WINHV_SINT_VMBUS);

    if (!glue_vb || !w)
        return;
    vmbus_on_events(glue_vb, w, HV_EVENT_FLAGS_BYTES / 8);
    winhv_sint_poll(WINHV_SINT_VMBUS);
}

static void glue_wait(void *ctx, uint64_t deadline_ns)
{
    /* Interrupts off between the check and the HLT: a message landing in
     * between leaves its interrupt pending, and idle_until()'s STI;HLT
     * takes it instead of sleeping to the deadline. */
    uint64_t flags = irq_save();
    if (!sint_pending())
        idle_until(deadline_ns);
    irq_restore(flags);
    drain();
}

static uint64_t glue_now(void *ctx)
{
    return clock_now_ns();
}

static void glue_log(void *ctx, const char *line)
{
    kprintf("vmbus: %s\n", line);
}

static const struct vmbus_platform glue = {
    .ctx = NULL,
    .alloc_pages = glue_alloc,
    .free_pages = glue_free,
    .virt_to_phys = glue_v2p,
    .post_message = glue_post,
    .signal_event = glue_signal,
    .wait = glue_wait,
    .now_ns = glue_now,
    .log = glue_log,
};

const struct vmbus_platform *winhv_vmbus_platform(void)
{
    return &glue;
}

static void on_message(const struct hv_message *msg, void *ctx)
{
    vmbus_on_message(ctx, msg);
}

int winhv_vmbus_attach(struct vmbus *vb)
{
    int rc = winhv_sint_set_deferred(WINHV_SINT_VMBUS, true);

    if (rc)
        return rc;
    rc = winhv_sint_set_handler(WINHV_SINT_VMBUS, on_message, vb);
    if (rc)
        return rc;
    glue_vb = vb;
    return 0;
}
