/*
 * SynIC message slot and event flag handling.  Pure: the slot and flag
 * memory are parameters, the EOM write is left to the caller.
 */
#include <errno.h>
#include <string.h>

#include "winhv/winhv_internal.h"

int winhv_msg_take(struct hv_message *slot, struct hv_message *copy,
                   bool *need_eom)
{
    *need_eom = false;
    /* Acquire: the header and payload were written before the type. */
    uint32_t type = __atomic_load_n(&slot->message_type, __ATOMIC_ACQUIRE);
    if (type == HV_MESSAGE_TYPE_NONE)
        return 0;

    /* Copy out first: once the type is NONE the hypervisor may overwrite
     * the slot with the next message. */
    memcpy(copy, slot, sizeof(*copy));
    copy->message_type = type;
    int rc = 1;
    if (copy->payload_size > HV_MESSAGE_PAYLOAD_BYTES) {
        copy->payload_size = HV_MESSAGE_PAYLOAD_BYTES;
        rc = -EPROTO;
    }

    __atomic_store_n(&slot->message_type, HV_MESSAGE_TYPE_NONE,
                     __ATOMIC_RELAXED);
    /* Full barrier: the NONE store must be visible before we look at the
     * pending flag, or a message the hypervisor queued in between would
     * wait for an EOM that never comes. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *need_eom = (__atomic_load_n(&slot->message_flags, __ATOMIC_RELAXED) &
                 HV_MESSAGE_FLAG_PENDING) != 0;
    return rc;
}

typedef uint64_t __attribute__((may_alias)) flag_word;

unsigned winhv_event_scan(void *flags, unsigned nflags, winhv_event_fn fn,
                          void *ctx)
{
    flag_word *w = flags;
    unsigned handled = 0;

    if (nflags > HV_EVENT_FLAGS_COUNT)
        nflags = HV_EVENT_FLAGS_COUNT;
    for (unsigned i = 0; i * 64 < nflags; i++) {
        uint64_t valid =
            nflags - i * 64 >= 64 ? ~0ull : (1ull << (nflags - i * 64)) - 1;
        uint64_t seen = __atomic_load_n(&w[i], __ATOMIC_RELAXED) & valid;
        while (seen) {
            unsigned bit = (unsigned)__builtin_ctzll(seen);
            uint64_t m = 1ull << bit;
            seen &= ~m;
            /* Clear before the callback so a flag set again while it runs
             * is seen by the next scan, not lost. */
            if (__atomic_fetch_and(&w[i], ~m, __ATOMIC_SEQ_CST) & m) {
                fn(i * 64 + bit, ctx);
                handled++;
            }
        }
    }
    return handled;
}
