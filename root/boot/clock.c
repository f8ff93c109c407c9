/*
 * The root's clock and its one timer: the TSC calibrated against PIT
 * channel 2, and the local APIC timer (xAPIC MMIO; QEMU's TCG has no
 * x2APIC) in one-shot mode, armed for the child's next deadline so an idle
 * child costs no exits until something is due.
 */
#include "common/x86/cpu.h"
#include "common/x86/pic.h"
#include "common/x86/trap.h"
#include "root/boot/root.h"
#include "root/svm/svm.h"

#define LAPIC_SVR 0x0F0
#define LAPIC_EOI 0x0B0
#define LAPIC_TPR 0x080
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
#define LAPIC_LVT_MASKED (1u << 16)
#define ROOT_TIMER_VECTOR 0x40
#define ROOT_SPURIOUS_VECTOR 0xFF

static volatile uint32_t *lapic;
static uint64_t tsc_hz, lapic_hz;
/* Set by root_timer_arm(), cleared when the timer's interrupt is taken. */
static volatile bool timer_armed;

static uint32_t lapic_read(uint32_t reg)
{
    return lapic[reg / 4];
}
static void lapic_write(uint32_t reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

uint64_t root_tsc_hz(void)
{
    return tsc_hz;
}

uint64_t root_now_ns(void)
{
    return (uint64_t)((unsigned __int128)rdtsc() * 1000000000u / tsc_hz);
}

/*
 * One PIT channel 2 measurement (mode 0, 10 ms): TSC ticks per second.
 * Under emulation the vCPU can be preempted anywhere, which only makes a
 * single measurement too long or too short; the caller takes the median.
 */
static uint64_t pit_measure(void)
{
    const uint32_t ticks = 1193182 / 100;
    uint8_t gate = inb(0x61);
    outb(0x61, (gate & ~0x03) | 0x00);
    outb(0x43, 0xB0);
    outb(0x42, ticks & 0xFF);
    outb(0x42, ticks >> 8);
    outb(0x61, (gate & ~0x02) | 0x01); /* gate rises: counting starts */
    uint64_t t0 = rdtsc();
    while (!(inb(0x61) & 0x20))
        cpu_relax();
    uint64_t t1 = rdtsc();
    outb(0x61, gate);
    return (t1 - t0) * 100;
}

static void sort3(uint64_t *a)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2 - i; j++)
            if (a[j] > a[j + 1]) {
                uint64_t t = a[j];
                a[j] = a[j + 1];
                a[j + 1] = t;
            }
}

static uint64_t pit_calibrate(void)
{
    uint64_t m[3];
    for (int i = 0; i < 3; i++)
        m[i] = pit_measure();
    sort3(m);
    return m[1];
}

/*
 * LAPIC timer counts per second.  Each count read is bracketed by TSC
 * reads and the wider bracket is used, so a preemption can only make the
 * estimate low: the timer then fires early and the root re-arms, never
 * late.  The best of three 5 ms windows is kept.
 */
static uint64_t lapic_calibrate(void)
{
    uint64_t best = 0;
    lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
    for (int i = 0; i < 3; i++) {
        uint64_t ta = rdtsc();
        uint32_t ca = lapic_read(LAPIC_TIMER_CUR);
        uint64_t end = rdtsc() + tsc_hz / 200;
        while (rdtsc() < end)
            cpu_relax();
        uint32_t cb = lapic_read(LAPIC_TIMER_CUR);
        uint64_t tb = rdtsc();
        if (cb >= ca || tb <= ta)
            continue;
        uint64_t hz =
            (uint64_t)((unsigned __int128)(ca - cb) * tsc_hz / (tb - ta));
        if (hz > best)
            best = hz;
    }
    lapic_write(LAPIC_TIMER_INIT, 0);
    return best;
}

static void timer_isr(struct trap_frame *tf, void *ctx)
{
    timer_armed = false;
    lapic_write(LAPIC_EOI, 0);
}

static void spurious_isr(struct trap_frame *tf, void *ctx) {}

void root_clock_init(void)
{
    pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1ull << 11));
    lapic = (volatile uint32_t *)(uintptr_t)(base & 0xFFFFFF000ull);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100 | ROOT_SPURIOUS_VECTOR);
    lapic_write(LAPIC_TIMER_DIV, 0xB); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | ROOT_TIMER_VECTOR);
    x86_set_handler(ROOT_TIMER_VECTOR, timer_isr, NULL);
    x86_set_handler(ROOT_SPURIOUS_VECTOR, spurious_isr, NULL);

    tsc_hz = pit_calibrate();
    if (tsc_hz < 1000000)
        tsc_hz = 2000000000ull;

    lapic_hz = lapic_calibrate();
    if (!lapic_hz)
        lapic_hz = 1000000000ull;
    lapic_write(LAPIC_LVT_TIMER, ROOT_TIMER_VECTOR); /* one-shot, unmasked */
}

void root_timer_arm(uint64_t deadline_tsc)
{
    if (!lapic)
        return;
    if (!deadline_tsc) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        timer_armed = false;
        return;
    }
    uint64_t now = rdtsc();
    uint64_t count = 1;
    if (deadline_tsc > now) {
        unsigned __int128 c =
            (unsigned __int128)(deadline_tsc - now) * lapic_hz / tsc_hz;
        count = c > 0xFFFFFFFFu ? 0xFFFFFFFFu : (c ? (uint64_t)c : 1);
    }
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
    timer_armed = true;
}

bool root_timer_armed(void)
{
    return timer_armed;
}
