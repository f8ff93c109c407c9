/* 16550 UART, polled. */
#include "common/x86/uart.h"
#include "common/x86/cpu.h"

#include <errno.h>

enum {
    UART_DATA = 0,
    UART_IER = 1,
    UART_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_SCR = 7,
};
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

int uart_init(uint16_t port)
{
    outb(port + UART_SCR, 0x5A);
    if (inb(port + UART_SCR) != 0x5A)
        return -ENODEV;
    outb(port + UART_IER, 0x00);
    outb(port + UART_LCR, 0x80);  /* divisor latch */
    outb(port + UART_DATA, 0x01); /* 115200 baud */
    outb(port + UART_IER, 0x00);
    outb(port + UART_LCR, 0x03); /* 8N1 */
    outb(port + UART_FCR, 0xC7);
    outb(port + UART_MCR, 0x03);
    return 0;
}

void uart_putc(uint16_t port, char c)
{
    /* Bounded wait: a missing or stuck UART must not hang the kernel. */
    for (int i = 0; i < 100000; i++) {
        if (inb(port + UART_LSR) & LSR_THR_EMPTY)
            break;
        cpu_relax();
    }
    outb(port + UART_DATA, (uint8_t)c);
}

void uart_write(uint16_t port, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            uart_putc(port, '\r');
        uart_putc(port, buf[i]);
    }
}

int uart_getc(uint16_t port)
{
    if (!(inb(port + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(port + UART_DATA);
}
