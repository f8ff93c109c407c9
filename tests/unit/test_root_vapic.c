/* Unit tests for the virtual local APIC (root/hv/vapic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

#define TSC_HZ 1000000000ull /* 5 TSC ticks per APIC tick at 200 MHz */

static uint8_t ram[1 << 16] __attribute__((aligned(4096)));
static struct vcpu v;

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static int setup(void **state)
{
    (void)state;
    vcpu_init(&v, ram, sizeof(ram), TSC_HZ, 1000);
    return 0;
}

static uint32_t mr(uint32_t off)
{
    uint32_t val = 0xDEAD;
    assert_int_equal(vapic_mmio_read(&v, off, &val), 0);
    return val;
}
static void mw(uint32_t off, uint32_t val)
{
    assert_int_equal(vapic_mmio_write(&v, off, val), 0);
}

static void enable_x2apic(void)
{
    assert_int_equal(vapic_msr_write(&v, 0x1B,
                                     APIC_DEFAULT_BASE | APIC_BASE_BSP |
                                         APIC_BASE_EN | APIC_BASE_EXTD),
                     0);
}

static void test_reset_state(void **state)
{
    uint64_t base;
    (void)state;
    assert_int_equal(vapic_msr_read(&v, 0x1B, &base), 0);
    assert_int_equal(base, APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN);
    assert_int_equal(vapic_mmio_base(&v), APIC_DEFAULT_BASE);
    assert_int_equal(mr(APIC_ID), 0);
    assert_int_equal(mr(APIC_VERSION) & 0xFF, 0x14);
    assert_int_equal(mr(APIC_SVR), 0xFF);
    assert_int_equal(mr(APIC_LVT_TIMER), APIC_LVT_MASKED);
    assert_int_equal(vapic_pending(&v), -1);
}

static void test_mmio_alignment(void **state)
{
    uint32_t val;
    (void)state;
    assert_int_equal(vapic_mmio_read(&v, 0x22, &val), -EINVAL);
    assert_int_equal(vapic_mmio_write(&v, 0x1001, 0), -EINVAL);
    assert_int_equal(mr(0x24), 0); /* the gap after a register */
    mw(0x84, 0xFF);                /* ignored */
    assert_int_equal(mr(APIC_TPR), 0);
    assert_int_equal(mr(0x400), 0); /* no register: ESR records it */
    mw(APIC_ESR, 0);
    assert_int_not_equal(mr(APIC_ESR), 0);
}

static void test_priority_and_eoi(void **state)
{
    (void)state;
    mw(APIC_SVR, 0x1FF);
    assert_int_equal(vapic_raise(&v, 0x31, false), 0);
    assert_int_equal(vapic_raise(&v, 0x45, false), 0);
    assert_int_equal(vapic_pending(&v), 0x45);
    mw(APIC_TPR, 0x40); /* blocks class 4 and below */
    assert_int_equal(vapic_pending(&v), -1);
    assert_int_equal(mr(APIC_PPR), 0x40);
    mw(APIC_TPR, 0x30);
    assert_int_equal(vapic_pending(&v), 0x45);
    vapic_ack(&v, 0x45);
    assert_int_equal(mr(APIC_ISR + 0x20) & (1u << 5), 1u << 5);
    assert_int_equal(mr(APIC_PPR), 0x40);
    assert_int_equal(vapic_pending(&v), -1); /* 0x31 below the ISR class */
    mw(APIC_TPR, 0);
    assert_int_equal(vapic_pending(&v), -1);
    mw(APIC_EOI, 0);
    assert_int_equal(vapic_pending(&v), 0x31);
    assert_int_equal(vapic_raise(&v, 7, false), -EINVAL);
    mw(APIC_ESR, 0);
    assert_int_equal(mr(APIC_ESR), 1u << 6);
}

