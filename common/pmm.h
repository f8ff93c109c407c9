/*
 * Physical page allocator: one bit per 4 KiB page over [base, base +
 * npages * 4096), set = in use.  Pure C over caller-provided memory; used by
 * the guest kernel and the root, tested on the host.
 */
#ifndef COMMON_PMM_H
#define COMMON_PMM_H

#include <stddef.h>
#include <stdint.h>

#define PMM_PAGE 4096u

struct pmm {
    uint64_t base;    /* physical address of page 0, page aligned */
    size_t npages;    /* pages tracked */
    uint64_t *bitmap; /* (npages + 63) / 64 words, owned by the caller */
    size_t free_pages;
    size_t hint; /* where the next search starts */
};

/* Words of bitmap needed for npages. */
#define PMM_BITMAP_WORDS(npages) (((npages) + 63) / 64)

/* Starts with every page in use.  base must be page aligned. */
void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *bitmap);
/* Marks the whole pages inside [start, end) free; parts outside the tracked
 * range are ignored. */
void pmm_add_free(struct pmm *p, uint64_t start, uint64_t end);
/* Marks every page touching [start, end) in use. */
void pmm_reserve(struct pmm *p, uint64_t start, uint64_t end);
/*
 * Allocates npages contiguous pages whose first page number is a multiple
 * of align (in pages; 0 or 1 for none).  Returns 0 and the address in *out,
 * -EINVAL for npages == 0, or -ENOMEM when no such run is free.
 */
int pmm_alloc(struct pmm *p, size_t npages, size_t align, uint64_t *out);
/* Frees a run; returns 0, or -EINVAL if it is outside the range,
 * unaligned, or not wholly allocated (nothing is changed then). */
int pmm_free(struct pmm *p, uint64_t addr, size_t npages);
size_t pmm_free_count(const struct pmm *p);
/* 1 if the page holding addr is in use (or outside the range), else 0. */
int pmm_is_used(const struct pmm *p, uint64_t addr);

#endif /* COMMON_PMM_H */
