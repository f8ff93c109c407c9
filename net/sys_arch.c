/*
 * lwIP's platform needs with NO_SYS=1: a millisecond clock (sys_now), a
 * random source for DHCP transaction ids, TCP ports and DNS ids, and the
 * diagnostic and assertion hooks from arch/cc.h.
 */
#include "net/net.h"

#include <stdarg.h>

#include "lwip/arch.h"
#include "lwip/sys.h"

#ifdef ENLIGHT_HOST
#include <stdio.h>
#include <stdlib.h>
#else
#include "boot/kernel.h"
#endif

static uint64_t (*clock_fn)(void);
static uint32_t rand_state = 0x2545f491u;

void net_set_clock(uint64_t (*now_ns)(void))
{
    clock_fn = now_ns;
}

uint64_t net_now_ns(void)
{
    if (clock_fn)
        return clock_fn();
#ifdef ENLIGHT_HOST
    return 0; /* host tests always install a clock */
#else
    return clock_now_ns();
#endif
}

u32_t sys_now(void)
{
    return (u32_t)(net_now_ns() / 1000000u);
}

void net_seed_rand(uint32_t seed)
{
    rand_state = seed ? seed : 0x2545f491u;
}

/* xorshift32: not cryptographic, enough for ids and ephemeral ports. */
uint32_t net_rand(void)
{
    uint32_t x = rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rand_state = x;
    return x;
}

void net_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
#ifdef ENLIGHT_HOST
    vfprintf(stderr, fmt, ap);
#else
    kvprintf(fmt, ap);
#endif
    va_end(ap);
}

void net_assert_fail(const char *msg, const char *file, int line)
{
#ifdef ENLIGHT_HOST
    fprintf(stderr, "%s:%d: lwIP assertion failed: %s\n", file, line, msg);
    abort();
#else
    panic_at(file, line, "lwIP assertion failed: %s", msg);
#endif
}
