/*
 * Split virtqueue, driver side (Virtio 1.2, 2.7), over caller memory so
 * host tests can play the device.  The device sees the descriptor table
 * and the rings; chain lengths and links are kept in shadow arrays so a
 * device scribbling on the table cannot make us free the wrong entries.
 */
#include "root/dev/virtio/virtio.h"

#include <errno.h>
#include <string.h>

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((size_t)(a)-1))

static size_t avail_off(uint16_t size)
{
    return 16u * (size_t)size;
}

static size_t used_off(uint16_t size)
{
    return ALIGN_UP(avail_off(size) + 6u + 2u * (size_t)size, 4096);
}

static size_t shadow_off(uint16_t size)
{
    return ALIGN_UP(used_off(size) + 6u + 8u * (size_t)size, 8);
}

size_t virtq_mem_bytes(uint16_t size)
{
    return ALIGN_UP(shadow_off(size) + (size_t)size * (2u + 2u + 4u), 4096);
}

int virtq_init(struct virtq *q, uint16_t size, void *mem)
{
    if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1u)))
        return -EINVAL;
    uint8_t *m = mem;
    uint16_t index = q->index;
    volatile uint16_t *notify = q->notify;
    memset(q, 0, sizeof(*q));
    q->index = index;
    q->notify = notify;
    q->size = size;
    q->desc = (struct virtq_desc *)m;
    q->avail = (struct virtq_avail *)(m + avail_off(size));
    q->used = (volatile struct virtq_used *)(m + used_off(size));
    q->writable = (uint32_t *)(m + shadow_off(size));
    q->chain = (uint16_t *)(q->writable + size);
    q->next = q->chain + size;
    for (uint16_t i = 0; i < size; i++)
        q->next[i] = (uint16_t)(i + 1u);
    q->free_head = 0;
    q->nfree = size;
    return 0;
}

uint64_t virtq_desc_pa(const struct virtq *q)
{
    return (uint64_t)(uintptr_t)q->desc;
}
uint64_t virtq_avail_pa(const struct virtq *q)
{
    return (uint64_t)(uintptr_t)q->avail;
}
uint64_t virtq_used_pa(const struct virtq *q)
{
    return (uint64_t)(uintptr_t)q->used;
}

static void push_avail(struct virtq *q, uint16_t head)
{
    q->avail->ring[q->avail_idx & (q->size - 1u)] = head;
    q->avail_idx++;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
              uint16_t *head)
{
    if (n == 0 || n > q->size)
        return -EINVAL;
    if (n > q->nfree)
        return -ENOSPC;
    uint16_t h = q->free_head, i = h, last = h;
    uint32_t writable = 0;
    for (unsigned k = 0; k < n; k++) {
        struct virtq_desc *d = &q->desc[i];
        d->addr = bufs[k].addr;
        d->len = bufs[k].len;
        d->flags = bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0;
        if (bufs[k].device_writes)
            writable += bufs[k].len;
        last = i;
        i = q->next[i];
        if (k + 1 < n) {
            d->flags |= VIRTQ_DESC_F_NEXT;
            d->next = i;
        } else {
            d->next = 0;
        }
    }
    (void)last;
    q->free_head = i;
    q->nfree = (uint16_t)(q->nfree - n);
    q->chain[h] = (uint16_t)n;
    q->writable[h] = writable;
    push_avail(q, h);
    *head = h;
    return 0;
}

int virtq_add_indirect(struct virtq *q, uint64_t table_pa, unsigned n,
                       uint32_t writable, uint16_t *head)
{
    if (n == 0 || n > 0xFFFFu / 16u)
        return -EINVAL;
    if (!q->nfree)
        return -ENOSPC;
    uint16_t h = q->free_head;
    struct virtq_desc *d = &q->desc[h];
    d->addr = table_pa;
    d->len = (uint32_t)(n * sizeof(struct virtq_desc));
    d->flags = VIRTQ_DESC_F_INDIRECT;
    d->next = 0;
    q->free_head = q->next[h];
    q->nfree--;
    q->chain[h] = 1;
    q->writable[h] = writable;
    push_avail(q, h);
    *head = h;
    return 0;
}

bool virtq_publish(struct virtq *q)
{
    if (q->published == q->avail_idx)
        return false;
    /* Descriptors and ring entries before the index the device reads. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    q->published = q->avail_idx;
    /* The index store before reading the device's suppression flag. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
}

static void free_chain(struct virtq *q, uint16_t head)
{
    uint16_t n = q->chain[head], i = head;
    for (uint16_t k = 1; k < n; k++)
        i = q->next[i];
    q->next[i] = q->free_head;
    q->free_head = head;
    q->nfree = (uint16_t)(q->nfree + n);
    q->chain[head] = 0;
}

int virtq_next_used(struct virtq *q, uint16_t *head, uint32_t *len)
{
    uint16_t idx = q->used->idx;
    if (idx == q->last_used)
        return 0;
    /* The index read before the entry it covers. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    volatile struct virtq_used_elem *e =
        &q->used->ring[q->last_used & (q->size - 1u)];
    uint32_t id = e->id, l = e->len;
    q->last_used++;
    *head = VIRTQ_NO_HEAD;
    *len = 0;
    if (id >= q->size || !q->chain[id])
        return -EIO;
    uint32_t max = q->writable[id];
    free_chain(q, (uint16_t)id);
    *head = (uint16_t)id;
    if (l > max)
        return -EIO;
    *len = l;
    return 1;
}

unsigned virtq_in_flight(const struct virtq *q)
{
    unsigned n = 0;
    for (unsigned i = 0; i < q->size; i++)
        n += q->chain[i] != 0;
    return n;
}

void virtq_set_interrupts(struct virtq *q, bool on)
{
    *(volatile uint16_t *)&q->avail->flags =
        on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
}
