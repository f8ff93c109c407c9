/*
 * roottest: a child partition that checks, from the inside, the Hyper-V
 * interface the root presents: CPUID leaves, synthetic MSRs (values,
 * read-only ones, #GP on invalid writes), the hypercall page, hypercall
 * status codes, SynIC message delivery with a busy slot and redelivery
 * after EOM, event flags, synthetic timers in message and direct mode, the
 * reference TSC page against the reference counter, and the local APIC
 * timer in one-shot, periodic and TSC-deadline mode (xAPIC and x2APIC).
 *
 * Built on the shared bare-metal runtime only (common/x86), so it depends
 * on nothing in the guest kit.  Prints one line per check on COM1 and
 * powers off with the number of failed checks (0 = all passed).  The echo
 * connections it talks to are root/hv/testport.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/fmt.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"
#include "common/x86/uart.h"
#include "proto/hv.h"
#include "root/hv/testport.h"

void x86_main(uint32_t magic, uint64_t info_pa);

#define PAGE __attribute__((aligned(4096)))
#define VEC_SINT_MSG 0x51   /* SINT 2: echo messages */
#define VEC_SINT_TIMER 0x52 /* SINT 3: stimer messages */
#define VEC_SINT_EVENT 0x53 /* ROOT_TEST_EVENT_SINT */
#define VEC_STIMER_DIRECT 0x54
#define VEC_APIC_TIMER 0x60
#define VEC_SELF_IPI 0x61
#define VEC_WAKE                                                               \
    0xEF /* stimer3, direct: bounds every HLT wait; above                      \
          * any TPR the checks set */
#define SINT_MSG 2u
#define SINT_TIMER 3u

static uint8_t hypercall_page[4096] PAGE;
static struct hv_message_page simp PAGE;
static struct hv_event_flags_page siefp PAGE;
static struct hv_reference_tsc_page tsc_page PAGE;
static uint8_t hc_in[4096] PAGE;

static volatile uint32_t *const xapic = (volatile uint32_t *)0xFEE00000ull;
static bool x2apic;
static volatile unsigned irq_count[256];
static volatile unsigned gp_count, ud_count;
static unsigned failed, passed;
static uint64_t tsc_hz;

void x86_report(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    uart_write(UART_COM1, buf, strlen(buf));
}

