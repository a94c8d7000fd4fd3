/*
 * switch_x86_64.S - the context switch for x86-64 (System V ABI).
 *
 * Chapter: chapters/appendix-runtime.md#the-context-switch
 *
 *     void rt_context_switch(struct rt_context *save,      // %rdi
 *                            const struct rt_context *load); // %rsi
 *
 * Because a switch is an ordinary call, the caller-saved registers are already dead: we
 * store the stack pointer, the six callee-saved registers and the FP control state, load
 * the other context's, and `ret` - which pops the return address the *other* context left
 * on its stack when it called us. Offsets come from rt_context_impl.h.
 *
 * A fresh context (rt_context_make) has the address of rt_context_start on its stack
 * instead, so that first `ret` lands there with the entry function in %r13 and its
 * argument in %r12:
 *
 *     stack top (16-byte aligned) ->  +-----------------------+
 *                                     | &rt_context_start     |  <- saved rsp
 *                                     +-----------------------+
 *                                     | ... grows down ...    |
 */
#if defined(__x86_64__)
#include "rt_context_impl.h"

    .text
    .globl  rt_context_switch
    .type   rt_context_switch, @function
    .p2align 4
rt_context_switch:
    .cfi_startproc
    /* 1. save: the return address is already on our stack, at (%rsp) */
    movq    %rsp, RT_CONTEXT_RSP(%rdi)
    movq    %rbx, RT_CONTEXT_RBX(%rdi)
    movq    %rbp, RT_CONTEXT_RBP(%rdi)
    movq    %r12, RT_CONTEXT_R12(%rdi)
    movq    %r13, RT_CONTEXT_R13(%rdi)
    movq    %r14, RT_CONTEXT_R14(%rdi)
    movq    %r15, RT_CONTEXT_R15(%rdi)
    stmxcsr RT_CONTEXT_MXCSR(%rdi)
    fnstcw  RT_CONTEXT_X87CW(%rdi)
    /* 2. load: from here on we run on the other context's stack */
    movq    RT_CONTEXT_RSP(%rsi), %rsp
    movq    RT_CONTEXT_RBX(%rsi), %rbx
    movq    RT_CONTEXT_RBP(%rsi), %rbp
    movq    RT_CONTEXT_R12(%rsi), %r12
    movq    RT_CONTEXT_R13(%rsi), %r13
    movq    RT_CONTEXT_R14(%rsi), %r14
    movq    RT_CONTEXT_R15(%rsi), %r15
    ldmxcsr RT_CONTEXT_MXCSR(%rsi)
    fldcw   RT_CONTEXT_X87CW(%rsi)
    /* 3. return into the other context */
    ret
    .cfi_endproc
    .size   rt_context_switch, .-rt_context_switch

/* The first code a fresh context runs: entry(arg), which never returns. */
    .globl  rt_context_start
    .type   rt_context_start, @function
    .p2align 4
rt_context_start:
    .cfi_startproc
    /* No caller: tell debuggers and unwinders that the call chain ends here. */
    .cfi_undefined rip
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   rt_context_start, .-rt_context_start
#endif

    .section .note.GNU-stack,"",%progbits
