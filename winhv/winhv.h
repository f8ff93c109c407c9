/*
 * WinHv: the guest's interface to a Hyper-V compatible hypervisor.
 *
 * Detection (CPUID), hypercalls, the synthetic interrupt controller (SynIC),
 * the reference clock, synthetic timer 0 and crash reporting.  Written
 * against the TLFS; the reference root is one implementation of it, real
 * Hyper-V and Azure are others.  One CPU: "per-CPU" state exists once.
 *
 * Order of use: winhv_init() once, early, with interrupts enabled or not;
 * everything else after it returned 0.  The pure helpers (winhv_detect,
 * winhv_hc_encode, winhv_status_to_errno) need no init and no hardware.
 *
 * "Hv#1" in CPUID is necessary but not sufficient: KVM and others offer the
 * same interface with their own subset of features.  The final proof that
 * this is a Hyper-V style child partition is a VMBus connection (vmbus/).
 */
#ifndef WINHV_WINHV_H
#define WINHV_WINHV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

/* --- detection ---------------------------------------------------------- */

struct winhv_cpuid {
    uint32_t eax, ebx, ecx, edx;
};
/* Executes (or, in tests, looks up) CPUID leaf/subleaf into *out. */
typedef void (*winhv_cpuid_fn)(uint32_t leaf, uint32_t subleaf,
                               struct winhv_cpuid *out, void *ctx);

/*
 * What the hypervisor told us through CPUID 0x40000000..0x40000006; leaves
 * above max_leaf read as zero.  Filled once, read-only afterwards.
 */
struct winhv_info {
    uint32_t max_leaf;       /* 0x40000000 EAX */
    char vendor[13];         /* 0x40000000 EBX,ECX,EDX, NUL-terminated */
    bool vendor_is_ms;       /* vendor is "Microsoft Hv" (KVM can say so too) */
    uint32_t interface;      /* 0x40000001 EAX, HV_CPUID_INTERFACE_HV1 */
    uint32_t build;          /* 0x40000002 EAX */
    uint16_t major, minor;   /* 0x40000002 EBX 31..16, 15..0 */
    uint32_t service_pack;   /* 0x40000002 ECX */
    uint8_t service_branch;  /* 0x40000002 EDX 31..24 */
    uint32_t service_number; /* 0x40000002 EDX 23..0 */
    uint32_t priv_lo;        /* 0x40000003 EAX, HV_PRIV_* (MSRs) */
    uint32_t priv_hi;        /* 0x40000003 EBX, HV_PRIV_* (calls) */
    uint32_t features_ecx;   /* 0x40000003 ECX, power management */
    uint32_t features;       /* 0x40000003 EDX, HV_FEATURE_* */
    uint32_t hints;          /* 0x40000004 EAX, HV_HINT_* */
    uint32_t spin_retries;   /* 0x40000004 EBX, HV_HINT_SPIN_NEVER */
    uint8_t pa_bits;         /* 0x40000004 ECX 6..0, 0 if unknown */
    uint32_t max_vps;        /* 0x40000005 EAX */
    uint32_t max_lps;        /* 0x40000005 EBX */
    uint32_t max_irq_mappings; /* 0x40000005 ECX */
    uint32_t hw_features;      /* 0x40000006 EAX, 0 if absent */
};

/*
 * Parses the hypervisor's CPUID leaves through fn into *out (zeroed first).
 * Pure: no globals, no hardware beyond fn.
 * Returns 0 when CPUID.1:ECX[31] is set, the max leaf lies in
 * [HV_CPUID_MAX_LEAF_MIN, HV_CPUID_MAX_LEAF_MAX] and 0x40000001 EAX is
 * "Hv#1"; -ENODEV otherwise (no hypervisor, or one without the Hyper-V
 * interface; out->vendor is filled when a hypervisor is present).
 */
int winhv_detect(winhv_cpuid_fn fn, void *ctx, struct winhv_info *out);

/* What winhv_init() detected (also when it then failed with -ENOTSUP or
 * later), or NULL when detection did not succeed. */
const struct winhv_info *winhv_get_info(void);

