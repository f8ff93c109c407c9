/* The legacy 8259 interrupt controllers, which Enlight never uses. */
#ifndef COMMON_X86_PIC_H
#define COMMON_X86_PIC_H

/*
 * Remaps the 8259 pair to vectors 0x20-0x2F and masks every line: the
 * BIOS leaves IRQ0 on vector 8, where a timer tick would look like a
 * double fault.  Harmless where there is no PIC (the ports then go
 * nowhere).
 */
void pic_disable(void);

#endif /* COMMON_X86_PIC_H */
