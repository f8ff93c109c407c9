/* The IC services and versions; see ic_services.h. */
#include "common/ic_services.h"

const struct ic_version ic_framework_versions[] = {{3, 0}, {1, 0}};
const uint16_t ic_framework_nversions = 2;

static const struct ic_version hb_versions[] = {{3, 0}, {1, 0}};
static const struct ic_version sd_versions[] = {{3, 2}, {3, 1}, {3, 0}, {1, 0}};
static const struct ic_version ts_versions[] = {{4, 0}, {3, 0}, {1, 0}};
static const struct ic_version kvp_versions[] = {{5, 0}, {4, 0}, {3, 0}};

const struct ic_service_desc ic_services[IC_SERVICE_COUNT] = {
    [IC_SERVICE_HEARTBEAT] = {"heartbeat", VMBUS_CLASS_HEARTBEAT,
                              IC_MSG_HEARTBEAT, hb_versions, 2},
    [IC_SERVICE_SHUTDOWN] = {"shutdown", VMBUS_CLASS_SHUTDOWN, IC_MSG_SHUTDOWN,
                             sd_versions, 4},
    [IC_SERVICE_TIMESYNC] = {"timesync", VMBUS_CLASS_TIMESYNC, IC_MSG_TIMESYNC,
                             ts_versions, 3},
    [IC_SERVICE_KVP] = {"kvp", VMBUS_CLASS_KVP, IC_MSG_KVP, kvp_versions, 3},
};
