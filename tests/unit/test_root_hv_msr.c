/* Unit tests for the root's CPUID leaves and MSRs (root/hv/cpuid.c, msr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

#define RAM_SIZE (1u << 20)
#define TSC_HZ 1000000000ull /* 100 ticks per 100 ns unit */

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vcpu v;
static int logs;

void root_log(const char *fmt, ...)
{
    (void)fmt;
    logs++;
}

static void fake_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)sub;
    memset(out, 0, 16);
    if (leaf == 0) {
        out[0] = 0x10;
        out[1] = 0x68747541; /* "Auth" */
    } else if (leaf == 1) {
        out[0] = 0x00800F12;
        out[1] = 0x05000800;
        out[2] = 0xFFFFFFFFu & ~(1u << 31);
        out[3] = 0xFFFFFFFFu;
    } else if (leaf == 7) {
        out[1] = 0xFFFFFFFFu;
        out[2] = 0xFFFFFFFFu;
    } else if (leaf == 0x80000000u) {
        out[0] = 0x8000001Fu;
    } else if (leaf == 0x80000001u) {
        out[2] = 0xFFFFFFFFu;
        out[3] = 0xFFFFFFFFu;
    }
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    vcpu_init(&v, ram, RAM_SIZE, TSC_HZ, 5000);
    v.host_cpuid = fake_cpuid;
    logs = 0;
    return 0;
}

static uint64_t rd(uint32_t msr)
{
    uint64_t val = 0xDEAD;
    assert_int_equal(hv_msr_read(&v, msr, &val), 0);
    return val;
}

