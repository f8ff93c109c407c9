        .code32
        .section .text
        .align 4
        .long 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
        .globl _start
_start:
        mov $stack_top, %esp
        lgdt gdtr
        ljmp $0x08, $1f
1:      mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %ss
        mov %ax, %es
        /* IDT: #UD (6) and #GP (13) handlers. */
        mov $ud_handler, %eax
        mov %ax, idt + 6*8
        movw $0x08, idt + 6*8 + 2
        movw $0x8E00, idt + 6*8 + 4
        shr $16, %eax
        mov %ax, idt + 6*8 + 6
        mov $gp_handler, %eax
        mov %ax, idt + 13*8
        movw $0x08, idt + 13*8 + 2
        movw $0x8E00, idt + 13*8 + 4
        shr $16, %eax
        mov %ax, idt + 13*8 + 6
        lidt idtr
        mov $0x12345678, %edi   /* xorshift state in edi/ebp */
        mov $0x9abcdef1, %ebp
        /* every synthetic MSR: garbage writes and reads, 4 rounds */
        mov $4, %esi
2:      mov $0x40000000, %ecx
3:      call rnd
        mov %eax, %edx
        call rnd
        /* never turn on pages inside our own first 2 MiB */
        wrmsr
        rdmsr
        inc %ecx
        cmp $0x40000200, %ecx
        jb 3b
        dec %esi
        jnz 2b
        /* hypercalls with garbage control words: enable the page first */
        mov $0x40000000, %ecx
        mov $1, %eax
        xor %edx, %edx
        wrmsr
        mov $0x40000001, %ecx
        mov $0x300001, %eax
        wrmsr
        mov $3000, %esi
4:      call rnd
        mov %eax, %edx
        call rnd
        push %esi
        push %edi
        push %ebp
        mov %eax, %ebx
        call rnd
        mov %eax, %ecx
        call rnd
        mov %eax, %ebx
        call rnd
        and $0xffff003f, %eax   /* mostly known codes, garbage flags */
        mov $0x5c, %al
        test $1, %ecx
        jz 5f
        mov $0x5d, %al
5:      vmmcall
        pop %ebp
        pop %edi
        pop %esi
        dec %esi
        jnz 4b
        /* VMBus: garbage messages to connections 1 and 4, and signals to
         * the channel connections, for the root's VMBus server */
        mov $3000, %esi
10:     push %esi
        mov $msgbuf, %ebx
        mov $64, %esi
11:     call rnd
        mov %eax, (%ebx)
        add $4, %ebx
        dec %esi
        jnz 11b
        call rnd
        and $0xff, %eax
        mov %eax, msgbuf + 12      /* payload size 0..255 */
        movl $1, msgbuf + 8        /* message type: VMBus */
        movl $0, msgbuf + 4
        call rnd
        and $0x1c, %eax            /* a few known message types */
        mov %eax, msgbuf + 16
        call rnd
        test $1, %eax
        mov $1, %ecx
        jz 12f
        mov $4, %ecx
12:     mov %ecx, msgbuf
        push %edi
        push %ebp
        mov $0x5c, %eax            /* HvCallPostMessage, 32-bit convention */
        xor %edx, %edx
        xor %ebx, %ebx
        mov $msgbuf, %ecx
        xor %edi, %edi
        xor %esi, %esi
        vmmcall
        pop %ebp
        pop %edi
        call rnd
        mov %eax, %ebx
        and $0x7ff, %ebx           /* flag number */
        and $0x1f, %eax
        lea 0x2000(%eax), %ecx     /* channel connection */
        push %edi
        push %ebp
        mov $0x1005d, %eax         /* HvCallSignalEvent, fast */
        xor %edx, %edx
        vmmcall
        pop %ebp
        pop %edi
        pop %esi
        dec %esi
        jnz 10b
        /* garbage port reads (never write: 0xf4 is power-off) */
        mov $0, %edx
6:      in (%dx), %al
        inc %edx
        cmp $0x400, %edx
        jb 6b
        /* x2APIC MSRs in xAPIC mode and garbage APIC base */
        mov $0x800, %ecx
7:      rdmsr
        inc %ecx
        cmp $0x900, %ecx
        jb 7b
        mov $msg, %esi
8:      lodsb
        test %al, %al
        jz 9f
        mov $0x3f8, %dx
        out %al, (%dx)
        jmp 8b
9:      mov $0xf4, %dx
        mov $7, %eax
        out %eax, (%dx)
        hlt
rnd:    /* xorshift32 on edi, result eax */
        mov %edi, %eax
        shl $13, %eax
        xor %eax, %edi
        mov %edi, %eax
        shr $17, %eax
        xor %eax, %edi
        mov %edi, %eax
        shl $5, %eax
        xor %eax, %edi
        mov %edi, %eax
        ret
gp_handler:
        addl $2, 4(%esp)        /* skip rdmsr/wrmsr */
        add $4, %esp
        iret
ud_handler:
        addl $3, (%esp)         /* skip vmmcall */
        iret
msg:    .asciz "hostile: survived\r\n"
        .align 8
gdt:    .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
gdtr:   .word 23
        .long gdt
idtr:   .word 256*8-1
        .long idt
        .section .bss
        .align 4096
msgbuf: .skip 4096
        .align 8
idt:    .skip 256*8
        .skip 4096
stack_top:
