// resilient/export.hpp: the export side of the resilient layout metadata
// format (docs/FORMAT.md) for C++ libraries. Header-only: it only lays out
// constant data (descriptors, the manifest, scalar symbols) and the
// witnesses, and links nothing (a plugin never needs the C API).
//
//     struct Widget { uint64_t id; float weight; std::string label; };
//     RESILIENT_EXPORT_TYPE(Widget, id, weight)          // fields listed once
//     RESILIENT_EXPORT_MODULE("widgets", "1.0.0", Widget)
//
// emits `Widget_size`, `Widget_align`, `Widget_<field>_offset` (size_t),
// `Widget_descriptor`, `resilient_manifest` and the witnesses (constructor,
// copy constructor, destructor), every number from sizeof/alignof/offsetof,
// with static_asserts, and the same fingerprint as the Rust producer. List
// the fields in declaration order; build with -fvisibility-inlines-hidden
// (the CMake target resilient::export does).
#ifndef RESILIENT_EXPORT_HPP
#define RESILIENT_EXPORT_HPP

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "resilient/identity.hpp"
#include "resilient/layout.h"

#define RSL_API __attribute__((visibility("default")))

namespace rsl {

// -------------------------------------------------------------- fingerprint

// FNV-1a 64 over the stream of docs/FORMAT.md ("The fingerprint").
struct Fnv {
    std::uint64_t h = 0xcbf29ce484222325ull;
    constexpr void byte(std::uint8_t b) { h = (h ^ b) * 0x100000001b3ull; }
    constexpr void word(std::uint64_t w) {
        for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(w >> (8 * i)));
    }
    constexpr void str(const rsl_str &s) {
        word(s.len);
        for (std::size_t i = 0; i < s.len; ++i) byte(static_cast<std::uint8_t>(s.ptr[i]));
    }
    constexpr void identity(const rsl_type_identity &id) {
        word(id.kind);
        str(id.name);
        word(id.size);
        word(id.align);
        word(id.count);
        if (id.element) {
            byte(1);
            identity(*id.element);
        } else {
            byte(0);
        }
    }
};

// Whether the listed fields are in declaration order (strictly increasing
// offsets): the fingerprint walks fields in that order, as the Rust producer
// does, so a type listed out of order would not match its Rust twin.
constexpr bool in_declaration_order(const rsl_field_descriptor *fields, std::size_t n) {
    for (std::size_t i = 1; i < n; ++i)
        if (fields[i].offset <= fields[i - 1].offset) return false;
    return true;
}

constexpr std::uint64_t fingerprint(std::size_t size, std::size_t align, std::size_t stride,
                                    const rsl_field_descriptor *fields, std::size_t n) {
    Fnv f;
    f.word(size);
    f.word(align);
    f.word(stride);
    f.word(n);
    for (std::size_t i = 0; i < n; ++i) {
        f.str(fields[i].name);
        f.word(fields[i].offset);
        f.identity(fields[i].identity);
    }
    return f.h;
}

// ---------------------------------------------------------------- witnesses

// Whether values of T may move to, and be destroyed on, another thread
// (RSL_FLAG_SEND). C++ cannot tell, so a library says so for its type by
// specialising this before exporting it:
//   template <> struct rsl::thread_movable<Widget> : std::true_type {};
template <class T>
struct thread_movable : std::false_type {};

// The library's own code for values of T. Never throw across the boundary:
// an exception inside terminates the process. Internal linkage: the
// manifest's witness pointers bind to this library's own functions even when
// another version of the library is loaded with global visibility. (The
// constructors and destructor they call are the type's own inline members:
// build plugins with -fvisibility-inlines-hidden, as the CMake target does,
// so that those bind locally too.)
namespace {
template <class T>
struct witness {
    static void drop(void *p) noexcept { static_cast<T *>(p)->~T(); }
    static void clone(void *dst, const void *src) noexcept { ::new (dst) T(*static_cast<const T *>(src)); }
    static void default_init(void *dst) noexcept { ::new (dst) T(); }

