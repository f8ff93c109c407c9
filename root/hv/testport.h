/*
 * Root-side test connections, so a child can exercise message delivery
 * and event flags without VMBus (tests/e2e use them):
 *
 *   ROOT_TEST_MSG_CONN (message): the payload's first byte names a SINT;
 *     the root posts the same type and payload back to that SINT with
 *     sender = the connection id.  The post result maps to HV_STATUS:
 *     delivered or queued -> SUCCESS, queue full -> INSUFFICIENT_BUFFERS,
 *     SynIC off -> INVALID_SYNIC_STATE, SINT >= 16 -> INVALID_PARAMETER.
 *   ROOT_TEST_EVENT_CONN (event): sets event flag `flag` of
 *     ROOT_TEST_EVENT_SINT.  Flag >= 2048 -> INVALID_PARAMETER.
 */
#ifndef ROOT_HV_TESTPORT_H
#define ROOT_HV_TESTPORT_H

#include "root/hv/vcpu.h"

#define ROOT_TEST_MSG_CONN 0x7E57u
#define ROOT_TEST_EVENT_CONN 0x7E58u
#define ROOT_TEST_EVENT_SINT 5u

/* Registers both connections.  Returns 0 or the registry's error. */
int root_test_ports_add(struct vcpu *v);

#endif /* ROOT_HV_TESTPORT_H */
