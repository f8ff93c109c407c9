/*
 * Validation of VMBus channel messages (proto/vmbus.h) before either side
 * parses them: known type, right direction, at least the minimum size the
 * negotiated version implies, at most the 240-byte SynIC payload.  Both the
 * guest client and the root server call vmbus_msg_check() on every copied
 * message first.  Pure C, no globals.
 */
#ifndef COMMON_VMBUS_MSG_H
#define COMMON_VMBUS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/vmbus.h"

#define VMBUS_DIR_TO_HOST 1u  /* guest -> root */
#define VMBUS_DIR_TO_GUEST 2u /* root -> guest */

/*
 * Minimum length of message `type` travelling in `dir` under `version`
 * (0 = not negotiated yet), or 0 if the type is unknown or never travels
 * that way.
 */
size_t vmbus_msg_min_size(uint32_t type, uint32_t dir, uint32_t version);

/*
 * Checks buf[0..len) and stores its type.  Returns 0, -EBADMSG (shorter than
 * the header or the type's minimum, or longer than 240 bytes), or -ENOMSG
 * (unknown type, or a type that does not travel in `dir`).
 */
int vmbus_msg_check(const void *buf, size_t len, uint32_t dir, uint32_t version,
                    uint32_t *type);

/* Name of a VMBUS_MSG_* value for logs ("?" if unknown). */
const char *vmbus_msg_name(uint32_t type);

#endif /* COMMON_VMBUS_MSG_H */
