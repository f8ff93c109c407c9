/*
 * Shared Multiboot entry for the guest kernel and the root: 32-bit protected
 * mode (paging off, EAX = loader magic, EBX = boot information, ESP
 * undefined, as both Multiboot specifications define) to long mode with the
 * first 4 GiB identity-mapped by 2 MiB pages, then x86_main(magic, info).
 *
 * The image's own Multiboot headers live in a separate file (.multiboot
 * section); the linker script must define __bss_start and __bss_end.
 */
#define BOOT_STACK_SIZE 16384
#define COM1 0x3F8

        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        mov     %eax, %edi              /* loader magic, kept for x86_main */
        mov     %ebx, %esi              /* boot information address */

        /* Clear .bss: page tables and the stack live there. */
        mov     $__bss_start, %edx
1:      cmp     $__bss_end, %edx
        jae     2f
        movl    $0, (%edx)
        add     $4, %edx
        jmp     1b
2:
        mov     $boot_stack_top, %esp

        /* Long mode present?  CPUID 0x80000001 EDX bit 29. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode

        /* PML4[0] -> PDPT; PDPT[0..3] -> four page directories. */
        mov     $boot_pdpt, %eax
        or      $0x3, %eax
        mov     %eax, boot_pml4
        mov     $boot_pd, %eax
        or      $0x3, %eax
        mov     $boot_pdpt, %edx
        mov     $4, %ecx
3:      mov     %eax, (%edx)
        add     $4096, %eax
        add     $8, %edx
        loop    3b
        /* 2048 2 MiB pages: present, writable, PS. */
        mov     $boot_pd, %edx
        xor     %ecx, %ecx
4:      mov     %ecx, %eax
        shl     $21, %eax
        or      $0x83, %eax
        mov     %eax, (%edx,%ecx,8)
        mov     %ecx, %eax
        shr     $11, %eax               /* bits 32+ of the address */
        mov     %eax, 4(%edx,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jb      4b

        /* CR4: PAE, OSFXSR, OSXMMEXCPT. */
        mov     %cr4, %eax
        or      $((1 << 5) | (1 << 9) | (1 << 10)), %eax
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        /* EFER.LME */
        mov     $0xC0000080, %ecx
        rdmsr
        or      $(1 << 8), %eax
        wrmsr
        /* CR0: PG, WP, NE, MP; clear EM and TS so SSE works. */
        mov     %cr0, %eax
        and     $~((1 << 2) | (1 << 3)), %eax
        or      $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1), %eax
        mov     %eax, %cr0

        lgdt    boot_gdt_ptr
        ljmp    $0x08, $long_mode

no_long_mode:
        mov     $msg_no_lm, %esi
5:      lodsb
        test    %al, %al
        jz      6f
        mov     $COM1, %dx
        out     %al, %dx
        jmp     5b
6:      hlt
        jmp     6b

        .code64
long_mode:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        xor     %ax, %ax
        mov     %ax, %fs
        mov     %ax, %gs
        mov     $boot_stack_top, %rsp
        xor     %ebp, %ebp
        mov     %edi, %edi              /* zero-extend: upper halves undefined */
        mov     %esi, %esi
        call    x86_main
7:      cli
        hlt
        jmp     7b

        .section .rodata
msg_no_lm:
        .asciz  "boot: this CPU has no long mode\r\n"

        /* GDT: null, 64-bit code 0x08, data 0x10, TSS 0x18 (two slots,
         * filled by x86_cpu_init). */
        .section .data
        .align  16
        .globl  boot_gdt
boot_gdt:
        .quad   0
        .quad   0x00AF9A000000FFFF
        .quad   0x00CF92000000FFFF
        .quad   0
        .quad   0
boot_gdt_end:
        .globl  boot_gdt_ptr
boot_gdt_ptr:
        .word   boot_gdt_end - boot_gdt - 1
        .quad   boot_gdt

        .section .bss
        .align  4096
boot_pml4:
        .skip   4096
boot_pdpt:
        .skip   4096
boot_pd:
        .skip   4 * 4096
        .align  16
boot_stack:
        .skip   BOOT_STACK_SIZE
        .globl  boot_stack_top
boot_stack_top:
