/*
 * Services of the root's own machine: console, page allocation, its local
 * APIC timer and TSC clock, power-off.  Used by root/boot and root/svm.
 */
#ifndef ROOT_BOOT_ROOT_H
#define ROOT_BOOT_ROOT_H

#include <stddef.h>
#include <stdint.h>

/* isa-debug-exit values the root itself uses (QEMU exits with 2v+1). */
#define ROOT_EXIT_PANIC 102    /* the root's own invariant broke */
#define ROOT_EXIT_NO_CHILD 103 /* nothing to run, or it would not load */

/* Root console (first serial port); the child's COM1 goes to the second. */
void root_puts(const char *s);

/* Zeroed, page-aligned, identity-mapped pages; NULL when exhausted. */
void *root_page_alloc(unsigned npages);
/* As above, aligned to align_pages pages. */
void *root_page_alloc_aligned(size_t npages, size_t align_pages);

/* Gives malloc its heap; only before the first allocation. */
void root_heap_init(void *base, size_t len);

/*
 * Registers fn(ctx) to run before every entry into the child and after
 * every idle wake-up (device backends polling their hardware).  With
 * max_idle_ns != 0 the root never sleeps longer than that while the child
 * is halted.  Returns 0, -EINVAL (fn NULL) or -ENOSPC (8 already).
 */
int root_poller_add(void (*fn)(void *ctx), void *ctx, uint64_t max_idle_ns);

/*
 * Maps root memory (page-aligned, size a multiple of 4 KiB) into the
 * child at gpa above its RAM, e.g. video memory where the child placed it
 * in the VMBus MMIO window; vcpu_gpa_ptr() then reaches it too.  Returns 0,
 * -EINVAL, -ENOSPC or -ENOMEM (svm_vm_map).  Unmap returns 0 or -ENOENT.
 */
int root_child_map(uint64_t gpa, uint64_t size, void *host);
int root_child_unmap(uint64_t gpa);

/* Calibrates the TSC (PIT) and the LAPIC timer; installs the timer. */
void root_clock_init(void);

/* Powers QEMU off through isa-debug-exit with this value. */
void root_exit(int status) __attribute__((noreturn));

#endif /* ROOT_BOOT_ROOT_H */
