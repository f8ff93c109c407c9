/* Interfaces between the files of boot/; not for the rest of the kit. */
#ifndef BOOT_BOOT_INTERNAL_H
#define BOOT_BOOT_INTERNAL_H

#include "common/mbinfo.h"

#include <stdint.h>

#define VEC_APIC_TIMER 0xF0
#define VEC_SPURIOUS 0xFF

/* irq.c */
void irq_init(void);
uint32_t apic_id(void);
/* Arms the local APIC timer, divide-by-16 counts. */
void apic_timer_oneshot(uint32_t count);
void apic_timer_stop(void);
uint32_t apic_timer_current(void);

/* mm.c: page allocator and newlib heap from the memory map. */
void mm_init(const struct boot_info *bi);
/* Heap region for sbrk. */
extern uint8_t *mm_heap_start, *mm_heap_end;

/* clock.c */
void clock_init(void);
uint64_t clock_tsc_hz(void);
const char *clock_source_name(void);

#endif /* BOOT_BOOT_INTERNAL_H */
