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

#include "proto/ic.h"
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

/* ---- integration component messages (proto/ic.h) ---- */

/*
 * Checks an IC packet payload (pipe header + IC header + body) of len bytes
 * and copies its IC header out.  Returns 0 or -EBADMSG (shorter than 28
 * bytes or longer than IC_MAX_PACKET).
 */
int vmbus_ic_check(const void *buf, uint32_t len, struct ic_hdr *hdr);

/*
 * UTF-16LE (bytes long, NUL included) to NUL-terminated ASCII in
 * dst[cap]; characters above 0x7F become '?'.  Returns the string length,
 * or -EINVAL (odd or zero size, no NUL within bytes, or cap too small).
 */
int vmbus_ic_utf16_to_ascii(const uint8_t *src, uint32_t bytes, char *dst,
                            uint32_t cap);

/* ASCII to UTF-16LE with NUL into dst[cap]; returns the bytes written
 * (NUL included), or 0 if it does not fit. */
uint32_t vmbus_ic_ascii_to_utf16(const char *src, uint8_t *dst, uint32_t cap);

#endif /* COMMON_VMBUS_MSG_H */
