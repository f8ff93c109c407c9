/*
 * lwIP compiler and platform glue (arch/cc.h) for the guest and the host
 * tests.  lwIP's own assertions guard its internal invariants, so a failed
 * one stops the appliance (net_assert_fail -> PANIC); diagnostics go to
 * the console.
 */
#ifndef ENLIGHT_LWIP_ARCH_CC_H
#define ENLIGHT_LWIP_ARCH_CC_H

#include <stdint.h>

/* Byte order: lwIP's default (little-endian) is x86_64's. */

/* Wire structs are declared packed so unaligned headers are fine. */
#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_END
#define PACK_STRUCT_STRUCT __attribute__((packed))
#define PACK_STRUCT_FIELD(x) x

/* Implemented in net/sys_arch.c. */
void net_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void net_assert_fail(const char *msg, const char *file, int line)
    __attribute__((noreturn));
uint32_t net_rand(void);

#define LWIP_PLATFORM_DIAG(x)                                                  \
    do {                                                                       \
        net_diag x;                                                            \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_assert_fail((x), __FILE__, __LINE__)
#define LWIP_RAND() ((u32_t)net_rand())

#endif /* ENLIGHT_LWIP_ARCH_CC_H */
