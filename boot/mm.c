/* Physical pages from the memory map, and the newlib heap. */
#include "boot/boot_internal.h"
#include "boot/kernel.h"
#include "common/cmdline.h"
#include "common/pmm.h"
#include "common/x86/cpu.h"

#include <string.h>

#define MAX_PHYS (4ull << 30) /* the identity map ends here */
#define LOW_RESERVED 0x100000ull

extern uint8_t __image_start[], __image_end[];

static uint64_t bitmap[PMM_BITMAP_WORDS(MAX_PHYS / PMM_PAGE)];
static struct pmm pmm;
static size_t total_pages;
uint8_t *mm_heap_start, *mm_heap_end;

void mm_init(const struct boot_info *bi)
{
    uint64_t top = 0;

    for (size_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == BOOT_MEM_AVAILABLE && e->base + e->len > top)
            top = e->base + e->len;
    }
    if (top > MAX_PHYS)
        top = MAX_PHYS;
    pmm_init(&pmm, 0, (size_t)(top / PMM_PAGE), bitmap);
    for (size_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == BOOT_MEM_AVAILABLE)
            pmm_add_free(&pmm, e->base, e->base + e->len);
    }
    /* Overlapping reserved ranges win over available ones. */
    for (size_t i = 0; i < bi->nmmap; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type != BOOT_MEM_AVAILABLE)
            pmm_reserve(&pmm, e->base, e->base + e->len);
    }
    pmm_reserve(&pmm, 0, LOW_RESERVED);
    pmm_reserve(&pmm, (uint64_t)__image_start, (uint64_t)__image_end);
    pmm_reserve(&pmm, bi->info_start, bi->info_end);
    for (size_t i = 0; i < bi->nmods; i++)
        pmm_reserve(&pmm, bi->mods[i].start, bi->mods[i].end);
    total_pages = pmm_free_count(&pmm);

    /* The heap: heap=SIZE on the command line, else a quarter of memory. */
    char val[32];
    uint64_t heap = (uint64_t)total_pages * PMM_PAGE / 4;
    if (cmdline_get(bi->cmdline, "heap", val, sizeof(val)) == 1) {
        uint64_t want;
        if (cmdline_parse_size(val, &want) == 0 && want >= PMM_PAGE)
            heap = want;
        else
            kprintf("boot: ignoring bad heap=%s\n", val);
    }
    if (heap < (1u << 20))
        heap = 1u << 20;
    size_t hp = (size_t)((heap + PMM_PAGE - 1) / PMM_PAGE);
    uint64_t at;
    while (pmm_alloc(&pmm, hp, 1, &at) != 0) {
        hp /= 2;
        if (hp < 16)
            PANIC("no memory for the heap");
    }
    mm_heap_start = (uint8_t *)at;
    mm_heap_end = mm_heap_start + (uint64_t)hp * PMM_PAGE;
}

void *page_alloc(size_t npages)
{
    uint64_t at;
    uint64_t f = irq_save();
    int r = pmm_alloc(&pmm, npages, 1, &at);
    irq_restore(f);
    if (r)
        return NULL;
    memset((void *)at, 0, npages * PMM_PAGE);
    return (void *)at;
}

void page_free(void *p, size_t npages)
{
    uint64_t f = irq_save();
    int r = pmm_free(&pmm, (uint64_t)p, npages);
    irq_restore(f);
    if (r)
        PANIC("page_free(%p, %zu): not allocated", p, npages);
}

size_t page_free_count(void)
{
    return pmm_free_count(&pmm);
}
size_t page_total_count(void)
{
    return total_pages;
}