    static constexpr rsl_value_witnesses table() {
        // `if constexpr`: a witness is instantiated only where T has the
        // operation (a move-only or non-default-constructible type exports
        // without it).
        rsl_value_witnesses w = {nullptr, nullptr, nullptr};
        if constexpr (!std::is_trivially_destructible<T>::value) w.drop = &drop;
        if constexpr (std::is_copy_constructible<T>::value) w.clone = &clone;
        if constexpr (std::is_default_constructible<T>::value) w.default_init = &default_init;
        return w;
    }
    static constexpr std::uint32_t flags() {
        std::uint32_t f = 0;
        if (!std::is_trivially_destructible<T>::value) f |= RSL_FLAG_NEEDS_DROP;
        if (std::is_copy_constructible<T>::value) f |= RSL_FLAG_CLONABLE;
        if (std::is_default_constructible<T>::value) f |= RSL_FLAG_DEFAULT_INIT;
        // Plain old data: a bitwise copy is a copy (and copying is allowed),
        // nothing to destroy, and zero bytes are a value.
        if (std::is_trivially_copyable<T>::value && std::is_copy_constructible<T>::value &&
            std::is_trivially_destructible<T>::value && std::is_trivially_default_constructible<T>::value)
            f |= RSL_FLAG_POD;
        if (thread_movable<T>::value) f |= RSL_FLAG_SEND;
        return f;
    }
};
}  // namespace

}  // namespace rsl

// ------------------------------------------------------------------- export

#define RSL_CAT_(a, b) a##b
#define RSL_CAT(a, b) RSL_CAT_(a, b)
#define RSL_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, N, ...) N
#define RSL_NARGS(...) RSL_NARGS_(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define RSL_EACH_1(M, T, a) M(T, a)
#define RSL_EACH_2(M, T, a, ...) M(T, a) RSL_EACH_1(M, T, __VA_ARGS__)
#define RSL_EACH_3(M, T, a, ...) M(T, a) RSL_EACH_2(M, T, __VA_ARGS__)
#define RSL_EACH_4(M, T, a, ...) M(T, a) RSL_EACH_3(M, T, __VA_ARGS__)
#define RSL_EACH_5(M, T, a, ...) M(T, a) RSL_EACH_4(M, T, __VA_ARGS__)
#define RSL_EACH_6(M, T, a, ...) M(T, a) RSL_EACH_5(M, T, __VA_ARGS__)
#define RSL_EACH_7(M, T, a, ...) M(T, a) RSL_EACH_6(M, T, __VA_ARGS__)
#define RSL_EACH_8(M, T, a, ...) M(T, a) RSL_EACH_7(M, T, __VA_ARGS__)
#define RSL_EACH_9(M, T, a, ...) M(T, a) RSL_EACH_8(M, T, __VA_ARGS__)
#define RSL_EACH_10(M, T, a, ...) M(T, a) RSL_EACH_9(M, T, __VA_ARGS__)
#define RSL_EACH_11(M, T, a, ...) M(T, a) RSL_EACH_10(M, T, __VA_ARGS__)
#define RSL_EACH_12(M, T, a, ...) M(T, a) RSL_EACH_11(M, T, __VA_ARGS__)
#define RSL_EACH_13(M, T, a, ...) M(T, a) RSL_EACH_12(M, T, __VA_ARGS__)
#define RSL_EACH_14(M, T, a, ...) M(T, a) RSL_EACH_13(M, T, __VA_ARGS__)
#define RSL_EACH_15(M, T, a, ...) M(T, a) RSL_EACH_14(M, T, __VA_ARGS__)
#define RSL_EACH_16(M, T, a, ...) M(T, a) RSL_EACH_15(M, T, __VA_ARGS__)
#define RSL_EACH(M, T, ...) RSL_CAT(RSL_EACH_, RSL_NARGS(__VA_ARGS__))(M, T, __VA_ARGS__)

