/* RTC register values to Unix time (pure). */
#include "root/host/rtc.h"

#define RTC_B_BINARY 0x04 /* DM: binary, not BCD */
#define RTC_B_24H 0x02

static int bcd(uint8_t v, int binary)
{
    if (binary)
        return v;
    if ((v & 0x0F) > 9 || (v >> 4) > 9)
        return -1;
    return (v >> 4) * 10 + (v & 0x0F);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t rtc_to_unix(const struct rtc_regs *r)
{
    int bin = (r->status_b & RTC_B_BINARY) != 0;
    int pm = !(r->status_b & RTC_B_24H) && (r->hour & 0x80);
    int sec = bcd(r->sec, bin), min = bcd(r->min, bin);
    int hour = bcd(r->hour & 0x7F, bin);
    int mday = bcd(r->mday, bin), mon = bcd(r->mon, bin);
    int year = bcd(r->year, bin);
    int cent = r->century ? bcd(r->century, bin) : 0;

    if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || mday < 1 ||
        mday > 31 || mon < 1 || mon > 12 || year < 0 || year > 99 || cent < 0)
        return -1;
    if (!(r->status_b & RTC_B_24H)) {
        if (hour < 1 || hour > 12)
            return -1;
        hour = hour % 12 + (pm ? 12 : 0);
    } else if (hour > 23) {
        return -1;
    }
    int full = cent ? cent * 100 + year : (year >= 70 ? 1900 : 2000) + year;
    return days_from_civil(full, (unsigned)mon, (unsigned)mday) * 86400 +
           hour * 3600 + min * 60 + sec;
}
