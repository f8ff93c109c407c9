/*
 * ACPI table layouts the root writes (ACPI 6.4 specification, sections
 * 5.2.5 RSDP, 5.2.6 header, 5.2.8 XSDT, 5.2.9 FADT, 5.2.12 MADT).  Packed:
 * ACPI misaligns 64-bit fields.
 */
#ifndef ROOT_ACPI_ACPI_TABLES_H
#define ROOT_ACPI_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* 5.2.5.3 Root System Description Pointer, revision 2. */
struct acpi_rsdp {
    char signature[8];     /* +0x00 "RSD PTR " */
    uint8_t checksum;      /* +0x08 first 20 bytes */
    char oem_id[6];        /* +0x09 */
    uint8_t revision;      /* +0x0F 2 */
    uint32_t rsdt_address; /* +0x10 0: XSDT only */
    uint32_t length;       /* +0x14 36 */
    uint64_t xsdt_address; /* +0x18 */
    uint8_t ext_checksum;  /* +0x20 all 36 bytes */
    uint8_t reserved[3];   /* +0x21 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 0x18, "xsdt");

/* 5.2.6 System Description Table Header. */
struct acpi_header {
    char signature[4];     /* +0x00 */
    uint32_t length;       /* +0x04 whole table, bytes */
    uint8_t revision;      /* +0x08 */
    uint8_t checksum;      /* +0x09 whole table sums to 0 */
    char oem_id[6];        /* +0x0A */
    char oem_table_id[8];  /* +0x10 */
    uint32_t oem_revision; /* +0x18 */
    uint32_t creator_id;   /* +0x1C */
    uint32_t creator_rev;  /* +0x20 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");

/* 5.2.8 XSDT with the two tables the root provides. */
struct acpi_xsdt {
    struct acpi_header h; /* +0x00 "XSDT" */
    uint64_t entry[2];    /* +0x24 FADT, MADT */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_xsdt) == 52, "XSDT");

/* 5.2.9 Fixed ACPI Description Table, revision 6 (276 bytes). */
struct acpi_fadt {
    struct acpi_header h;          /* +0x000 "FACP" */
    uint32_t firmware_ctrl;        /* +0x024 */
    uint32_t dsdt;                 /* +0x028 */
    uint8_t reserved0;             /* +0x02C */
    uint8_t pm_profile;            /* +0x02D */
    uint8_t fixed1[0x06D - 0x02E]; /* +0x02E SCI..CENTURY, unused here */
    uint16_t iapc_boot_arch;       /* +0x06D */
    uint8_t reserved1;             /* +0x06F */
    uint32_t flags;                /* +0x070 */
    uint8_t reset_reg[12];         /* +0x074 */
    uint8_t reset_value;           /* +0x080 */
    uint16_t arm_boot_arch;        /* +0x081 */
    uint8_t minor_version;         /* +0x083 */
    uint64_t x_firmware_ctrl;      /* +0x084 */
    uint64_t x_dsdt;               /* +0x08C */
    uint8_t fixed2[0x0F4 - 0x094]; /* +0x094 X_PM1a_EVT_BLK..X_GPE1_BLK */
    uint8_t sleep_control[12];     /* +0x0F4 GAS, hardware-reduced sleep */
    uint8_t sleep_status[12];      /* +0x100 GAS */
    uint64_t hypervisor_id;        /* +0x10C */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
_Static_assert(offsetof(struct acpi_fadt, flags) == 0x70, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 0x8C, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 0xF4, "sleep");

/* 5.2.3.2 Generic Address Structure, for a byte-wide I/O port. */
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1

#define ACPI_FADT_HW_REDUCED (1u << 20)
#define ACPI_FADT_BOOT_NO_VGA (1u << 2)
#define ACPI_FADT_BOOT_NO_CMOS_RTC (1u << 5)

/* 5.2.12 MADT with one Processor Local APIC structure (5.2.12.2). */
struct acpi_madt {
    struct acpi_header h; /* +0x00 "APIC" */
    uint32_t lapic_addr;  /* +0x24 */
    uint32_t flags;       /* +0x28 0: no dual 8259 */
    uint8_t lapic_type;   /* +0x2C 0 */
    uint8_t lapic_len;    /* +0x2D 8 */
    uint8_t lapic_uid;    /* +0x2E ACPI processor UID */
    uint8_t lapic_id;     /* +0x2F */
    uint32_t lapic_flags; /* +0x30 bit 0 enabled */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 0x34, "MADT");

#endif /* ROOT_ACPI_ACPI_TABLES_H */
