/* Serial console on COM1, and the formatted output the kit uses. */
#include "boot/kernel.h"
#include "common/fmt.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"
#include "common/x86/uart.h"

void console_write(const char *buf, size_t len)
{
    uart_write(UART_COM1, buf, len);
}

int console_getc(void)
{
    return uart_getc(UART_COM1);
}

void kvprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    uint64_t f = irq_save();
    console_write(buf, (size_t)n);
    irq_restore(f);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void x86_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
