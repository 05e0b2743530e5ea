/* Context switch for x86-64 System V.
 *
 * void corio__ctx_swap(void **save_sp, void *load_sp)
 *
 * Pushes the callee-saved registers (rbp, rbx, r12-r15) on the current stack,
 * stores the stack pointer in *save_sp, loads load_sp and pops the same frame
 * from there. A new context gets this frame from corio__ctx_make with the
 * return address pointing at corio__ctx_start.
 *
 * The floating-point control words (MXCSR, x87 CW) are not switched: saving
 * them (stmxcsr is slow) cost more than the rest of the switch together. They
 * belong to the thread, as in libdill and Go; a task that changes the rounding
 * mode or exception masks restores them before it can suspend. */
    .text
    .globl  corio__ctx_swap
    .hidden corio__ctx_swap
    .type   corio__ctx_swap, @function
    .p2align 4
corio__ctx_swap:
    .cfi_startproc
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   corio__ctx_swap, .-corio__ctx_swap

/* First code a new context runs: r12 holds entry, r13 its argument.
 * The stack is 16-byte aligned here, as a call requires. */
    .globl  corio__ctx_start
    .hidden corio__ctx_start
    .type   corio__ctx_start, @function
    .p2align 4
corio__ctx_start:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r13, %rdi
    callq   *%r12
    ud2
    .cfi_endproc
    .size   corio__ctx_start, .-corio__ctx_start

    .section .note.GNU-stack,"",@progbits
