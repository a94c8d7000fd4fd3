/*
 * switch_aarch64.S - the context switch for AArch64 (AAPCS64).
 *
 * Chapter: chapters/appendix-runtime.md#the-context-switch
 *
 *     void rt_context_switch(struct rt_context *save,      // x0
 *                            const struct rt_context *load); // x1
 *
 * The same idea as switch_x86_64.S: a switch is a call, so only what a callee must preserve
 * is saved - sp, x19-x28, the frame pointer x29, the link register x30, d8-d15 and FPCR.
 * The return address is x30 (not on the stack), so `ret` after loading x30 "returns" into
 * the other context. A fresh context (rt_context_make) has x30 = rt_context_start,
 * x19 = the argument and x20 = the entry function. Offsets come from rt_context_impl.h.
 */
#if defined(__aarch64__)
#include "rt_context_impl.h"

    .text
    .globl  rt_context_switch
    .type   rt_context_switch, %function
    .p2align 4
rt_context_switch:
    .cfi_startproc
    /* 1. save */
    mov     x9, sp
    str     x9,       [x0, #RT_CONTEXT_SP]
    stp     x19, x20, [x0, #RT_CONTEXT_X19 + 0]
    stp     x21, x22, [x0, #RT_CONTEXT_X19 + 16]
    stp     x23, x24, [x0, #RT_CONTEXT_X19 + 32]
    stp     x25, x26, [x0, #RT_CONTEXT_X19 + 48]
    stp     x27, x28, [x0, #RT_CONTEXT_X19 + 64]
    stp     x29, x30, [x0, #RT_CONTEXT_X29]
    stp     d8,  d9,  [x0, #RT_CONTEXT_D8 + 0]
    stp     d10, d11, [x0, #RT_CONTEXT_D8 + 16]
    stp     d12, d13, [x0, #RT_CONTEXT_D8 + 32]
    stp     d14, d15, [x0, #RT_CONTEXT_D8 + 48]
    mrs     x9, fpcr
    str     x9,       [x0, #RT_CONTEXT_FPCR]
    /* 2. load: from here on we run on the other context's stack */
    ldr     x9,       [x1, #RT_CONTEXT_SP]
    mov     sp, x9
    ldp     x19, x20, [x1, #RT_CONTEXT_X19 + 0]
    ldp     x21, x22, [x1, #RT_CONTEXT_X19 + 16]
    ldp     x23, x24, [x1, #RT_CONTEXT_X19 + 32]
    ldp     x25, x26, [x1, #RT_CONTEXT_X19 + 48]
    ldp     x27, x28, [x1, #RT_CONTEXT_X19 + 64]
    ldp     x29, x30, [x1, #RT_CONTEXT_X29]
    ldp     d8,  d9,  [x1, #RT_CONTEXT_D8 + 0]
    ldp     d10, d11, [x1, #RT_CONTEXT_D8 + 16]
    ldp     d12, d13, [x1, #RT_CONTEXT_D8 + 32]
    ldp     d14, d15, [x1, #RT_CONTEXT_D8 + 48]
    ldr     x9,       [x1, #RT_CONTEXT_FPCR]
    msr     fpcr, x9
    /* 3. return into the other context (to x30) */
    ret
    .cfi_endproc
    .size   rt_context_switch, .-rt_context_switch

/* The first code a fresh context runs: entry(arg), which never returns. */
    .globl  rt_context_start
    .type   rt_context_start, %function
    .p2align 4
rt_context_start:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x19
    mov     x29, #0
    blr     x20
    brk     #1
    .cfi_endproc
    .size   rt_context_start, .-rt_context_start
#endif

    .section .note.GNU-stack,"",%progbits
