/* Root console on the first serial port; reports and logs go here. */
#include <stdarg.h>
#include <string.h>

#include "common/fmt.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"
#include "common/x86/uart.h"
#include "root/boot/root.h"
#include "root/hv/vcpu.h"

void root_puts(const char *s)
{
    uart_write(UART_COM1, s, strlen(s));
}

static void vlog(const char *fmt, va_list ap)
{
    char buf[512];
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    root_puts(buf);
}

void root_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void x86_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void root_exit(int status)
{
    irq_disable();
    outl(0xF4, (uint32_t)status);
    for (;;)
        __asm__ volatile("hlt");
}

void x86_fatal(struct trap_frame *tf)
{
    root_puts("root: fatal exception, stopping\n");
    root_exit(ROOT_EXIT_PANIC);
}
