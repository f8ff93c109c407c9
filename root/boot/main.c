/*
 * Root entry: console, traps, memory, clock; then the child partition:
 * RAM, the Hyper-V interface and VMBus server, the first boot module
 * loaded as a Multiboot kernel (or a Linux bzImage, the second module its
 * initrd), SVM, and the run loop.  When the child powers off, its status
 * becomes QEMU's; when it crashes, the root reports and exits with
 * ROOT_EXIT_CHILD_CRASH; when it halts for good, ROOT_EXIT_CHILD_HALTED.
 *
 * Root command line: child_mem=SIZE (default 64M), vmbus=0 (no server).
 * Root console: the first serial port ('s' prints exit statistics); the
 * child's COM1 is the second serial port.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"
#include "common/mbinfo.h"
#include "common/pmm.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"
#include "common/x86/uart.h"
#include "root/acpi/acpi.h"
#include "root/boot/loader.h"
#include "root/boot/root.h"
#include "root/dev/pio.h"
#include "root/hv/hv.h"
#include "root/hv/testport.h"
#include "root/hv/vapic.h"
#include "root/host/host.h"
#include "root/host/devices.h"
#include "root/host/ui.h"
#include "root/hv/vmbus_host.h"
#include "root/linux/bzimage.h"
#include "root/svm/svm.h"
#include "root/vmbus/ic.h"

#define MAX_PHYS (4ull << 30) /* the identity map ends here */
#define DEFAULT_CHILD_MEM (64ull << 20)
#define CHILD_MEM_ALIGN (2ull << 20)
#define ROOT_HEAP_BYTES (32ull << 20) /* malloc: VMBus server, VSPs */

void x86_main(uint32_t magic, uint64_t info_pa);

extern uint8_t __image_start[], __image_end[];

static struct boot_info bi;
static uint64_t bitmap[PMM_BITMAP_WORDS(MAX_PHYS / PMM_PAGE)];
static struct pmm pmm;
static struct vcpu child;
static struct pio_bus child_pio;
static struct svm_vm vm;
static struct root_console *console;
static bool have_com2;

static const void *boot_mem(void *ctx, uint64_t pa, size_t len)
{
    if (pa == 0 || pa + len < pa || pa + len > MAX_PHYS)
        return NULL;
    return (const void *)(uintptr_t)pa;
}

void *root_page_alloc_aligned(size_t npages, size_t align_pages)
{
    uint64_t at;
    if (pmm_alloc(&pmm, npages, align_pages, &at))
        return NULL;
    void *p = (void *)(uintptr_t)at;
    memset(p, 0, npages * PMM_PAGE);
    return p;
}

void *root_page_alloc(unsigned npages)
{
    return root_page_alloc_aligned(npages, 1);
}

static void mem_init(void)
{
    uint64_t top = 0;
    for (size_t i = 0; i < bi.nmmap; i++)
        if (bi.mmap[i].type == BOOT_MEM_AVAILABLE &&
            bi.mmap[i].base + bi.mmap[i].len > top)
            top = bi.mmap[i].base + bi.mmap[i].len;
    if (top > MAX_PHYS)
        top = MAX_PHYS;
    pmm_init(&pmm, 0, (size_t)(top / PMM_PAGE), bitmap);
    for (size_t i = 0; i < bi.nmmap; i++)
        if (bi.mmap[i].type == BOOT_MEM_AVAILABLE)
            pmm_add_free(&pmm, bi.mmap[i].base,
                         bi.mmap[i].base + bi.mmap[i].len);
    for (size_t i = 0; i < bi.nmmap; i++)
        if (bi.mmap[i].type != BOOT_MEM_AVAILABLE)
            pmm_reserve(&pmm, bi.mmap[i].base,
                        bi.mmap[i].base + bi.mmap[i].len);
    pmm_reserve(&pmm, 0, 0x100000);
    pmm_reserve(&pmm, (uint64_t)(uintptr_t)__image_start,
                (uint64_t)(uintptr_t)__image_end);
    pmm_reserve(&pmm, bi.info_start, bi.info_end);
    for (size_t i = 0; i < bi.nmods; i++)
        pmm_reserve(&pmm, bi.mods[i].start, bi.mods[i].end);
}

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct cpuid_regs r = cpuid(leaf, sub);
    out[0] = r.eax;
    out[1] = r.ebx;
    out[2] = r.ecx;
    out[3] = r.edx;
}

/* The child's COM1 output: the root's second serial port, raw. */
static void child_com1_sink(void *ctx, uint8_t byte)
{
    if (console)
        root_console_child_byte(console, byte);
    uart_putc(have_com2 ? UART_COM2 : UART_COM1, (char)byte);
}

static void *heap_zalloc(size_t bytes)
{
    return calloc(1, bytes);
}

static void print_stats(void)
{
    svm_vm_print_stats(&vm);
}

static uint64_t exit_count(void)
{
    return vm.total_exits;
}

