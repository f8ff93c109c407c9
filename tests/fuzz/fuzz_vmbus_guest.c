/*
 * Fuzzes the guest VMBus client's handling of host messages: a client
 * connected to the loopback server with one open channel receives a
 * sequence of arbitrary messages ([u8 len][bytes] each), event flags, then
 * carries on (poll, the sub-channels any offers made, send, GPADL, close,
 * unload).  Nothing may crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/loopback/echo_vsp.h"
#include "tests/loopback/shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vmbus_guid cls =
    VMBUS_GUID_INIT(0x12345678, 0x1111, 0x2222, 0x3333, 0x444455556666ull);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct echo_vsp echo;
    struct vmbus_server_device d;
    struct vmbus_channel *ch;
    struct lb lb;
    size_t pos = 0;
    uint64_t pfns[2] = {3, 4};
    uint32_t h;

    memset(&echo, 0, sizeof(echo));
    if (lb_init(&lb, 64, NULL) < 0)
        return 0;
    d = echo_vsp_device(&echo, cls, 1);
    vmbus_server_add_device(lb.srv, &d, NULL);
    vmbus_set_timeout(lb.vb, 1000000);
    if (vmbus_connect(lb.vb, 0) == 0 &&
        (ch = vmbus_find_channel(lb.vb, &cls)) != NULL)
        vmbus_chan_open(ch, 4096, 4096, NULL, 0, NULL, NULL);

    while (pos < size) {
        uint8_t len = data[pos++];
        struct hv_message m;

        if (len > size - pos)
            len = (uint8_t)(size - pos);
        memset(&m, 0, sizeof(m));
        m.message_type = HV_MESSAGE_TYPE_VMBUS;
        m.payload_size = len;
        memcpy(m.payload, data + pos, len > 240 ? 240 : len);
        if (len > 240)
            m.payload_size = len; /* oversized claims are refused */
        vmbus_on_message(lb.vb, &m);
        pos += len;
        if (len & 1) {
            lb.siefp[len % 32] |= 1ull << (len % 64);
            vmbus_on_events(lb.vb, lb.siefp, 32);
        }
    }
    vmbus_poll(lb.vb);
    lb_pump(&lb);
    /* Whatever sub-channels the messages offered: list them with little
     * room (a guard past the array must stay intact), open the first. */
    for (size_t i = 0; (ch = vmbus_channel_at(lb.vb, i)) != NULL; i++) {
        struct vmbus_channel *subs[3] = {NULL, NULL, NULL};
        struct vmbus_channel *primary = vmbus_chan_primary(ch);
        if (!primary || vmbus_chan_sub_index(ch))
            continue;
        size_t n = vmbus_chan_subchannels(primary, subs, 2);
        if (subs[2])
            abort(); /* written past max */
        if (n && subs[0] && vmbus_chan_primary(subs[0]) != primary)
            abort();
        if (n && subs[0] &&
            vmbus_chan_open(subs[0], 4096, 4096, NULL, 0, NULL, NULL) == 0)
            vmbus_chan_close(subs[0]);
    }
    ch = vmbus_channel_at(lb.vb, 0);
    if (ch) {
        vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 1, "x", 1);
        if (vmbus_chan_gpadl_create(ch, pfns, 2, &h) == 0)
            vmbus_chan_gpadl_teardown(ch, h);
        vmbus_chan_close(ch);
    }
    vmbus_disconnect(lb.vb);
    lb_fini(&lb);
    return 0;
}
