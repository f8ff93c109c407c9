/*
 * WinHv internals: the pure helpers the guest files share with the host
 * unit tests, and the thin hardware layer (winhv/hw.c) that is the only
 * place executing CPUID, RDMSR/WRMSR, RDTSC and the hypercall instruction.
 */
#ifndef WINHV_WINHV_INTERNAL_H
#define WINHV_WINHV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/hv.h"
#include "winhv/winhv.h"

/* --- rep hypercalls (pure, winhv/hcall.c) ------------------------------- */

/* Issues one hypercall; returns the raw result value (RAX). */
typedef uint64_t (*winhv_raw_call_fn)(uint64_t input, uint64_t in_gpa,
                                      uint64_t out_gpa, void *ctx);

/*
 * Issues the call described by input (built by winhv_hc_encode) through
 * raw and, for a rep call, re-issues it with rep start = reps completed
 * until every rep is done or the status is not success.  *reps_done (never
 * NULL) is the total of completed reps, rep start included.
 * Returns 0; -EPROTO when a result reports reps completed beyond the rep
 * count or not beyond the rep start (no progress: a broken hypervisor would
 * make us loop forever); the mapped HV_STATUS otherwise.
 */
int winhv_hc_run(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                 winhv_raw_call_fn raw, void *ctx, unsigned *reps_done);

/* --- reference time (pure, winhv/tsc.c) --------------------------------- */

/* Times a changing sequence is retried before the MSR fallback is used. */
#define WINHV_TSC_RETRIES 64u

/* ((tsc * scale) >> 64) + offset with 128-bit intermediate, wrapping add. */
static inline uint64_t winhv_tsc_scale(uint64_t tsc, uint64_t scale,
                                       int64_t offset)
{
    unsigned __int128 p = (unsigned __int128)tsc * scale;
    return (uint64_t)(p >> 64) + (uint64_t)offset;
}

/* Reads the TSC (hw: serialised RDTSC; tests: a script). */
typedef uint64_t (*winhv_tsc_fn)(void *ctx);

/*
 * Reads reference time (100 ns) from a reference TSC page with the sequence
 * protocol: sequence, scale, offset, TSC, sequence again; retry when the
 * sequence changed.  Pure apart from tsc.
 * Returns 0 with *ref set; -ENODATA when the sequence is 0 (page invalid:
 * use HV_MSR_TIME_REF_COUNT); -EAGAIN when the sequence changed
 * WINHV_TSC_RETRIES times in a row (use the MSR as well).
 */
int winhv_tsc_page_read(const struct hv_reference_tsc_page *pg,
                        winhv_tsc_fn tsc, void *ctx, uint64_t *ref);

/*
 * Maps reference time to the kernel's nanoseconds: ns0 is clock_now_ns()
 * when ref0 was read, so the clock does not jump when WinHv takes over.
 */
struct winhv_clock_base {
    uint64_t ref0; /* 100 ns units */
    uint64_t ns0;
};
/* ns0 + (ref - ref0) * 100, saturating; ref before ref0 gives ns0. */
uint64_t winhv_ref_to_ns(const struct winhv_clock_base *b, uint64_t ref);
/* Earliest reference time at or after ns (rounds up); ns before ns0 gives
 * ref0; saturates at UINT64_MAX. */
uint64_t winhv_ns_to_ref(const struct winhv_clock_base *b, uint64_t ns);

/* --- EOI assist (pure, winhv/regs.c) ------------------------------------ */

/* Whether the partition offers EOI assist: the APIC MSRs (and with them
 * the VP assist page MSR) granted and recommended. */
bool winhv_eoi_assist_offered(const struct winhv_info *info);
/* The guest half of EOI assist: swaps 0 into the VP assist page's
 * apic_assist and returns true when the hypervisor had marked the
 * interrupt in service "no EOI required" (then it is already ended);
 * false means the EOI must be written. */
bool winhv_eoi_skip(uint32_t *apic_assist);

/* --- MSR values (pure, winhv/regs.c) ------------------------------------ */

