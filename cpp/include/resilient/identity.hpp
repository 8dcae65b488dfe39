// resilient/identity.hpp: the type identities of field types (docs/FORMAT.md,
// `rsl_type_identity`), as constant records: one mapping from C++ types to
// the format's identities, shared by the export side (export.hpp: what a
// plugin's fields are) and the client (client.hpp: what a host's view
// expects). Header-only constant data; links nothing.
#ifndef RESILIENT_IDENTITY_HPP
#define RESILIENT_IDENTITY_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "resilient/layout.h"

namespace rsl {

// Rust's usize and isize. C++ cannot tell them from u64 and i64 by type
// (std::size_t is std::uint64_t on LP64 targets, and maps to `u64`), so a
// field, parameter or result that is a Rust usize is spelled rsl::usize: a
// std::size_t that converts to and from one implicitly.
struct usize {
    std::size_t value;
    usize() = default;
    constexpr usize(std::size_t v) noexcept : value(v) {}
    constexpr operator std::size_t() const noexcept { return value; }
};
struct isize {
    std::ptrdiff_t value;
    isize() = default;
    constexpr isize(std::ptrdiff_t v) noexcept : value(v) {}
    constexpr operator std::ptrdiff_t() const noexcept { return value; }
};
static_assert(sizeof(usize) == sizeof(std::size_t) && alignof(usize) == alignof(std::size_t) &&
                  sizeof(isize) == sizeof(std::ptrdiff_t) && alignof(isize) == alignof(std::ptrdiff_t),
              "rsl::usize and rsl::isize have the layout of the integers they hold");

// ---------------------------------------------------------------- identities

// Identities live in an unnamed namespace: each library gets its own copy
// with internal linkage. (As inline variables of a class template they
// would be STB_GNU_UNIQUE objects, bound process-wide to the first loaded
// library's copy, and a second library's metadata would point into the
// first one's image, which validators rightly refuse.)
namespace {

template <class T, class = void>
struct identity;  // no identity: the field cannot be exported or viewed

#define RSL_SCALAR(T, NAME)                                                                  \
    template <>                                                                              \
    struct identity<T> {                                                                     \
        static constexpr rsl_type_identity value = {                                         \
            RSL_KIND_SCALAR, 0, {NAME, sizeof(NAME) - 1}, sizeof(T), alignof(T), 0, nullptr}; \
    };
RSL_SCALAR(std::uint8_t, "u8")
RSL_SCALAR(std::uint16_t, "u16")
RSL_SCALAR(std::uint32_t, "u32")
RSL_SCALAR(std::uint64_t, "u64")
RSL_SCALAR(std::int8_t, "i8")
RSL_SCALAR(std::int16_t, "i16")
RSL_SCALAR(std::int32_t, "i32")
RSL_SCALAR(std::int64_t, "i64")
RSL_SCALAR(float, "f32")
RSL_SCALAR(double, "f64")
RSL_SCALAR(bool, "bool")
RSL_SCALAR(char32_t, "char")  // a Unicode scalar value, as Rust's char
RSL_SCALAR(usize, "usize")
RSL_SCALAR(isize, "isize")
#undef RSL_SCALAR

template <class E, std::size_t N>
struct identity<E[N]> {
    static constexpr rsl_type_identity value = {
        RSL_KIND_ARRAY, 0, {"", 0}, sizeof(E[N]), alignof(E[N]), N, &identity<E>::value};
};

template <class E, std::size_t N>
struct identity<std::array<E, N>> {
    static constexpr rsl_type_identity value = {
        RSL_KIND_ARRAY, 0, {"", 0}, sizeof(std::array<E, N>), alignof(std::array<E, N>), N, &identity<E>::value};
};
static_assert(sizeof(std::array<std::uint8_t, 4>) == 4, "std::array has no padding here");

}  // namespace

}  // namespace rsl

#endif  // RESILIENT_IDENTITY_HPP
