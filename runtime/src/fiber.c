/*
 * fiber.c - a context switch, and telling the tools that we switch stacks.
 *
 * Chapter: chapters/appendix-runtime.md#the-context-switch
 *
 * The switch itself is assembly (runtime/arch/). Around it, tools that watch memory need
 * to be told that the program now runs on a different stack, or they get confused:
 *   - AddressSanitizer: __sanitizer_start_switch_fiber before, ..._finish_... after
 *     (otherwise it treats the new stack as a wild stack and may report false errors);
 *   - ThreadSanitizer: each task is a TSan "fiber" (its own shadow call stack and clock);
 *     __tsan_switch_to_fiber must come immediately before the switch, so nothing
 *     instrumented runs between the two (fiber_switch is not instrumented for TSan, and
 *     the switch is assembly, which TSan never instruments);
 *   - Valgrind: stacks are registered once per slot in stack.c.
 * In a normal build every hook compiles to nothing.
 */
#include "internal.h"

#include <pthread.h>
#include <stdint.h>

#if RT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if RT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* ------------------------------------------------------------ rt_context_make */

#if defined(__x86_64__)
void rt_context_start(void); /* switch_x86_64.S */

void rt_context_make(struct rt_context *ctx, void *stack_low, size_t stack_size,
                     void (*entry)(void *arg), void *arg)
{
    /* The ABI wants rsp 16-byte aligned at a call; rt_context_start is reached by `ret`
     * (which pops 8 bytes), so the saved rsp sits 8 below an aligned top. */
    uintptr_t top = ((uintptr_t)stack_low + stack_size) & ~(uintptr_t)15;
    uintptr_t *sp = (uintptr_t *)(top - 8);
    *sp = (uintptr_t)rt_context_start;
    *ctx = (struct rt_context){
        .rsp = (uintptr_t)sp,
        .rbp = 0, /* ends the frame-pointer chain for debuggers */
        .r12 = (uintptr_t)arg,
        .r13 = (uintptr_t)entry,
        .mxcsr = 0x1F80,            /* round to nearest, all SSE exceptions masked */
        .x87_control_word = 0x037F, /* the same for x87, extended precision */
    };
}

uintptr_t rt_context_stack_pointer(const struct rt_context *ctx)
{
    return ctx->rsp;
}
#elif defined(__aarch64__)
void rt_context_start(void); /* switch_aarch64.S */

void rt_context_make(struct rt_context *ctx, void *stack_low, size_t stack_size,
                     void (*entry)(void *arg), void *arg)
{
    uintptr_t top = ((uintptr_t)stack_low + stack_size) & ~(uintptr_t)15;
    *ctx = (struct rt_context){
        .sp = top,
        .x30 = (uintptr_t)rt_context_start,
        .x29 = 0,
        .fpcr = 0, /* round to nearest, no traps */
    };
    ctx->x19_x28[0] = (uintptr_t)arg;   /* x19 */
    ctx->x19_x28[1] = (uintptr_t)entry; /* x20 */
}

uintptr_t rt_context_stack_pointer(const struct rt_context *ctx)
{
    return ctx->sp;
}
#endif

/* ------------------------------------------------------------ fibers */

void fiber_make(struct fiber *f, void *stack_low, size_t size, void (*entry)(void *), void *arg)
{
    rt_context_make(&f->context, stack_low, size, entry, arg);
    f->stack_low = stack_low;
    f->stack_size = size;
#if RT_TSAN
    f->tsan_fiber = __tsan_create_fiber(0);
#else
    f->tsan_fiber = NULL;
#endif
}

void fiber_destroy(struct fiber *f)
{
#if RT_ASAN
    /* The frames a task abandoned on its stack (its last ones, or all of them after a panic)
     * left ASan's redzone marks behind. Clear them, from just below the deepest saved frame
     * to the top, before the stack is reused (clearing all of it would touch the shadow of
     * every page). 128 bytes: the x86-64 red zone below the stack pointer. */
    uintptr_t low = (uintptr_t)f->stack_low, top = low + f->stack_size;
    uintptr_t from = rt_context_stack_pointer(&f->context) - 128;
    if (from < low || from > top)
        from = low;
    __asan_unpoison_memory_region((void *)from, top - from);
#endif
#if RT_TSAN
    if (f->tsan_fiber)
        __tsan_destroy_fiber(f->tsan_fiber);
#endif
    f->tsan_fiber = NULL;
}

void fiber_init_for_thread(struct fiber *f)
{
    pthread_attr_t attr;
    void *low = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &low, &size);
        pthread_attr_destroy(&attr);
    }
    f->stack_low = low;
    f->stack_size = size;
#if RT_TSAN
    f->tsan_fiber = __tsan_get_current_fiber();
#else
    f->tsan_fiber = NULL;
#endif
}

#if RT_TSAN
__attribute__((no_sanitize_thread))
#endif
void fiber_switch(struct fiber *from, struct fiber *to, bool is_exiting)
{
#if RT_ASAN
    /* ASan keeps "fake stack" frames per fiber; ours is saved in this very frame, which
     * survives on from's stack until we are switched back in. NULL: from is gone for good. */
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(is_exiting ? NULL : &fake_stack, to->stack_low, to->stack_size);
#else
    (void)is_exiting;
#endif
#if RT_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    rt_context_switch(&from->context, &to->context);
    /* We are `from` again, resumed by some thread's scheduler (or task). */
#if RT_ASAN
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}

void fiber_started(void)
{
#if RT_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}
