/*
 * The dynamic-stack trampoline used from Rust (resilient-types' `with_stack`).
 *
 * Rust has no `alloca`. This function allocates `size` bytes aligned to
 * `align` in its own stack frame and calls `fn(ctx, mem)`; the memory lives
 * until `fn` returns. `align` must be a nonzero power of two; `size` may be 0.
 * The caller bounds `size + align` (see `STACK_CAP`), so the frame cannot
 * overflow a normal thread stack.
 *
 * `fn` must not unwind through this frame: the Rust side catches panics in
 * the callback and resumes them after this function has returned.
 */
#include <alloca.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*rsl_stack_fn)(void *ctx, unsigned char *mem);

/* Probe step: no larger than the smallest guard page in use (4 KiB). */
#define RSL_PROBE_STEP 4096u

void rsl_with_stack(size_t size, size_t align, rsl_stack_fn fn, void *ctx) {
    size_t total = size + align;
    volatile unsigned char *raw = alloca(total);
    /* Stack-clash protection: alloca moves the stack pointer by up to
     * STACK_CAP at once, which could step over a thread's guard page into
     * another mapping. Touch one byte per page, from the top of the block
     * (next to the caller's frame) down, before anything else is written
     * below it: a block that reaches the guard page faults there, as a stack
     * overflow, instead of writing past it. (The build also asks the
     * compiler for -fstack-clash-protection, which probes inside alloca.) */
    for (size_t off = total; off > RSL_PROBE_STEP; off -= RSL_PROBE_STEP) raw[off - RSL_PROBE_STEP] = 0;
    raw[0] = 0;
    uintptr_t p = ((uintptr_t)raw + (align - 1)) & ~(uintptr_t)(align - 1);
    fn(ctx, (unsigned char *)p);
}
