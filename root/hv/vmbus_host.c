/* The VMBus server's platform seam over struct vcpu (vmbus_host.h). */
#include "root/hv/vmbus_host.h"

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"

static struct {
    struct vcpu *v;
    struct vmbus_server *srv;
    struct root_vmbus_env env;
} host;

static void *gpa_map(void *ctx, uint64_t gpa, uint64_t len)
{
    return vcpu_gpa_ptr(ctx, gpa, len ? len : 1);
}

static int post_message(void *ctx, uint32_t sint, const void *payload,
                        uint32_t len)
{
    int rc = synic_post_try(ctx, sint, HV_MESSAGE_TYPE_VMBUS, 0, payload, len);
    return rc == -EINVAL ? -ENODEV : rc;
}

static int set_event_flag(void *ctx, uint32_t sint, uint32_t flag)
{
    int rc = synic_set_event_flag(ctx, sint, flag);
    return rc < 0 ? -ENODEV : 0;
}

static void raise_sint(void *ctx, uint32_t sint)
{
    synic_raise_sint(ctx, sint);
}

static void *plat_alloc(void *ctx, size_t bytes)
{
    return host.env.alloc(bytes);
}

static void plat_free(void *ctx, void *p)
{
    host.env.free(p);
}

static uint64_t now_ns(void *ctx)
{
    return host.env.now_ns();
}

static void log_line(void *ctx, const char *line)
{
    root_log("%s\n", line); /* lines carry their own prefix */
}

static uint16_t on_msg(void *ctx, struct vcpu *v, uint32_t conn_id,
                       uint32_t msg_type, const void *payload, uint32_t size)
{
    return (uint16_t)vmbus_server_on_post_message(host.srv, conn_id, msg_type,
                                                  payload, size);
}

static uint16_t on_event(void *ctx, struct vcpu *v, uint32_t conn_id,
                         uint16_t flag)
{
    return (uint16_t)vmbus_server_on_signal_event(host.srv, conn_id, flag);
}

static void on_eom(void *ctx, struct vcpu *v)
{
    vmbus_server_on_eom(host.srv);
}

static void on_poll(void *ctx, struct vcpu *v)
{
    vmbus_server_poll(host.srv);
}

struct vmbus_server *root_vmbus_attach(struct vcpu *v,
                                       const struct root_vmbus_env *env)
{
    const struct vmbus_server_platform plat = {
        .ctx = v,
        .gpa_map = gpa_map,
        .post_message = post_message,
        .set_event_flag = set_event_flag,
        .raise_sint = raise_sint,
        .alloc = plat_alloc,
        .free = plat_free,
        .now_ns = now_ns,
        .log = log_line,
    };
    const struct vmbus_server_config cfg = {0};

    host.v = v;
    host.env = *env;
    host.srv = vmbus_server_create(&plat, &cfg);
    if (!host.srv)
        return NULL;
    if (hv_port_add_msg(v, 1, on_msg, NULL) ||
        hv_port_add_msg(v, 4, on_msg, NULL) ||
        hv_port_add_event_range(v, VMBUS_SERVER_CONN_BASE,
                                VMBUS_SERVER_CONN_BASE +
                                    ROOT_VMBUS_EVENT_CONNS - 1,
                                on_event, NULL))
        return NULL;
    v->eom_hook = on_eom;
    v->poll_hook = on_poll;
    return host.srv;
}
