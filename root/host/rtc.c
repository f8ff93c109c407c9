/* CMOS RTC access and the seconds-edge wall clock; see rtc.h. */
#include "root/host/rtc.h"
#include "common/x86/cpu.h"

#include <errno.h>

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_UIP 0x80 /* status A: update in progress */

static uint8_t cmos(uint8_t reg)
{
    outb(RTC_INDEX, reg);
    return inb(RTC_DATA);
}

static void read_once(struct rtc_regs *r)
{
    r->sec = cmos(0x00);
    r->min = cmos(0x02);
    r->hour = cmos(0x04);
    r->mday = cmos(0x07);
    r->mon = cmos(0x08);
    r->year = cmos(0x09);
    r->century = cmos(0x32);
    r->status_b = cmos(0x0B);
}

int rtc_read(struct rtc_regs *r)
{
    struct rtc_regs again;
    if (cmos(0x0A) == 0xFF && cmos(0x0B) == 0xFF)
        return -EIO;
    /* Two identical reads outside an update are a consistent snapshot. */
    for (int tries = 0; tries < 1000; tries++) {
        while (cmos(0x0A) & RTC_UIP)
            cpu_relax();
        read_once(r);
        while (cmos(0x0A) & RTC_UIP)
            cpu_relax();
        read_once(&again);
        if (r->sec == again.sec && r->min == again.min &&
            r->hour == again.hour && r->mday == again.mday &&
            r->mon == again.mon && r->year == again.year)
            return 0;
    }
    return -EIO;
}

static int synced;        /* 1 done, -1 no RTC */
static int64_t edge_unix; /* Unix seconds at the edge */
static uint64_t edge_ns;  /* monotonic time of the edge */

int rtc_sync(uint64_t (*now_ns)(void))
{
    struct rtc_regs r;

    if (synced)
        return synced > 0 ? 0 : -EIO;
    if (rtc_read(&r) || rtc_to_unix(&r) < 0) {
        synced = -1;
        return -EIO;
    }
    uint8_t first = r.sec;
    uint64_t give_up = now_ns() + 1200000000ull;
    while (now_ns() < give_up) {
        if (cmos(0x0A) & RTC_UIP)
            continue;
        if (cmos(0x00) == first)
            continue;
        uint64_t t_ns = now_ns();
        if (rtc_read(&r))
            break;
        int64_t t = rtc_to_unix(&r);
        if (t < 0)
            break;
        edge_unix = t;
        edge_ns = t_ns;
        synced = 1;
        return 0;
    }
    synced = -1;
    return -EIO;
}

uint64_t rtc_wall_ns(uint64_t now_ns)
{
    if (synced != 1)
        return 0;
    return (uint64_t)edge_unix * 1000000000ull + (now_ns - edge_ns);
}
