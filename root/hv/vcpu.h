/*
 * The child partition's one virtual processor as the pure emulation layers
 * see it: registers, the Hyper-V synthetic state, the virtual local APIC,
 * the child's memory, the clock.  Nothing here touches hardware: the SVM
 * layer (root/svm/) copies the VMCB into this struct before it dispatches
 * an exit and back after, so every module under root/hv/ and root/dev/ is
 * a state machine the host unit tests drive directly.
 *
 * Guest memory is reached only through gmem_ptr(), which returns NULL for
 * any range not wholly inside the child's RAM.
 *
 * Time: every deadline is kept in host TSC ticks (0 = none).  The run loop
 * stores the current TSC in vcpu.now_tsc before each dispatch; reference
 * time (TLFS, 100 ns units) is derived from it with ref_scale.
 */
#ifndef ROOT_HV_VCPU_H
#define ROOT_HV_VCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

/* General-purpose registers, in the x86 encoding order (ModRM reg field). */
enum {
    GPR_RAX,
    GPR_RCX,
    GPR_RDX,
    GPR_RBX,
    GPR_RSP,
    GPR_RBP,
    GPR_RSI,
    GPR_RDI,
    GPR_R8,
    GPR_R9,
    GPR_R10,
    GPR_R11,
    GPR_R12,
    GPR_R13,
    GPR_R14,
    GPR_R15,
    GPR_COUNT
};

/* Exception vectors the root injects. */
#define X86_EXC_DE 0
#define X86_EXC_UD 6
#define X86_EXC_DF 8
#define X86_EXC_GP 13
#define X86_EXC_PF 14

#define RFLAGS_IF (1ull << 9)
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_PG (1ull << 31)

/* The child's RAM: guest-physical 0..size maps to host base..base+size. */
struct gmem {
    uint8_t *base;
    uint64_t size;
};

/*
 * Host pointer for guest-physical [gpa, gpa+len), or NULL when any byte of
 * it lies outside the child's RAM (or len is 0 or the range wraps).
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Root memory mapped into the child above its RAM (e.g. video memory in
 * the VMBus MMIO window); page-aligned. */
#define VCPU_MAX_REGIONS 4u
struct gmem_region {
    uint64_t gpa, size;
    uint8_t *base;
};

/* --- virtual local APIC state (root/hv/vapic.c) ------------------------- */
struct vapic {
    uint64_t base_msr; /* IA32_APIC_BASE as the child sees it */
    uint32_t id;
    uint32_t tpr;
    uint32_t ldr;
    uint32_t dfr;
    uint32_t svr;
    uint32_t esr;      /* latched errors, visible after an ESR write */
    uint32_t esr_pend; /* errors since the last ESR write */
    uint32_t icr_hi;   /* xAPIC destination */
    uint32_t icr_lo;
    uint32_t lvt[7];     /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint32_t timer_init; /* initial count */
    uint32_t timer_div;  /* divide configuration register */
    uint64_t timer_start_tsc; /* when the count was (re)loaded */
    uint64_t timer_deadline;  /* TSC of the next expiry, 0 = none */
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE as written */
    uint32_t irr[8];
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t autoeoi[8]; /* vectors raised with SynIC auto-EOI */
    /* EOI assist: the vector delivered marked "no EOI required" in the
     * child's VP assist page at assist_gpa, 0 = no mark outstanding. */
    uint8_t assist_vector;
    uint64_t assist_gpa;
};