/*
 * Prints one line per fact (vendor, interface, version, privileges,
 * features, recommendations, limits, what WinHv enabled) on the console.
 * Prints "winhv: no Hyper-V interface" when detection failed.
 */
void winhv_describe(void);

/* --- initialisation ----------------------------------------------------- */

/*
 * Brings up everything the hypervisor offers, in this order: detection,
 * guest OS id, hypercall page and per-CPU hypercall pages, SynIC (SIMP,
 * SIEFP, SCONTROL; SINTs stay masked until a handler is set), reference
 * clock installed with clock_set_source() (TSC page when offered, else the
 * reference counter MSR), synthetic timer 0 installed with idle_set_timer()
 * (direct mode when offered, else messages on WINHV_SINT_TIMER), crash MSRs
 * installed with panic_set_hook(), EOI assist (VP assist page, EOIs through
 * apic_set_eoi()) when the APIC MSRs are recommended.  Features the
 * partition lacks are left out (winhv_describe() tells which).
 * Returns 0; -ENODEV without the Hyper-V interface (a message is printed,
 * nothing was touched); -ENOTSUP when the hypercall MSRs are not granted;
 * -ENOMEM when pages could not be allocated (nothing was enabled); -EIO
 * when the hypervisor refused the hypercall page or locked it out of reach
 * (pages freed, nothing enabled); -ENOSPC when no interrupt vector was free
 * for the timer (hypercalls, SynIC and the clock stay up, no timer);
 * -EALREADY when an earlier call got as far as the hypercall page.
 */
int winhv_init(void);

/* Guest OS id WinHv writes: open-source encoding, OS type 0 (other). */
#define WINHV_OS_TYPE 0x00u
#define WINHV_OS_ID 0x45u /* 'E' */
#define WINHV_OS_VERSION 0x00000100u
#define WINHV_OS_BUILD 0x0001u
#define WINHV_GUEST_OS_ID                                                      \
    HV_GUEST_OS_ID_OPEN(WINHV_OS_TYPE, WINHV_OS_ID, WINHV_OS_VERSION,          \
                        WINHV_OS_BUILD)

/* --- hypercalls ---------------------------------------------------------- */

#define WINHV_HC_FAST 0x1u /* flag for winhv_hc_encode() */

/*
 * Builds the 64-bit hypercall input value (TLFS "hypercall inputs"): code in
 * 0..15, fast flag 16, variable header size in 8-byte units 17..26, rep
 * count 32..43, rep start index 48..59.  Pure.
 * Returns 0 with *input set; -EINVAL when flags has unknown bits,
 * varhead_bytes is not a multiple of 8 or exceeds HV_HC_VARHEAD_MAX * 8,
 * rep_count exceeds HV_HC_REP_MAX, rep_start is not below rep_count (for
 * rep_count > 0) or non-zero (for rep_count == 0), or a fast call asks for
 * reps or a variable header (we issue fast calls with two registers only).
 */
int winhv_hc_encode(uint16_t code, unsigned flags, unsigned varhead_bytes,
                    unsigned rep_count, unsigned rep_start, uint64_t *input);

/*
 * Translates an HV_STATUS into 0 or a negative errno; the only place that
 * does.  Pure.  HV_STATUS_SUCCESS -> 0; INVALID_HYPERCALL_CODE -> -ENOSYS;
 * INVALID_HYPERCALL_INPUT, INVALID_ALIGNMENT, INVALID_PARAMETER, invalid
 * ids and indices, INVALID_REGISTER_VALUE -> -EINVAL; ACCESS_DENIED ->
 * -EACCES; OPERATION_DENIED -> -EPERM; partition/VP/SynIC state errors,
 * OBJECT_IN_USE, NOT_ACKNOWLEDGED -> -EBUSY; ACKNOWLEDGED -> -EALREADY;
 * UNKNOWN_PROPERTY, NOT_FOUND -> -ENOENT; PROPERTY_VALUE_OUT_OF_RANGE ->
 * -ERANGE; INSUFFICIENT_MEMORY, NO_RESOURCES -> -ENOMEM;
 * INSUFFICIENT_BUFFERS (message queue full: retry later) -> -EAGAIN;
 * INSUFFICIENT_BUFFER -> -ENOBUFS; INVALID_PORT_ID -> -ENXIO;
 * INVALID_CONNECTION_ID -> -ENOTCONN; NO_DATA -> -ENODATA;
 * FEATURE_UNAVAILABLE, PROCESSOR_FEATURE_NOT_SUPPORTED -> -EOPNOTSUPP;
 * TIMEOUT -> -ETIMEDOUT; CALL_PENDING -> -EINPROGRESS; anything else -> -EIO.
 */
