/* Context switch for x86-64 System V.
 *
 * int corio__ctx_swap_val(void **save_sp, void *load_sp, int val, bool jump)
 * void corio__ctx_swap(void **save_sp, void *load_sp)    (val 0, jump false)
 *
 * Pushes the callee-saved registers (rbp, rbx, r12-r15) and the jump flag
 * on the current stack, above the return address of the call that got here,
 * stores the stack pointer in *save_sp, loads load_sp and pops the same frame
 * from there. The resumed context's suspended call returns val, by the way
 * its own flag says:
 *   - false: a return, which the CPU predicts when the switch back is called
 *     from the same place as this one (the scheduler's parks);
 *   - true: the return address is popped and jumped to. For a context that
 *     suspended through tail calls (corio_yield), whose return address lies
 *     in its caller's code, a return would be mispredicted on every switch
 *     between two different task functions; the indirect jump's targets are
 *     learnt, as for Boost.Context's jump_fcontext. It leaves the return
 *     stack entry of the call that got here behind.
 * A new context gets this frame from corio__ctx_make, flag true, with the
 * return address pointing at corio__ctx_start.
 *
 * The floating-point control words (MXCSR, x87 CW) are not switched: saving
 * them (stmxcsr is slow) cost more than the rest of the switch together. They
 * belong to the thread, as in libdill and Go; a task that changes the rounding
 * mode or exception masks restores them before it can suspend. */
    .text

/* The load half, shared by the swap and the load alone: switches to the
 * stack at sp, pops the frame the swap pushed there and resumes its context
 * with val (a 32-bit register) as the suspended call's result. */
.macro LOAD_CONTEXT sp, val
    movq    \sp, %rsp
    popq    %rcx
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    movl    \val, %eax
    testb   %cl, %cl
    jnz     1f
    ret
1:  popq    %rcx
    jmpq    *%rcx
.endm

    .globl  corio__ctx_swap
    .hidden corio__ctx_swap
    .type   corio__ctx_swap, @function
    .globl  corio__ctx_swap_val
    .hidden corio__ctx_swap_val
    .type   corio__ctx_swap_val, @function
    .p2align 4
corio__ctx_swap:
    .cfi_startproc
    xorl    %ecx, %ecx
corio__ctx_swap_val:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    pushq   %rcx
    movq    %rsp, (%rdi)
    LOAD_CONTEXT %rsi, %edx
    .cfi_endproc
    .size   corio__ctx_swap, .-corio__ctx_swap
    .size   corio__ctx_swap_val, .-corio__ctx_swap_val

/* void corio__ctx_load_val(void *load_sp, int val): the second half of
 * corio__ctx_swap_val alone, for a context that is never resumed (an ended
 * task): nothing of it is saved. */
    .globl  corio__ctx_load_val
    .hidden corio__ctx_load_val
    .type   corio__ctx_load_val, @function
    .p2align 4
corio__ctx_load_val:
    .cfi_startproc
    LOAD_CONTEXT %rdi, %esi
    .cfi_endproc
    .size   corio__ctx_load_val, .-corio__ctx_load_val

/* First code a new context runs: r12 holds entry, r13 its argument. The
 * stack is 16-byte aligned here, just above the frame that was popped to
 * get here (corio__ctx_make): the context runs below that frame, which
 * stays as it was made for the next context on this stack to start from
 * (corio__ctx_remake). entry is jumped to, not called: a call
 * would leave a return stack entry that no return consumes, and every
 * return of the task resumed after this one ends would be mispredicted.
 * corio__ctx_end stands in as entry's return address: entry never returns,
 * and unwinding stops there. */
    .globl  corio__ctx_start
    .hidden corio__ctx_start
    .type   corio__ctx_start, @function
    .p2align 4
corio__ctx_start:
    .cfi_startproc
    .cfi_undefined rip
    subq    $64, %rsp
    leaq    corio__ctx_end(%rip), %rax
    pushq   %rax
    movq    %r13, %rdi
    jmpq    *%r12
    .cfi_endproc
    .size   corio__ctx_start, .-corio__ctx_start

    .type   corio__ctx_end, @function
corio__ctx_end:
    .cfi_startproc
    .cfi_undefined rip
    ud2
    .cfi_endproc
    .size   corio__ctx_end, .-corio__ctx_end

    .section .note.GNU-stack,"",@progbits