static void test_cpuid_hv_leaves(void **state)
{
    uint32_t r[4];
    (void)state;
    hv_cpuid(&v, 0x40000000u, 0, r);
    assert_int_equal(r[0], 0x4000000Au);
    assert_memory_equal(&r[1], "Microsoft Hv", 12);
    hv_cpuid(&v, 0x40000001u, 0, r);
    assert_int_equal(r[0], 0x31237648u);
    hv_cpuid(&v, 0x40000003u, 0, r);
    assert_true(r[0] & HV_PRIV_SYNIC);
    assert_true(r[0] & HV_PRIV_HYPERCALL);
    assert_true(r[0] & HV_PRIV_SYNTIMERS);
    assert_false(r[0] & HV_PRIV_RESET); /* not implemented */
    assert_false(r[0] & HV_PRIV_VP_RUNTIME);
    assert_int_equal(r[1], HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS);
    assert_false(r[1] & HV_PRIV_CPU_MANAGEMENT);
    assert_true(r[3] & HV_FEATURE_STIMER_DIRECT);
    hv_cpuid(&v, 0x40000004u, 0, r);
    assert_true(r[0] & HV_HINT_DEPRECATE_AUTO_EOI);
    assert_false(r[0] & HV_HINT_REMOTE_TLB_FLUSH);
    hv_cpuid(&v, 0x40000005u, 0, r);
    assert_int_equal(r[0], 1);
    for (uint32_t l = 0x40000006u; l <= 0x4000000Au; l++) {
        hv_cpuid(&v, l, 0, r);
        assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    }
    hv_cpuid(&v, 0x4000000Bu, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    hv_cpuid(&v, 0x40000100u, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_cpuid_base_masked(void **state)
{
    uint32_t r[4];
    (void)state;
    hv_cpuid(&v, 1, 0, r);
    assert_true(r[2] & (1u << 31));  /* hypervisor present */
    assert_true(r[2] & (1u << 21));  /* x2APIC offered */
    assert_false(r[2] & (1u << 3));  /* MONITOR hidden */
    assert_false(r[2] & (1u << 5));  /* VMX hidden */
    assert_false(r[2] & (1u << 26)); /* XSAVE hidden */
    assert_false(r[3] & (1u << 7));  /* MCE hidden */
    assert_int_equal(r[1] >> 24, 0); /* APIC id 0 */
    hv_cpuid(&v, 0x80000001u, 0, r);
    assert_false(r[2] & (1u << 2));  /* SVM hidden */
    assert_false(r[3] & (1u << 27)); /* RDTSCP hidden */
    hv_cpuid(&v, 7, 0, r);
    assert_false(r[2] & (1u << 16)); /* LA57 */
    assert_false(r[1] & (1u << 1));  /* TSC_ADJUST */
    hv_cpuid(&v, 0x20, 0, r);        /* beyond the host's max: zero */
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    hv_cpuid(&v, 0x8000001Fu, 0, r); /* SEV: beyond our clamp */
    hv_cpuid(&v, 0x80000000u, 0, r);
    assert_int_equal(r[0], 0x80000008u);
}

static void test_guest_os_id_and_hypercall_page(void **state)
{
    (void)state;
    /* Without an OS id the enable bit does not stick. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, 0x3000 | 1), 0);
    assert_int_equal(rd(HV_MSR_HYPERCALL), 0x3000);
    assert_int_equal(ram[0x3000], 0);
    assert_int_equal(
        hv_msr_write(&v, HV_MSR_GUEST_OS_ID, 0x8100000000000001ull), 0);
    assert_int_equal(rd(HV_MSR_GUEST_OS_ID), 0x8100000000000001ull);
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, 0x3000 | 1), 0);
    static const uint8_t code[] = {0x0F, 0x01, 0xD9, 0xC3};
    assert_memory_equal(ram + 0x3000, code, 4);
    /* Reserved bits and pages outside RAM are #GP. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, 0x3000 | 0x10 | 1),
                     -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, RAM_SIZE | 1), -EINVAL);
    assert_int_equal(
        hv_msr_write(&v, HV_MSR_HYPERCALL, 0xFFFFFFFFFFFFF000ull | 1), -EINVAL);
    /* Locked: later writes are ignored. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, 0x3000 | 3), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_HYPERCALL, 0x5000 | 1), 0);
    assert_int_equal(rd(HV_MSR_HYPERCALL), 0x3003);
    assert_int_equal(ram[0x5000], 0);
}

static void test_clearing_os_id_disables_hypercalls(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_GUEST_OS_ID, 1);
    hv_msr_write(&v, HV_MSR_HYPERCALL, 0x3000 | 1);
    hv_msr_write(&v, HV_MSR_GUEST_OS_ID, 0);
    assert_int_equal(rd(HV_MSR_HYPERCALL) & 1, 0);
}

static void test_read_only_msrs(void **state)
{
    (void)state;
    assert_int_equal(rd(HV_MSR_VP_INDEX), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_INDEX, 1), -EINVAL);
    assert_int_equal(rd(HV_MSR_TSC_FREQUENCY), TSC_HZ);
    assert_int_equal(hv_msr_write(&v, HV_MSR_TSC_FREQUENCY, 1), -EINVAL);
    assert_int_equal(rd(HV_MSR_APIC_FREQUENCY), ROOT_APIC_HZ);
    assert_int_equal(hv_msr_write(&v, HV_MSR_TIME_REF_COUNT, 1), -EINVAL);
    assert_int_equal(rd(HV_MSR_SVERSION), 1);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SVERSION, 1), -EINVAL);
    uint64_t val;
    assert_int_equal(hv_msr_read(&v, HV_MSR_EOI, &val), -EINVAL);
    assert_int_equal(hv_msr_read(&v, HV_MSR_RESET, &val), -EINVAL);
}

static void test_reference_counter(void **state)
{
    (void)state;
    assert_int_equal(rd(HV_MSR_TIME_REF_COUNT), 0);
    v.now_tsc += 100 * 12345; /* 12345 units of 100 ns */
    assert_int_equal(rd(HV_MSR_TIME_REF_COUNT), 12345);
}

static void test_reference_tsc_page(void **state)
{
    (void)state;
    assert_int_equal(hv_msr_write(&v, HV_MSR_REFERENCE_TSC, 0x7000 | 1), 0);
    struct hv_reference_tsc_page p;
    memcpy(&p, ram + 0x7000, sizeof(p));
    assert_int_not_equal(p.tsc_sequence, 0);
    for (uint64_t dt = 0; dt < 1000000000ull; dt += 99999937ull) {
        v.now_tsc = 5000 + dt;
        uint64_t tsc = v.now_tsc;
        uint64_t t = (uint64_t)(((unsigned __int128)tsc * p.tsc_scale) >> 64) +
                     (uint64_t)p.tsc_offset;
        uint64_t ref = rd(HV_MSR_TIME_REF_COUNT);
        assert_true(t + 1 >= ref && t <= ref + 1);
    }
    assert_int_equal(hv_msr_write(&v, HV_MSR_REFERENCE_TSC, 0x7008 | 1),
                     -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_REFERENCE_TSC, RAM_SIZE | 1),
                     -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_REFERENCE_TSC, 0), 0);
}

static void test_unknown_msr_gp(void **state)
{
    uint64_t val = 1;
    (void)state;
    assert_int_equal(hv_msr_read(&v, 0x12345678u, &val), -EINVAL);
    assert_int_equal(val, 0);
    assert_int_equal(hv_msr_write(&v, 0x40000003u, 1), -EINVAL);
    assert_int_equal(hv_msr_write(&v, 0xC0010114u, 0), -EINVAL);
    assert_int_equal(v.unknown_msr_reads, 1);
    assert_int_equal(v.unknown_msr_writes, 2);
    assert_int_equal(logs, 3);
}

static void test_efer_and_pat(void **state)
{
    (void)state;
    assert_int_equal(hv_msr_write(&v, 0xC0000080u, (1 << 8) | 1), 0);
    assert_int_equal(rd(0xC0000080u), (1 << 8) | 1);
    assert_int_equal(hv_msr_write(&v, 0xC0000080u, 1ull << 12), -EINVAL);
    assert_int_equal(hv_msr_write(&v, 0xC0000080u, 1ull << 40), -EINVAL);
    v.cr0 |= X86_CR0_PG;
    assert_int_equal(hv_msr_write(&v, 0xC0000080u, 1), -EINVAL); /* LME */
    assert_int_equal(hv_msr_write(&v, 0x277, 0x0007040600070406ull), 0);
    assert_int_equal(hv_msr_write(&v, 0x277, 0x0007040600070402ull), -EINVAL);
    assert_int_equal(hv_msr_write(&v, 0x277, 0x0807040600070406ull), -EINVAL);
    assert_int_equal(rd(0x277), 0x0007040600070406ull);
    assert_int_equal(rd(0xFE), 0); /* MTRRcap: none */
    assert_int_equal(rd(0xC0010015u), 1ull << 24);
}

static void test_crash_msrs(void **state)
{
    (void)state;
    assert_int_equal(rd(HV_MSR_CRASH_CTL),
                     HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(hv_msr_write(&v, HV_MSR_CRASH_P0 + i, i + 10), 0);
    assert_int_equal(rd(HV_MSR_CRASH_P0 + 2), 12);
    memcpy(ram + 0x9000, "boom\x01", 5);
    hv_msr_write(&v, HV_MSR_CRASH_P0 + 3, 0x9000);
    hv_msr_write(&v, HV_MSR_CRASH_P0 + 4, 5);
    logs = 0;
    assert_int_equal(
        hv_msr_write(&v, HV_MSR_CRASH_CTL,
                     HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE),
        0);
    assert_int_equal(logs, 2);
    assert_int_equal(v.stop, VCPU_RUNNING); /* the child decides */
    /* A message outside RAM or absurdly long is reported, not read. */
    hv_msr_write(&v, HV_MSR_CRASH_P0 + 3, RAM_SIZE - 2);
    hv_msr_write(&v, HV_MSR_CRASH_P0 + 4, 1ull << 40);
    assert_int_equal(
        hv_msr_write(&v, HV_MSR_CRASH_CTL,
                     HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE),
        0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_CRASH_CTL, 1), -EINVAL);
}

static void test_synthetic_apic_msrs(void **state)
{
    (void)state;
    assert_int_equal(hv_msr_write(&v, HV_MSR_TPR, 0x20), 0);
    assert_int_equal(rd(HV_MSR_TPR), 0x20);
    assert_int_equal(v.apic.tpr, 0x20);
    assert_int_equal(hv_msr_write(&v, HV_MSR_TPR, 0x100), -EINVAL);
    hv_msr_write(&v, HV_MSR_TPR, 0);
    /* Self-IPI through the synthetic ICR, then EOI through its MSR. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_ICR, (1u << 18) | 0x55), 0);
    assert_int_equal(vapic_pending(&v), 0x55);
    vapic_ack(&v, 0x55);
    assert_true(v.apic.isr[0x55 / 32] & (1u << (0x55 % 32)));
    assert_int_equal(hv_msr_write(&v, HV_MSR_EOI, 0), 0);
    assert_int_equal(v.apic.isr[0x55 / 32], 0);
}

static void test_vp_assist_and_invariant(void **state)
{
    (void)state;
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, 0x4000 | 1), 0);
    assert_int_equal(rd(HV_MSR_VP_ASSIST_PAGE), 0x4001);
    assert_int_equal(hv_msr_write(&v, HV_MSR_VP_ASSIST_PAGE, RAM_SIZE | 1),
                     -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_TSC_INVARIANT_CONTROL, 1), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_TSC_INVARIANT_CONTROL, 2),
                     -EINVAL);
}

/* Random values into every MSR the root implements, in random order, then
 * the timers run: nothing may read or write outside RAM (ASan/UBSan). */
static void test_random_msr_storm(void **state)
{
    static const uint32_t ranges[][2] = {
        {0x40000000u, 0x400001FFu},
        {0x800, 0x8FF},
        {0x1B, 0x1B},
        {0x6E0, 0x6E0},
        {0x277, 0x277},
        {0xC0000080u, 0xC0000080u},
    };
    uint64_t x = 0x2545F4914F6CDD1Dull;
    (void)state;
    for (int iter = 0; iter < 50000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const uint32_t *r = ranges[x % 6];
        uint32_t msr = r[0] + (uint32_t)((x >> 8) % (r[1] - r[0] + 1));
        uint64_t val = x * 0x9E3779B97F4A7C15ull;
        if (iter % 3 == 0)
            val &= 0xFFFFF; /* small values: pages inside RAM */
        if (iter % 2)
            (void)hv_msr_write(&v, msr, val);
        else
            (void)hv_msr_read(&v, msr, &val);
        v.now_tsc += x % 100000;
        vcpu_poll_timers(&v);
        int vec = vapic_pending(&v);
        if (vec >= 0)
            vapic_ack(&v, (uint8_t)vec);
    }
    assert_int_equal(v.stop, VCPU_RUNNING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_hv_leaves, setup),
        cmocka_unit_test_setup(test_cpuid_base_masked, setup),
        cmocka_unit_test_setup(test_guest_os_id_and_hypercall_page, setup),
        cmocka_unit_test_setup(test_clearing_os_id_disables_hypercalls, setup),
        cmocka_unit_test_setup(test_read_only_msrs, setup),
        cmocka_unit_test_setup(test_reference_counter, setup),
        cmocka_unit_test_setup(test_reference_tsc_page, setup),
        cmocka_unit_test_setup(test_unknown_msr_gp, setup),
        cmocka_unit_test_setup(test_efer_and_pat, setup),
        cmocka_unit_test_setup(test_crash_msrs, setup),
        cmocka_unit_test_setup(test_synthetic_apic_msrs, setup),
        cmocka_unit_test_setup(test_vp_assist_and_invariant, setup),
        cmocka_unit_test_setup(test_random_msr_storm, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