int winhv_status_to_errno(uint16_t status);

/*
 * Slow hypercall through the per-CPU input and output pages, interrupts
 * disabled for its duration.  in_len bytes of in are copied to the input
 * page (8-byte aligned start, at most HV_PAGE_SIZE), out_len bytes of the
 * output page are copied to out afterwards (also on failure, so callers can
 * read partial rep output).  varhead_bytes of the input (after the fixed
 * header, counted within in_len) are a variable header.  With rep_count > 0
 * the call is a rep call: it is re-issued with rep start = reps completed
 * until all are done or one fails; *reps_done (may be NULL) says how far it
 * got.
 * Returns 0; -EINVAL for bad lengths or encoding (see winhv_hc_encode);
 * -ENODEV before winhv_init(); -EPROTO when the hypervisor reports reps
 * completed that do not advance or exceed rep_count; otherwise the mapped
 * HV_STATUS (see winhv_status_to_errno).
 */
int winhv_call(uint16_t code, const void *in, size_t in_len,
               unsigned varhead_bytes, unsigned rep_count, void *out,
               size_t out_len, unsigned *reps_done);

/*
 * Fast hypercall: input in RDX (in0) and R8 (in1), no memory, no output.
 * Safe in interrupt context.
 * Returns 0; -ENODEV before winhv_init(); the mapped HV_STATUS otherwise.
 */
int winhv_call_fast(uint16_t code, uint64_t in0, uint64_t in1);

/*
 * HvCallPostMessage: queues a message of type (1..0x7FFFFFFF) with len
 * payload bytes on connection conn_id.  Safe in interrupt context.
 * Returns 0; -EINVAL when len > HV_MESSAGE_PAYLOAD_BYTES, type is 0 or has
 * bit 31 set, or payload is NULL with len > 0; -EAGAIN when the target's
 * queue is full (retry later); -ENOTCONN for an unknown connection; other
 * mapped HV_STATUS values; -ENODEV before winhv_init().
 */
int winhv_post_message(uint32_t conn_id, uint32_t type, const void *payload,
                       size_t len);

/*
 * HvCallSignalEvent (fast): sets event flag `flag` (relative to the port's
 * base flag) on connection conn_id.  Safe in interrupt context.
 * Returns 0; -ENOTCONN for an unknown connection; other mapped HV_STATUS
 * values; -ENODEV before winhv_init().
 */
int winhv_signal_event(uint32_t conn_id, uint16_t flag);

/* --- SynIC --------------------------------------------------------------- */

#define WINHV_SINT_VMBUS 2u /* VMBus channel messages and events */
/* stimer0 expiry messages in message mode; the TLFS forbids SINT 0 there. */
#define WINHV_SINT_TIMER 3u

/*
 * Called in interrupt context with a private copy of a message that arrived
 * in the SINT's SIMP slot; the slot has already been released (type NONE,
 * EOM if the hypervisor had more pending).  msg->payload_size <= 240.
 */
typedef void (*winhv_msg_fn)(const struct hv_message *msg, void *ctx);
/* Called once per event flag found set (and now cleared) on the SINT. */
typedef void (*winhv_event_fn)(unsigned flag, void *ctx);

/*
 * Installs the message handler of a SINT and unmasks it: the first handler
 * set on a SINT allocates its vector (irq_alloc_vector) and programs the
 * SINT with AutoEOI unless CPUID recommends against it (then the kernel
 * EOIs after the handler).  fn == NULL removes the handler; the SINT stays
 * unmasked while an event handler remains.  Messages that arrive without a
 * handler are released and dropped.
 * Returns 0; -EINVAL when sint >= 16 or sint is WINHV_SINT_TIMER while
 * WinHv uses it; -ENODEV when the SynIC is not available; -ENOSPC when no
 * vector is free.
 */
int winhv_sint_set_handler(unsigned sint, winhv_msg_fn fn, void *ctx);

/*
 * Installs the event-flag handler of a SINT: on each of its interrupts,
 * flags 0..nflags-1 of its SIEFP area are scanned, each set flag atomically
 * cleared and passed to fn (before the message handler runs).  Same vector
 * and return values as winhv_sint_set_handler(); additionally -EINVAL when
 * nflags is 0 or above HV_EVENT_FLAGS_COUNT with fn != NULL.
 */
int winhv_sint_set_event_handler(unsigned sint, unsigned nflags,
                                 winhv_event_fn fn, void *ctx);

/*
 * Runs the SINT's handlers (events, then messages) in the caller's context,
 * as its interrupt does in immediate mode; the handlers run with interrupts
 * disabled.  Returns the number of events and messages handled (>= 0);
 * -EINVAL when sint >= 16; -ENODEV when the SynIC is not available.
 */
int winhv_sint_poll(unsigned sint);

/*
 * Deferred delivery (deferred = true): the SINT's interrupt only wakes the
 * CPU; messages and event flags stay in their SIMP/SIEFP slots until the
 * owner calls winhv_sint_poll() from thread context.  To sleep without
 * losing a wake-up: disable interrupts, poll, and only if it returned 0
 * call idle_until() (its STI;HLT takes the pending interrupt).  Immediate
 * delivery (the default) runs the handlers in the interrupt handler.
 * Returns 0; -EINVAL when sint >= 16 or is WINHV_SINT_TIMER while WinHv
 * uses it; -ENODEV when the SynIC is not available.
 */
int winhv_sint_set_deferred(unsigned sint, bool deferred);

/*
 * The SINT's event flag area in the SIEFP page (HV_EVENT_FLAGS_BYTES bytes,
 * 8-byte aligned, bit n = flag n; the hypervisor sets bits, the guest
 * clears them atomically), for owners that scan it themselves instead of
 * setting an event handler.  NULL when sint >= 16 or there is no SynIC.
 */
uint64_t *winhv_sint_event_flags(unsigned sint);

/* --- VMBus platform seam (winhv/vmbus_glue.c) --------------------------- */

struct vmbus;
struct vmbus_platform;

/*
 * WinHv's implementation of the VMBus client's platform (vmbus/platform.h):
 * page_alloc() pages, identity GPAs, winhv_post_message() (-EAGAIN when the
 * host's queue is full, -EINVAL for an unknown connection or bad size,
 * -EIO otherwise), winhv_signal_event(), clock_now_ns(), and a wait() that
 * sleeps in idle_until() unless SINT 2 has something, then hands SINT 2
 * events and messages to the client.  Use after winhv_init(); pass it to
 * vmbus_create(), then winhv_vmbus_attach() before vmbus_connect().
 */
const struct vmbus_platform *winhv_vmbus_platform(void);

/*
 * Routes SINT 2 to vb: deferred delivery, messages and events handed over
 * from the platform's wait() in thread context.
 * Returns 0; -ENODEV when the SynIC is not available; -ENOSPC when no
 * vector is free.
 */
int winhv_vmbus_attach(struct vmbus *vb);

/* --- clock and timer ----------------------------------------------------- */

/*
 * Partition reference time in 100 ns units: the TSC page when valid, else
 * the reference counter MSR.  0 when neither is available.
 */
uint64_t winhv_ref_time(void);

/* True when winhv_init() installed the reference clock / stimer0 timer. */
bool winhv_clock_installed(void);
bool winhv_timer_installed(void);

/*
 * Crash MSR layout WinHv writes from the panic hook: P0 = WINHV_CRASH_CODE,
 * P1 = RIP of the panic, P2 = WINHV_GUEST_OS_ID, P3/P4 = GPA and length of
 * the reason text when CRASH_CTL offers CRASH_MESSAGE (else 0, 0).
 */
#define WINHV_CRASH_CODE 0x454E4C00000000E1ull /* "ENL" + panic */

#endif /* WINHV_WINHV_H */
