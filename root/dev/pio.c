/* The child's I/O port space. */
#include "root/dev/pio.h"

#include <string.h>

void pio_init(struct pio_bus *b, uart_sink_fn com1_sink, void *ctx)
{
    memset(b, 0, sizeof(*b));
    uart16550_init(&b->com1, com1_sink, ctx);
    b->pit2_write_lo = 1;
    b->pit2_read_lo = 1;
}

static uint16_t pit2_count(const struct pio_bus *b, const struct vcpu *v)
{
    if (!(b->port61 & 1) || !b->pit2_running)
        return b->pit2_reload;
    uint64_t ticks =
        (uint64_t)(((unsigned __int128)(v->now_tsc - b->pit2_start_tsc) *
                    PIT_HZ) /
                   v->tsc_hz);
    uint32_t reload = b->pit2_reload ? b->pit2_reload : 0x10000u;
    return ticks >= reload ? 0 : (uint16_t)(reload - ticks);
}

static bool pit2_out(const struct pio_bus *b, const struct vcpu *v)
{
    if (!b->pit2_running)
        return false;
    uint32_t reload = b->pit2_reload ? b->pit2_reload : 0x10000u;
    uint64_t need = ((uint64_t)reload * v->tsc_hz + PIT_HZ - 1) / PIT_HZ;
    return v->now_tsc - b->pit2_start_tsc >= need;
}

static uint8_t in8(struct pio_bus *b, struct vcpu *v, uint16_t port)
{
    if (port >= PIO_COM1 && port < PIO_COM1 + 8)
        return uart16550_read(&b->com1, port - PIO_COM1);
    switch (port) {
    case 0x61:
        return (uint8_t)((b->port61 & 3) | (pit2_out(b, v) ? 0x20 : 0));
    case 0x42: {
        uint8_t r;
        if (b->pit2_read_lo) {
            if (!b->pit2_latch_held)
                b->pit2_latched = pit2_count(b, v);
            r = (uint8_t)b->pit2_latched;
        } else {
            r = (uint8_t)(b->pit2_latched >> 8);
            b->pit2_latch_held = 0;
        }
        b->pit2_read_lo ^= 1;
        return r;
    }
    case PIO_ACPI_SLEEP_STS:
        return 0x80;
    case PIO_ACPI_SLEEP_CTL:
        return 0;
    case 0x70:
        return b->cmos_index;
    case 0x71:
        return 0; /* CMOS stub: no RTC, no NVRAM */
    default:
        v->io_unknown_reads++;
        return 0xFF;
    }
}

static void out8(struct pio_bus *b, struct vcpu *v, uint16_t port, uint8_t val)
{
    if (port >= PIO_COM1 && port < PIO_COM1 + 8) {
        uart16550_write(&b->com1, port - PIO_COM1, val);
        return;
    }
    switch (port) {
    case 0x61:
        if ((val & 1) && !(b->port61 & 1))
            b->pit2_start_tsc = v->now_tsc; /* gate rising edge */
        b->port61 = val & 3;
        return;
    case 0x43:
        if ((val >> 6) == 2) { /* channel 2 */
            if (((val >> 4) & 3) == 0) {
                b->pit2_latched = pit2_count(b, v);
                b->pit2_latch_held = 1;
                b->pit2_read_lo = 1;
            } else {
                b->pit2_write_lo = 1;
            }
        }
        return;
    case 0x42:
        if (b->pit2_write_lo) {
            b->pit2_reload = (uint16_t)((b->pit2_reload & 0xFF00) | val);
        } else {
            b->pit2_reload = (uint16_t)((b->pit2_reload & 0xFF) | val << 8);
            b->pit2_start_tsc = v->now_tsc; /* mode 0: counting starts */
            b->pit2_running = 1;
        }
        b->pit2_write_lo ^= 1;
        return;
    case PIO_ACPI_SLEEP_CTL:
        if ((val & 0x20) && ((val >> 2) & 7) == PIO_ACPI_S5_TYP)
            vcpu_stop(v, VCPU_STOP_POWER_OFF, 0);
        return;
    case PIO_ACPI_SLEEP_STS:
        return; /* write-1-to-clear of WAK_STS: nothing to clear */
    case 0x70:
        b->cmos_index = val & 0x7F;
        return;
    case 0x71:
        return;
    default:
        v->io_unknown_writes++;
        return;
    }
}

uint32_t pio_in(struct pio_bus *b, struct vcpu *v, uint16_t port, unsigned size)
{
    uint32_t r = 0;
    if (size != 1 && size != 2 && size != 4)
        return 0xFFFFFFFFu;
    for (unsigned i = 0; i < size; i++)
        r |= (uint32_t)in8(b, v, (uint16_t)(port + i)) << (8 * i);
    return r;
}

void pio_out(struct pio_bus *b, struct vcpu *v, uint16_t port, unsigned size,
             uint32_t val)
{
    if (size != 1 && size != 2 && size != 4)
        return;
    if (port == PIO_DEBUG_EXIT) {
        vcpu_stop(v, VCPU_STOP_POWER_OFF, (int)(val & 0xFFu));
        return;
    }
    for (unsigned i = 0; i < size; i++)
        out8(b, v, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}