#define RSL_OFFSET_SYMBOL_(T, f)                                                                      \
    extern "C" RSL_API const std::size_t T##_##f##_offset;                                           \
    const std::size_t T##_##f##_offset = offsetof(T, f);                                             \
    static_assert(T##_fields_check_<offsetof(T, f) + sizeof(decltype(T::f)) <= sizeof(T)>::ok,       \
                  "field " #f " lies inside " #T);                                                    \
    static_assert(::rsl::identity<decltype(T::f)>::value.size == sizeof(decltype(T::f)) &&            \
                      ::rsl::identity<decltype(T::f)>::value.align == alignof(decltype(T::f)),         \
                  "the identity of " #T "::" #f " has its size and alignment");
#define RSL_FIELD_RECORD_(T, f) {{#f, sizeof(#f) - 1}, offsetof(T, f), ::rsl::identity<decltype(T::f)>::value},

// Exports type T (any class whose listed fields are accessible) with the
// listed fields (at most 16): scalar symbols, descriptor and witnesses.
#define RESILIENT_EXPORT_TYPE(T, ...)                                                                 \
    namespace rsl {                                                                                   \
    namespace {                                                                                       \
    template <>                                                                                       \
    struct identity<T> {                                                                              \
        [[maybe_unused]] static constexpr rsl_type_identity value = {                                 \
            RSL_KIND_RESILIENT, 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), 0, nullptr};           \
    };                                                                                                \
    }                                                                                                 \
    }                                                                                                 \
    template <bool B>                                                                                 \
    struct T##_fields_check_ {                                                                        \
        static constexpr bool ok = B;                                                                 \
    };                                                                                                \
    extern "C" RSL_API const std::size_t T##_size;                                                    \
    const std::size_t T##_size = sizeof(T);                                                           \
    extern "C" RSL_API const std::size_t T##_align;                                                   \
    const std::size_t T##_align = alignof(T);                                                         \
    RSL_EACH(RSL_OFFSET_SYMBOL_, T, __VA_ARGS__)                                                      \
    static constexpr rsl_field_descriptor T##_fields_[] = {RSL_EACH(RSL_FIELD_RECORD_, T, __VA_ARGS__)}; \
    /* The manifest points at this internal name, so that it binds to this \
       library's descriptor even beside another version loaded globally;  \
       T_descriptor is an alias of it, the same record at the same address \
       (readers check that the record is exported under that name). */    \
    static constexpr rsl_type_descriptor T##_descriptor_local_ __asm__(#T "_descriptor_local_") = {  \
        ::rsl::witness<T>::flags(), 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), sizeof(T),         \
        ::rsl::fingerprint(sizeof(T), alignof(T), sizeof(T), T##_fields_,                             \
                           sizeof(T##_fields_) / sizeof(T##_fields_[0])),                             \
        sizeof(T##_fields_) / sizeof(T##_fields_[0]), T##_fields_, ::rsl::witness<T>::table()};      \
    extern "C" RSL_API const rsl_type_descriptor T##_descriptor                                       \
        __attribute__((alias(#T "_descriptor_local_")));                                              \
    static_assert(sizeof(T) % alignof(T) == 0, #T ": size is a multiple of alignment");                \
    static_assert(::rsl::in_declaration_order(T##_fields_, sizeof(T##_fields_) / sizeof(T##_fields_[0])), \
                  #T ": list the exported fields in declaration order");

// Exports the module manifest listing the exported types. One per library.
#define RSL_DESC_PTR_(unused, T) &T##_descriptor_local_,
#define RESILIENT_EXPORT_MODULE(NAME, VERSION, ...)                                                   \
    static const rsl_type_descriptor *const rsl_module_types_[] = {RSL_EACH(RSL_DESC_PTR_, _, __VA_ARGS__)}; \
    extern "C" RSL_API const rsl_manifest resilient_manifest;                                         \
    const rsl_manifest resilient_manifest = {                                                         \
        {'R', 'S', 'L', 'N', 'T', 'M', 'F', 0},                                                       \
        RSL_FORMAT_VERSION,                                                                           \
        sizeof(rsl_manifest),                                                                         \
        sizeof(rsl_type_descriptor),                                                                  \
        sizeof(rsl_field_descriptor),                                                                 \
        sizeof(void *),                                                                               \
        RSL_LITTLE_ENDIAN,                                                                            \
        {0, 0, 0, 0, 0, 0},                                                                           \
        {NAME, sizeof(NAME) - 1},                                                                     \
        {VERSION, sizeof(VERSION) - 1},                                                               \
        sizeof(rsl_module_types_) / sizeof(rsl_module_types_[0]),                                     \
        rsl_module_types_,                                                                            \
        0, 0, 0, nullptr, 0, 0, 0, nullptr};

#endif  // RESILIENT_EXPORT_HPP