static void test_timer_oneshot(void **state)
{
    (void)state;
    mw(APIC_SVR, 0x1FF);
    mw(APIC_TIMER_DCR, 0x3); /* divide by 16 */
    mw(APIC_LVT_TIMER, 0x40);
    mw(APIC_TIMER_ICR, 1000); /* 16000 APIC ticks = 80000 TSC */
    assert_int_equal(v.apic.timer_deadline, 1000 + 80000);
    v.now_tsc = 1000 + 40000;
    assert_int_equal(mr(APIC_TIMER_CCR), 500);
    vcpu_poll_timers(&v);
    assert_int_equal(vapic_pending(&v), -1);
    v.now_tsc = 1000 + 80000;
    vcpu_poll_timers(&v);
    assert_int_equal(vapic_pending(&v), 0x40);
    assert_int_equal(mr(APIC_TIMER_CCR), 0);
    assert_int_equal(v.apic.timer_deadline, 0);
    /* Masked: it still expires, silently. */
    vapic_ack(&v, 0x40);
    vapic_eoi(&v);
    mw(APIC_LVT_TIMER, 0x40 | APIC_LVT_MASKED);
    mw(APIC_TIMER_ICR, 10);
    v.now_tsc += 1000000;
    vcpu_poll_timers(&v);
    assert_int_equal(vapic_pending(&v), -1);
    /* Writing 0 stops it. */
    mw(APIC_LVT_TIMER, 0x40);
    mw(APIC_TIMER_ICR, 10);
    mw(APIC_TIMER_ICR, 0);
    assert_int_equal(vcpu_next_deadline(&v), 0);
}

static void test_timer_periodic(void **state)
{
    (void)state;
    mw(APIC_SVR, 0x1FF);
    mw(APIC_TIMER_DCR, 0xB); /* divide by 1 */
    mw(APIC_LVT_TIMER, 0x41 | (1u << 17));
    mw(APIC_TIMER_ICR, 40000); /* 200000 TSC ticks, 200 us */
    for (int i = 1; i <= 3; i++) {
        v.now_tsc = 1000 + 200000 * (uint64_t)i;
        vcpu_poll_timers(&v);
        assert_int_equal(vapic_pending(&v), 0x41);
        vapic_ack(&v, 0x41);
        vapic_eoi(&v);
        assert_int_equal(v.apic.timer_deadline,
                         1000 + 200000 * (uint64_t)(i + 1));
    }
    /* Far behind: the next deadline is realigned, not a burst. */
    v.now_tsc += 100000000;
    vcpu_poll_timers(&v);
    assert_true(v.apic.timer_deadline > v.now_tsc);
}

static void test_timer_periodic_floor(void **state)
{
    (void)state;
    mw(APIC_SVR, 0x1FF);
    mw(APIC_TIMER_DCR, 0xB);
    mw(APIC_LVT_TIMER, 0x41 | (1u << 17));
    mw(APIC_TIMER_ICR, 1); /* 5 TSC ticks: far below the floor */
    v.now_tsc = v.apic.timer_deadline;
    vcpu_poll_timers(&v);
    assert_true(v.apic.timer_deadline - v.now_tsc >=
                TSC_HZ / ROOT_MIN_PERIOD_DIV);
}

static void test_timer_tsc_deadline(void **state)
{
    uint64_t val;
    (void)state;
    mw(APIC_SVR, 0x1FF);
    /* Outside TSC-deadline mode the MSR write is ignored. */
    assert_int_equal(vapic_msr_write(&v, 0x6E0, 5000), 0);
    assert_int_equal(vcpu_next_deadline(&v), 0);
    mw(APIC_LVT_TIMER, 0x42 | (2u << 17));
    mw(APIC_TIMER_ICR, 100); /* ignored in this mode */
    assert_int_equal(vcpu_next_deadline(&v), 0);
    assert_int_equal(vapic_msr_write(&v, 0x6E0, 5000), 0);
    assert_int_equal(vapic_msr_read(&v, 0x6E0, &val), 0);
    assert_int_equal(val, 5000);
    v.now_tsc = 5000;
    vcpu_poll_timers(&v);
    assert_int_equal(vapic_pending(&v), 0x42);
    assert_int_equal(vapic_msr_read(&v, 0x6E0, &val), 0);
    assert_int_equal(val, 0);
    /* Writing 0 disarms. */
    vapic_msr_write(&v, 0x6E0, 9000);
    vapic_msr_write(&v, 0x6E0, 0);
    assert_int_equal(vcpu_next_deadline(&v), 0);
}