/* The VMBus server and the integration components, unless vmbus=0. */
static void vmbus_init(void)
{
    char val[8];
    if (cmdline_get(bi.cmdline, "vmbus", val, sizeof(val)) == 1 &&
        strcmp(val, "0") == 0)
        return;
    const struct root_vmbus_env env = {heap_zalloc, free, root_now_ns};
    struct vmbus_server *srv = root_vmbus_attach(&child, &env);
    if (!srv) {
        root_puts("root: VMBus server not available\n");
        return;
    }
    console = root_host_start(&child, srv, bi.cmdline, print_stats, exit_count);
    root_devices_start(&child, srv, bi.cmdline);
    root_ui_start(&child, srv, bi.cmdline);
}

/*
 * Root console input: command lines for root/host/console.c (without a
 * VMBus server, 's' prints the exit statistics).  Input on the second port
 * is the child's: it goes to its COM1 receive FIFO.
 */
void root_console_poll(struct svm_vm *v)
{
    int c;
    while ((c = uart_getc(UART_COM1)) >= 0) {
        if (console)
            root_console_input(console, c);
        else if (c == 's')
            svm_vm_print_stats(v);
    }
    if (!have_com2)
        return;
    while ((c = uart_getc(UART_COM2)) >= 0)
        if (uart16550_rx(&child_pio.com1, (uint8_t)c))
            break; /* FIFO full: the rest waits in the real UART */
}

int root_child_map(uint64_t gpa, uint64_t size, void *host)
{
    return svm_vm_map(&vm, gpa, size, host, root_page_alloc);
}

int root_child_unmap(uint64_t gpa)
{
    return svm_vm_unmap(&vm, gpa);
}

/* The test map connection: fresh root pages, each word its own GPA. */
static int test_map(void *ctx, uint64_t gpa, uint32_t pages)
{
    uint64_t *p = root_page_alloc(pages);
    if (!p)
        return -ENOMEM;
    for (uint64_t i = 0; i < (uint64_t)pages * 512; i++)
        p[i] = gpa + i * 8;
    int rc = root_child_map(gpa, (uint64_t)pages * PMM_PAGE, p);
    if (rc)
        pmm_free(&pmm, (uint64_t)(uintptr_t)p, pages);
    return rc;
}

static int test_unmap(void *ctx, uint64_t gpa)
{
    for (unsigned i = 0; i < child.nregions; i++) {
        const struct gmem_region *r = &child.region[i];
        if (r->gpa != gpa)
            continue;
        uint64_t base = (uint64_t)(uintptr_t)r->base, size = r->size;
        int rc = root_child_unmap(gpa);
        if (rc == 0)
            pmm_free(&pmm, base, size / PMM_PAGE);
        return rc;
    }
    return -ENOENT;
}

static const struct root_test_map_ops test_map_ops = {test_map, test_unmap,
                                                      NULL};

static uint64_t child_mem_size(void)
{
    char val[32];
    uint64_t size = DEFAULT_CHILD_MEM;
    if (cmdline_get(bi.cmdline, "child_mem", val, sizeof(val)) == 1) {
        uint64_t want;
        if (cmdline_parse_size(val, &want) == 0 && want >= (4u << 20) &&
            want <= (3ull << 30))
            size = want;
        else
            root_log("root: ignoring bad child_mem=%s\n", val);
    }
    return (size + CHILD_MEM_ALIGN - 1) & ~(CHILD_MEM_ALIGN - 1);
}

static const char *loader_error(int rc)
{
    switch (rc) {
    case -ENOEXEC:
        return "no Multiboot header";
    case -EINVAL:
        return "malformed image or header";
    case -ENOTSUP:
        return "header asks for something the root lacks";
    case -ERANGE:
        return "does not fit the child's memory";
    default:
        return "error";
    }
}

/* The first boot module as a Multiboot kernel; the rest its modules. */
static int load_multiboot(const void *image, uint64_t len)
{
    struct loader_module mods[LOADER_MAX_MODULES];
    unsigned nmods = 0;
    for (size_t i = 1; i < bi.nmods && nmods < LOADER_MAX_MODULES; i++) {
        mods[nmods].data = (const void *)(uintptr_t)bi.mods[i].start;
        mods[nmods].len = bi.mods[i].end - bi.mods[i].start;
        mods[nmods].cmdline = bi.mods[i].cmdline;
        nmods++;
    }
    struct loader_result lr;
    int rc = loader_load(&child.mem, image, len, bi.mods[0].cmdline, mods,
                         nmods, &lr);
    if (rc)
        return rc;
    root_log("root: child \"%s\": Multiboot%s, %llu MiB, entry 0x%x\n",
             bi.mods[0].cmdline, lr.mb_version == 2 ? "2" : "1",
             (unsigned long long)(child.mem.size >> 20), lr.entry);
    svm_vm_multiboot_state(&vm, lr.entry, lr.magic, lr.info_gpa);
    return 0;
}

/*
 * The first boot module as a Linux bzImage (64-bit boot protocol), the
 * second as its initrd; the module string after the file name is the
 * kernel command line.  The child gets ACPI tables and an x2APIC.
 */