/* --- SynIC and synthetic timers (root/hv/synic.c) ----------------------- */
#define SYNIC_QUEUE_LEN 8u /* messages waiting for a busy slot, per SINT */
struct synic_queued {
    uint32_t type;
    uint32_t size;
    uint64_t sender;
    uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES];
};
struct synic {
    uint64_t scontrol;
    uint64_t siefp;
    uint64_t simp;
    uint64_t sint[HV_SINT_COUNT];
    /* Ring per SINT of messages that found the slot busy; the storage is
     * vcpu.synic_queue, kept apart so the hot state stays on few pages. */
    uint8_t q_head[HV_SINT_COUNT];
    uint8_t q_len[HV_SINT_COUNT];
    uint64_t dropped; /* messages lost: disabled SIMP or a full queue */
};
struct stimer {
    uint64_t config;
    uint64_t count;       /* 100 ns: period, or absolute expiry (one-shot) */
    uint64_t deadline;    /* TSC of the next expiry, 0 = not armed */
    uint64_t expiry_ref;  /* reference time of that expiry */
    bool msg_pending;     /* expiry message waiting for a free slot */
    uint64_t pending_ref; /* the expiry time that message carries */
};

/* --- the Hyper-V synthetic MSR state (root/hv/msr.c) -------------------- */
struct hv_state {
    uint64_t guest_os_id;
    uint64_t hypercall;
    uint64_t ref_tsc;
    uint64_t vp_assist;
    uint64_t crash[HV_CRASH_PARAMS];
    uint64_t crash_ctl;
    uint64_t tsc_invariant_ctl;
};

/* Connection-id registry the hypercalls dispatch to (root/hv/ports.c). */
struct vcpu;
/* Returns an HV_STATUS_*.  payload holds size (<= 240) validated bytes. */
typedef uint16_t (*hv_msg_handler_fn)(void *ctx, struct vcpu *v,
                                      uint32_t conn_id, uint32_t msg_type,
                                      const void *payload, uint32_t size);
/* Returns an HV_STATUS_*. */
typedef uint16_t (*hv_event_handler_fn)(void *ctx, struct vcpu *v,
                                        uint32_t conn_id, uint16_t flag);
#define HV_PORTS_MAX 16u
struct hv_port {
    uint32_t conn_id;   /* first id served */
    uint32_t conn_last; /* last id served (== conn_id for one id) */
    bool is_event;
    hv_msg_handler_fn on_msg;
    hv_event_handler_fn on_event;
    void *ctx;
};
struct hv_ports {
    struct hv_port port[HV_PORTS_MAX];
    unsigned count;
};

/* Why the child stopped (vcpu.stop). */
enum vcpu_stop {
    VCPU_RUNNING = 0,
    VCPU_STOP_POWER_OFF, /* isa-debug-exit write: status in stop_status */
    VCPU_STOP_CRASH,     /* triple fault, invalid state, crash MSRs */
    VCPU_STOP_HALT_DEAD, /* HLT with interrupts disabled */
};

/* Where an emulated child port read/write goes (root/dev/pio.c). */
struct uart16550;

/* Everything the root emulates for one child vCPU. */
struct vcpu {
    uint64_t gpr[GPR_COUNT];
    uint64_t rip;
    uint64_t rflags;
    uint64_t cr0, cr3, cr4, efer; /* efer as the child sees it (no SVME) */
    uint64_t pat;
    bool long_mode; /* EFER.LMA and CS.L: 64-bit hypercall convention */
    bool cs_db;     /* CS.D: 32-bit default operand/address size */
    uint64_t cs_base;
    uint8_t cpl;
    bool int_shadow; /* STI/MOV SS shadow: no interrupt this instruction */

    struct gmem mem;
    struct gmem_region region[VCPU_MAX_REGIONS];
    unsigned nregions;

    /* Clock. */
    uint64_t now_tsc;
    uint64_t tsc_hz;
    uint64_t tsc_base;  /* TSC at reference time 0 */
    uint64_t ref_scale; /* 100 ns per TSC tick, 0.64 fixed point */
    uint64_t apic_hz;   /* advertised local APIC timer frequency */

    /* Exception to deliver at the next entry (fault semantics: RIP stays). */
    struct {
        bool pending;
        uint8_t vector;
        bool has_err;
        uint32_t err;
    } exc;

    bool halted; /* in HLT, waiting for an interrupt */
    enum vcpu_stop stop;
    int stop_status;

