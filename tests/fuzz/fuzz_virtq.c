/*
 * Fuzzes the driver side of a split virtqueue (root/dev/virtio/virtq.c)
 * against a device that returns arbitrary used entries: the input is a
 * script of driver adds and device returns.  Whatever the device writes,
 * the driver must never hand out a descriptor twice, lose one, or report
 * a length above what the chain allowed.
 *
 * Input: u8 size selector, then 6-byte steps {u8 op, u8 n, u32 value}:
 * op even = add a chain of n % 4 + 1 buffers (the last one writable, of
 * value % 8192 bytes); op odd = the device writes a used entry {id =
 * value % 2048 (or an in-flight head when n is even), len = value >> 8},
 * then the driver takes everything.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "root/dev/virtio/virtio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint16_t qsize = (uint16_t)(1u << (data[0] % 9)); /* 1 .. 256 */
    void *mem = aligned_alloc(4096, virtq_mem_bytes(qsize));
    memset(mem, 0, virtq_mem_bytes(qsize));
    struct virtq q = {0};
    if (virtq_init(&q, qsize, mem))
        abort();
    uint32_t allowed[256] = {0};
    uint8_t inflight[256] = {0}, chainlen[256] = {0};
    unsigned descs_out = 0;
    uint16_t used_idx = 0;
    for (size_t off = 1; off + 6 <= size; off += 6) {
        uint8_t op = data[off], n = data[off + 1];
        uint32_t v;
        memcpy(&v, data + off + 2, 4);
        if (!(op & 1)) {
            struct virtq_buf b[4];
            unsigned cnt = n % 4u + 1u;
            for (unsigned i = 0; i < cnt; i++)
                b[i] = (struct virtq_buf){0x1000u * (i + 1), 16, false};
            b[cnt - 1].len = v % 8192u;
            b[cnt - 1].device_writes = true;
            uint16_t head;
            int rc = virtq_add(&q, b, cnt, &head);
            if (rc == 0) {
                if (head >= qsize || inflight[head])
                    abort();
                inflight[head] = 1;
                chainlen[head] = (uint8_t)cnt;
                allowed[head] = b[cnt - 1].len;
                descs_out += cnt;
            } else if (cnt <= q.nfree) {
                abort(); /* refused although there was room */
            }
            virtq_publish(&q);
        } else {
            uint32_t id = v % 2048u;
            if (!(n & 1)) /* mostly a real head, so chains come back */
                for (unsigned i = 0; i < qsize; i++)
                    if (inflight[(id + i) % qsize]) {
                        id = (id + i) % qsize;
                        break;
                    }
            q.used->ring[used_idx % qsize].id = id;
            q.used->ring[used_idx % qsize].len = v >> 8;
            used_idx++;
            q.used->idx = used_idx;
            uint16_t head;
            uint32_t len;
            int rc;
            while ((rc = virtq_next_used(&q, &head, &len)) != 0) {
                if (head == VIRTQ_NO_HEAD)
                    continue;
                if (head >= qsize || !inflight[head])
                    abort(); /* returned something not in flight */
                if (rc == 1 && len > allowed[head])
                    abort();
                inflight[head] = 0;
                descs_out -= chainlen[head];
            }
        }
        if (q.nfree > qsize || q.nfree + descs_out != qsize)
            abort(); /* a descriptor lost or doubled */
    }
    free(mem);
    return 0;
}
