/*
 * The child's virtual local APIC: xAPIC register page (reached through
 * nested page faults and root/hv/insn.c) and x2APIC MSRs 0x800-0x8FF, one
 * state machine behind both.  Single vCPU: every IPI the child can address
 * is a self-IPI.  Timer modes: one-shot, periodic, TSC-deadline.
 */
#ifndef ROOT_HV_VAPIC_H
#define ROOT_HV_VAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "root/hv/vcpu.h"

/* Advertised APIC timer frequency (HV_MSR_APIC_FREQUENCY), as Hyper-V. */
#define ROOT_APIC_HZ 200000000ull
#define APIC_DEFAULT_BASE 0xFEE00000ull
/*
 * Periodic timers (APIC and synthetic) fire at most 10000 times a second:
 * a child asking for more would keep the root in a storm of exits.
 */
#define ROOT_MIN_PERIOD_DIV 10000u
#define ROOT_MIN_PERIOD_REF 1000u /* the same, in 100 ns units */

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

/* xAPIC register offsets (x2APIC MSR = 0x800 + offset / 16). */
#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_APR 0x090
#define APIC_PPR 0x0A0
#define APIC_EOI 0x0B0
#define APIC_RRD 0x0C0
#define APIC_LDR 0x0D0
#define APIC_DFR 0x0E0
#define APIC_SVR 0x0F0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_LVT_CMCI 0x2F0
#define APIC_ICR 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF 0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3E0
#define APIC_SELF_IPI 0x3F0 /* x2APIC only */

#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_MODE(v) (((v) >> 17) & 3u)
#define APIC_TIMER_ONESHOT 0u
#define APIC_TIMER_PERIODIC 1u
#define APIC_TIMER_TSC_DEADLINE 2u
#define APIC_SVR_ENABLE (1u << 8)

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8FFu

/* Reset state: xAPIC mode at APIC_DEFAULT_BASE, software-disabled. */
void vapic_reset(struct vcpu *v);

/* Switches to x2APIC mode (APIC_BASE EN|EXTD), as Linux children are
 * started (LINUX-CHILD.md): their APIC is then MSRs only. */
void vapic_enable_x2apic(struct vcpu *v);

/* The xAPIC page's guest-physical base, or 0 when not in xAPIC mode. */
uint64_t vapic_mmio_base(const struct vcpu *v);

/*
 * xAPIC MMIO, one aligned 32-bit access at offset (0..0xFFC).  Returns 0;
 * -EINVAL for an unaligned offset (the caller stops the child; real
 * hardware's behaviour there is undefined).
 */
int vapic_mmio_read(struct vcpu *v, uint32_t offset, uint32_t *val);
int vapic_mmio_write(struct vcpu *v, uint32_t offset, uint32_t val);

/*
 * IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC MSRs.  Returns 0, or
 * -EINVAL for #GP (x2APIC MSR outside x2APIC mode, read-only/write-only
 * registers, reserved bits, illegal mode transitions), -ENOENT when msr is
 * not an APIC MSR at all.
 */
int vapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/* Synthetic EOI/ICR/TPR MSRs (HV_MSR_EOI/ICR/TPR) share these. */
void vapic_eoi(struct vcpu *v);
int vapic_icr_write(struct vcpu *v, uint64_t icr);

/*
 * Raises a fixed, edge-triggered interrupt.  auto_eoi: delivery does not
 * set the ISR bit (SynIC AutoEOI).  Vectors below 16 are refused
 * (recorded in ESR) and return -EINVAL; otherwise 0.
 */
int vapic_raise(struct vcpu *v, uint8_t vector, bool auto_eoi);

/*
 * The vector the child would take next (IRR above PPR), or -1.  Does not
 * look at RFLAGS.IF: the caller checks the interrupt window.
 */
int vapic_pending(const struct vcpu *v);
/* The child took `vector`: IRR -> ISR (unless auto-EOI). */
void vapic_ack(struct vcpu *v, uint8_t vector);

/*
 * EOI assist (TLFS "EOI Assist").  With the child's VP assist page enabled,
 * vapic_assist_offer() marks the interrupt just acknowledged for delivery
 * "no EOI required" (HV_APIC_ASSIST_NO_EOI in the page) when an EOI could
 * not change what the child is offered next: the vector is fixed and
 * edge-triggered, went into service (not auto-EOI), is the only vector in
 * service, and nothing else is requested.  Returns true when it set the
 * mark.  A child that clears the bit instead of writing EOI has done the
 * EOI; vapic_assist_sync() retires the vector on its behalf (as an EOI
 * write would), or, when another interrupt has been requested while the
 * mark is still set, takes the mark back so that the child's EOI traps
 * again.  Call it after every exit and again before deciding what to
 * inject.  Any EOI write, a move or disable of the page and an APIC reset
 * take an outstanding mark back first (vapic_assist_cancel()).
 */
bool vapic_assist_offer(struct vcpu *v, uint8_t vector);
void vapic_assist_sync(struct vcpu *v);
void vapic_assist_cancel(struct vcpu *v);

/* Fires the timer if its deadline has passed. */
void vapic_poll_timer(struct vcpu *v);

#endif /* ROOT_HV_VAPIC_H */
