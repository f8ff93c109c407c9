/*
 * DSDT of the Enlight root's hardware-reduced ACPI platform (ACPI 6.x):
 * the VMBus device inside a module device whose _CRS is the MMIO window
 * VMBus devices (synthetic video) may use, and COM1 without an IRQ so
 * Linux polls it.  Compiled with Debian's iasl at build time.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 2, "ENLGHT", "ENLIGHT ", 1)
{
    /* S5 (soft off): SLP_TYP 5 written to the FADT's SLEEP_CONTROL_REG. */
    Name (\_S5, Package (0x02) { 0x05, 0x05 })

    Scope (\_SB)
    {
        Device (VMOD)
        {
            Name (_HID, "ACPI0004")
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                /* 0xF8000000..0xFBFFFFFF: 64 MiB for VMBus MMIO. */
                QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
                    NonCacheable, ReadWrite,
                    0x0000000000000000, 0x00000000F8000000,
                    0x00000000FBFFFFFF, 0x0000000000000000,
                    0x0000000004000000)
            })

            Device (VMBS)
            {
                Name (_HID, "VMBus")
                Name (_UID, Zero)
                /*
                 * Linux's vmbus_acpi_add() walks this device's _CRS before
                 * the parent's window and gives up on the window when
                 * there is none: hyperv_drm then finds no MMIO for VRAM.
                 */
                Name (_CRS, ResourceTemplate () {})
                Method (_STA, 0, NotSerialized)
                {
                    Return (0x0F)
                }
            }
        }

        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
            })
        }
    }
}
