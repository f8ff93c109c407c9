/*
 * One trip into the child: void svm_vmrun(struct svm_run_ctx *ctx).
 *
 * VMRUN switches only part of the state (APM vol 2 15.5): the host's
 * callee-saved GPRs, FS/GS/TR/LDTR and syscall MSRs (VMSAVE/VMLOAD state)
 * and the FPU/SSE registers are ours to keep.  Physical interrupts stay
 * blocked by GIF from CLGI until STGI; RFLAGS.IF is set across VMRUN so
 * that, with V_INTR_MASKING, a host interrupt makes the child exit.
 */
#define CTX_GPR(n)      (8 * (n))
#define CTX_VMCB        0x080
#define CTX_HOST_SAVE   0x088
#define CTX_GUEST_FX    0x100
#define CTX_HOST_FX     0x300

        .text
        .globl  svm_vmrun
        .type   svm_vmrun, @function
svm_vmrun:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdi                    /* ctx, needed after the exit */

        clgi
        fxsave64  CTX_HOST_FX(%rdi)
        fxrstor64 CTX_GUEST_FX(%rdi)
        mov     CTX_HOST_SAVE(%rdi), %rax
        vmsave  %rax                    /* host FS/GS/TR/LDTR/MSRs */
        mov     CTX_VMCB(%rdi), %rax
        vmload  %rax

        mov     CTX_GPR(1)(%rdi), %rcx
        mov     CTX_GPR(2)(%rdi), %rdx
        mov     CTX_GPR(3)(%rdi), %rbx
        mov     CTX_GPR(5)(%rdi), %rbp
        mov     CTX_GPR(6)(%rdi), %rsi
        mov     CTX_GPR(8)(%rdi), %r8
        mov     CTX_GPR(9)(%rdi), %r9
        mov     CTX_GPR(10)(%rdi), %r10
        mov     CTX_GPR(11)(%rdi), %r11
        mov     CTX_GPR(12)(%rdi), %r12
        mov     CTX_GPR(13)(%rdi), %r13
        mov     CTX_GPR(14)(%rdi), %r14
        mov     CTX_GPR(15)(%rdi), %r15
        mov     CTX_GPR(7)(%rdi), %rdi

        sti                             /* GIF is 0: nothing is taken */
        vmrun   %rax
        /* #VMEXIT: RAX = VMCB PA again, RSP and GIF = 0 from the host. */
        cli
        vmsave  %rax

        mov     (%rsp), %rax            /* ctx */
        mov     %rcx, CTX_GPR(1)(%rax)
        mov     %rdx, CTX_GPR(2)(%rax)
        mov     %rbx, CTX_GPR(3)(%rax)
        mov     %rbp, CTX_GPR(5)(%rax)
        mov     %rsi, CTX_GPR(6)(%rax)
        mov     %rdi, CTX_GPR(7)(%rax)
        mov     %r8, CTX_GPR(8)(%rax)
        mov     %r9, CTX_GPR(9)(%rax)
        mov     %r10, CTX_GPR(10)(%rax)
        mov     %r11, CTX_GPR(11)(%rax)
        mov     %r12, CTX_GPR(12)(%rax)
        mov     %r13, CTX_GPR(13)(%rax)
        mov     %r14, CTX_GPR(14)(%rax)
        mov     %r15, CTX_GPR(15)(%rax)

        mov     %rax, %rdi
        mov     CTX_HOST_SAVE(%rdi), %rax
        vmload  %rax
        fxsave64  CTX_GUEST_FX(%rdi)
        fxrstor64 CTX_HOST_FX(%rdi)
        stgi                            /* IF is 0: pending IRQs wait */

        pop     %rdi
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret
        .size   svm_vmrun, . - svm_vmrun

        .section .note.GNU-stack, "", @progbits
