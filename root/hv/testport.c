/* Echo connections for tests (see testport.h). */
#include "root/hv/testport.h"

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"

static uint16_t echo_msg(void *ctx, struct vcpu *v, uint32_t conn_id,
                         uint32_t msg_type, const void *payload, uint32_t size)
{
    if (size < 1)
        return HV_STATUS_INVALID_PARAMETER;
    unsigned sint = ((const uint8_t *)payload)[0];
    switch (synic_post(v, sint, msg_type, conn_id, payload, size)) {
    case 0:
    case -EBUSY:
        return HV_STATUS_SUCCESS;
    case -ENOSPC:
        return HV_STATUS_INSUFFICIENT_BUFFERS;
    case -ENODEV:
        return HV_STATUS_INVALID_SYNIC_STATE;
    default:
        return HV_STATUS_INVALID_PARAMETER;
    }
}

static uint16_t echo_event(void *ctx, struct vcpu *v, uint32_t conn_id,
                           uint16_t flag)
{
    int rc = synic_signal_event(v, ROOT_TEST_EVENT_SINT, flag);
    if (rc == -EINVAL)
        return HV_STATUS_INVALID_PARAMETER;
    if (rc == -ENODEV)
        return HV_STATUS_INVALID_SYNIC_STATE;
    return HV_STATUS_SUCCESS;
}

static uint16_t map_msg(void *ctx, struct vcpu *v, uint32_t conn_id,
                        uint32_t msg_type, const void *payload, uint32_t size)
{
    const struct root_test_map_ops *ops = ctx;
    struct root_test_map_req req;
    if (size < sizeof(req))
        return HV_STATUS_INVALID_PARAMETER;
    memcpy(&req, payload, sizeof(req));
    if (req.reserved || req.pages > ROOT_TEST_MAP_MAX_PAGES)
        return HV_STATUS_INVALID_PARAMETER;
    int rc = req.pages ? ops->map(ops->ctx, req.gpa, req.pages)
                       : ops->unmap(ops->ctx, req.gpa);
    if (rc == -ENOMEM || rc == -ENOSPC)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    return rc ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_SUCCESS;
}

int root_test_ports_add(struct vcpu *v, const struct root_test_map_ops *ops)
{
    int rc = hv_port_add_msg(v, ROOT_TEST_MSG_CONN, echo_msg, NULL);
    if (rc)
        return rc;
    rc = hv_port_add_event(v, ROOT_TEST_EVENT_CONN, echo_event, NULL);
    if (rc || !ops)
        return rc;
    return hv_port_add_msg(v, ROOT_TEST_MAP_CONN, map_msg, (void *)ops);
}
