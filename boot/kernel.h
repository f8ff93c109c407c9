/*
 * The guest kernel's services to the rest of the kit: console, panic and
 * power-off, physical pages, interrupt vectors, clock and idle hooks.
 *
 * The guest is one address space with one CPU; memory below 4 GiB is
 * identity-mapped, so a pointer to a page from page_alloc() is also its
 * guest-physical address.
 */
#ifndef BOOT_KERNEL_H
#define BOOT_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096u

/* Exit statuses the kernel itself uses; appliances use 0..99. */
#define EXIT_PANIC 100 /* panic() or an unhandled exception */

/* --- console ----------------------------------------------------------- */

/* Formats into the serial console without allocating; safe in any context. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Writes raw bytes to the console (used by newlib's write()). */
void console_write(const char *buf, size_t len);
/* Non-blocking console read: a byte 0..255, or -1 if none is waiting. */
int console_getc(void);

/* --- failure and exit --------------------------------------------------- */

/* Our own invariant is broken: report file:line and stop (EXIT_PANIC). */
#define PANIC(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(c)                                                              \
    do {                                                                       \
        if (!(c))                                                              \
            panic_at(__FILE__, __LINE__, "assertion failed: %s", #c);          \
    } while (0)
void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/*
 * Called by panic_at() and the exception reporter after the report is
 * printed and before power-off, with the one-line reason.  WinHv installs
 * one that fills the crash MSRs.  Must not return to the caller's context.
 */
typedef void (*panic_hook_fn)(const char *reason, uint64_t rip);
void panic_set_hook(panic_hook_fn fn);

/*
 * Runs registered shutdown hooks (last registered first), then powers the
 * machine off with the given status (0..127).  Never returns.
 */
void power_off(int status) __attribute__((noreturn));
typedef void (*shutdown_hook_fn)(void *ctx);
/* Returns 0, or -ENOSPC when the hook table is full. */
int shutdown_register(shutdown_hook_fn fn, void *ctx);

/* --- memory -------------------------------------------------------------- */

/*
 * Physically contiguous, zeroed pages (4 KiB aligned).  Returns NULL when
 * no run of npages is free.  virt == phys.
 */
void *page_alloc(size_t npages);
void page_free(void *p, size_t npages);
static inline uint64_t virt_to_phys(const void *p)
{
    return (uint64_t)p;
}
static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)pa;
}
/* Free and total pages, for diagnostics. */
size_t page_free_count(void);
size_t page_total_count(void);

/* --- interrupts ---------------------------------------------------------- */

struct trap_frame; /* boot/trap.h */
typedef void (*irq_handler_fn)(struct trap_frame *tf, void *ctx);

/* A free vector in 48..239, or -ENOSPC. */
int irq_alloc_vector(void);
/* Installs the handler; the kernel sends the local APIC EOI after it
 * returns unless the handler was registered with irq_set_handler_noeoi(). */
void irq_set_handler(uint8_t vector, irq_handler_fn fn, void *ctx);
void irq_set_handler_noeoi(uint8_t vector, irq_handler_fn fn, void *ctx);
/* Ends the interrupt in service at the local APIC: the xAPIC EOI register,
 * or the function installed with apic_set_eoi() (NULL restores the
 * register write); WinHv installs the Hyper-V EOI assist there. */
typedef void (*apic_eoi_fn)(void);
void apic_eoi(void);
void apic_set_eoi(apic_eoi_fn fn);

/* --- time and idle ------------------------------------------------------- */

/*
 * Monotonic nanoseconds since boot.  Until a better source is installed this
 * is derived from the TSC with a calibrated frequency.
 */
uint64_t clock_now_ns(void);
/* Wall clock, nanoseconds since 1970 (0 until something sets it). */
uint64_t clock_wall_ns(void);
void clock_set_wall_ns(uint64_t ns_since_1970);
typedef uint64_t (*clock_source_fn)(void);
void clock_set_source(clock_source_fn now_ns);

/*
 * Waits for an interrupt with a deadline (absolute clock_now_ns()), then
 * returns.  The default arms the local APIC timer; WinHv installs a hook
 * that arms synthetic timer 0.  Returns with interrupts as they were.
 */
void idle_until(uint64_t deadline_ns);
typedef void (*timer_arm_fn)(uint64_t deadline_ns);
void idle_set_timer(timer_arm_fn arm);
/* Busy-free sleep built on idle_until(). */
void sleep_ns(uint64_t ns);

/* --- boot information ------------------------------------------------------
 */

/* The kernel command line (never NULL). */
const char *boot_cmdline(void);
/* Value of key=value on the command line, or NULL. */
const char *boot_arg(const char *key);
/* Boot modules handed over by the loader. */
struct boot_module {
    uint64_t start, end; /* physical, end exclusive */
    const char *cmdline;
};
size_t boot_module_count(void);
const struct boot_module *boot_module_get(size_t i);

/*
 * Entry i of the loader's memory map: 0 and the region, or -ENOENT past the
 * end.  type: 1 available, 2 reserved, 3 ACPI, 4 NVS, 5 bad (Multiboot).
 */
int boot_memory_map(size_t i, uint64_t *base, uint64_t *len, uint32_t *type);

/* Name of the loader (GRUB, QEMU, the Enlight root), or "" if not given. */
const char *boot_loader_name(void);

/* The appliance entry point, called after the kernel is up.  Its return
 * value is the exit status passed to power_off(). */
int app_main(int argc, char **argv);

#endif /* BOOT_KERNEL_H */
