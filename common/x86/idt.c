/* IDT and TSS set-up and trap dispatch; see trap.h. */
#include "common/x86/trap.h"
#include "common/x86/cpu.h"

#include <stddef.h>

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate");

/* AMD APM vol 2, 12.2.5: 64-bit TSS. */
struct tss64 {
    uint32_t reserved0;  /* +0x00 */
    uint64_t rsp[3];     /* +0x04 */
    uint64_t reserved1;  /* +0x1C */
    uint64_t ist[7];     /* +0x24 IST1..IST7 */
    uint64_t reserved2;  /* +0x5C */
    uint16_t reserved3;  /* +0x64 */
    uint16_t iomap_base; /* +0x66 */
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 0x68, "TSS");

#define IST_STACK_SIZE 16384
#define TSS_SELECTOR 0x18

extern uint64_t boot_gdt[];
extern const uint64_t x86_trap_stubs[256];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_irq[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t ist_exc[IST_STACK_SIZE] __attribute__((aligned(16)));
static struct {
    x86_trap_fn fn;
    void *ctx;
} handlers[256];

uint64_t x86_spurious_count;

void x86_cpu_init(void)
{
    uint64_t base = (uint64_t)&tss;

    tss.ist[0] = (uint64_t)(ist_irq + IST_STACK_SIZE);
    tss.ist[1] = (uint64_t)(ist_exc + IST_STACK_SIZE);
    tss.iomap_base = sizeof(tss);
    /* Available 64-bit TSS descriptor, present, limit = size - 1. */
    boot_gdt[3] = (sizeof(tss) - 1) | ((base & 0xFFFFFF) << 16) |
                  (0x89ull << 40) | (((base >> 24) & 0xFF) << 56);
    boot_gdt[4] = base >> 32;
    __asm__ volatile("ltr %w0" ::"r"(TSS_SELECTOR));

    for (int v = 0; v < 256; v++) {
        uint64_t a = x86_trap_stubs[v];
        idt[v] = (struct idt_gate){
            .offset_lo = (uint16_t)a,
            .selector = 0x08,
            .ist = v < 32 ? 2 : 1,
            .type_attr = 0x8E, /* present, DPL 0, interrupt gate */
            .offset_mid = (uint16_t)(a >> 16),
            .offset_hi = (uint32_t)(a >> 32),
        };
    }
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

void x86_set_handler(uint8_t vector, x86_trap_fn fn, void *ctx)
{
    uint64_t f = irq_save();
    handlers[vector].fn = fn;
    handlers[vector].ctx = ctx;
    irq_restore(f);
}

static const char *const exc_names[32] = {
    [0] = "divide error",
    [1] = "debug",
    [2] = "NMI",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "bound range",
    [6] = "invalid opcode",
    [7] = "device not available",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack fault",
    [13] = "general protection",
    [14] = "page fault",
    [16] = "x87 floating point",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD floating point",
    [21] = "control protection",
    [29] = "VMM communication",
    [30] = "security",
};

void x86_dump_frame(const struct trap_frame *tf)
{
    const char *name = tf->vector < 32 ? exc_names[tf->vector] : NULL;

    x86_report("EXCEPTION vector %lu (%s) error 0x%lx\n",
               (unsigned long)tf->vector, name ? name : "reserved",
               (unsigned long)tf->error);
    x86_report("  RIP %016lx CS %04lx RFLAGS %016lx CR2 %016lx\n",
               (unsigned long)tf->rip, (unsigned long)tf->cs,
               (unsigned long)tf->rflags, (unsigned long)read_cr2());
    x86_report("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n",
               (unsigned long)tf->rax, (unsigned long)tf->rbx,
               (unsigned long)tf->rcx, (unsigned long)tf->rdx);
    x86_report("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n",
               (unsigned long)tf->rsi, (unsigned long)tf->rdi,
               (unsigned long)tf->rbp, (unsigned long)tf->rsp);
    x86_report("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n",
               (unsigned long)tf->r8, (unsigned long)tf->r9,
               (unsigned long)tf->r10, (unsigned long)tf->r11);
    x86_report("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n",
               (unsigned long)tf->r12, (unsigned long)tf->r13,
               (unsigned long)tf->r14, (unsigned long)tf->r15);
    x86_report("  CR0 %016lx CR3 %016lx CR4 %016lx\n",
               (unsigned long)read_cr0(), (unsigned long)read_cr3(),
               (unsigned long)read_cr4());
}

void x86_trap(struct trap_frame *tf)
{
    uint8_t v = (uint8_t)tf->vector;

    if (handlers[v].fn) {
        handlers[v].fn(tf, handlers[v].ctx);
        return;
    }
    if (v < 32) {
        x86_dump_frame(tf);
        x86_fatal(tf);
    }
    x86_spurious_count++;
}
