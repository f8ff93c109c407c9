/*
 * Root-side test connections, so a child can exercise message delivery,
 * event flags and runtime memory mapping without VMBus (tests/e2e use
 * them):
 *
 *   ROOT_TEST_MSG_CONN (message): the payload's first byte names a SINT;
 *     the root posts the same type and payload back to that SINT with
 *     sender = the connection id.  The post result maps to HV_STATUS:
 *     delivered or queued -> SUCCESS, queue full -> INSUFFICIENT_BUFFERS,
 *     SynIC off -> INVALID_SYNIC_STATE, SINT >= 16 -> INVALID_PARAMETER.
 *   ROOT_TEST_EVENT_CONN (event): sets event flag `flag` of
 *     ROOT_TEST_EVENT_SINT.  Flag >= 2048 -> INVALID_PARAMETER.
 *   ROOT_TEST_MAP_CONN (message, only with map ops): payload struct
 *     root_test_map_req; pages > 0 maps that many root pages at gpa (each
 *     64-bit word holds its own guest-physical address), pages == 0
 *     removes the mapping at gpa.  Results: 0 -> SUCCESS, -ENOMEM or
 *     -ENOSPC -> INSUFFICIENT_MEMORY, others -> INVALID_PARAMETER.
 */
#ifndef ROOT_HV_TESTPORT_H
#define ROOT_HV_TESTPORT_H

#include <stdint.h>

#include "root/hv/vcpu.h"

#define ROOT_TEST_MSG_CONN 0x7E57u
#define ROOT_TEST_EVENT_CONN 0x7E58u
#define ROOT_TEST_EVENT_SINT 5u
#define ROOT_TEST_MAP_CONN 0x7E59u
#define ROOT_TEST_MAP_MAX_PAGES 256u

/* Payload of a ROOT_TEST_MAP_CONN message. */
struct root_test_map_req {
    uint64_t gpa;      /* +0x0 page-aligned, above the child's RAM */
    uint32_t pages;    /* +0x8 0 = unmap */
    uint32_t reserved; /* +0xC must be zero */
};
_Static_assert(sizeof(struct root_test_map_req) == 16, "map request");

/* How the map connection reaches the SVM layer (root/boot supplies it). */
struct root_test_map_ops {
    int (*map)(void *ctx, uint64_t gpa, uint32_t pages);
    int (*unmap)(void *ctx, uint64_t gpa);
    void *ctx;
};

/*
 * Registers the connections (the map one only when ops is not NULL; it
 * must stay valid).  Returns 0 or the registry's error.
 */
int root_test_ports_add(struct vcpu *v, const struct root_test_map_ops *ops);

#endif /* ROOT_HV_TESTPORT_H */
