/* Context switch for AArch64 (AAPCS64).
 *
 * void corio__ctx_swap(void **save_sp, void *load_sp)
 *
 * Saves the callee-saved registers x19-x30 and d8-d15 in a 176-byte frame on
 * the current stack, stores sp in *save_sp, loads load_sp and restores the
 * same frame from there, returning through the restored x30. A new context
 * gets this frame from corio__ctx_make with x30 = corio__ctx_start. FPCR is
 * not switched: like x86-64's MXCSR it belongs to the thread. */
    .text
    .globl  corio__ctx_swap
    .hidden corio__ctx_swap
    .type   corio__ctx_swap, %function
    .p2align 4
corio__ctx_swap:
    sub     sp, sp, #176
    stp     d8, d9, [sp, #0]
    stp     d10, d11, [sp, #16]
    stp     d12, d13, [sp, #32]
    stp     d14, d15, [sp, #48]
    stp     x19, x20, [sp, #64]
    stp     x21, x22, [sp, #80]
    stp     x23, x24, [sp, #96]
    stp     x25, x26, [sp, #112]
    stp     x27, x28, [sp, #128]
    stp     x29, x30, [sp, #144]
    mov     x2, sp
    str     x2, [x0]
    mov     sp, x1
    ldp     d8, d9, [sp, #0]
    ldp     d10, d11, [sp, #16]
    ldp     d12, d13, [sp, #32]
    ldp     d14, d15, [sp, #48]
    ldp     x19, x20, [sp, #64]
    ldp     x21, x22, [sp, #80]
    ldp     x23, x24, [sp, #96]
    ldp     x25, x26, [sp, #112]
    ldp     x27, x28, [sp, #128]
    ldp     x29, x30, [sp, #144]
    add     sp, sp, #176
    ret
    .size   corio__ctx_swap, .-corio__ctx_swap

/* First code a new context runs: x19 holds entry, x20 its argument. */
    .globl  corio__ctx_start
    .hidden corio__ctx_start
    .type   corio__ctx_start, %function
    .p2align 4
corio__ctx_start:
    mov     x0, x20
    blr     x19
    brk     #0
    .size   corio__ctx_start, .-corio__ctx_start

    .section .note.GNU-stack,"",%progbits
