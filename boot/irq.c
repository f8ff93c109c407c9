/* Interrupt vectors, the local APIC (xAPIC MMIO) and the legacy PIC. */
#include "boot/boot_internal.h"
#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "common/x86/pic.h"
#include "common/x86/trap.h"

#include <errno.h>

#define APIC_ID 0x020
#define APIC_VERSION 0x030
#define APIC_TPR 0x080
#define APIC_EOI 0x0B0
#define APIC_SVR 0x0F0
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3E0
#define APIC_LVT_MASKED (1u << 16)
#define APIC_BASE_ENABLE (1ull << 11)

#define VEC_FIRST 48
#define VEC_LAST 239

static volatile uint32_t *apic;
static apic_eoi_fn eoi_fn;
static uint8_t vec_used[256];
static struct {
    irq_handler_fn fn;
    void *ctx;
    int eoi;
} irqs[256];

static uint32_t apic_read(uint32_t reg)
{
    return apic[reg / 4];
}
static void apic_write(uint32_t reg, uint32_t v)
{
    apic[reg / 4] = v;
}

void apic_eoi(void)
{
    if (eoi_fn)
        eoi_fn();
    else if (apic)
        apic_write(APIC_EOI, 0);
}

void apic_set_eoi(apic_eoi_fn fn)
{
    uint64_t f = irq_save(); /* no interrupt ends half-way through */
    eoi_fn = fn;
    irq_restore(f);
}

static void irq_trampoline(struct trap_frame *tf, void *ctx)
{
    uint8_t v = (uint8_t)tf->vector;
    (void)ctx;
    if (irqs[v].fn)
        irqs[v].fn(tf, irqs[v].ctx);
    if (irqs[v].eoi)
        apic_eoi();
}

static void install(uint8_t vector, irq_handler_fn fn, void *ctx, int eoi)
{
    uint64_t f = irq_save();
    irqs[vector].fn = fn;
    irqs[vector].ctx = ctx;
    irqs[vector].eoi = eoi;
    vec_used[vector] = 1;
    x86_set_handler(vector, fn ? irq_trampoline : NULL, NULL);
    irq_restore(f);
}

void irq_set_handler(uint8_t vector, irq_handler_fn fn, void *ctx)
{
    install(vector, fn, ctx, 1);
}

void irq_set_handler_noeoi(uint8_t vector, irq_handler_fn fn, void *ctx)
{
    install(vector, fn, ctx, 0);
}

int irq_alloc_vector(void)
{
    uint64_t f = irq_save();
    for (int v = VEC_FIRST; v <= VEC_LAST; v++) {
        if (!vec_used[v]) {
            vec_used[v] = 1;
            irq_restore(f);
            return v;
        }
    }
    irq_restore(f);
    return -ENOSPC;
}

static void spurious(struct trap_frame *tf, void *ctx)
{
    (void)tf;
    (void)ctx;
}

static void timer_tick(struct trap_frame *tf, void *ctx)
{
    (void)tf;
    (void)ctx;
}

void irq_init(void)
{
    pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    apic = (volatile uint32_t *)(uintptr_t)(base & ~0xFFFull);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_APIC_TIMER);
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED | VEC_SPURIOUS);
    apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
    apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
    vec_used[VEC_SPURIOUS] = 1;
    x86_set_handler(VEC_SPURIOUS, spurious, NULL);
    irq_set_handler(VEC_APIC_TIMER, timer_tick, NULL);
}

uint32_t apic_id(void)
{
    return apic ? apic_read(APIC_ID) >> 24 : 0;
}

void apic_timer_oneshot(uint32_t count)
{
    apic_write(APIC_LVT_TIMER, VEC_APIC_TIMER);
    apic_write(APIC_TIMER_INIT, count ? count : 1);
}

void apic_timer_stop(void)
{
    apic_write(APIC_TIMER_INIT, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_APIC_TIMER);
}

uint32_t apic_timer_current(void)
{
    return apic_read(APIC_TIMER_CUR);
}