static void test_x2apic_transitions(void **state)
{
    uint64_t val;
    (void)state;
    /* x2APIC MSRs are #GP in xAPIC mode. */
    assert_int_equal(vapic_msr_read(&v, 0x802, &val), -EINVAL);
    /* EXTD without EN is invalid; BSP may not change; reserved bits. */
    assert_int_equal(
        vapic_msr_write(&v, 0x1B,
                        APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EXTD),
        -EINVAL);
    assert_int_equal(
        vapic_msr_write(&v, 0x1B, APIC_DEFAULT_BASE | APIC_BASE_EN), -EINVAL);
    assert_int_equal(
        vapic_msr_write(&v, 0x1B, (1ull << 52) | APIC_BASE_BSP | APIC_BASE_EN),
        -EINVAL);
    enable_x2apic();
    assert_int_equal(vapic_mmio_base(&v), 0);
    /* x2APIC -> xAPIC directly is illegal; via disabled is fine. */
    assert_int_equal(
        vapic_msr_write(&v, 0x1B,
                        APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN),
        -EINVAL);
    assert_int_equal(
        vapic_msr_write(&v, 0x1B, APIC_DEFAULT_BASE | APIC_BASE_BSP), 0);
    assert_int_equal(vapic_pending(&v), -1);
    assert_int_equal(vapic_msr_write(&v, 0x1B,
                                     APIC_DEFAULT_BASE | APIC_BASE_BSP |
                                         APIC_BASE_EN | APIC_BASE_EXTD),
                     -EINVAL); /* disabled -> x2APIC must pass xAPIC */
}

static void test_x2apic_registers(void **state)
{
    uint64_t val;
    (void)state;
    enable_x2apic();
    assert_int_equal(vapic_msr_read(&v, 0x802, &val), 0); /* ID */
    assert_int_equal(val, 0);
    assert_int_equal(vapic_msr_read(&v, 0x80D, &val), 0); /* LDR */
    assert_int_equal(val, 1);
    assert_int_equal(vapic_msr_write(&v, 0x80F, 0x1FF), 0); /* SVR */
    assert_int_equal(vapic_msr_write(&v, 0x808, 0x10), 0);  /* TPR */
    assert_int_equal(vapic_msr_read(&v, 0x808, &val), 0);
    assert_int_equal(val, 0x10);
    /* Read-only, write-only and reserved accesses are #GP. */
    assert_int_equal(vapic_msr_write(&v, 0x802, 1), -EINVAL);
    assert_int_equal(vapic_msr_write(&v, 0x803, 1), -EINVAL);
    assert_int_equal(vapic_msr_read(&v, 0x80B, &val), -EINVAL); /* EOI */
    assert_int_equal(vapic_msr_write(&v, 0x80B, 1), -EINVAL);
    assert_int_equal(vapic_msr_read(&v, 0x83F, &val), -EINVAL);
    assert_int_equal(vapic_msr_read(&v, 0x831, &val), -EINVAL); /* ICR hi */
    assert_int_equal(vapic_msr_read(&v, 0x8FF, &val), -EINVAL);
    assert_int_equal(vapic_msr_write(&v, 0x808, 1ull << 32), -EINVAL);
    /* Self-IPI and ICR (64-bit write in x2APIC). */
    assert_int_equal(vapic_msr_write(&v, 0x83F, 0x66), 0);
    assert_int_equal(vapic_pending(&v), 0x66);
    vapic_ack(&v, 0x66);
    assert_int_equal(vapic_msr_write(&v, 0x80B, 0), 0);
    assert_int_equal(vapic_msr_write(&v, 0x830, 0x67), 0); /* dest 0 = us */
    assert_int_equal(vapic_pending(&v), 0x67);
    vapic_ack(&v, 0x67);
    vapic_eoi(&v);
    assert_int_equal(vapic_msr_write(&v, 0x830, (5ull << 32) | 0x68), 0);
    assert_int_equal(vapic_pending(&v), -1); /* nobody at id 5 */
    assert_int_equal(vapic_msr_write(&v, 0x830, (3u << 18) | 0x69), 0);
    assert_int_equal(vapic_pending(&v), -1); /* all-but-self */
    assert_int_equal(vapic_msr_write(&v, 0x830, (4u << 8) | (1u << 18)), 0);
    assert_int_equal(vapic_pending(&v), -1); /* NMI: not modelled */
    /* Timer through MSRs. */
    assert_int_equal(vapic_msr_write(&v, 0x83E, 0xB), 0);
    assert_int_equal(vapic_msr_write(&v, 0x832, 0x50), 0);
    assert_int_equal(vapic_msr_write(&v, 0x838, 10), 0);
    assert_int_equal(vcpu_next_deadline(&v), 1000 + 50);
}

