/*
 * The root's wall clock from the machine's CMOS real-time clock (MC146818
 * registers at ports 0x70/0x71), for the time-sync integration component.
 * The RTC counts whole seconds; rtc_sync() finds the instant a second
 * begins so the wall clock is exact to the root's TSC, not to a second.
 */
#ifndef ROOT_HOST_RTC_H
#define ROOT_HOST_RTC_H

#include <stdint.h>

/* RTC register values as read (BCD or binary, per status register B). */
struct rtc_regs {
    uint8_t sec, min, hour, mday, mon, year, century;
    uint8_t status_b;
};

/*
 * Seconds since 1970 for the registers, or -1 when they are not a valid
 * date (BCD digits > 9, month 0, ...).  century 0 means "not provided":
 * years 70-99 are 19xx, 00-69 are 20xx.  Pure; tested on the host.
 */
int64_t rtc_to_unix(const struct rtc_regs *r);

/* Reads the registers; returns 0, or -EIO when no RTC answers. */
int rtc_read(struct rtc_regs *r);

/*
 * Waits (at most about 1.1 s, with the child not running) for the RTC's
 * seconds to tick over, so the wall clock is exact to the root's monotonic
 * clock rather than to a whole second.  now_ns is that clock.  Returns 0,
 * or -EIO when there is no usable RTC.  Later calls return at once.
 */
int rtc_sync(uint64_t (*now_ns)(void));

/* Nanoseconds since 1970 at monotonic time now_ns; 0 before a successful
 * rtc_sync(). */
uint64_t rtc_wall_ns(uint64_t now_ns);

#endif /* ROOT_HOST_RTC_H */
