/*
 * The child partition under AMD SVM with nested paging: the thin,
 * hardware-facing layer.  It owns the VMCB, the MSR and I/O permission
 * maps and the nested page tables, enters the child, and turns each
 * #VMEXIT into a call on the pure emulation layers (root/hv, root/dev)
 * through a dispatch table.
 */
#ifndef ROOT_SVM_SVM_H
#define ROOT_SVM_SVM_H

#include <stddef.h>
#include <stdint.h>

#include "root/dev/pio.h"
#include "root/hv/vcpu.h"
#include "root/svm/vmcb.h"

/* Per-reason exit counters, indexed by exit code; VMEXIT_INVALID counts in
 * slot 0x3FF and codes beyond the table in 0x3FE (svm.c). */
#define SVM_STAT_SLOTS (SVM_EXIT_MAX + 1)

/* What the assembly entry reads and writes; offsets fixed for vmrun.S. */
struct svm_run_ctx {
    uint64_t gpr[GPR_COUNT]; /* +0x000 RAX and RSP unused (VMCB) */
    uint64_t vmcb_pa;        /* +0x080 */
    uint64_t host_save_pa;   /* +0x088 VMSAVE area for host state */
    uint8_t pad[0x100 - 0x090];
    uint8_t guest_fx[512]; /* +0x100 FXSAVE image */
    uint8_t host_fx[512];  /* +0x300 */
};
_Static_assert(sizeof(struct svm_run_ctx) == 0x500, "run ctx");
_Static_assert(offsetof(struct svm_run_ctx, vmcb_pa) == 0x080, "vmrun.S");
_Static_assert(offsetof(struct svm_run_ctx, host_save_pa) == 0x088, "vmrun.S");
_Static_assert(offsetof(struct svm_run_ctx, guest_fx) == 0x100, "vmrun.S");
_Static_assert(offsetof(struct svm_run_ctx, host_fx) == 0x300, "vmrun.S");

struct svm_vm {
    struct vmcb *vmcb;
    void *host_save; /* page for VMSAVE/VMLOAD of host state */
    uint8_t *msrpm;  /* 8 KiB */
    uint8_t *iopm;   /* 12 KiB */
    uint64_t *npt_pml4;
    struct svm_run_ctx *run;
    struct vcpu *v;
    struct pio_bus *pio;
    uint64_t pending_reinject; /* EXITINTINFO to deliver again, or 0 */
    uint64_t armed_deadline;   /* TSC the root LAPIC timer was set for */
    struct {
        uint64_t count;
        uint64_t tsc; /* TSC spent handling */
    } stat[SVM_STAT_SLOTS];
    uint64_t total_exits;
    uint64_t start_tsc, idle_tsc;
    uint64_t timer_arms, timer_arm_tsc; /* root LAPIC timer writes, cost */
};

/* Page allocator the SVM layer uses: zeroed, 4 KiB aligned, identity
 * mapped; NULL when out of memory. */
typedef void *(*svm_page_alloc_fn)(unsigned npages);

/*
 * Checks for SVM + NPT, enables EFER.SVME and sets VM_HSAVE_PA.  Returns
 * 0, -ENODEV (no SVM or NPT in CPUID), -EPERM (disabled by VM_CR),
 * -ENOMEM (no page for the host save area).
 */
int svm_enable(svm_page_alloc_fn alloc);

/*
 * Builds the VMCB, permission maps and nested page tables that map guest
 * physical 0..v->mem.size to the host RAM behind v->mem (which must be
 * 2 MiB aligned in both).  Returns 0 or -ENOMEM.
 */
int svm_vm_create(struct svm_vm *vm, struct vcpu *v, struct pio_bus *pio,
                  svm_page_alloc_fn alloc);

/*
 * Maps root memory at host (page-aligned, identity-mapped, size bytes) into
 * the child at gpa, above its RAM: nested page tables by 4 KiB pages and a
 * vcpu region, so vcpu_gpa_ptr() reaches it too.  Cached translations are
 * flushed at the next entry.  Returns 0, -EINVAL (alignment, overlap with
 * RAM or another region), -ENOSPC (too many regions), -ENOMEM.
 */
int svm_vm_map(struct svm_vm *vm, uint64_t gpa, uint64_t size, void *host,
               svm_page_alloc_fn alloc);
/* Removes the mapping that starts at gpa.  Returns 0 or -ENOENT. */
int svm_vm_unmap(struct svm_vm *vm, uint64_t gpa);

/* Puts the vCPU in the Multiboot machine state: 32-bit protected mode,
 * flat 4 GiB segments, paging off, EAX = magic, EBX = info. */
void svm_vm_multiboot_state(struct svm_vm *vm, uint32_t entry, uint32_t magic,
                            uint32_t info);

/* Puts the vCPU in 64-bit mode as the Linux boot protocol enters a
 * kernel: paging on through cr3, the given GDT and selectors, RSI = rsi,
 * interrupts off. */
void svm_vm_long_mode_state(struct svm_vm *vm, uint64_t rip, uint64_t rsi,
                            uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit,
                            uint16_t cs, uint16_t ds);

/* Runs the child until it stops (power-off, crash, dead halt). */
void svm_vm_run(struct svm_vm *vm);

/* Prints the exit statistics on the root console. */
void svm_vm_print_stats(const struct svm_vm *vm);

/* Assembly entry: VMLOAD, VMRUN, VMSAVE, host state back (vmrun.S). */
void svm_vmrun(struct svm_run_ctx *ctx);

/* Root services the SVM layer uses (root/boot). */
uint64_t root_tsc_hz(void);
/* The root's monotonic clock: nanoseconds of TSC since it started. */
uint64_t root_now_ns(void);
/* Arms the root's own LAPIC timer to fire at TSC deadline (0 = stop). */
void root_timer_arm(uint64_t deadline_tsc);
/* False once the armed timer's interrupt has been taken (it may fire a
 * little before the deadline asked: the LAPIC's rate is calibrated), or
 * when none is armed; true may still mean a fired timer whose interrupt
 * waits for the root to enable interrupts. */
bool root_timer_armed(void);
/* Runs the root's pollers (root_poller_add); the TSC by which they want
 * to run again when the child is idle, or 0. */
void root_pollers_run(void);
uint64_t root_pollers_deadline(uint64_t now_tsc);
/* Looks at the root's serial input (commands, the child's console input);
 * called after interrupts, idle periods and port I/O exits. */
void root_console_poll(struct svm_vm *vm);

#endif /* ROOT_SVM_SVM_H */
