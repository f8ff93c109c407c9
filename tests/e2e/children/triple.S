        .code32
        .section .text
        .align 4
        .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
        .globl _start
_start:
        lidt idtr
        int3
        hlt
idtr:   .word 0
        .long 0