static void test_svr_disable_masks_lvts(void **state)
{
    (void)state;
    mw(APIC_SVR, 0x1FF);
    mw(APIC_LVT_TIMER, 0x40);
    assert_int_equal(mr(APIC_LVT_TIMER), 0x40);
    mw(APIC_SVR, 0xFF);
    assert_int_equal(mr(APIC_LVT_TIMER), 0x40 | APIC_LVT_MASKED);
    mw(APIC_LVT_TIMER, 0x40); /* stays masked while disabled */
    assert_int_equal(mr(APIC_LVT_TIMER), 0x40 | APIC_LVT_MASKED);
}

/* Random register traffic in both modes, with timers running. */
static void test_random_registers(void **state)
{
    uint64_t x = 0x0123456789ABCDEFull;
    (void)state;
    for (int iter = 0; iter < 100000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t off = (uint32_t)(x % 0x1000) & ~3u;
        if (iter % 1000 == 0)
            (void)vapic_msr_write(&v, 0x1B,
                                  (x & 1) ? APIC_DEFAULT_BASE | APIC_BASE_BSP |
                                                APIC_BASE_EN | APIC_BASE_EXTD
                                          : APIC_DEFAULT_BASE | APIC_BASE_BSP |
                                                APIC_BASE_EN);
        if (x & 0x10000) {
            uint64_t val;
            (void)vapic_msr_read(&v, 0x800 + (uint32_t)(x >> 20) % 0x100, &val);
            (void)vapic_msr_write(&v, 0x800 + (uint32_t)(x >> 28) % 0x100,
                                  x >> 3);
        } else if (x & 0x20000) {
            (void)vapic_mmio_write(&v, off, (uint32_t)(x >> 32));
        } else {
            uint32_t val;
            (void)vapic_mmio_read(&v, off, &val);
        }
        v.now_tsc += x % 50000;
        vcpu_poll_timers(&v);
        int vec = vapic_pending(&v);
        if (vec >= 0) {
            assert_true(vec >= 16 && vec < 256);
            vapic_ack(&v, (uint8_t)vec);
        }
        if (iter % 3 == 0)
            vapic_eoi(&v);
    }
}

/* --- EOI assist ------------------------------------------------------------
 */

#define ASSIST_GPA 0x3000u

static volatile uint32_t *assist_word_ptr(void)
{
    return (volatile uint32_t *)(ram + ASSIST_GPA);
}

/* What the run loop does before an entry: settle the mark, then deliver
 * the next interrupt and offer EOI assist for it.  Returns the vector. */
static int deliver(void)
{
    vapic_assist_sync(&v);
    int vec = vapic_pending(&v);
    if (vec >= 0) {
        vapic_ack(&v, (uint8_t)vec);
        vapic_assist_offer(&v, (uint8_t)vec);
    }
    return vec;
}

/* The child's side of the TLFS sequence: swap in 0, EOI if it was clear. */
static void child_eoi(void)
{
    uint32_t old = __atomic_exchange_n(assist_word_ptr(), 0, __ATOMIC_SEQ_CST);
    if (!(old & HV_APIC_ASSIST_NO_EOI))
        vapic_eoi(&v);
}

static void enable_assist(void)
{
    memset(ram + ASSIST_GPA, 0, 4096); /* as the child hands it over */
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, ASSIST_GPA | 1),
                     0);
}

