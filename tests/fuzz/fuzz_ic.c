/*
 * Fuzzes both sides' integration component parsers.  Input: chunks of
 * [u8 selector][u16 len][bytes]; selector % 8 < 4 feeds guest service
 * selector % 4 (ic_guest_handle), otherwise host service selector % 4
 * (ic_host_handle).  The guest answers in place in a buffer sized exactly
 * to the IC maximum, so any overrun is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "root/vmbus/ic.h"
#include "tests/loopback/shim.h"
#include "vsc/ic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void set_time(void *ctx, uint64_t ns, uint8_t flags)
{
    (void)ctx;
    (void)ns;
    (void)flags;
}

static void shut(void *ctx, uint32_t flags)
{
    (void)ctx;
    (void)flags;
}

static int kvp_auto(void *ctx, uint32_t index, char *key, size_t kcap,
                    char *value, size_t vcap)
{
    (void)ctx;
    if (index > 1 || kcap < 8 || vcap < 8)
        return -1;
    strcpy(key, index ? "OSName" : "Host");
    strcpy(value, "enlight");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ic_guest_config gc = {
        .shutdown = shut, .set_time = set_time, .kvp_auto = kvp_auto};
    struct ic_guest *g;
    struct ic_host *h;
    struct lb lb;
    size_t pos = 0;
    uint8_t *buf = malloc(IC_MAX_PACKET);

    if (!buf || lb_init(&lb, 16, NULL) < 0) {
        free(buf);
        return 0;
    }
    g = ic_guest_create(lb.vb, &gc);
    h = ic_host_create(lb.srv, NULL);
    while (g && h && pos + 3 <= size) {
        uint8_t sel = data[pos];
        uint32_t len = (uint32_t)data[pos + 1] | (uint32_t)data[pos + 2] << 8;
        uint32_t out, flags;

        pos += 3;
        if (len > size - pos)
            len = (uint32_t)(size - pos);
        if (len > IC_MAX_PACKET)
            len = IC_MAX_PACKET;
        memcpy(buf, data + pos, len);
        pos += len;
        if (sel % 8 < 4) {
            ic_guest_handle(g, sel % 4, buf, len, IC_MAX_PACKET, &out);
            ic_guest_take_shutdown(g, &flags);
        } else {
            ic_host_handle(h, sel % 4, buf, len);
        }
    }
    ic_host_destroy(h);
    lb_fini(&lb);
    ic_guest_destroy(g);
    free(buf);
    return 0;
}