static void power_off(unsigned status) __attribute__((noreturn));
static void power_off(unsigned status)
{
    outl(0xF4, status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void x86_fatal(struct trap_frame *tf)
{
    x86_report("roottest: unexpected exception: FAIL\n");
    power_off(99);
}

static void check(bool ok, const char *what)
{
    x86_report("roottest: %s: %s\n", what, ok ? "ok" : "FAIL");
    if (ok)
        passed++;
    else
        failed++;
}

/* #GP from RDMSR/WRMSR: count it and step over the 2-byte instruction. */
static void gp_handler(struct trap_frame *tf, void *ctx)
{
    const uint8_t *ip = (const uint8_t *)tf->rip;
    if (ip[0] != 0x0F || (ip[1] != 0x30 && ip[1] != 0x32))
        x86_fatal(tf);
    gp_count++;
    tf->rip += 2;
}

/* #UD from VMMCALL (0F 01 D9). */
static void ud_handler(struct trap_frame *tf, void *ctx)
{
    const uint8_t *ip = (const uint8_t *)tf->rip;
    if (ip[0] != 0x0F || ip[1] != 0x01 || ip[2] != 0xD9)
        x86_fatal(tf);
    ud_count++;
    tf->rip += 3;
}

static void eoi(void)
{
    if (x2apic)
        wrmsr(0x80B, 0);
    else
        xapic[0xB0 / 4] = 0;
}

static void irq_handler(struct trap_frame *tf, void *ctx)
{
    irq_count[tf->vector & 0xFF]++;
    eoi();
}

/* RDMSR/WRMSR that report whether they raised #GP. */
static bool msr_gp_read(uint32_t msr, uint64_t *val)
{
    unsigned before = gp_count;
    *val = rdmsr(msr);
    return gp_count != before;
}
static bool msr_gp_write(uint32_t msr, uint64_t val)
{
    unsigned before = gp_count;
    wrmsr(msr, val);
    return gp_count != before;
}

static uint64_t hypercall(uint64_t control, uint64_t in, uint64_t out)
{
    uint64_t status;
    register uint64_t r8 __asm__("r8") = out;
    __asm__ volatile("call *%[page]"
                     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
                     : [page] "r"(hypercall_page)
                     : "memory", "r9", "r10", "r11");
    return status;
}

static uint16_t post(uint32_t conn, uint32_t type, uint32_t size, uint8_t first)
{
    struct hv_input_post_message *m = (struct hv_input_post_message *)hc_in;
    memset(m, 0, sizeof(*m));
    m->connection_id = conn;
    m->message_type = type;
    m->payload_size = size;
    m->payload[0] = first;
    return (uint16_t)hypercall(HVCALL_POST_MESSAGE, (uint64_t)hc_in, 0);
}

/* Synthetic timer 3 (direct mode) fires after max_ms: every HLT wait ends. */
static void arm_wake(uint64_t max_ms)
{
    wrmsr(HV_MSR_STIMER0_CONFIG + 6, 0);
    wrmsr(HV_MSR_STIMER0_COUNT + 6,
          rdmsr(HV_MSR_TIME_REF_COUNT) + max_ms * 10000 + 1);
    wrmsr(HV_MSR_STIMER0_CONFIG + 6,
          HV_STIMER_ENABLE | HV_STIMER_DIRECT | ((uint64_t)VEC_WAKE << 4));
}

/*
 * Waits with HLT (interrupts on) until irq_count[vec] reaches n or max_ms
 * pass; synthetic timer 3 (direct mode) guarantees a wake-up, so a root
 * that loses an interrupt fails the check instead of hanging it.
 */
static bool wait_irq(unsigned vec, unsigned n, uint64_t max_ms)
{
    uint64_t end = rdtsc() + tsc_hz / 1000 * max_ms;
    arm_wake(max_ms);
    while (irq_count[vec] < n && rdtsc() < end)
        cpu_idle();
    wrmsr(HV_MSR_STIMER0_CONFIG + 6, 0);
    return irq_count[vec] >= n;
}

static void bench_xapic(void);

static uint64_t ref_now(void)
{
    return rdmsr(HV_MSR_TIME_REF_COUNT);
}

static void test_cpuid(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    check(r.ecx & (1u << 31), "CPUID.1 hypervisor bit");
    r = cpuid(HV_CPUID_VENDOR_AND_MAX, 0);
    check(r.eax == 0x4000000Au && r.ebx == HV_CPUID_VENDOR_EBX &&
              r.ecx == HV_CPUID_VENDOR_ECX && r.edx == HV_CPUID_VENDOR_EDX,
          "CPUID 0x40000000 Microsoft Hv, max 0x4000000A");
    check(cpuid(HV_CPUID_INTERFACE, 0).eax == HV_CPUID_INTERFACE_HV1,
          "CPUID 0x40000001 Hv#1");
    r = cpuid(HV_CPUID_FEATURES, 0);
    check((r.eax & (HV_PRIV_SYNIC | HV_PRIV_SYNTIMERS | HV_PRIV_HYPERCALL |
                    HV_PRIV_VP_INDEX | HV_PRIV_TIME_REF_COUNT |
                    HV_PRIV_REFERENCE_TSC | HV_PRIV_FREQUENCY)) ==
                  (HV_PRIV_SYNIC | HV_PRIV_SYNTIMERS | HV_PRIV_HYPERCALL |
                   HV_PRIV_VP_INDEX | HV_PRIV_TIME_REF_COUNT |
                   HV_PRIV_REFERENCE_TSC | HV_PRIV_FREQUENCY) &&
              !(r.eax & HV_PRIV_RESET) &&
              r.ebx == (HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS) &&
              (r.edx & HV_FEATURE_STIMER_DIRECT),
          "CPUID 0x40000003 privileges and features");
    check(cpuid(HV_CPUID_ENLIGHTENMENT_INFO, 0).eax &
              HV_HINT_DEPRECATE_AUTO_EOI,
          "CPUID 0x40000004 recommends no AutoEOI");
    check(cpuid(HV_CPUID_IMPLEMENTATION_LIMITS, 0).eax == 1,
          "CPUID 0x40000005 one virtual processor");
    bool zero = true;
    for (uint32_t l = 0x40000006u; l <= 0x4000000Bu; l++) {
        r = cpuid(l, 0);
        zero = zero && !(r.eax | r.ebx | r.ecx | r.edx);
    }
    check(zero, "CPUID 0x40000006-0x4000000B read zero");
    check(!(cpuid(0x80000001u, 0).ecx & (1u << 2)), "SVM hidden");
}

static void test_msrs(void)
{
    uint64_t v;
    check(!msr_gp_write(HV_MSR_GUEST_OS_ID, 0x8100000000004242ull) &&
              rdmsr(HV_MSR_GUEST_OS_ID) == 0x8100000000004242ull,
          "guest OS id read/write");
    check(!msr_gp_read(HV_MSR_VP_INDEX, &v) && v == 0 &&
              msr_gp_write(HV_MSR_VP_INDEX, 1),
          "VP index 0, read-only");
    uint64_t a = ref_now();
    for (volatile int i = 0; i < 100000; i++)
        ;
    uint64_t b = ref_now();
    check(b > a && msr_gp_write(HV_MSR_TIME_REF_COUNT, 0),
          "reference counter advances, read-only");
    tsc_hz = rdmsr(HV_MSR_TSC_FREQUENCY);
    check(tsc_hz > 100000000ull && rdmsr(HV_MSR_APIC_FREQUENCY) > 0 &&
              msr_gp_write(HV_MSR_TSC_FREQUENCY, 1) &&
              msr_gp_write(HV_MSR_APIC_FREQUENCY, 1),
          "TSC/APIC frequency, read-only");
    check(rdmsr(HV_MSR_SVERSION) == 1 && msr_gp_write(HV_MSR_SVERSION, 2),
          "SVERSION 1, read-only");
    check(msr_gp_read(HV_MSR_RESET, &v) && msr_gp_write(0x40000003u, 1),
          "unimplemented reset MSR: #GP");
    check(msr_gp_write(HV_MSR_SINT0, 0x05) &&
              !msr_gp_write(HV_MSR_SINT0, HV_SINT_MASKED | 0x05),
          "SINT vector below 16 refused unless masked");
    check(msr_gp_read(HV_MSR_EOI, &v), "synthetic EOI is write-only");
    check(msr_gp_write(HV_MSR_SCONTROL, 4) &&
              msr_gp_write(HV_MSR_SIMP, 0xFFFFFFFFF000ull | 1) &&
              msr_gp_write(HV_MSR_STIMER0_CONFIG, 1ull << 40),
          "reserved bits and pages outside RAM: #GP");
    check(rdmsr(HV_MSR_CRASH_CTL) ==
              (HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE),
          "crash control reports notify + message");
    wrmsr(HV_MSR_CRASH_P0 + 2, 0x1234);
    check(rdmsr(HV_MSR_CRASH_P0 + 2) == 0x1234, "crash parameters hold");
    check(msr_gp_read(0x802, &v), "x2APIC MSR in xAPIC mode: #GP");
}

static void test_hypercalls(void)
{
    /* VMMCALL before the page is enabled is #UD. */
    unsigned before = ud_count;
    __asm__ volatile("vmmcall" ::"a"(0), "c"(0), "d"(0) : "memory");
    check(ud_count == before + 1, "hypercall before enabling: #UD");

    wrmsr(HV_MSR_HYPERCALL, (uint64_t)hypercall_page | HV_HYPERCALL_ENABLE);
    static const uint8_t code[] = {0x0F, 0x01, 0xD9, 0xC3};
    check(memcmp(hypercall_page, code, 4) == 0 && (rdmsr(HV_MSR_HYPERCALL) & 1),
          "hypercall page holds vmmcall; ret");

    check(hypercall(0x7FFF, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE,
          "unknown call code: INVALID_HYPERCALL_CODE");
    check(hypercall(0x0046, (uint64_t)hc_in, (uint64_t)hc_in + 2048) ==
              HV_STATUS_ACCESS_DENIED,
          "HvCallGetPartitionId without the privilege: ACCESS_DENIED");
    check(post(0xABCDEF, 1, 8, 0) == HV_STATUS_INVALID_CONNECTION_ID,
          "post to unknown connection: INVALID_CONNECTION_ID");
    check(post(ROOT_TEST_MSG_CONN, 1, 241, 2) == HV_STATUS_INVALID_PARAMETER,
          "post 241 bytes: INVALID_PARAMETER");
    check(post(ROOT_TEST_MSG_CONN, 0x80000001u, 8, 2) ==
              HV_STATUS_INVALID_PARAMETER,
          "post hypervisor message type: INVALID_PARAMETER");
    check(hypercall(HVCALL_POST_MESSAGE, (uint64_t)hc_in + 4, 0) ==
              HV_STATUS_INVALID_ALIGNMENT,
          "post from a misaligned GPA: INVALID_ALIGNMENT");
    check(hypercall(HVCALL_POST_MESSAGE, 0x7FFFFFF000ull, 0) ==
              HV_STATUS_INVALID_PARAMETER,
          "post from outside RAM: INVALID_PARAMETER");
    check(hypercall(HVCALL_POST_MESSAGE | (1ull << 32), (uint64_t)hc_in, 0) ==
              HV_STATUS_INVALID_HYPERCALL_INPUT,
          "rep count on a simple call: INVALID_HYPERCALL_INPUT");
    check(hypercall(HVCALL_POST_MESSAGE | HV_HC_FAST, 0, 0) ==
              HV_STATUS_INVALID_HYPERCALL_INPUT,
          "PostMessage as a fast call: INVALID_HYPERCALL_INPUT");
    check(hypercall(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0xABCDEF, 0) ==
              HV_STATUS_INVALID_CONNECTION_ID,
          "signal unknown connection: INVALID_CONNECTION_ID");
    check(hypercall(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                    ROOT_TEST_EVENT_CONN | (1ull << 48),
                    0) == HV_STATUS_INVALID_PARAMETER,
          "signal with reserved bits: INVALID_PARAMETER");
    check(post(ROOT_TEST_MSG_CONN, 1, 8, SINT_MSG) ==
              HV_STATUS_INVALID_SYNIC_STATE,
          "post echo with the SynIC off: INVALID_SYNIC_STATE");
}

static void test_synic(void)
{
    wrmsr(HV_MSR_SIMP, (uint64_t)&simp | 1);
    wrmsr(HV_MSR_SIEFP, (uint64_t)&siefp | 1);
    wrmsr(HV_MSR_SINT0 + SINT_MSG, VEC_SINT_MSG);
    wrmsr(HV_MSR_SINT0 + SINT_TIMER, VEC_SINT_TIMER);
    wrmsr(HV_MSR_SINT0 + ROOT_TEST_EVENT_SINT, VEC_SINT_EVENT);
    wrmsr(HV_MSR_SCONTROL, 1);

    volatile struct hv_message *m = &simp.sint_message[SINT_MSG];
    check(post(ROOT_TEST_MSG_CONN, 7, 16, SINT_MSG) == HV_STATUS_SUCCESS &&
              wait_irq(VEC_SINT_MSG, 1, 100) && m->message_type == 7 &&
              m->payload_size == 16 && m->sender == ROOT_TEST_MSG_CONN &&
              !(m->message_flags & HV_MESSAGE_FLAG_PENDING),
          "message delivered to its SINT slot with an interrupt");
    /* Slot still full: the second one waits, pending flag set. */
    check(post(ROOT_TEST_MSG_CONN, 8, 16, SINT_MSG) == HV_STATUS_SUCCESS &&
              m->message_type == 7 &&
              (m->message_flags & HV_MESSAGE_FLAG_PENDING),
          "busy slot: queued, pending flag set");
    m->message_type = HV_MESSAGE_TYPE_NONE;
    mb();
    wrmsr(HV_MSR_EOM, 0);
    check(wait_irq(VEC_SINT_MSG, 2, 100) && m->message_type == 8,
          "EOM redelivers the queued message");
    m->message_type = HV_MESSAGE_TYPE_NONE;

    check(
        hypercall(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                  ROOT_TEST_EVENT_CONN | (37ull << 32),
                  0) == HV_STATUS_SUCCESS &&
            wait_irq(VEC_SINT_EVENT, 1, 100) &&
            (siefp.sint_flags[ROOT_TEST_EVENT_SINT][37 / 8] & (1u << (37 % 8))),
        "event flag set with an interrupt");
    hypercall(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
              ROOT_TEST_EVENT_CONN | (37ull << 32), 0);
    check(!wait_irq(VEC_SINT_EVENT, 2, 5), "flag already set: no interrupt");
}

static void test_stimers(void)
{
    volatile struct hv_message *m = &simp.sint_message[SINT_TIMER];
    uint64_t now = ref_now();
    wrmsr(HV_MSR_STIMER0_COUNT, now + 20000); /* 2 ms, absolute */
    wrmsr(HV_MSR_STIMER0_CONFIG,
          HV_STIMER_ENABLE | ((uint64_t)SINT_TIMER << 16));
    bool got = wait_irq(VEC_SINT_TIMER, 1, 200);
    struct hv_timer_message_payload p;
    memcpy(&p, (const void *)m->payload, sizeof(p));
    check(got && m->message_type == HV_MESSAGE_TIMER_EXPIRED &&
              p.timer_index == 0 && p.expiration_time == now + 20000 &&
              p.delivery_time >= p.expiration_time &&
              !(rdmsr(HV_MSR_STIMER0_CONFIG) & HV_STIMER_ENABLE),
          "stimer0 one-shot, message mode");
    m->message_type = HV_MESSAGE_TYPE_NONE;
    wrmsr(HV_MSR_EOM, 0);

    /* Periodic, 1 ms, three expiries, each message released. */
    wrmsr(HV_MSR_STIMER0_CONFIG + 2, 0);
    wrmsr(HV_MSR_STIMER0_COUNT + 2, 10000);
    wrmsr(HV_MSR_STIMER0_CONFIG + 2,
          HV_STIMER_ENABLE | HV_STIMER_PERIODIC | ((uint64_t)SINT_TIMER << 16));
    unsigned seen = 0;
    uint64_t end = rdtsc() + tsc_hz / 5;
    arm_wake(200);
    while (seen < 3 && rdtsc() < end) {
        /* Halt only with the slot seen empty, interrupts off in between:
         * the next expiry may already sit there, its interrupt taken. */
        irq_disable();
        if (m->message_type != HV_MESSAGE_TIMER_EXPIRED)
            cpu_idle();
        else
            irq_enable();
        if (m->message_type == HV_MESSAGE_TIMER_EXPIRED) {
            seen++;
            m->message_type = HV_MESSAGE_TYPE_NONE;
            mb();
            wrmsr(HV_MSR_EOM, 0);
        }
    }
    wrmsr(HV_MSR_STIMER0_CONFIG + 2, 0);
    check(seen == 3, "stimer1 periodic, message mode");

    wrmsr(HV_MSR_STIMER0_COUNT + 4, ref_now() + 10000);
    wrmsr(HV_MSR_STIMER0_CONFIG + 4, HV_STIMER_ENABLE | HV_STIMER_DIRECT |
                                         ((uint64_t)VEC_STIMER_DIRECT << 4));
    check(wait_irq(VEC_STIMER_DIRECT, 1, 200), "stimer2 direct mode");
}

/* Root memory mapped above RAM at run time, then taken away again. */
static void test_runtime_map(void)
{
    const uint64_t gpa = 0xF8000000ull; /* the VMBus MMIO window */
    struct root_test_map_req *req =
        (struct root_test_map_req *)((struct hv_input_post_message *)hc_in)
            ->payload;
    volatile uint64_t *p = (volatile uint64_t *)gpa;

    memset(hc_in, 0, 256);
    ((struct hv_input_post_message *)hc_in)->connection_id = ROOT_TEST_MAP_CONN;
    ((struct hv_input_post_message *)hc_in)->message_type = 1;
    ((struct hv_input_post_message *)hc_in)->payload_size = sizeof(*req);
    req->gpa = gpa;
    req->pages = 4;
    uint16_t st = (uint16_t)hypercall(HVCALL_POST_MESSAGE, (uint64_t)hc_in, 0);
    check(st == HV_STATUS_SUCCESS && p[0] == gpa && p[1000] == gpa + 8000 &&
              p[2047] == gpa + 2047 * 8,
          "root memory mapped at run time reads back");
    p[5] = 0x1234;
    check(p[5] == 0x1234, "mapped root memory is writable");
    req->pages = 0;
    st = (uint16_t)hypercall(HVCALL_POST_MESSAGE, (uint64_t)hc_in, 0);
    uint64_t after = p[0]; /* unbacked now: reads float high */
    check(st == HV_STATUS_SUCCESS && after == ~0ull,
          "unmapped again: reads all-ones");
    req->gpa = 0x1000; /* inside RAM */
    req->pages = 1;
    check((uint16_t)hypercall(HVCALL_POST_MESSAGE, (uint64_t)hc_in, 0) ==
              HV_STATUS_INVALID_PARAMETER,
          "mapping over RAM refused");
}

static uint64_t tsc_page_time(uint64_t tsc)
{
    return (uint64_t)(((unsigned __int128)tsc * tsc_page.tsc_scale) >> 64) +
           (uint64_t)tsc_page.tsc_offset;
}

/*
 * One reading of the reference counter bracketed by TSC reads; retried
 * while the bracket is wider than 200 us (the vCPU was preempted under
 * emulation).  Returns the counter; *lo and *hi get the page time at the
 * bracket's ends.
 */
static uint64_t bracketed_ref(uint64_t *lo, uint64_t *hi)
{
    uint64_t ta, tb, r;
    for (int i = 0; i < 20; i++) {
        ta = rdtsc();
        r = ref_now();
        tb = rdtsc();
        if (tb - ta < tsc_hz / 5000)
            break;
    }
    *lo = tsc_page_time(ta);
    *hi = tsc_page_time(tb);
    return r;
}

static void test_tsc_page(void)
{
    wrmsr(HV_MSR_REFERENCE_TSC, (uint64_t)&tsc_page | 1);
    check(tsc_page.tsc_sequence != 0, "reference TSC page valid");
    uint64_t lo0, hi0, lo1, hi1;
    uint64_t r0 = bracketed_ref(&lo0, &hi0);
    uint64_t end = rdtsc() + tsc_hz / 50;
    while (rdtsc() < end)
        cpu_relax();
    uint64_t r1 = bracketed_ref(&lo1, &hi1);
    /* Each counter reading lies inside its bracket (one unit of rounding),
     * and over 20 ms the two clocks advance alike within 1%. */
    bool inside =
        r0 + 2 >= lo0 && r0 <= hi0 + 2 && r1 + 2 >= lo1 && r1 <= hi1 + 2;
    uint64_t dr = r1 - r0, dp = (lo1 + hi1) / 2 - (lo0 + hi0) / 2;
    uint64_t diff = dr > dp ? dr - dp : dp - dr;
    check(inside && diff * 100 <= dr,
          "TSC page agrees with the reference counter within 1%");
}

static uint32_t apic_rd(uint32_t reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + reg / 16) : xapic[reg / 4];
}
static void apic_wr(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + reg / 16, v);
    else
        xapic[reg / 4] = v;
}

static void apic_timer_modes(const char *mode)
{
    char what[64];
    uint64_t apic_hz = rdmsr(HV_MSR_APIC_FREQUENCY);
    uint32_t one_ms = (uint32_t)(apic_hz / 16 / 1000);
    unsigned base = irq_count[VEC_APIC_TIMER];

    apic_wr(0x3E0, 0x3); /* divide by 16 */
    apic_wr(0x320, VEC_APIC_TIMER);
    apic_wr(0x380, one_ms);
    fmt_snprintf(what, sizeof(what), "%s APIC timer one-shot", mode);
    check(wait_irq(VEC_APIC_TIMER, base + 1, 200) &&
              !wait_irq(VEC_APIC_TIMER, base + 2, 5),
          what);

    apic_wr(0x320, VEC_APIC_TIMER | (1u << 17));
    apic_wr(0x380, one_ms);
    fmt_snprintf(what, sizeof(what), "%s APIC timer periodic", mode);
    check(wait_irq(VEC_APIC_TIMER, base + 4, 200), what);
    apic_wr(0x380, 0);
    unsigned now = irq_count[VEC_APIC_TIMER];

    apic_wr(0x320, VEC_APIC_TIMER | (2u << 17));
    wrmsr(0x6E0, rdtsc() + tsc_hz / 1000);
    fmt_snprintf(what, sizeof(what), "%s APIC timer TSC-deadline", mode);
    check(wait_irq(VEC_APIC_TIMER, now + 1, 200) && rdmsr(0x6E0) == 0, what);
    apic_wr(0x320, 1u << 16);
}

static void test_apic(void)
{
    check((apic_rd(0x30) & 0xFF) == 0x14 && apic_rd(0x20) == 0,
          "xAPIC version and id");
    bench_xapic();
    apic_wr(0xF0, 0x1FF);
    apic_wr(0x80, 0);
    apic_timer_modes("xAPIC");

    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1ull << 10));
    x2apic = true;
    check(rdmsr(0x802) == 0 && (rdmsr(0x803) & 0xFF) == 0x14,
          "x2APIC mode: id and version MSRs");
    wrmsr(0x83F, VEC_SELF_IPI);
    check(wait_irq(VEC_SELF_IPI, 1, 50), "x2APIC self-IPI");
    apic_timer_modes("x2APIC");
    /* TPR blocks the class of a pending interrupt until lowered. */
    wrmsr(0x808, 0x70);
    wrmsr(0x83F, VEC_SELF_IPI);
    bool blocked = !wait_irq(VEC_SELF_IPI, 2, 5);
    wrmsr(0x808, 0);
    check(blocked && wait_irq(VEC_SELF_IPI, 2, 50), "TPR holds off a vector");
}

