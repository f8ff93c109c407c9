/*
 * realmode: a Multiboot1 child that drops to real mode and reads an
 * unknown MSR.  The root must inject #GP without an error code (real mode
 * pushes none); the handler powers off with status 5, a missing #GP with 9.
 * Linked below 64 KiB so real-mode offsets reach it.
 */
        .code32
        .section .text
        .align 4
        .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
        .globl _start
_start:
        /* Drop to real mode (16-bit segments first), then rdmsr an unknown
         * MSR: the root injects #GP through the real-mode IVT. */
        lgdt gdtr
        ljmp $0x08, $1f
        .code16
1:      mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %ss
        mov %cr0, %eax
        and $0xFFFFFFFE, %eax
        mov %eax, %cr0
        ljmp $0x0000, $2f
2:      xor %ax, %ax
        mov %ax, %ds
        mov %ax, %ss
        mov $0x7000, %sp
        movw $gp, 13*4
        movw $0, 13*4+2
        mov $0x12345678, %ecx
        rdmsr
        mov $0xf4, %dx
        mov $9, %eax
        out %eax, (%dx)
        hlt
gp:     /* #GP in real mode: report 5 and stop */
        mov $0xf4, %dx
        mov $5, %eax
        out %eax, (%dx)
        hlt
        .align 8
gdt:    .quad 0, 0x00009A000000FFFF, 0x000092000000FFFF
gdtr:   .word 23
        .long gdt
