/* 16550A register model (National Semiconductor PC16550D data sheet). */
#include "root/dev/uart16550.h"

#include <errno.h>
#include <string.h>

#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xC0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define MCR_LOOP 0x10

void uart16550_init(struct uart16550 *u, uart_sink_fn sink, void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->sink = sink;
    u->sink_ctx = ctx;
    u->dll = 12; /* 9600 baud, as after reset */
}

int uart16550_rx(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_len >= UART16550_RX_FIFO)
        return -ENOSPC;
    u->rx[(u->rx_head + u->rx_len) % UART16550_RX_FIFO] = byte;
    u->rx_len++;
    return 0;
}

static uint8_t iir(struct uart16550 *u)
{
    uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
    if ((u->ier & IER_RDI) && u->rx_len)
        return fifo | IIR_RDI;
    if ((u->ier & IER_THRI) && u->thre_pending) {
        u->thre_pending = false; /* reading IIR clears it */
        return fifo | IIR_THRI;
    }
    return fifo | IIR_NONE;
}

uint8_t uart16550_read(struct uart16550 *u, unsigned reg)
{
    switch (reg) {
    case UART_RBR:
        if (u->lcr & LCR_DLAB)
            return u->dll;
        if (!u->rx_len)
            return 0;
        uint8_t b = u->rx[u->rx_head];
        u->rx_head = (uint8_t)((u->rx_head + 1) % UART16550_RX_FIFO);
        u->rx_len--;
        return b;
    case UART_IER:
        return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
    case UART_IIR:
        return iir(u);
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        return LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0);
    case UART_MSR:
        if (u->mcr & MCR_LOOP) {
            /* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
            uint8_t m = u->mcr;
            return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) |
                             ((m & 0x04) << 4) | ((m & 0x08) << 4));
        }
        return 0xB0; /* DCD, DSR, CTS: a terminal is attached */
    case UART_SCR:
        return u->scr;
    default:
        return 0xFF;
    }
}

void uart16550_write(struct uart16550 *u, unsigned reg, uint8_t val)
{
    switch (reg) {
    case UART_THR:
        if (u->lcr & LCR_DLAB) {
            u->dll = val;
            return;
        }
        if (u->mcr & MCR_LOOP) {
            uart16550_rx(u, val);
        } else {
            u->tx_bytes++;
            if (u->sink)
                u->sink(u->sink_ctx, val);
        }
        u->thre_pending = true; /* transmitted at once */
        return;
    case UART_IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = val;
            return;
        }
        if ((val & IER_THRI) && !(u->ier & IER_THRI))
            u->thre_pending = true;
        u->ier = val & 0x0F;
        return;
    case UART_FCR:
        u->fcr = val & 0xC9;
        if (val & FCR_CLEAR_RX)
            u->rx_len = 0;
        return;
    case UART_LCR:
        u->lcr = val;
        return;
    case UART_MCR:
        u->mcr = val & 0x1F;
        return;
    case UART_SCR:
        u->scr = val;
        return;
    default:
        return; /* LSR, MSR: read-only */
    }
}
