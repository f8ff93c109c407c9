/* 8259 initialisation words (ICW1-ICW4), then all lines masked. */
#include "common/x86/pic.h"
#include "common/x86/cpu.h"

void pic_disable(void)
{
    outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 follows */
    outb(0xA0, 0x11);
    outb(0x21, 0x20); /* ICW2: vector bases */
    outb(0xA1, 0x28);
    outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01); /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFF); /* mask everything */
    outb(0xA1, 0xFF);
}
