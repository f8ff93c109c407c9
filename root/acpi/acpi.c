/* Hardware-reduced ACPI tables; see acpi.h. */
#include "root/acpi/acpi.h"
#include "root/acpi/acpi_tables.h"

#include <errno.h>
#include <string.h>

/* Where each table sits, relative to the RSDP. */
#define OFF_XSDT 0x040u
#define OFF_FADT 0x080u
#define OFF_MADT 0x200u
#define OFF_DSDT 0x240u

uint8_t acpi_checksum(const void *p, uint64_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;
    for (uint64_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum;
}

static void header(struct acpi_header *h, const char *sig, uint32_t len,
                   uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    memcpy(h->oem_id, "ENLGHT", 6);
    memcpy(h->oem_table_id, "ENLIGHT ", 8);
    h->oem_revision = 1;
    memcpy(&h->creator_id, "ENLT", 4);
    h->creator_rev = 1;
}

static void gas_io(uint8_t gas[12], uint16_t port)
{
    memset(gas, 0, 12);
    gas[0] = ACPI_GAS_SYSTEM_IO;
    gas[1] = 8; /* register bit width */
    gas[3] = ACPI_GAS_ACCESS_BYTE;
    uint64_t addr = port;
    memcpy(gas + 4, &addr, 8);
}

static void seal(struct acpi_header *h)
{
    h->checksum = 0;
    h->checksum = (uint8_t)(0 - acpi_checksum(h, h->length));
}

int acpi_build(const struct gmem *mem, uint64_t gpa, uint64_t *rsdp_gpa)
{
    uint64_t total = OFF_DSDT + acpi_dsdt_aml_len;

    if ((gpa & 15) || gpa + total > (1ull << 32))
        return -EINVAL;
    if (total > ACPI_TABLES_MAX)
        return -ERANGE;
    uint8_t *base = gmem_ptr(mem, gpa, total);
    if (!base)
        return -ERANGE;
    memset(base, 0, total);

    struct acpi_rsdp rsdp = {0};
    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, "ENLGHT", 6);
    rsdp.revision = 2;
    rsdp.length = sizeof(rsdp);
    rsdp.xsdt_address = gpa + OFF_XSDT;
    rsdp.checksum = (uint8_t)(0 - acpi_checksum(&rsdp, 20));
    rsdp.ext_checksum = (uint8_t)(0 - acpi_checksum(&rsdp, sizeof(rsdp)));
    memcpy(base, &rsdp, sizeof(rsdp));

    struct acpi_xsdt xsdt = {0};
    header(&xsdt.h, "XSDT", sizeof(xsdt), 1);
    xsdt.entry[0] = gpa + OFF_FADT;
    xsdt.entry[1] = gpa + OFF_MADT;
    seal(&xsdt.h);
    memcpy(base + OFF_XSDT, &xsdt, sizeof(xsdt));

    struct acpi_fadt fadt = {0};
    header(&fadt.h, "FACP", sizeof(fadt), 6);
    fadt.dsdt = (uint32_t)(gpa + OFF_DSDT);
    fadt.x_dsdt = gpa + OFF_DSDT;
    fadt.flags = ACPI_FADT_HW_REDUCED;
    fadt.iapc_boot_arch = ACPI_FADT_BOOT_NO_VGA | ACPI_FADT_BOOT_NO_CMOS_RTC;
    fadt.minor_version = 0;
    memcpy(&fadt.hypervisor_id, "Enlight\0", 8);
    /* Hardware-reduced S5: Linux writes SLP_TYP (from \_S5) | SLP_EN here;
     * the root's port model powers the child off. */
    gas_io(fadt.sleep_control, ACPI_SLEEP_CONTROL_PORT);
    gas_io(fadt.sleep_status, ACPI_SLEEP_CONTROL_PORT + 1);
    seal(&fadt.h);
    memcpy(base + OFF_FADT, &fadt, sizeof(fadt));

    struct acpi_madt madt = {0};
    header(&madt.h, "APIC", sizeof(madt), 5);
    madt.lapic_addr = ACPI_LAPIC_ADDR;
    madt.lapic_type = 0;
    madt.lapic_len = 8;
    madt.lapic_uid = 0;
    madt.lapic_id = 0;
    madt.lapic_flags = 1;
    seal(&madt.h);
    memcpy(base + OFF_MADT, &madt, sizeof(madt));

    memcpy(base + OFF_DSDT, acpi_dsdt_aml, acpi_dsdt_aml_len);
    *rsdp_gpa = gpa;
    return 0;
}