/* Exit round trips as the child sees them, in ns per operation. */
#define BENCH_N 2000u

static uint64_t ns_per(uint64_t t0, uint64_t t1)
{
    return (t1 - t0) * 1000000000ull / tsc_hz / BENCH_N;
}

static void bench(void)
{
    uint64_t t0, t1;
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        cpuid(HV_CPUID_FEATURES, 0);
    t1 = rdtsc();
    x86_report("roottest: cost cpuid %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        rdmsr(HV_MSR_VP_INDEX);
    t1 = rdtsc();
    x86_report("roottest: cost rdmsr %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        inb(0x3FD);
    t1 = rdtsc();
    x86_report("roottest: cost inb %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        hypercall(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0xABCDEF, 0);
    t1 = rdtsc();
    x86_report("roottest: cost hypercall %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        rdmsr(0x808);
    t1 = rdtsc();
    x86_report("roottest: cost x2apic-tpr %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
    t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        __asm__ volatile("nop");
    t1 = rdtsc();
    x86_report("roottest: cost nop-loop %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
}

static void bench_xapic(void)
{
    uint64_t t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_N; i++)
        (void)xapic[0x80 / 4];
    uint64_t t1 = rdtsc();
    x86_report("roottest: cost xapic-mmio %llu ns\n",
               (unsigned long long)ns_per(t0, t1));
}

void x86_main(uint32_t magic, uint64_t info_pa)
{
    uart_init(UART_COM1);
    x86_cpu_init();
    x86_set_handler(6, ud_handler, NULL);
    x86_set_handler(13, gp_handler, NULL);
    for (unsigned v = 0x40; v < 0x70; v++)
        x86_set_handler((uint8_t)v, irq_handler, NULL);
    x86_set_handler(VEC_WAKE, irq_handler, NULL);
    x86_report("roottest: start (magic 0x%x)\n", magic);

    test_cpuid();
    test_msrs();
    test_hypercalls();
    irq_enable();
    xapic[0xF0 / 4] = 0x1FF; /* APIC on for the SINTs */
    test_synic();
    test_stimers();
    test_tsc_page();
    test_runtime_map();
    test_apic();
    irq_disable();
    bench();

    x86_report("roottest: %u passed, %u failed\n", passed, failed);
    power_off(failed > 99 ? 99 : failed);
}