static int load_linux(const void *image, uint64_t len)
{
    const char *cmdline = bi.mods[0].cmdline;
    while (*cmdline && *cmdline != ' ')
        cmdline++;
    while (*cmdline == ' ')
        cmdline++;
    const void *initrd = NULL;
    uint64_t initrd_len = 0;
    if (bi.nmods > 1) {
        initrd = (const void *)(uintptr_t)bi.mods[1].start;
        initrd_len = bi.mods[1].end - bi.mods[1].start;
    }
    uint64_t rsdp;
    int rc = acpi_build(&child.mem, LINUX_ACPI_GPA, &rsdp);
    if (rc)
        return rc;
    struct linux_entry le;
    rc = linux_load(&child.mem, image, len, initrd, initrd_len, cmdline, rsdp,
                    &le);
    if (rc)
        return rc;
    vapic_enable_x2apic(&child);
    root_log("root: child \"%s\": Linux boot protocol %u.%02u, %llu MiB, "
             "initrd %llu KiB\n",
             bi.mods[0].cmdline, le.protocol >> 8, le.protocol & 0xFF,
             (unsigned long long)(child.mem.size >> 20),
             (unsigned long long)(initrd_len >> 10));
    svm_vm_long_mode_state(&vm, le.rip, le.rsi, le.cr3, le.gdt_base,
                           le.gdt_limit, LINUX_BOOT_CS, LINUX_BOOT_DS);
    return 0;
}

void x86_main(uint32_t magic, uint64_t info_pa)
{
    uart_init(UART_COM1);
    have_com2 = uart_init(UART_COM2) == 0;
    x86_cpu_init();
    root_puts("Enlight root\n");
    int rc = mbinfo_parse(magic, info_pa, boot_mem, NULL, &bi);
    if (rc) {
        root_log("root: bad boot information (magic 0x%x, error %d)\n", magic,
                 rc);
        root_exit(ROOT_EXIT_PANIC);
    }
    mem_init();
    void *heap = root_page_alloc(ROOT_HEAP_BYTES / PMM_PAGE);
    if (heap)
        root_heap_init(heap, ROOT_HEAP_BYTES);
    root_clock_init();
    root_log("root: %llu MiB free, TSC %llu kHz, cmdline \"%s\"\n",
             (unsigned long long)(pmm_free_count(&pmm) / 256),
             (unsigned long long)(root_tsc_hz() / 1000), bi.cmdline);

    if (bi.nmods == 0) {
        root_puts("root: no boot module: nothing to run as the child\n");
        root_exit(ROOT_EXIT_NO_CHILD);
    }
    rc = svm_enable(root_page_alloc);
    if (rc) {
        root_log("root: cannot enable SVM with nested paging (%d)\n", rc);
        root_exit(ROOT_EXIT_PANIC);
    }

    uint64_t mem = child_mem_size();
    uint8_t *ram =
        root_page_alloc_aligned(mem / PMM_PAGE, CHILD_MEM_ALIGN / PMM_PAGE);
    if (!ram) {
        root_log("root: no room for %llu MiB of child memory\n",
                 (unsigned long long)(mem >> 20));
        root_exit(ROOT_EXIT_NO_CHILD);
    }
    vcpu_init(&child, ram, mem, root_tsc_hz(), rdtsc());
    child.host_cpuid = host_cpuid;
    if (root_test_ports_add(&child, &test_map_ops))
        root_puts("root: test connections not registered\n");
    vmbus_init();

    pio_init(&child_pio, child_com1_sink, NULL);
    if (svm_vm_create(&vm, &child, &child_pio, root_page_alloc)) {
        root_puts("root: out of memory for the VMCB and page tables\n");
        root_exit(ROOT_EXIT_PANIC);
    }
    const void *image = (const void *)(uintptr_t)bi.mods[0].start;
    uint64_t image_len = bi.mods[0].end - bi.mods[0].start;
    rc = linux_is_bzimage(image, image_len) ? load_linux(image, image_len)
                                            : load_multiboot(image, image_len);
    if (rc) {
        root_log("root: cannot load the child \"%s\": %s (%d)\n",
                 bi.mods[0].cmdline, loader_error(rc), rc);
        root_exit(ROOT_EXIT_NO_CHILD);
    }
    svm_vm_run(&vm);

    svm_vm_print_stats(&vm);
    switch (child.stop) {
    case VCPU_STOP_POWER_OFF:
        root_log("root: child powered off with status %d\n", child.stop_status);
        root_exit(child.stop_status);
    case VCPU_STOP_HALT_DEAD:
        root_log("root: child halted for good; exiting with %d\n",
                 child.stop_status);
        root_exit(child.stop_status);
    default:
        root_log("root: child stopped abnormally; exiting with %d\n",
                 ROOT_EXIT_CHILD_CRASH);
        root_exit(ROOT_EXIT_CHILD_CRASH);
    }
}
