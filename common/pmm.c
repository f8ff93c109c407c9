/* Bitmap page allocator; see pmm.h. */
#include "common/pmm.h"

#include <errno.h>

static int test(const struct pmm *p, size_t i)
{
    return (p->bitmap[i / 64] >> (i % 64)) & 1;
}

static void set(struct pmm *p, size_t i)
{
    if (!test(p, i)) {
        p->bitmap[i / 64] |= 1ull << (i % 64);
        p->free_pages--;
    }
}

static void clear(struct pmm *p, size_t i)
{
    if (test(p, i)) {
        p->bitmap[i / 64] &= ~(1ull << (i % 64));
        p->free_pages++;
    }
}

void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *bitmap)
{
    p->base = base;
    p->npages = npages;
    p->bitmap = bitmap;
    p->free_pages = 0;
    p->hint = 0;
    for (size_t i = 0; i < PMM_BITMAP_WORDS(npages); i++)
        bitmap[i] = ~0ull;
}

/* Clamps [start, end) to page indices [*first, *last). */
static int range(const struct pmm *p, uint64_t start, uint64_t end, int inward,
                 size_t *first, size_t *last)
{
    uint64_t lo = p->base;
    uint64_t hi = p->base + (uint64_t)p->npages * PMM_PAGE;

    if (end <= start || end <= lo || start >= hi)
        return 0;
    if (start < lo)
        start = lo;
    if (end > hi)
        end = hi;
    if (inward) {
        start = (start + PMM_PAGE - 1) & ~(uint64_t)(PMM_PAGE - 1);
        end &= ~(uint64_t)(PMM_PAGE - 1);
    } else {
        start &= ~(uint64_t)(PMM_PAGE - 1);
        end = (end + PMM_PAGE - 1) & ~(uint64_t)(PMM_PAGE - 1);
    }
    if (end <= start)
        return 0;
    *first = (size_t)((start - lo) / PMM_PAGE);
    *last = (size_t)((end - lo) / PMM_PAGE);
    return 1;
}

void pmm_add_free(struct pmm *p, uint64_t start, uint64_t end)
{
    size_t a, b;
    if (range(p, start, end, 1, &a, &b))
        for (size_t i = a; i < b; i++)
            clear(p, i);
}

void pmm_reserve(struct pmm *p, uint64_t start, uint64_t end)
{
    size_t a, b;
    if (range(p, start, end, 0, &a, &b))
        for (size_t i = a; i < b; i++)
            set(p, i);
}

static int search(struct pmm *p, size_t from, size_t to, size_t npages,
                  size_t align, size_t *found)
{
    size_t i = from;
    uint64_t base_pfn = p->base / PMM_PAGE;

    while (i + npages <= to) {
        size_t rem = (size_t)((base_pfn + i) % align);
        if (rem) {
            i += align - rem;
            continue;
        }
        size_t j = 0;
        while (j < npages && !test(p, i + j))
            j++;
        if (j == npages) {
            *found = i;
            return 1;
        }
        i += j + 1;
    }
    return 0;
}

int pmm_alloc(struct pmm *p, size_t npages, size_t align, uint64_t *out)
{
    size_t at;

    if (npages == 0)
        return -EINVAL;
    if (align == 0)
        align = 1;
    if (npages > p->free_pages)
        return -ENOMEM;
    if (!search(p, p->hint, p->npages, npages, align, &at) &&
        !search(p, 0, p->npages, npages, align, &at))
        return -ENOMEM;
    for (size_t i = at; i < at + npages; i++)
        set(p, i);
    p->hint = at + npages;
    *out = p->base + (uint64_t)at * PMM_PAGE;
    return 0;
}

int pmm_free(struct pmm *p, uint64_t addr, size_t npages)
{
    if (npages == 0 || addr < p->base || (addr - p->base) % PMM_PAGE)
        return -EINVAL;
    size_t first = (size_t)((addr - p->base) / PMM_PAGE);
    if (first > p->npages || npages > p->npages - first)
        return -EINVAL;
    for (size_t i = first; i < first + npages; i++)
        if (!test(p, i))
            return -EINVAL;
    for (size_t i = first; i < first + npages; i++)
        clear(p, i);
    if (first < p->hint)
        p->hint = first;
    return 0;
}

size_t pmm_free_count(const struct pmm *p)
{
    return p->free_pages;
}

int pmm_is_used(const struct pmm *p, uint64_t addr)
{
    if (addr < p->base)
        return 1;
    uint64_t i = (addr - p->base) / PMM_PAGE;
    if (i >= p->npages)
        return 1;
    return test(p, (size_t)i);
}
