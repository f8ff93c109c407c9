/*
 * winhv_detect() over crafted CPUID tables: Hyper-V, bare metal, plain
 * KVM, KVM with Hyper-V enlightenments, short and implausible leaf ranges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "winhv/winhv.h"

struct leaf {
    uint32_t nr;
    struct winhv_cpuid r;
};

struct table {
    const struct leaf *leaves;
    size_t n;
    struct winhv_cpuid unknown; /* what a leaf not in the table returns */
    unsigned hv_reads;          /* reads in 0x40000000.. */
    uint32_t highest_read;      /* highest hypervisor leaf read */
};

static void table_cpuid(uint32_t nr, uint32_t sub, struct winhv_cpuid *out,
                        void *ctx)
{
    struct table *t = ctx;

    assert_int_equal(sub, 0);
    if (nr >= 0x40000000u) {
        t->hv_reads++;
        if (nr > t->highest_read)
            t->highest_read = nr;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->leaves[i].nr == nr) {
            *out = t->leaves[i].r;
            return;
        }
    }
    *out = t->unknown;
}

#define STR4(a, b, c, d)                                                       \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 |                \
     (uint32_t)(d) << 24)
#define HV_PRESENT (1u << 31)
#define TABLE(l)                                                               \
    {                                                                          \
        (l), sizeof(l) / sizeof((l)[0]), {0, 0, 0, 0}, 0, 0                    \
    }

/* A Windows Server 2022 host as a Gen2 guest sees it (values made up
 * where they do not matter). */
