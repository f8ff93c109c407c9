/*
 * A 16550A model for the child's COM1: enough for Linux's 8250
 * autoconfiguration (scratch, loopback, FIFO detection) and for polling
 * output (LSR THRE|TEMT, IIR THRE).  No interrupt line: the child polls.
 * Transmitted bytes go to a sink the root provides.
 */
#ifndef ROOT_DEV_UART16550_H
#define ROOT_DEV_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#define UART16550_RX_FIFO 16u

typedef void (*uart_sink_fn)(void *ctx, uint8_t byte);

struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thre_pending; /* THR-empty interrupt not yet read from IIR */
    uint8_t rx[UART16550_RX_FIFO];
    uint8_t rx_head, rx_len;
    uart_sink_fn sink;
    void *sink_ctx;
    uint64_t tx_bytes;
};

/* Registers (offset from the base port). */
#define UART_RBR 0 /* read, DLAB 0 */
#define UART_THR 0 /* write, DLAB 0 */
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

void uart16550_init(struct uart16550 *u, uart_sink_fn sink, void *ctx);
/* reg is 0..7; other values read 0xFF and are ignored on write. */
uint8_t uart16550_read(struct uart16550 *u, unsigned reg);
void uart16550_write(struct uart16550 *u, unsigned reg, uint8_t val);
/* Queues a received byte; returns 0 or -ENOSPC when the FIFO is full. */
int uart16550_rx(struct uart16550 *u, uint8_t byte);

#endif /* ROOT_DEV_UART16550_H */
