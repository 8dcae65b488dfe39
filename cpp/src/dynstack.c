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

void rsl_with_stack(size_t size, size_t align, rsl_stack_fn fn, void *ctx) {
    unsigned char *raw = alloca(size + align);
    uintptr_t p = ((uintptr_t)raw + (align - 1)) & ~(uintptr_t)(align - 1);
    fn(ctx, (unsigned char *)p);
}
