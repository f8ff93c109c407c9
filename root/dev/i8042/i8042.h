/*
 * The root machine's PS/2 controller (i8042, ports 0x60/0x64), keyboard
 * side only, polled.  bring-up disables both ports' interrupts and turns
 * on the controller's translation, so the keyboard's set-2 codes arrive
 * as scan code set 1 (the set the synthetic keyboard speaks).  Bytes from
 * the auxiliary (mouse) port are read and discarded.
 */
#ifndef ROOT_DEV_I8042_I8042_H
#define ROOT_DEV_I8042_I8042_H

#include <stdint.h>

#define I8042_DATA 0x60u
#define I8042_STATUS 0x64u /* read */
#define I8042_CMD 0x64u    /* write */

#define I8042_STS_OBF 0x01u /* output buffer full */
#define I8042_STS_IBF 0x02u /* input buffer full */
#define I8042_STS_AUX 0x20u /* the byte came from the aux port */

#define I8042_CMD_READ_CTR 0x20u
#define I8042_CMD_WRITE_CTR 0x60u
#define I8042_CMD_SELF_TEST 0xAAu
#define I8042_CMD_KBD_ENABLE 0xAEu

#define I8042_CTR_KBDINT 0x01u
#define I8042_CTR_AUXINT 0x02u
#define I8042_CTR_KBDDIS 0x10u
#define I8042_CTR_AUXDIS 0x20u
#define I8042_CTR_XLATE 0x40u

/*
 * Checks the controller is there (status not all-ones, the configuration
 * byte readable), then sets it up as above.  Returns 0 or -ENODEV.
 */
int i8042_init(void);

/*
 * Reads what the keyboard sent, at most max bytes: each set-1 byte goes
 * to fn(ctx, byte), except command replies (ACK, resend).  Returns the
 * number of keyboard bytes passed on.
 */
unsigned i8042_poll(void (*fn)(void *ctx, uint8_t byte), void *ctx,
                    unsigned max);

/*
 * Sets the keyboard's LEDs (bit 0 Scroll, 1 Num, 2 Caps Lock: the PS/2
 * and synthetic keyboard layouts agree) with command 0xED, waiting for
 * each acknowledgement.  Returns 0 or -EIO (no acknowledgement).
 */
int i8042_set_leds(uint8_t leds);

/* Keyboard replies (ACK 0xFA, resend 0xFE, echo 0xEE, BAT 0xAA is also a
 * key) that i8042_poll() does not pass on as scan codes. */
#define I8042_KBD_ACK 0xFAu
#define I8042_KBD_RESEND 0xFEu

/* Pure: the configuration byte the driver writes, given the current one. */
uint8_t i8042_ctr_value(uint8_t ctr);

#endif /* ROOT_DEV_I8042_I8042_H */
