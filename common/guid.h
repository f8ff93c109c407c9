/* GUID helpers over struct vmbus_guid (proto/vmbus.h).  Pure C. */
#ifndef COMMON_GUID_H
#define COMMON_GUID_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/vmbus.h"

/* Bytes guid_format() writes, including the terminating NUL. */
#define GUID_STR_LEN 37u

bool guid_equal(const struct vmbus_guid *a, const struct vmbus_guid *b);
/* Lower-case aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee into out[GUID_STR_LEN]. */
void guid_format(const struct vmbus_guid *g, char *out);

#endif /* COMMON_GUID_H */
