/*
 * Hardware-reduced ACPI tables for a child partition (ACPI 6.x): RSDP ->
 * XSDT -> FADT (HW_REDUCED_ACPI, X_DSDT) + MADT (one local APIC, no I/O
 * APIC), and the DSDT compiled from dsdt.asl (VMBus, COM1).  This is what
 * Linux needs to find VMBus; Enlight appliances do not read ACPI.
 * Pure C over struct gmem, tested on the host.
 */
#ifndef ROOT_ACPI_ACPI_H
#define ROOT_ACPI_ACPI_H

#include <stdint.h>

#include "root/hv/vcpu.h"

/* Bytes acpi_build() writes at most. */
#define ACPI_TABLES_MAX 0x1000u

/* The MMIO window the DSDT's module device (VMOD) describes. */
#define ACPI_VMBUS_MMIO_BASE 0xF8000000ull
#define ACPI_VMBUS_MMIO_SIZE 0x04000000ull

#define ACPI_LAPIC_ADDR 0xFEE00000u

/* FADT SLEEP_CONTROL_REG (I/O byte; SLEEP_STATUS_REG is the next port) and
 * the S5 sleep type the DSDT's \_S5 gives; root/dev/pio.h must agree. */
#define ACPI_SLEEP_CONTROL_PORT 0x400u
#define ACPI_S5_SLP_TYP 5u

/*
 * Writes every table into guest memory at gpa (16-byte aligned, below
 * 4 GiB) and returns the RSDP's address in *rsdp_gpa.  Returns 0, -EINVAL
 * for a misaligned or too-high gpa, -ERANGE when the tables do not fit in
 * the child's RAM.
 */
int acpi_build(const struct gmem *mem, uint64_t gpa, uint64_t *rsdp_gpa);

/* Sum of len bytes, as ACPI checksums are checked (0 = valid table). */
uint8_t acpi_checksum(const void *p, uint64_t len);

/* The compiled DSDT (generated at build time from dsdt.asl). */
extern const unsigned char acpi_dsdt_aml[];
extern const unsigned int acpi_dsdt_aml_len;

#endif /* ROOT_ACPI_ACPI_H */
