/*
 * The child's port I/O space: COM1 (a 16550 model), QEMU's isa-debug-exit
 * port (power-off with a status), a PIT channel 2 for calibration loops,
 * and a CMOS stub.  Every other port reads all-ones and ignores writes
 * (counted).
 */
#ifndef ROOT_DEV_PIO_H
#define ROOT_DEV_PIO_H

#include <stdint.h>

#include "root/dev/uart16550.h"
#include "root/hv/vcpu.h"

#define PIO_COM1 0x3F8u
#define PIO_DEBUG_EXIT 0xF4u
/*
 * ACPI hardware-reduced sleep control register (ACPI 6 4.8.3.7), for the
 * FADT's SLEEP_CONTROL_REG (8-bit I/O): SLP_EN (bit 5) with SLP_TYP
 * (bits 2-4) == PIO_ACPI_S5_TYP powers the child off with status 0.  The
 * DSDT's \_S5 package must carry the same type value.
 */
#define PIO_ACPI_SLEEP_CTL 0x400u
#define PIO_ACPI_SLEEP_STS 0x401u /* reads 0x80 (WAK_STS) */
#define PIO_ACPI_S5_TYP 5u
#define PIT_HZ 1193182u

struct pio_bus {
    struct uart16550 com1;
    /* PIT channel 2, mode 0 as calibration code uses it. */
    uint8_t port61; /* bit 0 gate, bit 1 speaker */
    uint16_t pit2_reload;
    uint8_t pit2_write_lo; /* next data write is the low byte */
    uint8_t pit2_read_lo;
    uint16_t pit2_latched;
    uint8_t pit2_latch_held; /* a latch command froze pit2_latched */
    uint8_t pit2_running;    /* a count has been loaded */
    uint64_t pit2_start_tsc; /* when counting started (gate high, loaded) */
    uint8_t cmos_index;
};

void pio_init(struct pio_bus *b, uart_sink_fn com1_sink, void *ctx);
/*
 * One IN of size 1, 2 or 4 bytes: returns the value (all-ones for ports
 * nobody decodes).  OUT likewise; a write to PIO_DEBUG_EXIT stops the
 * child with VCPU_STOP_POWER_OFF and the written value as its status, an
 * ACPI S5 request with status 0.
 */
uint32_t pio_in(struct pio_bus *b, struct vcpu *v, uint16_t port,
                unsigned size);
void pio_out(struct pio_bus *b, struct vcpu *v, uint16_t port, unsigned size,
             uint32_t val);

#endif /* ROOT_DEV_PIO_H */
