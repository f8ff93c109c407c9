/*
 * The Hyper-V hypervisor interface as the root presents it to the child
 * (TLFS v6.0b): CPUID leaves, MSRs (synthetic and the architectural ones
 * the root virtualizes), hypercalls, SynIC messages and event flags,
 * synthetic timers, and the connection-id registry VMBus plugs into.
 *
 * All functions operate on a struct vcpu only; none touches hardware.
 */
#ifndef ROOT_HV_HV_H
#define ROOT_HV_HV_H

#include <stdint.h>

#include "root/hv/vcpu.h"

/* Highest hypervisor leaf implemented (TLFS 2.4: 0x40000000 EAX). */
#define ROOT_HV_MAX_LEAF 0x4000000Au

/*
 * CPUID as the child sees it: base leaves from the host with the features
 * the root does not virtualize hidden, hypervisor leaves from the root's
 * table, everything else zero.  out = {eax, ebx, ecx, edx}.
 */
void hv_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * RDMSR/WRMSR from the child, for every MSR the SVM layer intercepts.
 * Return 0, or -EINVAL when the child must get #GP (the caller injects it;
 * unknown MSRs are also logged).
 */
int hv_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int hv_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/*
 * VMMCALL from the child.  Returns 1 when the call completed (RAX, or
 * EDX:EAX in 32-bit mode, holds the result; advance RIP), 0 when #UD was
 * queued instead (hypercall page disabled, CPL > 0, real mode).
 */
int hv_hypercall(struct vcpu *v);

/*
 * Connection-id registry (the TLFS "port" the child's HV_CONNECTION_ID
 * names).  Return 0, -EEXIST if the id is taken, -ENOSPC if full,
 * -EINVAL for a NULL handler.
 */
int hv_port_add_msg(struct vcpu *v, uint32_t conn_id, hv_msg_handler_fn fn,
                    void *ctx);
int hv_port_add_event(struct vcpu *v, uint32_t conn_id, hv_event_handler_fn fn,
                      void *ctx);
/* Event connections first..last (inclusive) to one handler; also -EINVAL
 * for last < first, -EEXIST when any id in the range is taken. */
int hv_port_add_event_range(struct vcpu *v, uint32_t first, uint32_t last,
                            hv_event_handler_fn fn, void *ctx);
/* The port for conn_id of the given kind, or NULL. */
const struct hv_port *hv_port_find(const struct vcpu *v, uint32_t conn_id,
                                   bool is_event);

/*
 * Posts a message into the child's SIMP slot for sint.  Returns 0 when it
 * was written to the slot (and the SINT raised), -EBUSY when the slot was
 * occupied: the message is queued, the slot's pending flag set, and it is
 * delivered after the child's EOM; -ENOSPC when that queue is full;
 * -ENODEV when the SynIC or SIMP is disabled (the message is dropped, as
 * on Hyper-V); -EINVAL for sint >= 16, size > 240 or type 0.
 */
int synic_post(struct vcpu *v, unsigned sint, uint32_t msg_type,
               uint64_t sender, const void *payload, uint32_t size);
/*
 * Like synic_post() for a caller that keeps its own queue (the VMBus
 * server): never queues.  Returns 0 (delivered, SINT raised), -EBUSY (slot
 * occupied: its pending flag is now set, so the child will EOM and
 * eom_hook runs; retry then), -ENODEV, -EINVAL as synic_post().
 */
int synic_post_try(struct vcpu *v, unsigned sint, uint32_t msg_type,
                   uint64_t sender, const void *payload, uint32_t size);
/* Sets an event flag without interrupting: 1 newly set, 0 already set,
 * -ENODEV (SynIC or SIEFP off), -EINVAL (sint >= 16, flag >= 2048). */
int synic_set_event_flag(struct vcpu *v, unsigned sint, unsigned flag);
/* Raises the SINT's vector (unless masked, polled or the SynIC is off). */
void synic_raise_sint(struct vcpu *v, unsigned sint);

/*
 * Sets event flag `flag` of `sint` in the SIEFP page and raises the SINT if
 * the flag was clear.  Returns 1 if it was newly set, 0 if already set,
 * -ENODEV when the SynIC or SIEFP is disabled, -EINVAL for bad numbers.
 */
int synic_signal_event(struct vcpu *v, unsigned sint, unsigned flag);
/* Redelivers queued messages and fires expired synthetic timers. */
void synic_poll(struct vcpu *v);

/* Synthetic MSR groups, used by hv_msr_read/write (root/hv/synic.c). */
int synic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int synic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);

/*
 * Values the root writes to QEMU's isa-debug-exit port when the child
 * stops other than by powering off (QEMU exits with 2 * value + 1): a
 * triple fault, a state VMRUN refuses, or something the root cannot
 * emulate.
 */
#define ROOT_EXIT_CHILD_CRASH 101
/* The child halted with interrupts off: it stopped itself without
 * powering off (Linux's "System halted"). */
#define ROOT_EXIT_CHILD_HALTED 104

#endif /* ROOT_HV_HV_H */
