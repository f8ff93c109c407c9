/*
 * Interrupt and exception entry stubs.  Every vector pushes an error code
 * (zero where the CPU does not), then its number, then the general
 * registers, forming struct trap_frame (common/x86/trap.h).  SSE state is
 * saved around the C handler so handlers may use any code.
 */
        .code64
        .section .text

.macro STUB vec
        .align  16
trap_stub_\vec:
.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
.else
        pushq   $0
.endif
        pushq   $\vec
        jmp     trap_common
.endm

trap_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, %rbx              /* the frame; rbx survives the call */
        sub     $512, %rsp
        and     $~15, %rsp
        fxsave  (%rsp)
        mov     %rbx, %rdi
        cld
        call    x86_trap
        fxrstor (%rsp)
        mov     %rbx, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp               /* vector and error code */
        iretq

        .altmacro
.macro STUBS from, to
        STUB    \from
.if \to-\from
        STUBS   %(\from+1), \to
.endif
.endm
        STUBS   0, 63
        STUBS   64, 127
        STUBS   128, 191
        STUBS   192, 255

.macro STUBADDR vec
        .quad   trap_stub_\vec
.endm
.macro STUBADDRS from, to
        STUBADDR \from
.if \to-\from
        STUBADDRS %(\from+1), \to
.endif
.endm
        .section .rodata
        .align  8
        .globl  x86_trap_stubs
x86_trap_stubs:
        STUBADDRS 0, 63
        STUBADDRS 64, 127
        STUBADDRS 128, 191
        STUBADDRS 192, 255