/* SIMP, SIEFP, reference TSC: old's reserved bits 1..11, gpa, enable. */
uint64_t winhv_page_msr_value(uint64_t old, uint64_t gpa);
/* HV_MSR_HYPERCALL: old's reserved bits 2..11, gpa, enable, never locked. */
uint64_t winhv_hypercall_msr_value(uint64_t old, uint64_t gpa);
/* SINTn: old's reserved bits; masked, or vector (+ AutoEOI) unmasked. */
uint64_t winhv_sint_value(uint64_t old, uint8_t vector, bool unmasked,
                          bool auto_eoi);
/* STIMERn_CONFIG for a one-shot AUTO_ENABLE timer: direct mode on vector,
 * or messages to sint (must not be 0 in message mode, TLFS). */
uint64_t winhv_stimer_config_value(bool direct, uint8_t vector, unsigned sint);
/* STIMERn_COUNT for a kernel deadline: 0 (stop) for UINT64_MAX, else the
 * absolute reference time, at least 1. */
uint64_t winhv_stimer_count(const struct winhv_clock_base *b,
                            uint64_t deadline_ns);

/* --- SynIC slots and flags (pure, winhv/synic_msg.c) -------------------- */

/*
 * Takes the message out of a SIMP slot: copies it to *copy (payload_size
 * clamped to 240), sets the slot's type to NONE, full barrier, then reads
 * the pending flag into *need_eom (the caller writes HV_MSR_EOM if true).
 * Returns 1 when a message was taken; 0 when the slot was empty (nothing
 * changed, *need_eom false); -EPROTO when the hypervisor wrote a payload
 * size above 240 (the slot is released all the same, *copy is the clamped
 * message, the caller reports and drops it).
 */
int winhv_msg_take(struct hv_message *slot, struct hv_message *copy,
                   bool *need_eom);

/*
 * Scans flags 0..nflags-1 of one SINT's event area (256 bytes, 8-byte
 * aligned): each set flag is atomically cleared, then fn(flag, ctx) is
 * called.  Returns the number of flags handled; nflags is capped at
 * HV_EVENT_FLAGS_COUNT.
 */
unsigned winhv_event_scan(void *flags, unsigned nflags, winhv_event_fn fn,
                          void *ctx);

/* --- hardware layer (guest only, winhv/hw.c) ---------------------------- */

void winhv_hw_cpuid(uint32_t leaf, uint32_t subleaf, struct winhv_cpuid *out,
                    void *ctx);
uint64_t winhv_hw_rdmsr(uint32_t msr);
void winhv_hw_wrmsr(uint32_t msr, uint64_t value);
/* RDTSC ordered after earlier loads (LFENCE first); ctx unused. */
uint64_t winhv_hw_rdtsc(void *ctx);
/* One hypercall through the page at ctx: RCX input, RDX/R8, RAX result. */
uint64_t winhv_hw_hypercall(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                            void *page);

/* --- state shared by the guest files (winhv/winhv.c) -------------------- */

struct winhv_sint_slot {
    uint8_t vector; /* 0 until the first handler is set */
    winhv_msg_fn msg_fn;
    void *msg_ctx;
    winhv_event_fn event_fn;
    void *event_ctx;
    unsigned nflags;
    bool deferred; /* handlers run from winhv_sint_poll() only */
};

struct winhv_state {
    bool detected, ready;
    struct winhv_info info;
    void *hypercall_page;
    void *input_page, *output_page;
    struct hv_message_page *simp;
    struct hv_event_flags_page *siefp;
    bool synic, auto_eoi;
    struct winhv_sint_slot sints[HV_SINT_COUNT];
    struct hv_reference_tsc_page *tsc_page;
    struct hv_vp_assist_page *vp_assist; /* EOI assist on when non-NULL */
    bool clock, timer, timer_direct, crash;
    void *crash_msg_page; /* NULL unless CRASH_MESSAGE is supported */
};

/* The one instance (guest only). */
extern struct winhv_state winhv_state;

/* winhv_sint_set_handler() without the WINHV_SINT_TIMER reservation. */
int winhv_sint_set_handler_internal(unsigned sint, winhv_msg_fn fn, void *ctx);

/* Second stages of winhv_init(), each in its own file. */
int winhv_synic_enable(void);
int winhv_clock_enable(void);
void winhv_crash_enable(void);
void winhv_eoi_enable(void);

#endif /* WINHV_WINHV_INTERNAL_H */
