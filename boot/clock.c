/*
 * Boot clock: the TSC, calibrated against the hypervisor's frequency MSR
 * when one is advertised, else the PIT; the local APIC timer for idle.
 * WinHv replaces both with the reference TSC page and synthetic timers.
 */
#include "boot/boot_internal.h"
#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "proto/hv.h"

static uint64_t tsc_hz, tsc0;
static uint64_t tsc_scale; /* ns per tick, 32.32 fixed point */
static uint64_t apic_hz;   /* APIC timer counts per second (divided) */
static const char *source = "none";
static clock_source_fn ext_source;
static timer_arm_fn ext_timer;
static uint64_t wall_base_ns, wall_set_at_ns;

/* Frequency the hypervisor states, or 0 (TLFS: HV_MSR_TSC_FREQUENCY is
 * readable when CPUID 0x40000003 EAX bit 11 is set). */
static uint64_t hv_freq_msr(uint32_t msr)
{
    if (!(cpuid(1, 0).ecx & (1u << 31)))
        return 0;
    struct cpuid_regs v = cpuid(HV_CPUID_VENDOR_AND_MAX, 0);
    if (v.ebx != HV_CPUID_VENDOR_EBX || v.ecx != HV_CPUID_VENDOR_ECX ||
        v.edx != HV_CPUID_VENDOR_EDX || v.eax < HV_CPUID_FEATURES)
        return 0;
    if (cpuid(HV_CPUID_INTERFACE, 0).eax != HV_CPUID_INTERFACE_HV1)
        return 0;
    if (!(cpuid(HV_CPUID_FEATURES, 0).eax & HV_PRIV_FREQUENCY))
        return 0;
    return rdmsr(msr);
}

/* PIT channel 2 counting 10 ms; 0 when there is no PIT. */
static uint64_t pit_calibrate(void)
{
    const uint32_t pit_hz = 1193182, ticks = pit_hz / 100;
    uint8_t gate = inb(0x61);

    if (gate == 0xFF)
        return 0;
    outb(0x61, (gate & ~0x02) | 0x01);
    outb(0x43, 0xB0); /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, ticks & 0xFF);
    outb(0x42, ticks >> 8);
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;
    while (!(inb(0x61) & 0x20)) {
        if (++spins > 100000000)
            return 0;
    }
    uint64_t t1 = rdtsc();
    outb(0x61, gate);
    if (t1 - t0 < 1000)
        return 0;
    return (t1 - t0) * 100;
}

static uint64_t tsc_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * tsc_scale) >> 32);
}

void clock_init(void)
{
    tsc0 = rdtsc();
    tsc_hz = hv_freq_msr(HV_MSR_TSC_FREQUENCY);
    source = "TSC (hypervisor frequency)";
    if (!tsc_hz) {
        tsc_hz = pit_calibrate();
        source = "TSC (PIT-calibrated)";
    }
    if (!tsc_hz) {
        tsc_hz = 2000000000ull;
        source = "TSC (uncalibrated, assuming 2 GHz)";
    }
    tsc_scale = (uint64_t)(((unsigned __int128)1000000000ull << 32) / tsc_hz);

    uint64_t hz = hv_freq_msr(HV_MSR_APIC_FREQUENCY);
    if (hz) {
        apic_hz = hz / 16;
    } else {
        /* Count the APIC timer down for 10 ms of TSC time. */
        apic_timer_oneshot(0xFFFFFFFFu);
        uint64_t end = rdtsc() + tsc_hz / 100;
        while (rdtsc() < end)
            cpu_relax();
        uint32_t left = apic_timer_current();
        apic_timer_stop();
        apic_hz = (uint64_t)(0xFFFFFFFFu - left) * 100;
    }
    if (!apic_hz)
        apic_hz = 1000000;
}

uint64_t clock_tsc_hz(void)
{
    return tsc_hz;
}
const char *clock_source_name(void)
{
    return source;
}

uint64_t clock_now_ns(void)
{
    return ext_source ? ext_source() : tsc_ns();
}

void clock_set_source(clock_source_fn now_ns)
{
    ext_source = now_ns;
}

void idle_set_timer(timer_arm_fn arm)
{
    ext_timer = arm;
}

uint64_t clock_wall_ns(void)
{
    return wall_base_ns + (clock_now_ns() - wall_set_at_ns);
}

void clock_set_wall_ns(uint64_t ns_since_1970)
{
    wall_set_at_ns = clock_now_ns();
    wall_base_ns = ns_since_1970;
}

void idle_until(uint64_t deadline_ns)
{
    uint64_t f = irq_save();
    uint64_t now = clock_now_ns();

    if (deadline_ns > now) {
        if (ext_timer) {
            ext_timer(deadline_ns);
        } else {
            uint64_t counts =
                (uint64_t)(((unsigned __int128)(deadline_ns - now) * apic_hz) /
                           1000000000ull);
            apic_timer_oneshot(counts > 0xFFFFFFFFu ? 0xFFFFFFFFu
                                                    : (uint32_t)counts);
        }
        cpu_idle(); /* sti; hlt: the wake-up cannot slip in between */
    }
    if (!(f & (1u << 9)))
        irq_disable();
}

void sleep_ns(uint64_t ns)
{
    uint64_t deadline = clock_now_ns() + ns;
    while (clock_now_ns() < deadline)
        idle_until(deadline);
}