static bool in_service(unsigned vec)
{
    return v.apic.isr[vec / 32] & (1u << (vec % 32));
}

static void test_assist_needs_the_page(void **state)
{
    (void)state;
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_false(v.apic.assist_vector);
    assert_int_equal(*assist_word_ptr(), 0);
    /* Disabled (enable bit clear) is the same as never written. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, ASSIST_GPA), 0);
    vapic_eoi(&v);
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_int_equal(*assist_word_ptr(), 0);
    assert_true(in_service(0x50));
}

static void test_assist_skipped_eoi_retired(void **state)
{
    (void)state;
    enable_assist();
    for (unsigned round = 0; round < 3; round++) {
        assert_int_equal(vapic_raise(&v, 0x50, false), 0);
        assert_int_equal(deliver(), 0x50);
        assert_int_equal(*assist_word_ptr(), HV_APIC_ASSIST_NO_EOI);
        assert_true(in_service(0x50));
        child_eoi(); /* no exit: the root has not seen it yet */
        assert_true(in_service(0x50));
        vapic_assist_sync(&v); /* the next exit */
        assert_false(in_service(0x50));
        assert_false(v.apic.assist_vector);
        assert_int_equal(v.lazy_eois, round + 1);
        vapic_assist_sync(&v); /* once only */
        assert_int_equal(v.lazy_eois, round + 1);
    }
    /* Still marked: nothing changes at a sync without a new request. */
    assert_int_equal(vapic_raise(&v, 0x51, false), 0);
    assert_int_equal(deliver(), 0x51);
    vapic_assist_sync(&v);
    assert_true(in_service(0x51));
    assert_int_equal(*assist_word_ptr(), HV_APIC_ASSIST_NO_EOI);
    assert_int_equal(v.apic.assist_vector, 0x51);
}

static void test_assist_not_offered_when_eoi_matters(void **state)
{
    (void)state;
    enable_assist();
    /* Something else requested: the EOI would let it through. */
    assert_int_equal(vapic_raise(&v, 0x60, false), 0);
    assert_int_equal(vapic_raise(&v, 0x30, false), 0);
    assert_int_equal(deliver(), 0x60);
    assert_false(v.apic.assist_vector);
    assert_int_equal(*assist_word_ptr(), 0);
    /* 0x30 is blocked by 0x60; a higher one nests: two in service. */
    assert_int_equal(deliver(), -1);
    assert_int_equal(vapic_raise(&v, 0x70, false), 0);
    vapic_eoi(&v); /* retires 0x60 */
    assert_int_equal(vapic_raise(&v, 0x60, false), 0);
    assert_int_equal(deliver(), 0x70);
    assert_false(v.apic.assist_vector);
    child_eoi(); /* conventional: the word was 0 */
    assert_false(in_service(0x70));
    assert_int_equal(deliver(), 0x60);
    assert_false(v.apic.assist_vector); /* 0x30 still requested */
    child_eoi();
    assert_int_equal(deliver(), 0x30);
    assert_int_equal(v.apic.assist_vector, 0x30); /* now alone */
    child_eoi();
    vapic_assist_sync(&v);
    assert_int_equal(v.apic.isr[1], 0);
    /* Auto-EOI interrupts never enter service: nothing to assist. */
    assert_int_equal(vapic_raise(&v, 0x80, true), 0);
    assert_int_equal(deliver(), 0x80);
    assert_false(v.apic.assist_vector);
    /* Level-triggered vectors need their EOI. */
    v.apic.tmr[0x90 / 32] |= 1u << (0x90 % 32);
    assert_int_equal(vapic_raise(&v, 0x90, false), 0);
    assert_int_equal(deliver(), 0x90);
    assert_false(v.apic.assist_vector);
    assert_int_equal(*assist_word_ptr(), 0);
}

