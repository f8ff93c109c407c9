/* Unit tests for the child's 16550 and port space (root/dev/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/dev/pio.h"

static uint8_t ram[4096] __attribute__((aligned(4096)));
static struct vcpu v;
static struct pio_bus bus;
static char out[64];
static unsigned nout;

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static void sink(void *ctx, uint8_t b)
{
    (void)ctx;
    if (nout < sizeof(out))
        out[nout++] = (char)b;
}

static int setup(void **state)
{
    (void)state;
    vcpu_init(&v, ram, sizeof(ram), 1193182ull * 1000, 0);
    pio_init(&bus, sink, NULL);
    nout = 0;
    return 0;
}

static uint8_t in(uint16_t port)
{
    return (uint8_t)pio_in(&bus, &v, port, 1);
}
static void o(uint16_t port, uint8_t val)
{
    pio_out(&bus, &v, port, 1, val);
}

static void test_idle_lsr_and_output(void **state)
{
    (void)state;
    assert_int_equal(in(0x3FD), 0x60);
    o(0x3F8, 'h');
    o(0x3F8, 'i');
    assert_int_equal(nout, 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(bus.com1.tx_bytes, 2);
    assert_int_equal(in(0x3FD), 0x60);
}

static void test_scratch_dlab_lcr(void **state)
{
    (void)state;
    o(0x3FF, 0x5A);
    assert_int_equal(in(0x3FF), 0x5A);
    o(0x3FB, 0x80); /* DLAB */
    o(0x3F8, 0x01);
    o(0x3F9, 0x00);
    assert_int_equal(in(0x3F8), 0x01);
    assert_int_equal(nout, 0); /* divisor writes are not output */
    o(0x3FB, 0x03);
    assert_int_equal(in(0x3FB), 0x03);
}

static void test_loopback_and_fifo_detect(void **state)
{
    (void)state;
    /* Linux autoconfig: loopback with RTS|OUT2 must read CTS|DCD. */
    o(0x3FC, 0x1A);
    assert_int_equal(in(0x3FE) & 0xF0, 0x90);
    o(0x3F8, 0x42); /* looped back, not transmitted */
    assert_int_equal(nout, 0);
    assert_int_equal(in(0x3FD) & 1, 1);
    assert_int_equal(in(0x3F8), 0x42);
    o(0x3FC, 0x03);
    assert_int_equal(in(0x3FE), 0xB0);
    /* FIFO enabled: IIR bits 6-7 set (16550A). */
    assert_int_equal(in(0x3FA) & 0xC0, 0);
    o(0x3FA, 0xE7);
    assert_int_equal(in(0x3FA) & 0xC0, 0xC0);
}

static void test_thre_interrupt_identification(void **state)
{
    (void)state;
    assert_int_equal(in(0x3FA) & 0x0F, 0x01); /* nothing pending */
    o(0x3F9, 0x02);                           /* enable THRI */
    assert_int_equal(in(0x3FA) & 0x0F, 0x02);
    assert_int_equal(in(0x3FA) & 0x0F, 0x01); /* read clears it */
    o(0x3F8, 'x');
    assert_int_equal(in(0x3FA) & 0x0F, 0x02);
    /* Received data outranks THRE. */
    o(0x3F9, 0x03);
    uart16550_rx(&bus.com1, 'r');
    assert_int_equal(in(0x3FA) & 0x0F, 0x04);
    assert_int_equal(in(0x3F8), 'r');
    for (unsigned i = 0; i < UART16550_RX_FIFO; i++)
        assert_int_equal(uart16550_rx(&bus.com1, (uint8_t)i), 0);
    assert_int_equal(uart16550_rx(&bus.com1, 1), -ENOSPC);
    o(0x3FA, 0x03); /* clear RX FIFO */
    assert_int_equal(in(0x3FD) & 1, 0);
}