static const struct leaf hyperv[] = {
    {1, {0x000906EA, 0, HV_PRESENT | 0x7FFAFBBF, 0}},
    {0x40000000,
     {0x4000000C, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
    {0x40000002, {20348, 10u << 16 | 0, 3, 5u << 24 | 1970}},
    {0x40000003, {0x00002E7F, 0x003B8030, 0x00000002, 0x00EBFFFE}},
    {0x40000004, {0x00020E24, 0xFFFFFFFF, 0x0000002E, 0}},
    {0x40000005, {0x800, 0x200, 0x5D3, 0}},
    {0x40000006, {0x0000000A, 0, 0, 0}},
};

static void test_hyperv(void **state)
{
    struct table t = TABLE(hyperv);
    struct winhv_info i;

    assert_int_equal(winhv_detect(table_cpuid, &t, &i), 0);
    assert_string_equal(i.vendor, "Microsoft Hv");
    assert_true(i.vendor_is_ms);
    assert_int_equal(i.max_leaf, 0x4000000C);
    assert_int_equal(i.interface, HV_CPUID_INTERFACE_HV1);
    assert_int_equal(i.build, 20348);
    assert_int_equal(i.major, 10);
    assert_int_equal(i.minor, 0);
    assert_int_equal(i.service_pack, 3);
    assert_int_equal(i.service_branch, 5);
    assert_int_equal(i.service_number, 1970);
    assert_int_equal(i.priv_lo, 0x2E7F);
    assert_true(i.priv_lo & HV_PRIV_HYPERCALL);
    assert_true(i.priv_lo & HV_PRIV_REFERENCE_TSC);
    assert_true(i.priv_hi & HV_PRIV_POST_MESSAGES);
    assert_true(i.priv_hi & HV_PRIV_SIGNAL_EVENTS);
    assert_int_equal(i.features_ecx, 2);
    assert_true(i.features & HV_FEATURE_STIMER_DIRECT);
    assert_true(i.features & HV_FEATURE_GUEST_CRASH_MSRS);
    assert_int_equal(i.hints, 0x20E24);
    assert_true(i.hints & HV_HINT_DEPRECATE_AUTO_EOI);
    assert_int_equal(i.spin_retries, HV_HINT_SPIN_NEVER);
    assert_int_equal(i.pa_bits, 0x2E);
    assert_int_equal(i.max_vps, 0x800);
    assert_int_equal(i.max_lps, 0x200);
    assert_int_equal(i.max_irq_mappings, 0x5D3);
    assert_int_equal(i.hw_features, 0xA);
}

/* Bare metal: the hypervisor bit is clear and the 0x4000xxxx range answers
 * with whatever the CPU returns for out-of-range leaves. */
static const struct leaf bare[] = {
    {1, {0x000906EA, 0, 0x7FFAFBBF, 0}},
    {0x40000000,
     {0x4000000C, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
};

static void test_none(void **state)
{
    struct table t = TABLE(bare);
    struct winhv_info i;

    memset(&i, 0xA5, sizeof(i));
    assert_int_equal(winhv_detect(table_cpuid, &t, &i), -ENODEV);
    assert_int_equal(t.hv_reads, 0);
    assert_string_equal(i.vendor, "");
    assert_int_equal(i.priv_lo, 0);
}

/* KVM without Hyper-V enlightenments: its own signature and leaves. */
static const struct leaf kvm[] = {
    {1, {0x000906EA, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x40000001, STR4('K', 'V', 'M', 'K'), STR4('V', 'M', 'K', 'V'),
      STR4('M', 0, 0, 0)}},
    {0x40000001, {0x01007AFB, 0, 0, 0}},
};

static void test_kvm_plain(void **state)
{
    struct table t = TABLE(kvm);
    struct winhv_info i;

    assert_int_equal(winhv_detect(table_cpuid, &t, &i), -ENODEV);
    assert_string_equal(i.vendor, "KVMKVMKVM");
    assert_false(i.vendor_is_ms);
}

/* KVM with hv-* enlightenments: Hv#1 in the low range (KVM's own leaves
 * move to 0x40000100), a smaller feature set, its own vendor string. */
static const struct leaf kvm_hv[] = {
    {1, {0x000906EA, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x4000000A, STR4('L', 'i', 'n', 'u'), STR4('x', ' ', 'K', 'V'),
      STR4('M', ' ', 'H', 'v')}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
    {0x40000002, {0x3839, 0x000A0000, 0, 0}},
    {0x40000003, {0x0000027F, 0x00000030, 0, 0x00080110}},
    {0x40000004, {0x00000A20, 0x00000FFF, 0, 0}},
    {0x40000005, {0x00000400, 0, 0, 0}},
    {0x40000100,
     {0x40000101, STR4('K', 'V', 'M', 'K'), STR4('V', 'M', 'K', 'V'),
      STR4('M', 0, 0, 0)}},
};

static void test_kvm_hv(void **state)
{
    struct table t = TABLE(kvm_hv);
    struct winhv_info i;

    assert_int_equal(winhv_detect(table_cpuid, &t, &i), 0);
    assert_string_equal(i.vendor, "Linux KVM Hv");
    assert_false(i.vendor_is_ms);
    assert_int_equal(i.major, 10);
    assert_int_equal(i.build, 0x3839);
    assert_true(i.priv_lo & HV_PRIV_SYNIC);
    assert_true(i.features & HV_FEATURE_STIMER_DIRECT);
    assert_false(i.features & HV_FEATURE_GUEST_CRASH_MSRS);
    assert_true(i.hints & HV_HINT_DEPRECATE_AUTO_EOI);
    assert_int_equal(i.spin_retries, 0xFFF);
    assert_int_equal(i.max_vps, 0x400);
}

/* Max leaf 0x40000005: 0x40000006 is not read even though the CPU would
 * answer it with garbage. */
static const struct leaf short_range[] = {
    {1, {0, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x40000005, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
    {0x40000003, {HV_PRIV_HYPERCALL, 0, 0, 0}},
};

static void test_short_range(void **state)
{
    struct table t = TABLE(short_range);
    struct winhv_info i;

    t.unknown = (struct winhv_cpuid){0xDEAD, 0xBEEF, 0xDEAD, 0xBEEF};
    assert_int_equal(winhv_detect(table_cpuid, &t, &i), 0);
    assert_int_equal(t.highest_read, 0x40000005);
    assert_int_equal(i.hw_features, 0);
    assert_int_equal(i.priv_lo, HV_PRIV_HYPERCALL);
    /* Leaves within range but not in the table answer "unknown". */
    assert_int_equal(i.build, 0xDEAD);
}

static const struct leaf bad_max[] = {
    {1, {0, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x40000004, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
};
static const struct leaf huge_max[] = {
    {1, {0, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x7FFFFFFF, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {HV_CPUID_INTERFACE_HV1, 0, 0, 0}},
};
static const struct leaf other_interface[] = {
    {1, {0, 0, HV_PRESENT, 0}},
    {0x40000000,
     {0x40000006, HV_CPUID_VENDOR_EBX, HV_CPUID_VENDOR_ECX,
      HV_CPUID_VENDOR_EDX}},
    {0x40000001, {STR4('X', 'b', 'n', 'v'), 0, 0, 0}},
};

static void test_implausible(void **state)
{
    struct table a = TABLE(bad_max), b = TABLE(huge_max),
                 c = TABLE(other_interface);
    struct winhv_info i;

    assert_int_equal(winhv_detect(table_cpuid, &a, &i), -ENODEV);
    assert_string_equal(i.vendor, "Microsoft Hv");
    assert_int_equal(winhv_detect(table_cpuid, &b, &i), -ENODEV);
    assert_int_equal(winhv_detect(table_cpuid, &c, &i), -ENODEV);
    assert_int_equal(c.highest_read, 0x40000001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyperv),      cmocka_unit_test(test_none),
        cmocka_unit_test(test_kvm_plain),   cmocka_unit_test(test_kvm_hv),
        cmocka_unit_test(test_short_range), cmocka_unit_test(test_implausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