    struct hv_state hv;
    struct synic synic;
    struct stimer stimer[HV_STIMER_COUNT];
    struct vapic apic;
    struct hv_ports ports;

    /* Host CPUID, for the leaves passed through (tests supply a fake). */
    void (*host_cpuid)(uint32_t leaf, uint32_t sub, uint32_t out[4]);

    /*
     * Root-side services plugged in on top (the VMBus server): eom_hook
     * runs after every EOM write, once the root's own queue has been
     * retried; poll_hook runs before every entry into the child.  Both
     * optional.
     */
    void (*eom_hook)(void *ctx, struct vcpu *v);
    void *eom_ctx;
    void (*poll_hook)(void *ctx, struct vcpu *v);
    void *poll_ctx;

    /* Counters the root reports at child exit. */
    uint64_t unknown_msr_reads, unknown_msr_writes;
    uint64_t io_unknown_reads, io_unknown_writes;
    uint64_t mmio_unbacked; /* accesses to addresses nothing backs */
    uint64_t hypercalls, injected_irqs;
    uint64_t lazy_eois; /* EOIs the child skipped through EOI assist */

    /* Cold: the SynIC's per-SINT message queues (struct synic). */
    struct synic_queued synic_queue[HV_SINT_COUNT][SYNIC_QUEUE_LEN];
};

/* Root log sink: the root prints to its console, the tests capture. */
void root_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Sets up a vCPU in reset state over the given RAM, with the clock at
 * now_tsc counting reference time from 0.  tsc_hz must be non-zero.
 */
void vcpu_init(struct vcpu *v, uint8_t *ram, uint64_t ram_size, uint64_t tsc_hz,
               uint64_t now_tsc);

/*
 * Host pointer for guest-physical [gpa, gpa+len) in RAM or wholly inside
 * one mapped region, else NULL.  For device backends (VMBus GPADLs may
 * name region pages); the root's own emulation uses RAM only (gmem_ptr).
 */
void *vcpu_gpa_ptr(const struct vcpu *v, uint64_t gpa, uint64_t len);
/*
 * Adds a region: gpa and size page-aligned, size > 0, below 2^52, not
 * overlapping RAM or another region.  Returns 0, -EINVAL, -ENOSPC.
 */
int vcpu_add_region(struct vcpu *v, uint64_t gpa, uint64_t size, uint8_t *base);
/* Removes the region starting at gpa.  Returns 0 or -ENOENT. */
int vcpu_remove_region(struct vcpu *v, uint64_t gpa);

/* Reference time (100 ns since vcpu_init) at the given TSC. */
uint64_t vcpu_ref_time_at(const struct vcpu *v, uint64_t tsc);
static inline uint64_t vcpu_ref_time(const struct vcpu *v)
{
    return vcpu_ref_time_at(v, v->now_tsc);
}
/* First TSC value at which reference time reaches ref (saturating). */
uint64_t vcpu_tsc_for_ref(const struct vcpu *v, uint64_t ref);

/* Queues an exception for the next entry (first one wins). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_err,
                           uint32_t err);
static inline void vcpu_inject_gp(struct vcpu *v)
{
    vcpu_inject_exception(v, X86_EXC_GP, true, 0);
}
static inline void vcpu_inject_ud(struct vcpu *v)
{
    vcpu_inject_exception(v, X86_EXC_UD, false, 0);
}

/* Stops the child; the first reason given is kept. */
void vcpu_stop(struct vcpu *v, enum vcpu_stop why, int status);

/*
 * Fires every timer (APIC timer, synthetic timers) whose deadline is at or
 * before now_tsc, and retries queued SynIC messages.
 */
void vcpu_poll_timers(struct vcpu *v);
/* The earliest armed deadline in TSC ticks, or 0 if nothing is armed. */
uint64_t vcpu_next_deadline(const struct vcpu *v);

#endif /* ROOT_HV_VCPU_H */