static void test_unknown_ports(void **state)
{
    (void)state;
    assert_int_equal(pio_in(&bus, &v, 0x1234, 1), 0xFF);
    assert_int_equal(pio_in(&bus, &v, 0x1234, 2), 0xFFFF);
    assert_int_equal(pio_in(&bus, &v, 0xCF8, 4), 0xFFFFFFFFu);
    assert_int_equal(pio_in(&bus, &v, 0x80, 3), 0xFFFFFFFFu); /* bad size */
    assert_int_equal(v.io_unknown_reads, 1 + 2 + 4);
    pio_out(&bus, &v, 0x80, 1, 0);
    pio_out(&bus, &v, 0xCF8, 4, 0x80000000u);
    assert_int_equal(v.io_unknown_writes, 1 + 4);
    assert_int_equal(v.stop, VCPU_RUNNING);
    /* Ports 0x70/0x71: the CMOS stub. */
    o(0x70, 0x0A);
    assert_int_equal(in(0x71), 0);
}

static void test_debug_exit(void **state)
{
    (void)state;
    pio_out(&bus, &v, PIO_DEBUG_EXIT, 4, 0x2A);
    assert_int_equal(v.stop, VCPU_STOP_POWER_OFF);
    assert_int_equal(v.stop_status, 0x2A);
    pio_out(&bus, &v, PIO_DEBUG_EXIT, 1, 3); /* the first stop wins */
    assert_int_equal(v.stop_status, 0x2A);
}

static void test_acpi_sleep(void **state)
{
    (void)state;
    assert_int_equal(in(PIO_ACPI_SLEEP_STS), 0x80);
    o(PIO_ACPI_SLEEP_CTL, 5 << 2);          /* type without SLP_EN */
    o(PIO_ACPI_SLEEP_CTL, 0x20 | (3 << 2)); /* S3: not offered */
    assert_int_equal(v.stop, VCPU_RUNNING);
    o(PIO_ACPI_SLEEP_CTL, 0x20 | (5 << 2));
    assert_int_equal(v.stop, VCPU_STOP_POWER_OFF);
    assert_int_equal(v.stop_status, 0);
}

static void test_pit_channel2(void **state)
{
    (void)state;
    /* TSC at 1000 ticks per PIT tick. */
    o(0x61, 0x01); /* gate on */
    o(0x43, 0xB0); /* channel 2, lo/hi, mode 0 */
    o(0x42, 100);
    o(0x42, 0);
    assert_int_equal(in(0x61) & 0x20, 0);
    v.now_tsc = 40 * 1000;
    o(0x43, 0x80); /* latch */
    assert_int_equal(in(0x42), 60);
    assert_int_equal(in(0x42), 0);
    v.now_tsc = 100 * 1000;
    assert_int_equal(in(0x61) & 0x20, 0x20);
}

/* Random port traffic (except power-off): the models stay consistent. */
static void test_random_ports(void **state)
{
    uint32_t x = 0xDEADBEEFu;
    (void)state;
    for (int iter = 0; iter < 100000; iter++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint16_t port =
            (iter % 2) ? (uint16_t)(0x3F8 + x % 8) : (uint16_t)(x >> 16);
        unsigned size = 1u << (x % 3);
        /* Keep clear of the power-off ports. */
        if ((port <= PIO_DEBUG_EXIT && port + size > PIO_DEBUG_EXIT) ||
            (port <= PIO_ACPI_SLEEP_CTL && port + size > PIO_ACPI_SLEEP_CTL))
            continue;
        v.now_tsc += x % 1000;
        if (x & 0x100)
            pio_out(&bus, &v, port, size, x);
        else
            (void)pio_in(&bus, &v, port, size);
    }
    assert_int_equal(v.stop, VCPU_RUNNING);
    assert_true(bus.com1.rx_len <= UART16550_RX_FIFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_idle_lsr_and_output, setup),
        cmocka_unit_test_setup(test_scratch_dlab_lcr, setup),
        cmocka_unit_test_setup(test_loopback_and_fifo_detect, setup),
        cmocka_unit_test_setup(test_thre_interrupt_identification, setup),
        cmocka_unit_test_setup(test_unknown_ports, setup),
        cmocka_unit_test_setup(test_debug_exit, setup),
        cmocka_unit_test_setup(test_acpi_sleep, setup),
        cmocka_unit_test_setup(test_pit_channel2, setup),
        cmocka_unit_test_setup(test_random_ports, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
