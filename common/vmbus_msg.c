/* VMBus channel message validation (see common/vmbus_msg.h). */
#include "common/vmbus_msg.h"

#include <errno.h>
#include <string.h>

struct msg_rule {
    const char *name;
    uint8_t dir;     /* VMBUS_DIR_* it travels in */
    uint8_t min_len; /* bytes, before version adjustments */
};

static const struct msg_rule rules[VMBUS_MSG_COUNT] = {
    [VMBUS_MSG_OFFER_CHANNEL] = {"OfferChannel", VMBUS_DIR_TO_GUEST,
                                 VMBUS_MSG_OFFER_SIZE_WS2008},
    [VMBUS_MSG_RESCIND_CHANNEL_OFFER] = {"RescindChannelOffer",
                                         VMBUS_DIR_TO_GUEST, 12},
    [VMBUS_MSG_REQUEST_OFFERS] = {"RequestOffers", VMBUS_DIR_TO_HOST, 8},
    [VMBUS_MSG_ALL_OFFERS_DELIVERED] = {"AllOffersDelivered",
                                        VMBUS_DIR_TO_GUEST, 8},
    [VMBUS_MSG_OPEN_CHANNEL] = {"OpenChannel", VMBUS_DIR_TO_HOST,
                                VMBUS_MSG_OPEN_CHANNEL_SIZE},
    [VMBUS_MSG_OPEN_CHANNEL_RESULT] = {"OpenChannelResult", VMBUS_DIR_TO_GUEST,
                                       20},
    [VMBUS_MSG_CLOSE_CHANNEL] = {"CloseChannel", VMBUS_DIR_TO_HOST, 12},
    [VMBUS_MSG_GPADL_HEADER] = {"GpadlHeader", VMBUS_DIR_TO_HOST, 28},
    [VMBUS_MSG_GPADL_BODY] = {"GpadlBody", VMBUS_DIR_TO_HOST, 24},
    [VMBUS_MSG_GPADL_CREATED] = {"GpadlCreated", VMBUS_DIR_TO_GUEST, 20},
    [VMBUS_MSG_GPADL_TEARDOWN] = {"GpadlTeardown", VMBUS_DIR_TO_HOST, 16},
    [VMBUS_MSG_GPADL_TORNDOWN] = {"GpadlTorndown", VMBUS_DIR_TO_GUEST, 12},
    [VMBUS_MSG_RELID_RELEASED] = {"RelIdReleased", VMBUS_DIR_TO_HOST, 12},
    [VMBUS_MSG_INITIATE_CONTACT] = {"InitiateContact", VMBUS_DIR_TO_HOST,
                                    VMBUS_MSG_INITIATE_CONTACT_SIZE},
    [VMBUS_MSG_VERSION_RESPONSE] = {"VersionResponse", VMBUS_DIR_TO_GUEST,
                                    VMBUS_MSG_VERSION_RESPONSE_SIZE},
    [VMBUS_MSG_UNLOAD] = {"Unload", VMBUS_DIR_TO_HOST, 8},
    [VMBUS_MSG_UNLOAD_COMPLETE] = {"UnloadComplete", VMBUS_DIR_TO_GUEST, 8},
    [VMBUS_MSG_MODIFY_CHANNEL] = {"ModifyChannel", VMBUS_DIR_TO_HOST, 16},
    [VMBUS_MSG_MODIFY_CHANNEL_RESPONSE] = {"ModifyChannelResponse",
                                           VMBUS_DIR_TO_GUEST, 16},
};

size_t vmbus_msg_min_size(uint32_t type, uint32_t dir, uint32_t version)
{
    if (type >= VMBUS_MSG_COUNT || !rules[type].name || rules[type].dir != dir)
        return 0;
    /* Offers grew from 190 to 196 bytes with Win7. */
    if (type == VMBUS_MSG_OFFER_CHANNEL && version >= VMBUS_VERSION_WIN7)
        return VMBUS_MSG_OFFER_SIZE;
    return rules[type].min_len;
}

int vmbus_msg_check(const void *buf, size_t len, uint32_t dir, uint32_t version,
                    uint32_t *type)
{
    struct vmbus_msg_hdr h;
    size_t min;

    if (len < sizeof(h) || len > VMBUS_MSG_MAX_BYTES)
        return -EBADMSG;
    memcpy(&h, buf, sizeof(h));
    *type = h.msgtype;
    min = vmbus_msg_min_size(h.msgtype, dir, version);
    if (min == 0)
        return -ENOMSG;
    if (len < min)
        return -EBADMSG;
    return 0;
}

const char *vmbus_msg_name(uint32_t type)
{
    if (type >= VMBUS_MSG_COUNT || !rules[type].name)
        return "?";
    return rules[type].name;
}

int vmbus_ic_check(const void *buf, uint32_t len, struct ic_hdr *hdr)
{
    if (len < IC_BODY_OFFSET || len > IC_MAX_PACKET)
        return -EBADMSG;
    memcpy(hdr, (const uint8_t *)buf + sizeof(struct ic_pipe_hdr),
           sizeof(*hdr));
    return 0;
}

int vmbus_ic_utf16_to_ascii(const uint8_t *src, uint32_t bytes, char *dst,
                            uint32_t cap)
{
    uint32_t i, n = bytes / 2;

    if (bytes == 0 || bytes % 2 || cap == 0)
        return -EINVAL;
    for (i = 0; i < n; i++) {
        uint16_t c = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        if (c == 0) {
            dst[i] = '\0';
            return (int)i;
        }
        if (i + 1 >= cap)
            return -EINVAL;
        dst[i] = c < 0x80 ? (char)c : '?';
    }
    return -EINVAL;
}

uint32_t vmbus_ic_ascii_to_utf16(const char *src, uint8_t *dst, uint32_t cap)
{
    uint32_t i = 0;

    for (;; i++) {
        if (2 * i + 2 > cap)
            return 0;
        dst[2 * i] = (uint8_t)src[i];
        dst[2 * i + 1] = 0;
        if (src[i] == '\0')
            return 2 * i + 2;
    }
}
