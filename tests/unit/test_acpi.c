/* Unit tests for root/acpi: the tables Linux reads to find VMBus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "root/acpi/acpi.h"
#include "root/acpi/acpi_tables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM (2u << 20)
#define TABLES 0xE0000u

/* The root's console, which root/hv logs to. */
void root_log(const char *fmt, ...);
void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static uint8_t *ram;
static struct gmem mem;

static int setup(void **state)
{
    (void)state;
    ram = calloc(1, RAM);
    mem = (struct gmem){ram, RAM};
    return ram ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static const struct acpi_header *table(uint64_t gpa)
{
    const struct acpi_header *h = (const void *)(ram + gpa);
    assert_true(gpa + sizeof(*h) <= RAM);
    assert_int_equal(acpi_checksum(h, h->length), 0);
    return h;
}

static int contains(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(p + i, s, l) == 0)
            return 1;
    return 0;
}

static void test_chain_is_valid(void **state)
{
    uint64_t rsdp_gpa;
    (void)state;
    assert_int_equal(acpi_build(&mem, TABLES, &rsdp_gpa), 0);
    assert_int_equal(rsdp_gpa, TABLES);

    const struct acpi_rsdp *rsdp = (const void *)(ram + rsdp_gpa);
    assert_memory_equal(rsdp->signature, "RSD PTR ", 8);
    assert_int_equal(rsdp->revision, 2);
    assert_int_equal(acpi_checksum(rsdp, 20), 0);
    assert_int_equal(acpi_checksum(rsdp, sizeof(*rsdp)), 0);

    const struct acpi_xsdt *xsdt = (const void *)table(rsdp->xsdt_address);
    assert_memory_equal(xsdt->h.signature, "XSDT", 4);
    assert_int_equal(xsdt->h.length, sizeof(*xsdt));

    const struct acpi_fadt *fadt = (const void *)table(xsdt->entry[0]);
    assert_memory_equal(fadt->h.signature, "FACP", 4);
    assert_int_equal(fadt->h.revision, 6);
    assert_int_equal(fadt->h.length, 276);
    assert_true(fadt->flags & ACPI_FADT_HW_REDUCED);
    assert_true(fadt->iapc_boot_arch & ACPI_FADT_BOOT_NO_CMOS_RTC);
    assert_true(fadt->iapc_boot_arch & ACPI_FADT_BOOT_NO_VGA);

    assert_int_equal(fadt->sleep_control[0], ACPI_GAS_SYSTEM_IO);
    uint64_t port;
    memcpy(&port, fadt->sleep_control + 4, 8);
    assert_int_equal(port, ACPI_SLEEP_CONTROL_PORT);

    const struct acpi_madt *madt = (const void *)table(xsdt->entry[1]);
    assert_memory_equal(madt->h.signature, "APIC", 4);
    assert_int_equal(madt->lapic_addr, ACPI_LAPIC_ADDR);
    assert_int_equal(madt->lapic_type, 0);
    assert_int_equal(madt->lapic_flags & 1, 1);

    const struct acpi_header *dsdt = table(fadt->x_dsdt);
    assert_memory_equal(dsdt->signature, "DSDT", 4);
    assert_int_equal(dsdt->length, acpi_dsdt_aml_len);
    assert_int_equal(fadt->dsdt, fadt->x_dsdt);
    /* The names Linux matches on: VMBus inside an ACPI0004 module, COM1. */
    const uint8_t *aml = (const uint8_t *)dsdt;
    assert_true(contains(aml, dsdt->length, "VMBus"));
    assert_true(contains(aml, dsdt->length, "ACPI0004"));
    assert_true(contains(aml, dsdt->length, "VMBS"));
    assert_true(contains(aml, dsdt->length, "COM1"));
    assert_true(contains(aml, dsdt->length, "_S5_"));
}

static void test_bad_placement(void **state)
{
    uint64_t rsdp_gpa = 0x1234;
    (void)state;
    assert_int_equal(acpi_build(&mem, TABLES + 4, &rsdp_gpa), -EINVAL);
    assert_int_equal(acpi_build(&mem, 0xFFFFFFF0ull, &rsdp_gpa), -EINVAL);
    assert_int_equal(acpi_build(&mem, RAM - 0x100, &rsdp_gpa), -ERANGE);
    assert_int_equal(rsdp_gpa, 0x1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_is_valid),
        cmocka_unit_test(test_bad_placement),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