static void test_assist_taken_back_for_new_request(void **state)
{
    (void)state;
    enable_assist();
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    /* A lower-priority interrupt arrives while the handler runs. */
    assert_int_equal(vapic_raise(&v, 0x40, false), 0);
    assert_int_equal(deliver(), -1); /* blocked by 0x50; mark taken back */
    assert_int_equal(*assist_word_ptr(), 0);
    assert_false(v.apic.assist_vector);
    assert_true(in_service(0x50));
    child_eoi(); /* sees 0: writes the EOI, which unblocks 0x40 */
    assert_false(in_service(0x50));
    assert_int_equal(deliver(), 0x40);
    assert_int_equal(v.lazy_eois, 0);
    /* The child skipped its EOI before the new request was seen. */
    child_eoi();
    vapic_assist_sync(&v);
    assert_int_equal(v.lazy_eois, 1);
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    child_eoi();
    assert_int_equal(vapic_raise(&v, 0x45, false), 0);
    assert_int_equal(deliver(), 0x45); /* 0x50 retired on the child's behalf */
    assert_false(in_service(0x50));
    assert_int_equal(v.lazy_eois, 2);
}

static void test_assist_conventional_eoi_and_page_moves(void **state)
{
    uint64_t val;
    (void)state;
    enable_x2apic();
    enable_assist();
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    /* A conventional EOI while marked ends the mark with the vector. */
    assert_int_equal(vapic_msr_write(&v, 0x80B, 0), 0);
    assert_false(in_service(0x50));
    assert_int_equal(*assist_word_ptr(), 0);
    assert_false(v.apic.assist_vector);
    /* So does the synthetic EOI MSR. */
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_int_equal(hv_msr_write(&v, HV_MSR_EOI, 0), 0);
    assert_false(in_service(0x50));
    assert_int_equal(*assist_word_ptr(), 0);
    /* The page moves while marked: the mark is taken back from the old
     * page, and a skipped EOI found there is honoured. */
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, 0x5000 | 1), 0);
    assert_int_equal(*assist_word_ptr(), 0);
    assert_true(in_service(0x50));
    vapic_eoi(&v);
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_int_equal(*(volatile uint32_t *)(ram + 0x5000),
                     HV_APIC_ASSIST_NO_EOI);
    __atomic_store_n((uint32_t *)(ram + 0x5000), 0, __ATOMIC_SEQ_CST);
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, 0), 0);
    assert_false(in_service(0x50));
    assert_int_equal(v.lazy_eois, 1);
    /* Reserved bits written by a careless child: only bit 0 counts. */
    enable_assist();
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    *assist_word_ptr() = 0xFFFFFFFEu;
    vapic_assist_sync(&v);
    assert_false(in_service(0x50));
    /* An APIC reset drops the mark and clears the child's bit. */
    assert_int_equal(vapic_raise(&v, 0x50, false), 0);
    assert_int_equal(deliver(), 0x50);
    assert_int_equal(vapic_msr_read(&v, 0x1B, &val), 0);
    assert_int_equal(
        vapic_msr_write(&v, 0x1B, val & ~(APIC_BASE_EN | APIC_BASE_EXTD)), 0);
    assert_false(v.apic.assist_vector);
    assert_int_equal(*assist_word_ptr(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_mmio_alignment, setup),
        cmocka_unit_test_setup(test_priority_and_eoi, setup),
        cmocka_unit_test_setup(test_timer_oneshot, setup),
        cmocka_unit_test_setup(test_timer_periodic, setup),
        cmocka_unit_test_setup(test_timer_periodic_floor, setup),
        cmocka_unit_test_setup(test_timer_tsc_deadline, setup),
        cmocka_unit_test_setup(test_x2apic_transitions, setup),
        cmocka_unit_test_setup(test_x2apic_registers, setup),
        cmocka_unit_test_setup(test_svr_disable_masks_lvts, setup),
        cmocka_unit_test_setup(test_random_registers, setup),
        cmocka_unit_test_setup(test_assist_needs_the_page, setup),
        cmocka_unit_test_setup(test_assist_skipped_eoi_retired, setup),
        cmocka_unit_test_setup(test_assist_not_offered_when_eoi_matters, setup),
        cmocka_unit_test_setup(test_assist_taken_back_for_new_request, setup),
        cmocka_unit_test_setup(test_assist_conventional_eoi_and_page_moves,
                               setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
