/*
 * Fuzzes the root VMBus server's handling of guest messages and signals.
 * After a valid InitiateContact and RequestOffers (version chosen by the
 * first byte), the input is a sequence of [u8 op][u8 len][bytes] chunks:
 * op % 4 = 0 post on connection 1, 1 post on connection 4, 2 signal a
 * channel or connection 2, 3 write bytes into guest memory (first two bytes
 * = offset in 16-byte units); op 0xFF also rescinds relid 1, op 0xFE also
 * adds 1 + len % 3 sub-channels to it.  Nothing may crash or touch memory
 * outside the guest's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/loopback/echo_vsp.h"
#include "tests/loopback/shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vmbus_guid cls =
    VMBUS_GUID_INIT(0x12345678, 0x1111, 0x2222, 0x3333, 0x444455556666ull);

static const uint32_t versions[] = {
    VMBUS_VERSION_WS2008,     VMBUS_VERSION_WIN7,   VMBUS_VERSION_WIN8,
    VMBUS_VERSION_WIN8_1,     VMBUS_VERSION_WIN10,  VMBUS_VERSION_WIN10_V5,
    VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_COPPER, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct echo_vsp echo;
    struct vmbus_server_device d;
    struct vmbus_msg_initiate_contact ic;
    struct vmbus_msg_hdr ro = {.msgtype = VMBUS_MSG_REQUEST_OFFERS};
    struct lb lb;
    size_t pos = 1;
    uint32_t v;

    if (size < 1)
        return 0;
    memset(&echo, 0, sizeof(echo));
    if (lb_init(&lb, 64, NULL) < 0)
        return 0;
    vmbus_destroy(lb.vb); /* the fuzzer plays the guest */
    lb.vb = NULL;
    d = echo_vsp_device(&echo, cls, 1);
    vmbus_server_add_device(lb.srv, &d, NULL);
    vmbus_server_add_device(lb.srv, &d, NULL);

    v = versions[data[0] % (sizeof(versions) / sizeof(versions[0]))];
    memset(&ic, 0, sizeof(ic));
    ic.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
    ic.version_requested = v;
    ic.interrupt_page_or_sint =
        v >= VMBUS_VERSION_WIN10_V5 ? VMBUS_CONTACT_SINT(2, 0) : 4096;
    vmbus_server_on_post_message(lb.srv, 1, 1, &ic,
                                 v >= VMBUS_VERSION_COPPER ? 56 : 40);
    lb_pump(&lb);
    vmbus_server_on_post_message(lb.srv, 1, 1, &ro, sizeof(ro));
    lb_pump(&lb);

    while (pos + 2 <= size) {
        uint8_t op = data[pos], len = data[pos + 1];
        const uint8_t *p = data + pos + 2;

        pos += 2;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        pos += len;
        switch (op % 4) {
        case 0:
        case 1:
            vmbus_server_on_post_message(lb.srv, op % 4 ? 4 : 1,
                                         HV_MESSAGE_TYPE_VMBUS, p, len);
            break;
        case 2:
            vmbus_server_on_signal_event(
                lb.srv, op & 0x80 ? 2 : VMBUS_SERVER_CONN_BASE + op / 4 % 4, 0);
            break;
        case 3:
            if (len >= 2) {
                size_t off = ((size_t)p[0] | (size_t)p[1] << 8) * 16u;
                size_t n = len - 2u;
                if (off < lb.npages * HV_PAGE_SIZE &&
                    n <= lb.npages * HV_PAGE_SIZE - off)
                    memcpy(lb.mem + off, p + 2, n);
            }
            break;
        }
        lb_pump(&lb);
        if (op == 0xFF)
            vmbus_server_rescind(lb.srv, vmbus_server_channel(lb.srv, 1));
        if (op == 0xFE)
            vmbus_server_offer_subchannels(
                lb.srv, vmbus_server_channel(lb.srv, 1), 1 + len % 3, NULL);
    }
    vmbus_server_poll(&*lb.srv);
    lb_fini(&lb);
    return 0;
}
