// resilient/function.hpp: what crosses in a call of an exported function
// (docs/FORMAT.md, "Functions"), shared by the export side (export.hpp: the
// thunks a plugin generates) and the client (client.hpp: the calls a host
// makes): rsl::Slice<T>, Rust's `&[T]` in C++, and how scalars, strings and
// slices are lowered to a thunk's parameters. Header-only; links nothing.
//
// How C++ types cross (the pass codes of layout.h):
//
//   C++                              Rust          pass
//   uint8_t ... int64_t, float,      u8 ... i64,   RSL_PASS_VALUE
//   double, bool, char32_t,          f32, f64,
//   rsl::usize, rsl::isize           bool, char,
//                                    usize, isize
//   std::string_view                 &str          RSL_PASS_STR (an rsl_slice of UTF-8 bytes)
//   rsl::Slice<T>, T a number        &[T]          RSL_PASS_SLICE (an rsl_slice of elements)
//   void (a result)                  ()            RSL_PASS_UNIT
//
// and exported types by reference (export.hpp: const T&, T&, const T*;
// client.hpp: rsl::Ref, rsl::Mut, rsl::OptRef).
#ifndef RESILIENT_FUNCTION_HPP
#define RESILIENT_FUNCTION_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "resilient/identity.hpp"
#include "resilient/layout.h"

namespace rsl {

// `&[T]` of a number T: a pointer and a count, borrowed for the call. Made
// from a pointer and a size, a C array, a std::array or a std::vector.
template <class T>
class Slice {
  public:
    constexpr Slice() noexcept = default;
    constexpr Slice(const T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr Slice(const T (&a)[N]) noexcept : data_(a), size_(N) {}
    template <std::size_t N>
    constexpr Slice(const std::array<T, N> &a) noexcept : data_(a.data()), size_(N) {}
    Slice(const std::vector<T> &v) noexcept : data_(v.data()), size_(v.size()) {}

    constexpr const T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr const T *begin() const noexcept { return data_; }
    constexpr const T *end() const noexcept { return data_ + size_; }
    constexpr const T &operator[](std::size_t i) const noexcept { return data_[i]; }

  private:
    const T *data_ = nullptr;
    std::size_t size_ = 0;
};

// What a thunk returns for a result passed by value (RSL_PASS_VALUE): the
// value and the status, in registers (layout.h's RSL_RET, as a named
// type). `value` means nothing unless `status` is RSL_STATUS_OK.
template <class T>
struct ret {
    T value;
    std::uint32_t status;
};

// Internal linkage, as the identities this reads (identity.hpp says why).
namespace {
namespace lowering {

template <class T>
constexpr bool always_false = false;

// The kind of T's identity, or 0 if T has none (yet: a type exported with
// RESILIENT_EXPORT_TYPE has one after the macro).
template <class T, class = void>
struct identity_kind : std::integral_constant<std::uint32_t, 0> {};
template <class T>
struct identity_kind<T, std::void_t<decltype(identity<T>::value)>>
    : std::integral_constant<std::uint32_t, identity<T>::value.kind> {};

// A scalar by value: a number, bool, char32_t, rsl::usize or rsl::isize.
template <class T>
constexpr bool is_scalar = identity_kind<T>::value == RSL_KIND_SCALAR;
// An exported (resilient) type: crosses by reference only.
template <class T>
constexpr bool is_resilient = identity_kind<T>::value == RSL_KIND_RESILIENT;
// A slice element: a scalar that any bits are a value of (Rust's
// `&[T]` takes `T: Pod`: not bool, not char).
template <class T>
constexpr bool is_slice_element = is_scalar<T> && !std::is_same<T, bool>::value && !std::is_same<T, char32_t>::value;

// A scalar's form in a thunk's signature: itself, but rsl::usize and
// rsl::isize cross as the integers they hold.
template <class T>
struct lowered {
    using type = T;
};
template <>
struct lowered<usize> {
    using type = std::size_t;
};
template <>
struct lowered<isize> {
    using type = std::ptrdiff_t;
};

// `size` elements at `data` as they cross. Never a null pointer: a Rust
// library makes a slice of it, which may be empty but never null, so an
// empty slice without storage gets a dangling, aligned address, as Rust's.
template <class T>
inline rsl_slice lower_slice(const T *data, std::size_t size) noexcept {
    if (data == nullptr) data = reinterpret_cast<const T *>(alignof(T));
    return rsl_slice{data, size};
}

// The identities the format gives `&str` and `()` (what the Rust producer
// writes: TypeIdentity::opaque::<u8>("str"), <() as FieldType>::IDENTITY).
constexpr rsl_type_identity str_identity = {RSL_KIND_OPAQUE, 0, {"str", 3}, 1, 1, 0, nullptr};
constexpr rsl_type_identity unit_identity = {RSL_KIND_OPAQUE, 0, {"()", 2}, 0, 1, 0, nullptr};

constexpr std::size_t max_params = 64;

// Parameter names: C++ has none in a function's type, so p0, p1, ... (the
// Rust host's names for the parameters it passes; names do not matter when
// binding).
struct param_names {
    char text[max_params][4];
    constexpr param_names() : text{} {
        for (std::size_t i = 0; i < max_params; ++i) {
            text[i][0] = 'p';
            if (i < 10) {
                text[i][1] = static_cast<char>('0' + i);
            } else {
                text[i][1] = static_cast<char>('0' + i / 10);
                text[i][2] = static_cast<char>('0' + i % 10);
            }
        }
    }
};
constexpr param_names names{};
constexpr rsl_str param_name(std::size_t i) { return {names.text[i], i < 10 ? 2u : 3u}; }

// The length of a NUL-terminated string, at compile time.
constexpr std::size_t length(const char *s) {
    std::size_t n = 0;
    while (s[n] != 0) ++n;
    return n;
}

// Whether `c` is a Unicode scalar value (what a Rust char holds).
constexpr bool valid_char(char32_t c) noexcept {
    return c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
}

}  // namespace lowering
}  // namespace

}  // namespace rsl

#endif  // RESILIENT_FUNCTION_HPP
