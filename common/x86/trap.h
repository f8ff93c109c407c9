/*
 * Interrupt descriptor table, task state segment and the trap frame shared
 * by the guest kernel and the root.
 */
#ifndef COMMON_X86_TRAP_H
#define COMMON_X86_TRAP_H

#include <stdint.h>

/* Pushed by common/x86/trap.S; lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;                   /* pushed by the stub */
    uint64_t error;                    /* CPU error code, or 0 */
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame");

typedef void (*x86_trap_fn)(struct trap_frame *tf, void *ctx);

/*
 * Loads the TSS (IST1 for interrupts >= 32, IST2 for exceptions, so no
 * handler ever runs on the interrupted stack) and the IDT.  Call once,
 * interrupts off.
 */
void x86_cpu_init(void);

/* Installs fn for vector (any of 0..255); NULL removes it. */
void x86_set_handler(uint8_t vector, x86_trap_fn fn, void *ctx);

/*
 * Called for an exception that has no handler, after the report has been
 * printed.  Each image defines it (the guest powers off with EXIT_PANIC;
 * the root stops).  Must not return.
 */
void x86_fatal(struct trap_frame *tf) __attribute__((noreturn));

/* Console output the reporter uses; each image defines it. */
void x86_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints vector, error code, RIP, CR2 and every register. */
void x86_dump_frame(const struct trap_frame *tf);

/* Count of interrupts that arrived with no handler. */
extern uint64_t x86_spurious_count;

/* The C entry called by trap.S. */
void x86_trap(struct trap_frame *tf);

#endif /* COMMON_X86_TRAP_H */
