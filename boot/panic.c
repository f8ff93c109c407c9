/* panic, exceptions, shutdown hooks and power-off. */
#include "boot/kernel.h"
#include "common/fmt.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"

#include <errno.h>
#include <stdarg.h>

/* QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4): the
 * process exits with (value << 1) | 1.  The Enlight root traps the same
 * port.  Elsewhere the write goes nowhere and the ACPI paths follow. */
#define DEBUG_EXIT_PORT 0xF4
#define SHUTDOWN_HOOKS 16

static panic_hook_fn panic_hook;
static struct {
    shutdown_hook_fn fn;
    void *ctx;
} hooks[SHUTDOWN_HOOKS];
static int nhooks;
static int panicking;

void panic_set_hook(panic_hook_fn fn)
{
    panic_hook = fn;
}

int shutdown_register(shutdown_hook_fn fn, void *ctx)
{
    if (nhooks >= SHUTDOWN_HOOKS)
        return -ENOSPC;
    hooks[nhooks].fn = fn;
    hooks[nhooks].ctx = ctx;
    nhooks++;
    return 0;
}

static void __attribute__((noreturn)) machine_off(int status)
{
    irq_disable();
    outl(DEBUG_EXIT_PORT, (uint32_t)status & 0x7F);
    /* ACPI S5 through the PM1a control block QEMU's chipsets put at these
     * ports (q35: 0x604, i440fx: 0xB004). */
    outw(0x604, 0x2000);
    outw(0xB004, 0x2000);
    for (;;)
        __asm__ volatile("hlt");
}

void power_off(int status)
{
    /* Hooks run once, newest first; a hook that calls power_off() again
     * goes straight to the machine. */
    static int running;
    if (!running && !panicking) {
        running = 1;
        while (nhooks > 0) {
            nhooks--;
            hooks[nhooks].fn(hooks[nhooks].ctx);
        }
    }
    machine_off(status);
}

static void __attribute__((noreturn)) die(const char *reason, uint64_t rip)
{
    if (panicking++ == 0 && panic_hook)
        panic_hook(reason, rip);
    kprintf("enlight: stopping with status %d\n", EXIT_PANIC);
    machine_off(EXIT_PANIC);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    char reason[160];
    va_list ap;

    irq_disable();
    va_start(ap, fmt);
    kprintf("PANIC at %s:%d: ", file, line);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    va_start(ap, fmt);
    fmt_vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    die(reason, (uint64_t)__builtin_return_address(0));
}

void x86_fatal(struct trap_frame *tf)
{
    die("unhandled exception", tf->rip);
}
