/*
 * rt_context_impl.h - a task's saved registers (NOT API: the runtime appendix takes it apart).
 *
 * Chapter: chapters/appendix-runtime.md#the-context-switch
 *
 * A stackful task stops in the middle of a C function. To resume it later we need exactly
 * what the C calling convention promises a caller survives a call: the stack pointer and the
 * callee-saved registers, plus the floating-point *control* state (rounding mode, exception
 * masks), which the ABI also treats as preserved. Everything else (the caller-saved
 * registers) is already dead across a call, so the switch is a function call that returns
 * on another stack. We deliberately do not save the signal mask: swapcontext() does, and
 * that costs a system call per switch (the reason we do not use ucontext on the hot path).
 *
 * This header is read by C and by the assembly (runtime/arch/switch_*.S): the offsets are
 * macros for the assembly, and _Static_asserts keep the C struct in step with them.
 */
#ifndef SPAWNLAB_RT_CONTEXT_IMPL_H
#define SPAWNLAB_RT_CONTEXT_IMPL_H

#if defined(__x86_64__)
/* x86-64 System V: rsp, then the callee-saved rbx rbp r12-r15, then MXCSR (SSE control and
 * status) and the x87 control word. The return address is not a field: it sits on the
 * saved stack, where `call` put it, and `ret` in the switch pops it. */
#define RT_CONTEXT_RSP   0
#define RT_CONTEXT_RBX   8
#define RT_CONTEXT_RBP   16
#define RT_CONTEXT_R12   24
#define RT_CONTEXT_R13   32
#define RT_CONTEXT_R14   40
#define RT_CONTEXT_R15   48
#define RT_CONTEXT_MXCSR 56
#define RT_CONTEXT_X87CW 60
#define RT_CONTEXT_SIZE  64
#elif defined(__aarch64__)
/* AArch64 AAPCS64: sp, x19-x28, the frame pointer x29, the link register x30 (where the
 * switch "returns" to), the low halves d8-d15 of v8-v15, and FPCR (rounding, traps). */
#define RT_CONTEXT_SP   0
#define RT_CONTEXT_X19  8
#define RT_CONTEXT_X29  88
#define RT_CONTEXT_X30  96
#define RT_CONTEXT_D8   104
#define RT_CONTEXT_FPCR 168
#define RT_CONTEXT_SIZE 176
#else
#error "spawnlab's runtime has a context switch for x86-64 and aarch64 only"
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
struct rt_context {
    uint64_t rsp;
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint32_t mxcsr;
    uint16_t x87_control_word;
    uint16_t unused;
};
_Static_assert(offsetof(struct rt_context, rsp) == RT_CONTEXT_RSP, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, rbx) == RT_CONTEXT_RBX, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, rbp) == RT_CONTEXT_RBP, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, r12) == RT_CONTEXT_R12, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, r13) == RT_CONTEXT_R13, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, r14) == RT_CONTEXT_R14, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, r15) == RT_CONTEXT_R15, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, mxcsr) == RT_CONTEXT_MXCSR, "switch_x86_64.S");
_Static_assert(offsetof(struct rt_context, x87_control_word) == RT_CONTEXT_X87CW,
               "switch_x86_64.S");
#else
struct rt_context {
    uint64_t sp;
    uint64_t x19_x28[10];
    uint64_t x29; /* frame pointer */
    uint64_t x30; /* link register: where rt_context_switch returns to */
    uint64_t d8_d15[8];
    uint64_t fpcr;
};
_Static_assert(offsetof(struct rt_context, sp) == RT_CONTEXT_SP, "switch_aarch64.S");
_Static_assert(offsetof(struct rt_context, x19_x28) == RT_CONTEXT_X19, "switch_aarch64.S");
_Static_assert(offsetof(struct rt_context, x29) == RT_CONTEXT_X29, "switch_aarch64.S");
_Static_assert(offsetof(struct rt_context, x30) == RT_CONTEXT_X30, "switch_aarch64.S");
_Static_assert(offsetof(struct rt_context, d8_d15) == RT_CONTEXT_D8, "switch_aarch64.S");
_Static_assert(offsetof(struct rt_context, fpcr) == RT_CONTEXT_FPCR, "switch_aarch64.S");
#endif
_Static_assert(sizeof(struct rt_context) == RT_CONTEXT_SIZE, "runtime/arch/switch_*.S");

/* Saves the running code's registers into *save and loads *load: returns on load's stack,
 * to wherever load last called rt_context_switch (or to its entry, for a fresh context).
 * It returns to the caller only when someone later switches back into *save.
 * Plain code: never call it with a sanitizer's fiber bookkeeping skipped (see fiber.c).
 * Any thread. Written in assembly: runtime/arch/switch_x86_64.S, switch_aarch64.S. */
void rt_context_switch(struct rt_context *save, const struct rt_context *load);

/* Prepares *ctx so that the first switch into it calls entry(arg) on the stack
 * [stack_low, stack_low + stack_size). entry must never return (it switches away instead).
 * New contexts start with the ABI's default floating-point control state. */
void rt_context_make(struct rt_context *ctx, void *stack_low, size_t stack_size,
                     void (*entry)(void *arg), void *arg);

/* The stack pointer saved in ctx (where the context's deepest frame ended). */
uintptr_t rt_context_stack_pointer(const struct rt_context *ctx);
#endif /* __ASSEMBLER__ */

#endif
