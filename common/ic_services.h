/*
 * The integration-component services both sides speak, and the message
 * versions each offers, newest first: one table for the guest's ICs
 * (vsc/ic.c) and the root's (root/vmbus/ic.c).
 */
#ifndef COMMON_IC_SERVICES_H
#define COMMON_IC_SERVICES_H

#include <stdint.h>

#include "proto/ic.h"
#include "proto/vmbus.h"

/* Indices into ic_services; vsc/ic.h IC_SVC_* and root IC_HOST_* agree. */
#define IC_SERVICE_HEARTBEAT 0u
#define IC_SERVICE_SHUTDOWN 1u
#define IC_SERVICE_TIMESYNC 2u
#define IC_SERVICE_KVP 3u
#define IC_SERVICE_COUNT 4u

struct ic_service_desc {
    const char *name;           /* "heartbeat", ... */
    struct vmbus_guid class_id; /* the offer's class (and instance) GUID */
    uint16_t msgtype;           /* IC_MSG_* of its data messages */
    const struct ic_version *versions; /* message versions, newest first */
    uint16_t nversions;
};

/* IC framework versions, newest first. */
extern const struct ic_version ic_framework_versions[];
extern const uint16_t ic_framework_nversions;

extern const struct ic_service_desc ic_services[IC_SERVICE_COUNT];

#endif /* COMMON_IC_SERVICES_H */
