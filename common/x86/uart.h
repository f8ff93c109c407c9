/* 16550 UART driver used for consoles by the guest kernel and the root. */
#ifndef COMMON_X86_UART_H
#define COMMON_X86_UART_H

#include <stddef.h>
#include <stdint.h>

#define UART_COM1 0x3F8
#define UART_COM2 0x2F8

/* 115200 8N1, FIFOs on, interrupts off.  Returns 0, or -ENODEV when the
 * scratch register does not hold a value (no UART at that port). */
int uart_init(uint16_t port);
void uart_putc(uint16_t port, char c);
/* Writes len bytes, turning "\n" into "\r\n". */
void uart_write(uint16_t port, const char *buf, size_t len);
/* A received byte, or -1 when none is waiting. */
int uart_getc(uint16_t port);

#endif /* COMMON_X86_UART_H */
