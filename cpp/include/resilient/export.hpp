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
//
// Functions are exported by naming them once; the signature comes from the
// function's type:
//
//     static double weight_lb(const Widget &w) { return w.weight * 2.2046226; }
//     static std::uint64_t parse_id(std::string_view text);  // throws rsl::Failure
//     RESILIENT_EXPORT_FUNCTION(weight_lb)
//     RESILIENT_EXPORT_FUNCTION(parse_id)
//     RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("widgets", "1.1.0", (Widget, Point), (weight_lb, parse_id))
//
// emits, per function, a thunk (docs/FORMAT.md, "Functions") and its record,
// both internal to the library, with the same identities as the Rust
// producer (`#[layout_meta::export]`) for the same signature. Parameters:
// scalars (by value or const&; rsl::usize and rsl::isize for Rust's usize
// and isize), std::string_view (&str), rsl::Slice<T> (&[T]), and exported
// types as const T& (&T), T& (&mut T) or const T* (Option<&T>); results: a
// scalar or void. Every exception stops in the thunk: rsl::Failure is a
// failure (RSL_STATUS_FAILED, as a Rust Err), any other one RSL_STATUS_PANICKED
// with "`name` threw: " and its what(); the message is allocated with
// malloc and freed by the library's own function. The function itself needs
// no linkage: make it static (or put it in an unnamed namespace), so that
// the thunk calls this library's code even beside another version loaded
// with global visibility.
//
// Interface implementations (docs/FORMAT.md, "Interfaces": Rust's
// `#[layout_meta::export] impl Describe for Widget`) are exported by naming
// the member functions once; each signature comes from its type:
//
//     struct Widget {
//         ...
//         std::uint64_t key() const noexcept { return id; }   // &self
//         void set_key(std::uint64_t k) noexcept { id = k; }   // &mut self
//     };
//     RESILIENT_EXPORT_IMPL(Widget, Describe, key, set_key)
//     RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS_AND_IMPLS("widgets", "1.1.0", (Widget, Point),
//                                                      (weight_lb, parse_id), ((Widget, Describe)))
//
// emits the implementation record and, per method, a thunk and its record,
// all internal to the library: the records the Rust producer writes for the
// same methods (the receiver `self` first, RSL_PASS_REF for a const member
// function, RSL_PASS_MUT otherwise, then the parameters and result as a
// function's), and the thunks take a pointer to the value first. Exceptions
// stop in the thunk as a function's do. RESILIENT_EXPORT_MODULE_WITH_IMPLS
// lists types and implementations without functions.
//
// Enums (docs/FORMAT.md, "Enums") are exported by naming their cases once.
// A fieldless enum class (an integer underlying type of 1, 2, 4 or 8 bytes)
// has a plain tag, the value itself: the records the Rust producer writes
// for a fieldless `#[repr(u8)]` enum of the same cases and values.
//
//     enum class Priority : std::uint8_t { Low, High = 5 };
//     RESILIENT_EXPORT_ENUM(Priority, Low, High)
//
// An enum whose cases carry payloads is a std::variant of one struct per
// case, each exported with its payload fields (a member `_0` is exported as
// `0`, the field of a Rust tuple case):
//
//     namespace status {
//     struct Idle {};
//     struct Busy { std::uint32_t jobs; };
//     struct Failed { std::int64_t _0; };       // Rust's Failed(i64)
//     }
//     using Status = std::variant<status::Idle, status::Busy, status::Failed>;
//     RESILIENT_EXPORT_CASE(status::Idle)
//     RESILIENT_EXPORT_CASE(status::Busy, jobs)
//     RESILIENT_EXPORT_CASE(status::Failed, _0)
//     RESILIENT_EXPORT_VARIANT(Status)
//
// Why std::variant rather than a tagged struct of our own: it is the
// standard closed sum type, it keeps the tag and the live payload
// consistent by construction (no union a library could misread), and it
// runs each case's constructors and destructor. Its layout is the
// compiler's own (libstdc++ and libc++ differ), so it is exported as not
// plain, as a Rust enum of the default representation is: hosts read a
// value's case (index()), reach a payload field (std::get_if) and build a
// case (in place) only through this library's witnesses. Both forms are
// listed in the module as any type, and struct fields, parameters and
// results of them cross as an exported type's (const Status&, Status by
// value).
#ifndef RESILIENT_EXPORT_HPP
#define RESILIENT_EXPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>
#include <type_traits>
#include <utility>
#include <variant>

#include "resilient/function.hpp"
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

// -------------------------------------------------------------------- enums

// The fingerprint of an enum (docs/FORMAT.md, "The fingerprint"): the
// stream the Rust producer hashes for the same records.
constexpr std::uint64_t enum_fingerprint(std::size_t size, std::size_t align, std::size_t stride,
                                         const rsl_enum_descriptor &e) {
    Fnv f;
    f.byte(0x0e);
    f.word(size);
    f.word(align);
    f.word(stride);
    if (e.enum_flags & RSL_ENUM_TAG_PLAIN) {
        f.byte(1);
        f.word(e.tag_offset);
        f.word(e.tag_size);
    } else {
        f.byte(0);
    }
    f.byte((e.enum_flags & RSL_ENUM_PAYLOAD_PLAIN) ? 1 : 0);
    f.word(e.case_count);
    for (std::size_t c = 0; c < e.case_count; ++c) {
        const rsl_case_descriptor &k = e.cases[c];
        f.str(k.name);
        f.word(k.tag);
        f.word(k.field_count);
        for (std::size_t i = 0; i < k.field_count; ++i) {
            f.str(k.fields[i].name);
            f.word(k.fields[i].offset);
            f.identity(k.fields[i].identity);
        }
    }
    return f.h;
}

// The enumerators a RESILIENT_EXPORT_ENUM lists, and the payload fields a
// RESILIENT_EXPORT_CASE lists (specialised by those macros).
namespace {
template <class E>
struct enumerators;
template <class C>
struct payload;
}  // namespace

// ---------------------------------------------------------------- functions

// Thrown by an exported function for an expected failure, as a Rust
// function returns Err: the thunk returns RSL_STATUS_FAILED with what() as
// the message. Any other exception is RSL_STATUS_PANICKED.
class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Internal linkage: every thunk, record and message function is this
// library's own (identity.hpp says why).
namespace {
namespace exporting {

using lowering::always_false;
using lowering::is_resilient;
using lowering::is_scalar;
using lowering::is_slice_element;

using lowering::length;
using lowering::max_params;
using lowering::param_name;
using lowering::str_identity;
using lowering::unit_identity;

// How a parameter of C++ type P crosses: its pass code and identity, its
// form in the thunk's signature (`ffi`), and the parameter made back from it.
template <class P, class = void>
struct param {
    static_assert(always_false<P>,
                  "an exported function takes scalars (by value or const&), std::string_view, "
                  "rsl::Slice<T> of a number, and exported types as const T&, T& or const T*");
    using ffi = int;
};

// A scalar by value (or by const&: it crosses by value).
template <class P>
struct param<P, std::enable_if_t<is_scalar<P>>> {
    static constexpr std::uint32_t pass = RSL_PASS_VALUE;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<P>::value;
    using ffi = typename lowering::lowered<P>::type;
    static P raise(ffi x) noexcept { return P(x); }
};
template <class P>
struct param<const P &, std::enable_if_t<is_scalar<P>>> : param<P> {};

template <>
struct param<std::string_view> {
    static constexpr std::uint32_t pass = RSL_PASS_STR;
    static constexpr const rsl_type_identity &identity = str_identity;
    using ffi = rsl_slice;
    static std::string_view raise(ffi s) noexcept { return {static_cast<const char *>(s.ptr), s.len}; }
};
template <>
struct param<const std::string_view &> : param<std::string_view> {};

template <class T>
struct param<Slice<T>> {
    static_assert(is_slice_element<T>, "rsl::Slice<T> crosses as Rust's &[T]: T is a number (not bool or char32_t)");
    static constexpr std::uint32_t pass = RSL_PASS_SLICE;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<T>::value;
    using ffi = rsl_slice;
    static Slice<T> raise(ffi s) noexcept { return {static_cast<const T *>(s.ptr), s.len}; }
};
template <class T>
struct param<const Slice<T> &> : param<Slice<T>> {};

// An exported type: by reference only.
template <class T>
struct param<T, std::enable_if_t<is_resilient<T>>> {
    static_assert(always_false<T>, "an exported type crosses by reference: take const T&, T& or const T*");
    using ffi = int;
};
template <class T>
struct param<const T &, std::enable_if_t<is_resilient<T>>> {
    static constexpr std::uint32_t pass = RSL_PASS_REF;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<T>::value;
    using ffi = const void *;
    static const T &raise(ffi p) noexcept { return *static_cast<const T *>(p); }
};
template <class T>
struct param<T &, std::enable_if_t<is_resilient<T> && !std::is_const<T>::value>> {
    static constexpr std::uint32_t pass = RSL_PASS_MUT;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<T>::value;
    using ffi = void *;
    static T &raise(ffi p) noexcept { return *static_cast<T *>(p); }
};
template <class T>
struct param<const T *, std::enable_if_t<is_resilient<T>>> {
    static constexpr std::uint32_t pass = RSL_PASS_OPT_REF;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<T>::value;
    using ffi = const void *;
    static const T *raise(ffi p) noexcept { return static_cast<const T *>(p); }
};
template <class T>
struct param<T *, std::enable_if_t<is_resilient<T> && !std::is_const<T>::value>> {
    static_assert(always_false<T>, "a T* parameter has no Rust form (Option<&mut T> does not cross): take T& or const T*");
    using ffi = int;
};

// How a result of C++ type R crosses: what `ret` points to (`ffi`) and
// what the thunk returns (`reg`: the status, or for a scalar the value and
// the status, rsl::ret), and `of`, the `reg` of a status with no value.
template <class R, class = void>
struct result {
    static_assert(always_false<R>, "an exported function returns a scalar, void, an exported type by value, std::string or std::vector of numbers");
    using ffi = int;
    using reg = std::uint32_t;
};
// The status alone: the result, if any, is written to *ret.
struct status_only {
    using reg = std::uint32_t;
    static constexpr reg of(std::uint32_t status) noexcept { return status; }
};
template <>
struct result<void> : status_only {
    static constexpr std::uint32_t pass = RSL_PASS_UNIT;
    static constexpr const rsl_type_identity &identity = unit_identity;
    using ffi = void;
};
// A scalar comes back in registers with the status; `ret` is unused.
template <class R>
struct result<R, std::enable_if_t<is_scalar<R>>> {
    static constexpr std::uint32_t pass = RSL_PASS_VALUE;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<R>::value;
    using ffi = void;
    using value = typename lowering::lowered<R>::type;
    using reg = ::rsl::ret<value>;
    static constexpr reg of(std::uint32_t status) noexcept { return reg{value{}, status}; }
};
// An exported type by value: constructed in the caller's room (of this
// library's size and alignment of R), which the caller then owns and
// destroys through R's drop witness.
template <class R>
struct result<R, std::enable_if_t<is_resilient<R>>> : status_only {
    static constexpr std::uint32_t pass = RSL_PASS_OWNED;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<R>::value;
    using ffi = void;
};

// A std::string by value (Rust's String result): its bytes copied once into
// a buffer of this library's malloc, which the caller frees through the
// record's `free`.
template <>
struct result<std::string> : status_only {
    static constexpr std::uint32_t pass = RSL_PASS_OWNED_STR;
    static constexpr const rsl_type_identity &identity = str_identity;
    using ffi = rsl_call_error;
};
// A std::vector<T> of numbers by value (Rust's Vec<T> result), likewise.
template <class T>
struct result<std::vector<T>, std::enable_if_t<is_slice_element<T>>> : status_only {
    static constexpr std::uint32_t pass = RSL_PASS_OWNED_SLICE;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<T>::value;
    using ffi = rsl_call_error;
};
template <class R>
constexpr bool is_owned_buf = result<R>::pass == RSL_PASS_OWNED_STR || result<R>::pass == RSL_PASS_OWNED_SLICE;

// Frees a message made by `message`: the library's own allocator.
void free_message(char *p, std::size_t, std::size_t) noexcept { std::free(p); }

// Hands `parts`, concatenated, to the caller as *err. Never throws: if
// memory is short the message is empty (the status still says what
// happened).
template <std::size_t N>
void message(rsl_call_error *err, const char *const (&parts)[N]) noexcept {
    std::size_t len = 0;
    for (const char *p : parts) len += std::strlen(p);
    const std::size_t cap = len == 0 ? 1 : len;
    char *bytes = static_cast<char *>(std::malloc(cap));
    std::size_t at = 0;
    if (bytes != nullptr) {
        for (const char *p : parts) {
            std::size_t n = std::strlen(p);
            std::memcpy(bytes + at, p, n);
            at += n;
        }
    }
    *err = rsl_call_error{bytes, at, bytes != nullptr ? cap : 0, &free_message};
}

// What the module's compile-time checks read of a function.
struct function_info {
    rsl_str name;
    std::size_t param_count;
    const rsl_param_descriptor *params;
    const rsl_param_descriptor *ret;
};

constexpr bool same(const rsl_str &a, const rsl_str &b) {
    if (a.len != b.len) return false;
    for (std::size_t i = 0; i < a.len; ++i)
        if (a.ptr[i] != b.ptr[i]) return false;
    return true;
}

constexpr bool distinct_names(const function_info *f, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j)
            if (same(f[i].name, f[j].name)) return false;
    return true;
}

constexpr bool references_listed(const function_info *f, std::size_t n, const rsl_str *types, std::size_t t) {
    for (std::size_t i = 0; i < n; ++i) {
        // Each parameter, then the result (an owned value).
        for (std::size_t p = 0; p <= f[i].param_count; ++p) {
            const rsl_param_descriptor &d = p < f[i].param_count ? f[i].params[p] : *f[i].ret;
            if (d.identity.kind != RSL_KIND_RESILIENT) continue;
            bool listed = false;
            for (std::size_t k = 0; k < t; ++k) listed = listed || same(d.identity.name, types[k]);
            if (!listed) return false;
        }
    }
    return true;
}

// What a thunk does around the call (docs/FORMAT.md, "Functions"): runs
// `call` (the exported function or method, its parameters raised), hands
// the result over (returned with the status for a scalar, else written to
// *ret), and stops every exception here: rsl::Failure is
// RSL_STATUS_FAILED with its what(), any other one RSL_STATUS_PANICKED
// naming `Name`; *err is written exactly when the status is not OK.
template <const char *Name, class R, class Call>
typename result<R>::reg run(typename result<R>::ffi *ret, rsl_call_error *err, Call &&call) noexcept {
    using out = result<R>;
    try {
        if constexpr (std::is_void<R>::value) {
            (void)ret;
            call();
        } else if constexpr (is_scalar<R>) {
            (void)ret;
            R r = call();
            if constexpr (std::is_same<R, char32_t>::value) {
                // A Rust char holds a Unicode scalar value, nothing else.
                if (!lowering::valid_char(r)) {
                    message(err, {"`", Name, "` returned a char32_t that is not a Unicode scalar value"});
                    return out::of(RSL_STATUS_PANICKED);
                }
            }
            return typename out::reg{static_cast<typename out::value>(r), RSL_STATUS_OK};
        } else if constexpr (is_resilient<R>) {
            // Constructed in place from the returned value (no copy).
            ::new (ret) R(call());
        } else if constexpr (is_owned_buf<R>) {
            R r = call();
            const std::size_t bytes = r.size() * sizeof(typename R::value_type);
            void *p = std::malloc(bytes == 0 ? 1 : bytes);
            if (p == nullptr) throw std::bad_alloc();
            if (bytes != 0) std::memcpy(p, r.data(), bytes);
            *ret = rsl_call_error{static_cast<char *>(p), r.size(), r.size(), &free_message};
        } else {
            static_assert(always_false<R>, "a result is void, a scalar, an exported type or an owned buffer");
        }
        return out::of(RSL_STATUS_OK);
    } catch (const Failure &e) {
        message(err, {e.what()});
        return out::of(RSL_STATUS_FAILED);
    } catch (const std::exception &e) {
        message(err, {"`", Name, "` threw: ", e.what()});
        return out::of(RSL_STATUS_PANICKED);
    } catch (...) {
        message(err, {"`", Name, "` threw an exception that is not a std::exception"});
        return out::of(RSL_STATUS_PANICKED);
    }
}

// The thunk and record of function F, exported as `Name`.
template <const char *Name, auto F, class Sig = decltype(F)>
struct function {
    static_assert(always_false<Sig>, "RESILIENT_EXPORT_FUNCTION takes a function (not a member function or object)");
};

template <const char *Name, auto F, class R, class... A, bool NoExcept>
struct function<Name, F, R (*)(A...) noexcept(NoExcept)> {
    static_assert(sizeof...(A) <= max_params, "an exported function has at most 64 parameters");
    using ret_ffi = typename result<R>::ffi;

    // The calling convention of docs/FORMAT.md: each parameter lowered, the
    // result returned (a scalar) or written to *ret, every exception
    // stopped here.
    static typename result<R>::reg thunk(typename param<A>::ffi... a, ret_ffi *ret, rsl_call_error *err) noexcept {
        return run<Name, R>(ret, err, [&] { return F(param<A>::raise(a)...); });
    }

    template <std::size_t... I>
    static constexpr std::array<rsl_param_descriptor, sizeof...(A)> make_params(std::index_sequence<I...>) {
        return {{rsl_param_descriptor{param_name(I), param<A>::pass, 0, param<A>::identity}...}};
    }
    static constexpr std::array<rsl_param_descriptor, sizeof...(A)> params =
        make_params(std::index_sequence_for<A...>{});
    static constexpr const rsl_param_descriptor *params_ptr = sizeof...(A) == 0 ? nullptr : params.data();
    static constexpr rsl_param_descriptor ret = {{"return", 6}, result<R>::pass, 0, result<R>::identity};
    static constexpr rsl_str name = {Name, length(Name)};
    // Fallible: the function may throw rsl::Failure (it is not noexcept).
    static constexpr std::uint32_t flags = NoExcept ? 0u : RSL_FN_FALLIBLE;
    static constexpr function_info info = {name, sizeof...(A), params_ptr, &ret};
};

// The thunk and record of member function M of T, exported as method
// `Name` of an interface implementation: the record the Rust producer
// writes for `fn name(&self, ...)` (Const) or `fn name(&mut self, ...)`, its
// first parameter the receiver `self` (RSL_PASS_REF or RSL_PASS_MUT of T),
// and the thunk takes a pointer to the value first.
template <const char *Name, class T, auto M, bool Const, bool NoExcept, class R, class... A>
struct method_record {
    static_assert(is_resilient<T>, "an implementing type is exported first (RESILIENT_EXPORT_TYPE)");
    static_assert(sizeof...(A) + 1 <= max_params, "an exported method has at most 64 parameters, the receiver included");
    using ret_ffi = typename result<R>::ffi;
    using self_ffi = std::conditional_t<Const, const void *, void *>;
    using self_ptr = std::conditional_t<Const, const T *, T *>;

    static typename result<R>::reg thunk(self_ffi self, typename param<A>::ffi... a, ret_ffi *ret,
                                         rsl_call_error *err) noexcept {
        self_ptr obj = static_cast<self_ptr>(self);
        return run<Name, R>(ret, err, [&] { return (obj->*M)(param<A>::raise(a)...); });
    }

    template <std::size_t... I>
    static constexpr std::array<rsl_param_descriptor, sizeof...(A) + 1> make_params(std::index_sequence<I...>) {
        return {{rsl_param_descriptor{{"self", 4}, Const ? RSL_PASS_REF : RSL_PASS_MUT, 0, ::rsl::identity<T>::value},
                 rsl_param_descriptor{param_name(I + 1), param<A>::pass, 0, param<A>::identity}...}};
    }
    static constexpr std::array<rsl_param_descriptor, sizeof...(A) + 1> params =
        make_params(std::index_sequence_for<A...>{});
    static constexpr const rsl_param_descriptor *params_ptr = params.data();
    static constexpr rsl_param_descriptor ret = {{"return", 6}, result<R>::pass, 0, result<R>::identity};
    static constexpr rsl_str name = {Name, length(Name)};
    static constexpr std::uint32_t flags = NoExcept ? 0u : RSL_FN_FALLIBLE;
    static constexpr function_info info = {name, sizeof...(A) + 1, params_ptr, &ret};
};

// Method `Name` of T from member function M: a const member function is
// `&self`, another one `&mut self` (a member of a base of T is called on
// the T).
template <const char *Name, class T, auto M, class Sig = decltype(M)>
struct method {
    static_assert(always_false<Sig>,
                  "RESILIENT_EXPORT_IMPL takes non-static member functions of the type: const for &self, "
                  "non-const for &mut self (not volatile, not &&-qualified)");
};

#define RSL_METHOD_SPECIALISATION_(QUALIFIERS, CONST)                                                 \
    template <const char *Name, class T, auto M, class C, class R, class... A, bool NoExcept>        \
    struct method<Name, T, M, R (C::*)(A...) QUALIFIERS noexcept(NoExcept)>                          \
        : method_record<Name, T, M, CONST, NoExcept, R, A...> {                                       \
        static_assert(std::is_base_of<C, T>::value, "the member function is one of the type's");    \
    };
RSL_METHOD_SPECIALISATION_(, false)
RSL_METHOD_SPECIALISATION_(&, false)
RSL_METHOD_SPECIALISATION_(const, true)
RSL_METHOD_SPECIALISATION_(const &, true)
#undef RSL_METHOD_SPECIALISATION_

// What the module's compile-time checks read of an implementation.
struct impl_info {
    rsl_str interface;
    rsl_str type_name;
    std::size_t method_count;
    const function_info *methods;
};

constexpr bool distinct_impls(const impl_info *i, std::size_t n) {
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = a + 1; b < n; ++b)
            if (same(i[a].interface, i[b].interface) && same(i[a].type_name, i[b].type_name)) return false;
    return true;
}

constexpr bool impls_reference_listed(const impl_info *i, std::size_t n, const rsl_str *types, std::size_t t) {
    for (std::size_t k = 0; k < n; ++k)
        if (!references_listed(i[k].methods, i[k].method_count, types, t)) return false;
    return true;
}

// ---- enums (docs/FORMAT.md, "Enums")

// `text`'s last component: `Busy` of `status::Busy` (a case is named by its
// type's own name, wherever the type is declared).
constexpr rsl_str unqualified(const char *text) {
    std::size_t n = length(text), start = 0;
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (text[i] == ':' && text[i + 1] == ':') start = i + 2;
    while (start < n && text[start] == ' ') ++start;
    return rsl_str{text + start, n - start};
}

// A payload field's exported name: a member `_0`, `_1`, ... is exported as
// `0`, `1`, ... (a Rust tuple case's field names, which C++ cannot spell;
// the Rust host's enum_view! spells them `_0`, `_1` too).
constexpr rsl_str payload_field_name(const char *name) {
    std::size_t n = length(name);
    bool tuple = n >= 2 && name[0] == '_';
    for (std::size_t i = 1; tuple && i < n; ++i) tuple = name[i] >= '0' && name[i] <= '9';
    return tuple ? rsl_str{name + 1, n - 1} : rsl_str{name, n};
}

// Whether payload fields are listed in declaration order (strictly
// increasing offsets in the case's struct), as a struct's.
template <std::size_t N>
constexpr bool increasing(const std::size_t (&offsets)[N]) {
    for (std::size_t i = 1; i < N; ++i)
        if (offsets[i] <= offsets[i - 1]) return false;
    return true;
}

template <std::size_t N>
constexpr bool distinct_strs(const std::array<rsl_str, N> &names) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (same(names[i], names[j])) return false;
    return true;
}

// Value witnesses and flags of an enum: as a struct's (witness<T>), never
// plain old data (all-zero bytes need not be a case, as the Rust producer
// says), always RSL_FLAG_ENUM.
template <class T>
constexpr std::uint32_t enum_flags() {
    return (witness<T>::flags() & ~RSL_FLAG_POD) | RSL_FLAG_ENUM;
}

// A fieldless `enum class E : U` (RESILIENT_EXPORT_ENUM): the tag is the
// value itself, plain (U is 1, 2, 4 or 8 bytes), each listed enumerator a
// case whose tag is its value's bits; payloads are trivially plain. What the
// Rust producer writes for a fieldless `#[repr(u8)]` (u16, ...) enum.
template <class E>
struct enum_class {
    static_assert(std::is_enum<E>::value, "RESILIENT_EXPORT_ENUM takes an enum (an enum class with a fixed underlying type)");
    using U = std::underlying_type_t<E>;
    static_assert(std::is_integral<U>::value && !std::is_same<U, bool>::value &&
                      (sizeof(U) == 1 || sizeof(U) == 2 || sizeof(U) == 4 || sizeof(U) == 8),
                  "an exported enum's underlying type is an integer of 1, 2, 4 or 8 bytes");
    static_assert(sizeof(E) == sizeof(U) && alignof(E) == alignof(U), "an enum has its underlying type's layout");
    using values_t = enumerators<E>;
    static constexpr std::size_t N = sizeof(values_t::values) / sizeof(values_t::values[0]);
    static_assert(N <= 4096, "an enum exports at most 4,096 cases");

    static constexpr std::uint64_t tag(E e) {
        return static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<U>>(static_cast<U>(e)));
    }
    static constexpr bool distinct() {
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t j = i + 1; j < N; ++j)
                if (values_t::values[i] == values_t::values[j]) return false;
        return true;
    }
    // Whether an enumerator is zero: then E{} (the default value) is a case.
    static constexpr bool zero_is_a_case() {
        for (std::size_t i = 0; i < N; ++i)
            if (tag(values_t::values[i]) == 0) return true;
        return false;
    }
    static constexpr std::array<rsl_case_descriptor, N> make_cases() {
        std::array<rsl_case_descriptor, N> out{};
        for (std::size_t i = 0; i < N; ++i) out[i] = rsl_case_descriptor{values_t::names[i], tag(values_t::values[i]), 0, nullptr};
        return out;
    }
    static constexpr std::array<rsl_case_descriptor, N> cases = make_cases();

    // The index of the value's case; 0xFFFFFFFF for a value no listed
    // enumerator has (a reader of the plain tag sees it as a case it does
    // not know).
    static std::uint32_t case_of(const void *v) noexcept {
        E e;
        std::memcpy(&e, v, sizeof e);
        for (std::size_t i = 0; i < N; ++i)
            if (values_t::values[i] == e) return static_cast<std::uint32_t>(i);
        return 0xFFFFFFFFu;
    }
    static std::uint32_t write_case(void *dst, std::uint32_t c, const void *const *) noexcept {
        if (c >= N) return 1;
        ::new (dst) E(values_t::values[c]);
        return 0;
    }
    static constexpr rsl_enum_descriptor record() {
        return rsl_enum_descriptor{sizeof(rsl_enum_descriptor),
                                   sizeof(rsl_case_descriptor),
                                   RSL_ENUM_TAG_PLAIN | RSL_ENUM_PAYLOAD_PLAIN,
                                   static_cast<std::uint32_t>(sizeof(U)),
                                   0,
                                   N,
                                   N == 0 ? nullptr : cases.data(),
                                   &case_of,
                                   nullptr,
                                   &write_case};
    }
    static void clone(void *dst, const void *src) noexcept { std::memcpy(dst, src, sizeof(E)); }
    static void default_init(void *dst) noexcept { ::new (dst) E{}; }
    // Copyable, movable to another thread (a number), default only where
    // E{} is a listed enumerator.
    static constexpr std::uint32_t flags() {
        return RSL_FLAG_ENUM | RSL_FLAG_CLONABLE | RSL_FLAG_SEND | (zero_is_a_case() ? RSL_FLAG_DEFAULT_INIT : 0u);
    }
    static constexpr rsl_value_witnesses table() {
        return rsl_value_witnesses{nullptr, &clone, zero_is_a_case() ? &default_init : nullptr};
    }
};

template <class V>
struct is_variant : std::false_type {};
template <class... C>
struct is_variant<std::variant<C...>> : std::true_type {};

// An exported std::variant<C...> (RESILIENT_EXPORT_VARIANT): each
// alternative is a case, named as its type, its payload fields as
// RESILIENT_EXPORT_CASE lists them. The library's compiler lays the variant
// out (libstdc++ and libc++ differ), so the tag and payloads are not plain:
// hosts read them only through the witnesses below, as they read a Rust enum
// of the default representation.
template <class V>
struct variant_enum;
template <class... C>
struct variant_enum<std::variant<C...>> {
    using V = std::variant<C...>;
    static constexpr std::size_t N = sizeof...(C);
    static_assert(N <= 4096, "an enum exports at most 4,096 cases");
    static_assert((payload<C>::exported && ... && true),
                  "every alternative of an exported std::variant is a case exported first with RESILIENT_EXPORT_CASE");
    static constexpr std::array<rsl_str, N> names = {{payload<C>::name...}};
    static_assert(distinct_strs(names), "two cases of an exported std::variant share a name");

    static constexpr std::array<rsl_case_descriptor, N> cases = {
        {rsl_case_descriptor{payload<C>::name, 0, payload<C>::count, payload<C>::fields}...}};

    // The index of the value's case (0xFFFFFFFF if it is valueless by an
    // exception: a case no host knows).
    static std::uint32_t case_of(const void *v) noexcept {
        std::size_t i = static_cast<const V *>(v)->index();
        return i == std::variant_npos ? 0xFFFFFFFFu : static_cast<std::uint32_t>(i);
    }

    template <std::size_t I>
    static const void *locate_in(const void *v, std::uint32_t field) noexcept {
        using K = std::variant_alternative_t<I, V>;
        const K *p = std::get_if<I>(static_cast<const V *>(v));
        if constexpr (payload<K>::count == 0) {
            (void)p;
            (void)field;
            return nullptr;
        } else {
            if (p == nullptr || field >= payload<K>::count) return nullptr;
            return reinterpret_cast<const unsigned char *>(p) + payload<K>::offsets[field];
        }
    }
    template <std::size_t... I>
    static const void *locate_at(const void *v, std::uint32_t c, std::uint32_t field, std::index_sequence<I...>) noexcept {
        using fn = const void *(*)(const void *, std::uint32_t) noexcept;
        static constexpr fn table[] = {&locate_in<I>..., nullptr};
        return c < N ? table[c](v, field) : nullptr;
    }
    // The address of payload field `field` of the value in case `c` (null
    // if the value is in another case, or out of range).
    static const void *locate(const void *v, std::uint32_t c, std::uint32_t field) noexcept {
        return locate_at(v, c, field, std::index_sequence_for<C...>{});
    }

    template <std::size_t I>
    static std::uint32_t write_in(void *dst, const void *const *values) noexcept {
        using K = std::variant_alternative_t<I, V>;
        K k{};
        if constexpr (payload<K>::count > 0) {
            for (std::size_t f = 0; f < payload<K>::count; ++f)
                std::memcpy(reinterpret_cast<unsigned char *>(&k) + payload<K>::offsets[f], values[f],
                            payload<K>::fields[f].identity.size);
        } else {
            (void)values;
        }
        ::new (dst) V(std::in_place_index<I>, std::move(k));
        return 0;
    }
    template <std::size_t... I>
    static std::uint32_t write_at(void *dst, std::uint32_t c, const void *const *values, std::index_sequence<I...>) noexcept {
        using fn = std::uint32_t (*)(void *, const void *const *) noexcept;
        static constexpr fn table[] = {&write_in<I>..., nullptr};
        return c < N ? table[c](dst, values) : 1;
    }
    // Writes case `c` into `dst`, each payload field copied from values[i]
    // (the fields are trivially copyable), the members not listed
    // value-initialised.
    static std::uint32_t write_case(void *dst, std::uint32_t c, const void *const *values) noexcept {
        return write_at(dst, c, values, std::index_sequence_for<C...>{});
    }
    // Hosts build cases only where every case type can be value-initialised.
    static constexpr bool buildable = (std::is_default_constructible<C>::value && ... && true) &&
                                      (std::is_move_constructible<C>::value && ... && true);

    static constexpr rsl_enum_descriptor record() {
        return rsl_enum_descriptor{sizeof(rsl_enum_descriptor),
                                   sizeof(rsl_case_descriptor),
                                   0,
                                   0,
                                   0,
                                   N,
                                   cases.data(),
                                   &case_of,
                                   &locate,
                                   buildable ? &write_case : nullptr};
    }
};

}  // namespace exporting
}  // namespace

}  // namespace rsl

// ------------------------------------------------------------------- export

#define RSL_CAT_(a, b) a##b
#define RSL_CAT(a, b) RSL_CAT_(a, b)
#define RSL_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, N, ...) N
#define RSL_NARGS(...) RSL_NARGS_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
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
#define RSL_EACH_17(M, T, a, ...) M(T, a) RSL_EACH_16(M, T, __VA_ARGS__)
#define RSL_EACH_18(M, T, a, ...) M(T, a) RSL_EACH_17(M, T, __VA_ARGS__)
#define RSL_EACH_19(M, T, a, ...) M(T, a) RSL_EACH_18(M, T, __VA_ARGS__)
#define RSL_EACH_20(M, T, a, ...) M(T, a) RSL_EACH_19(M, T, __VA_ARGS__)
#define RSL_EACH_21(M, T, a, ...) M(T, a) RSL_EACH_20(M, T, __VA_ARGS__)
#define RSL_EACH_22(M, T, a, ...) M(T, a) RSL_EACH_21(M, T, __VA_ARGS__)
#define RSL_EACH_23(M, T, a, ...) M(T, a) RSL_EACH_22(M, T, __VA_ARGS__)
#define RSL_EACH_24(M, T, a, ...) M(T, a) RSL_EACH_23(M, T, __VA_ARGS__)
#define RSL_EACH_25(M, T, a, ...) M(T, a) RSL_EACH_24(M, T, __VA_ARGS__)
#define RSL_EACH_26(M, T, a, ...) M(T, a) RSL_EACH_25(M, T, __VA_ARGS__)
#define RSL_EACH_27(M, T, a, ...) M(T, a) RSL_EACH_26(M, T, __VA_ARGS__)
#define RSL_EACH_28(M, T, a, ...) M(T, a) RSL_EACH_27(M, T, __VA_ARGS__)
#define RSL_EACH_29(M, T, a, ...) M(T, a) RSL_EACH_28(M, T, __VA_ARGS__)
#define RSL_EACH_30(M, T, a, ...) M(T, a) RSL_EACH_29(M, T, __VA_ARGS__)
#define RSL_EACH_31(M, T, a, ...) M(T, a) RSL_EACH_30(M, T, __VA_ARGS__)
#define RSL_EACH_32(M, T, a, ...) M(T, a) RSL_EACH_31(M, T, __VA_ARGS__)
#define RSL_EACH(M, T, ...) RSL_CAT(RSL_EACH_, RSL_NARGS(__VA_ARGS__))(M, T, __VA_ARGS__)

// ---- accessor fields (docs/FORMAT.md, "Accessor and computed fields")
//
// A listed field whose type has no stable layout is exported through
// accessors this header generates, not as a stored field (its type comes
// from the member: nothing is declared twice): std::string as text
// (RSL_SHAPE_STR), std::optional<std::string> as optional text, and
// std::vector<T> of a number T (not bool or char32_t) as elements
// (RSL_SHAPE_SLICE, of T's identity). The getter borrows the contents
// (data(), size()) from the value; the setter replaces them with a copy,
// allocated (and later freed) by this library's own allocator. Both are
// internal to this library and never throw across the boundary: an
// exception inside (std::bad_alloc) aborts the process, as in a witness.
// A std::string may hold any bytes: a Rust host's `text` refuses bytes
// that are not UTF-8 (its `text_bytes` reads them); a host's replacement
// is checked to be UTF-8 before this library sees it. (Such a field still
// has its `T_f_offset` symbol: the member's offset in the C++ object,
// which no reader uses; it has no field record.)
namespace rsl {
namespace {
namespace exporting {

// What an accessor field of type M is (specialised below); `is` is false
// for a stored field.
template <class M>
struct accessor_traits {
    static constexpr bool is = false;
};

template <>
struct accessor_traits<std::string> {
    static constexpr bool is = true;
    static constexpr std::uint32_t shape = RSL_SHAPE_STR;
    static constexpr std::uint32_t flags = 0;
    static constexpr const rsl_type_identity &identity = lowering::str_identity;
    static rsl_slice borrow(const std::string &s) noexcept { return rsl_slice{s.data(), s.size()}; }
    static void replace(std::string &s, const std::uint8_t *p, std::size_t n) {
        s.assign(reinterpret_cast<const char *>(p), n);
    }
};

template <>
struct accessor_traits<std::optional<std::string>> {
    static constexpr bool is = true;
    static constexpr std::uint32_t shape = RSL_SHAPE_STR;
    static constexpr std::uint32_t flags = RSL_ACCESSOR_OPTIONAL;
    static constexpr const rsl_type_identity &identity = lowering::str_identity;
    static rsl_slice borrow(const std::optional<std::string> &s) noexcept {
        return s ? rsl_slice{s->data(), s->size()} : rsl_slice{nullptr, 0};
    }
    static void replace(std::optional<std::string> &s, const std::uint8_t *p, std::size_t n) {
        if (p == nullptr)
            s.reset();
        else if (s)
            s->assign(reinterpret_cast<const char *>(p), n);
        else
            s.emplace(reinterpret_cast<const char *>(p), n);
    }
};

template <class E, class A>
struct accessor_traits<std::vector<E, A>> {
    static_assert(lowering::is_slice_element<E>,
                  "a std::vector<T> field is exported as elements: T is a number (not bool or char32_t)");
    static constexpr bool is = true;
    static constexpr std::uint32_t shape = RSL_SHAPE_SLICE;
    static constexpr std::uint32_t flags = 0;
    static constexpr const rsl_type_identity &identity = ::rsl::identity<E>::value;
    static rsl_slice borrow(const std::vector<E, A> &v) noexcept {
        // Never NULL (NULL means "nothing", for an optional field only): an
        // empty vector's data() may be, so it is an aligned address no one
        // reads, as an empty Rust Vec has.
        if (v.empty()) return rsl_slice{reinterpret_cast<const void *>(alignof(E)), 0};
        return rsl_slice{v.data(), v.size()};
    }
    static void replace(std::vector<E, A> &v, const std::uint8_t *p, std::size_t n) {
        const E *first = reinterpret_cast<const E *>(p);
        // The source may be what `borrow` lent (a host copying the field, or
        // a part of it, onto itself), and assign() may not take iterators
        // into the vector: copy first, then swap.
        const std::less<const E *> before;
        if (n != 0 && !v.empty() && before(first, v.data() + v.size()) && before(v.data(), first + n)) {
            std::vector<E, A> copy(first, first + n, v.get_allocator());
            v.swap(copy);
        } else {
            v.assign(first, first + n);
        }
    }
};

// The getter and setter of accessor field P (a pointer to a member of T).
template <class T, auto P>
struct accessor_thunks {
    using member = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<T &>().*P)>>;
    using traits = accessor_traits<member>;
    static rsl_slice get(const void *value) noexcept {
        try {
            return traits::borrow(static_cast<const T *>(value)->*P);
        } catch (...) {
            std::abort();
        }
    }
    static void set(void *value, const std::uint8_t *ptr, std::size_t len) noexcept {
        try {
            traits::replace(static_cast<T *>(value)->*P, ptr, len);
        } catch (...) {
            std::abort();
        }
    }
};

// One listed field: stored (a field record) or an accessor field.
struct member_entry {
    rsl_str name;
    std::size_t offset;
    rsl_type_identity identity;
    bool accessor;
    std::uint32_t shape;
    std::uint32_t flags;
};

template <class M>
constexpr member_entry member(rsl_str name, std::size_t offset) {
    if constexpr (accessor_traits<M>::is) {
        return member_entry{name, offset, accessor_traits<M>::identity, true, accessor_traits<M>::shape,
                            accessor_traits<M>::flags};
    } else {
        return member_entry{name, offset, ::rsl::identity<M>::value, false, 0, 0};
    }
}

// Whether a listed member has the size and alignment its identity says (an
// accessor field's identity is its contents', not its own).
template <class M>
constexpr bool sized_as_identity() {
    if constexpr (accessor_traits<M>::is) {
        return true;
    } else {
        return ::rsl::identity<M>::value.size == sizeof(M) && ::rsl::identity<M>::value.align == alignof(M);
    }
}

template <std::size_t K>
constexpr std::size_t count_members(const member_entry (&m)[K], bool accessor) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < K; ++i) n += m[i].accessor == accessor ? 1 : 0;
    return n;
}

// The index among the listed members of the k-th one that is (or is not)
// an accessor field.
template <std::size_t K>
constexpr std::size_t nth_member(const member_entry (&m)[K], bool accessor, std::size_t k) {
    for (std::size_t i = 0; i < K; ++i)
        if (m[i].accessor == accessor && k-- == 0) return i;
    return K;
}

// The stored fields' records, in listed order.
template <std::size_t N, std::size_t K>
constexpr std::array<rsl_field_descriptor, N> stored_fields(const member_entry (&m)[K]) {
    std::array<rsl_field_descriptor, N> out{};
    for (std::size_t k = 0; k < N; ++k) {
        const member_entry &e = m[nth_member(m, false, k)];
        out[k] = rsl_field_descriptor{e.name, e.offset, e.identity};
    }
    return out;
}

// The accessor records of T's listed accessor fields (Members: the listed
// members' entries; Ptrs: a tuple of pointers to them, in the same order).
template <class T, const auto &Members, const auto &Ptrs, class Seq>
struct accessor_list;
template <class T, const auto &Members, const auto &Ptrs, std::size_t... K>
struct accessor_list<T, Members, Ptrs, std::index_sequence<K...>> {
    static constexpr std::size_t count = sizeof...(K);
    static constexpr std::size_t at(std::size_t k) { return nth_member(Members, true, k); }
    // Not constexpr (each function's address is converted to the record's
    // code pointer type), but constant-initialised, as function records.
    static const rsl_accessor_descriptor records[count == 0 ? 1 : count];
};
template <class T, const auto &Members, const auto &Ptrs, std::size_t... K>
const rsl_accessor_descriptor
    accessor_list<T, Members, Ptrs, std::index_sequence<K...>>::records[count == 0 ? 1 : count] = {
        rsl_accessor_descriptor{Members[at(K)].name, Members[at(K)].shape, Members[at(K)].flags,
                                Members[at(K)].identity,
                                reinterpret_cast<void (*)(void)>(&accessor_thunks<T, std::get<at(K)>(Ptrs)>::get),
                                reinterpret_cast<void (*)(void)>(&accessor_thunks<T, std::get<at(K)>(Ptrs)>::set)}...};

}  // namespace exporting
}  // namespace
}  // namespace rsl

#define RSL_OFFSET_SYMBOL_(T, f)                                                                      \
    extern "C" RSL_API const std::size_t T##_##f##_offset;                                           \
    const std::size_t T##_##f##_offset = offsetof(T, f);                                             \
    static_assert(T##_fields_check_<offsetof(T, f) + sizeof(decltype(T::f)) <= sizeof(T)>::ok,       \
                  "field " #f " lies inside " #T);                                                    \
    static_assert(::rsl::exporting::sized_as_identity<decltype(T::f)>(),                                \
                  "the identity of " #T "::" #f " has its size and alignment");
#define RSL_MEMBER_ENTRY_(T, f) ::rsl::exporting::member<decltype(T::f)>({#f, sizeof(#f) - 1}, offsetof(T, f)),
#define RSL_MEMBER_PTR_(T, f) &T::f,

// Exports type T (any class whose listed fields are accessible) with the
// listed fields (at most 32): scalar symbols, descriptor and witnesses.
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
    static constexpr ::rsl::exporting::member_entry T##_members_[] = {                                \
        RSL_EACH(RSL_MEMBER_ENTRY_, T, __VA_ARGS__)};                                                 \
    static constexpr auto T##_member_ptrs_ = std::make_tuple(RSL_EACH(RSL_MEMBER_PTR_, T, __VA_ARGS__) nullptr); \
    static constexpr auto T##_fields_ =                                                               \
        ::rsl::exporting::stored_fields<::rsl::exporting::count_members(T##_members_, false)>(T##_members_); \
    using T##_accessors_ = ::rsl::exporting::accessor_list<                                           \
        T, T##_members_, T##_member_ptrs_,                                                            \
        std::make_index_sequence<::rsl::exporting::count_members(T##_members_, true)>>;               \
    /* The manifest points at this internal name, so that it binds to this \
       library's descriptor even beside another version loaded globally;  \
       T_descriptor is an alias of it, the same record at the same address \
       (readers check that the record is exported under that name). */    \
    static constexpr rsl_type_descriptor T##_descriptor_local_ __asm__(#T "_descriptor_local_") = {  \
        ::rsl::witness<T>::flags(), 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), sizeof(T),         \
        ::rsl::fingerprint(sizeof(T), alignof(T), sizeof(T), T##_fields_.data(), T##_fields_.size()),  \
        T##_fields_.size(), T##_fields_.data(), ::rsl::witness<T>::table(), nullptr,                  \
        sizeof(rsl_accessor_descriptor), 0, T##_accessors_::count,                                    \
        T##_accessors_::count == 0 ? nullptr : T##_accessors_::records};                              \
    extern "C" RSL_API const rsl_type_descriptor T##_descriptor                                       \
        __attribute__((alias(#T "_descriptor_local_")));                                              \
    static_assert(sizeof(T) % alignof(T) == 0, #T ": size is a multiple of alignment");                \
    static_assert(::rsl::in_declaration_order(T##_fields_.data(), T##_fields_.size()),                \
                  #T ": list the exported fields in declaration order");

// ---- enums (docs/FORMAT.md, "Enums")

// What every exported enum has: its identity (a resilient type by name, so
// that struct fields, parameters and results of it cross as exported types
// do), the `T_size` and `T_align` symbols, and its type descriptor (flags,
// value witnesses, fingerprint, the enum record `T_enum_local_`), exported
// as `T_descriptor`, an alias of the record the manifest points to.
#define RSL_ENUM_IDENTITY_(T)                                                                         \
    namespace rsl {                                                                                   \
    namespace {                                                                                       \
    template <>                                                                                       \
    struct identity<T> {                                                                              \
        [[maybe_unused]] static constexpr rsl_type_identity value = {                                 \
            RSL_KIND_RESILIENT, 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), 0, nullptr};           \
    };                                                                                                \
    }                                                                                                 \
    }                                                                                                 \
    extern "C" RSL_API const std::size_t T##_size;                                                    \
    const std::size_t T##_size = sizeof(T);                                                           \
    extern "C" RSL_API const std::size_t T##_align;                                                   \
    const std::size_t T##_align = alignof(T);
#define RSL_ENUM_DESCRIPTOR_(T, FLAGS, TABLE)                                                         \
    static constexpr rsl_type_descriptor T##_descriptor_local_ __asm__(#T "_descriptor_local_") = {  \
        FLAGS, 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), sizeof(T),                             \
        ::rsl::enum_fingerprint(sizeof(T), alignof(T), sizeof(T), T##_enum_local_),        \
        0, nullptr, TABLE, &T##_enum_local_, sizeof(rsl_accessor_descriptor), 0, 0, nullptr};         \
    extern "C" RSL_API const rsl_type_descriptor T##_descriptor                                       \
        __attribute__((alias(#T "_descriptor_local_")));                                              \
    static_assert(sizeof(T) % alignof(T) == 0, #T ": size is a multiple of alignment");

#define RSL_ENUMERATOR_(E, e) E::e,
#define RSL_ENUMERATOR_NAME_(E, e) rsl_str{#e, sizeof(#e) - 1},

// Exports E, a fieldless `enum class E : U` (U an integer of 1, 2, 4 or 8
// bytes), with the listed enumerators as its cases, in order (at least
// one, at most 32): the tag is the value itself, plain (hosts read it
// without calling the library), each case's tag its enumerator's value;
// the records the Rust producer writes for a fieldless `#[repr(U)]` enum of
// the same cases and values (the same fingerprint). A value no listed
// enumerator has reads as a case the host does not know. Values are
// copied (clone), may move between threads, and are default-made (E{})
// only if an enumerator is 0. E is an identifier, at global scope:
//     enum class Priority : std::uint8_t { Low, High = 5 };
//     RESILIENT_EXPORT_ENUM(Priority, Low, High)
#define RESILIENT_EXPORT_ENUM(E, ...)                                                                 \
    RSL_ENUM_IDENTITY_(E)                                                                             \
    namespace rsl {                                                                                   \
    namespace {                                                                                       \
    template <>                                                                                       \
    struct enumerators<E> {                                                                           \
        static constexpr E values[] = {RSL_EACH(RSL_ENUMERATOR_, E, __VA_ARGS__)};                   \
        static constexpr rsl_str names[] = {RSL_EACH(RSL_ENUMERATOR_NAME_, E, __VA_ARGS__)};         \
    };                                                                                                \
    }                                                                                                 \
    }                                                                                                 \
    static_assert(::rsl::exporting::enum_class<E>::distinct(), #E ": two listed enumerators share a value"); \
    static constexpr rsl_enum_descriptor E##_enum_local_ = ::rsl::exporting::enum_class<E>::record(); \
    RSL_ENUM_DESCRIPTOR_(E, ::rsl::exporting::enum_class<E>::flags(), ::rsl::exporting::enum_class<E>::table())

#define RSL_PAYLOAD_FIELD_(C, f)                                                                      \
    rsl_field_descriptor{::rsl::exporting::payload_field_name(#f), 0, ::rsl::identity<decltype(C::f)>::value},
#define RSL_PAYLOAD_OFFSET_(C, f) offsetof(C, f),
#define RSL_PAYLOAD_CHECK_(C, f)                                                                      \
    static_assert(std::is_trivially_copyable<decltype(C::f)>::value,                                  \
                  "payload field " #f " of " #C " is copied: a scalar or an array of them");          \
    static_assert(::rsl::identity<decltype(C::f)>::value.size == sizeof(decltype(C::f)) &&            \
                      ::rsl::identity<decltype(C::f)>::value.align == alignof(decltype(C::f)),         \
                  "the identity of " #C "::" #f " has its size and alignment");
// One argument (a case without payload), or more (a case and its fields).
#define RSL_ONE_OR_MORE_(...)                                                                         \
    RSL_NARGS_(__VA_ARGS__, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, 1, 0)
#define RSL_EXPORT_CASE_1(C)                                                                          \
    namespace rsl {                                                                                   \
    namespace {                                                                                       \
    template <>                                                                                       \
    struct payload<C> {                                                                               \
        static constexpr bool exported = true;                                                        \
        static constexpr rsl_str name = ::rsl::exporting::unqualified(#C);                            \
        static constexpr std::size_t count = 0;                                                       \
        static constexpr const rsl_field_descriptor *fields = nullptr;                                \
    };                                                                                                \
    }                                                                                                 \
    }
#define RSL_EXPORT_CASE_M(C, ...)                                                                     \
    namespace rsl {                                                                                   \
    namespace {                                                                                       \
    template <>                                                                                       \
    struct payload<C> {                                                                               \
        static constexpr bool exported = true;                                                        \
        static constexpr rsl_str name = ::rsl::exporting::unqualified(#C);                            \
        static constexpr rsl_field_descriptor fields[] = {RSL_EACH(RSL_PAYLOAD_FIELD_, C, __VA_ARGS__)}; \
        static constexpr std::size_t count = sizeof(fields) / sizeof(fields[0]);                     \
        static constexpr std::size_t offsets[] = {RSL_EACH(RSL_PAYLOAD_OFFSET_, C, __VA_ARGS__)};     \
        static_assert(::rsl::exporting::increasing(offsets), #C ": list the payload fields in declaration order"); \
        RSL_EACH(RSL_PAYLOAD_CHECK_, C, __VA_ARGS__)                                                  \
    };                                                                                                \
    }                                                                                                 \
    }

// Exports C, a struct that is one case of an exported std::variant, with
// the listed payload fields (at most 31; none for a case without payload):
// the case is named as C's own name (`Busy` for `status::Busy`), each field
// by its member name, a member `_0`, `_1`, ... as `0`, `1`, ... (a Rust
// tuple case's fields: `Failed(i64)`'s field is `0`). List every member,
// in declaration order: a host builds a case from the listed fields alone
// (the others are value-initialised). Payload fields are copied: scalars
// and arrays of them. At global scope, before the variant's export, C
// named as from the global namespace:
//     namespace status {
//     struct Idle {};
//     struct Busy { std::uint32_t jobs; };
//     struct Failed { std::int64_t _0; };
//     }
//     RESILIENT_EXPORT_CASE(status::Idle)
//     RESILIENT_EXPORT_CASE(status::Busy, jobs)
//     RESILIENT_EXPORT_CASE(status::Failed, _0)
#define RESILIENT_EXPORT_CASE(...) RSL_CAT(RSL_EXPORT_CASE_, RSL_ONE_OR_MORE_(__VA_ARGS__))(__VA_ARGS__)

// Exports T, a std::variant whose alternatives are cases exported with
// RESILIENT_EXPORT_CASE, as an enum: a case per alternative, in order, with
// its payload fields. The variant's layout is the library compiler's own
// (libstdc++ and libc++ differ), so it is not plain: hosts read a value's
// case, reach a payload field and build a case only through this library's
// witnesses (case_of: index(); locate: the field of std::get_if; write_case:
// the case built in place), as they read a Rust enum of the default
// representation. Value witnesses are the variant's constructors and
// destructor; send only if rsl::thread_movable<T> says so. T is an
// identifier (an alias), at global scope:
//     using Status = std::variant<status::Idle, status::Busy, status::Failed>;
//     RESILIENT_EXPORT_VARIANT(Status)
#define RESILIENT_EXPORT_VARIANT(T)                                                                   \
    static_assert(::rsl::exporting::is_variant<T>::value, #T ": RESILIENT_EXPORT_VARIANT takes a std::variant of exported cases"); \
    RSL_ENUM_IDENTITY_(T)                                                                             \
    static constexpr rsl_enum_descriptor T##_enum_local_ = ::rsl::exporting::variant_enum<T>::record(); \
    RSL_ENUM_DESCRIPTOR_(T, ::rsl::exporting::enum_flags<T>(), ::rsl::witness<T>::table())

// Exports function F under its own name: a thunk and a record, internal to
// this library, listed in RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS. Use at
// global scope, after the types it takes are exported.
#define RESILIENT_EXPORT_FUNCTION(F) RESILIENT_EXPORT_FUNCTION_AS(F, F)

// Exports the function `...` (any expression naming one function: `&ns::f`,
// `static_cast<double (*)(const Widget &)>(&overloaded)`) under the name
// NAME, an identifier.
#define RESILIENT_EXPORT_FUNCTION_AS(NAME, ...)                                                      \
    namespace {                                                                                       \
    constexpr char rsl_function_name_##NAME[] = #NAME;                                                \
    }                                                                                                 \
    using rsl_function_t_##NAME = ::rsl::exporting::function<rsl_function_name_##NAME, __VA_ARGS__>;  \
    /* Not constexpr (the thunk's address is converted to the record's code \
       pointer type), but constant-initialised: read-only after relocation. */ \
    static const rsl_function_descriptor rsl_function_##NAME = {                                      \
        rsl_function_t_##NAME::name,                                                                  \
        RSL_ABI_THUNK_V2,                                                                             \
        rsl_function_t_##NAME::flags,                                                                 \
        rsl_function_t_##NAME::params.size(),                                                         \
        rsl_function_t_##NAME::params_ptr,                                                            \
        rsl_function_t_##NAME::ret,                                                                   \
        reinterpret_cast<void (*)(void)>(&rsl_function_t_##NAME::thunk)};

// Exports type T's implementation of interface I (an identifier: the
// interface's name), its methods the listed member functions of T (at least
// one, at most 32), each named once: its signature comes from its type, as
// RESILIENT_EXPORT_FUNCTION's does. A const member function is a `&self`
// method, another one a `&mut self` method; the thunk takes a pointer to
// the value first, then the parameters as a function's. The implementation
// is listed in the module as (T, I):
//     RESILIENT_EXPORT_IMPL(Widget, Describe, key, set_key)
//     RESILIENT_EXPORT_MODULE_WITH_IMPLS("widgets", "1.0.0", (Widget, Point), ((Widget, Describe)))
// Use at global scope, after T and the types the methods take are
// exported. A member function that is overloaded cannot be named here:
// give the method a name of its own. A method named twice is a compile
// error (its records are defined twice).
#define RSL_METHOD_(P, m)                                                                             \
    namespace {                                                                                       \
    constexpr char rsl_method_name_##P##_##m[] = #m;                                                  \
    }                                                                                                 \
    using rsl_method_t_##P##_##m =                                                                    \
        ::rsl::exporting::method<rsl_method_name_##P##_##m, rsl_impl_self_##P, &rsl_impl_self_##P::m>; \
    static const rsl_function_descriptor rsl_method_##P##_##m = {                                     \
        rsl_method_t_##P##_##m::name,                                                                 \
        RSL_ABI_THUNK_V2,                                                                             \
        rsl_method_t_##P##_##m::flags,                                                                \
        rsl_method_t_##P##_##m::params.size(),                                                        \
        rsl_method_t_##P##_##m::params_ptr,                                                           \
        rsl_method_t_##P##_##m::ret,                                                                  \
        reinterpret_cast<void (*)(void)>(&rsl_method_t_##P##_##m::thunk)};
#define RSL_METHOD_PTR_(P, m) &rsl_method_##P##_##m,
#define RSL_METHOD_INFO_(P, m) rsl_method_t_##P##_##m::info,
#define RESILIENT_EXPORT_IMPL(T, I, ...) RSL_EXPORT_IMPL_(T, I, T##_##I, __VA_ARGS__)
#define RSL_EXPORT_IMPL_(T, I, P, ...)                                                                \
    using rsl_impl_self_##P = T;                                                                      \
    RSL_EACH(RSL_METHOD_, P, __VA_ARGS__)                                                             \
    static const rsl_function_descriptor *const rsl_methods_##P[] = {                                 \
        RSL_EACH(RSL_METHOD_PTR_, P, __VA_ARGS__)};                                                   \
    static constexpr ::rsl::exporting::function_info rsl_method_infos_##P[] = {                       \
        RSL_EACH(RSL_METHOD_INFO_, P, __VA_ARGS__)};                                                  \
    static constexpr ::rsl::exporting::impl_info rsl_impl_info_##P = {                                \
        {#I, sizeof(#I) - 1}, {#T, sizeof(#T) - 1},                                                   \
        sizeof(rsl_method_infos_##P) / sizeof(rsl_method_infos_##P[0]), rsl_method_infos_##P};        \
    /* Constant-initialised, internal to this library (as function records). */ \
    static const rsl_impl_descriptor rsl_impl_##P = {                                                 \
        {#I, sizeof(#I) - 1}, {#T, sizeof(#T) - 1},                                                   \
        sizeof(rsl_methods_##P) / sizeof(rsl_methods_##P[0]), rsl_methods_##P};

// The manifest (docs/FORMAT.md, `rsl_manifest`), format 1.1.
#define RSL_MANIFEST_(NAME, VERSION, FUNCTION_COUNT, FUNCTIONS, IMPL_COUNT, IMPLS)                    \
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
        sizeof(rsl_function_descriptor),                                                              \
        sizeof(rsl_param_descriptor),                                                                 \
        FUNCTION_COUNT,                                                                               \
        FUNCTIONS,                                                                                    \
        sizeof(rsl_impl_descriptor),                                                                  \
        0,                                                                                            \
        IMPL_COUNT,                                                                                   \
        IMPLS};

#define RSL_UNPAREN_(...) __VA_ARGS__
#define RSL_UNPAREN(LIST) RSL_UNPAREN_ LIST
#define RSL_DESC_PTR_(unused, T) &T##_descriptor_local_,
#define RSL_TYPE_NAME_(unused, T) T##_descriptor_local_.name,
#define RSL_FN_PTR_(unused, F) &rsl_function_##F,
#define RSL_FN_INFO_(unused, F) rsl_function_t_##F::info,
#define RSL_IMPL_PTR_(unused, TI) RSL_IMPL_PTR2_ TI
#define RSL_IMPL_PTR2_(T, I) &rsl_impl_##T##_##I,
#define RSL_IMPL_INFO_(unused, TI) RSL_IMPL_INFO2_ TI
#define RSL_IMPL_INFO2_(T, I) rsl_impl_info_##T##_##I,
#define RSL_COUNT_(ARRAY) (sizeof(ARRAY) / sizeof(ARRAY[0]))

// The module's types (a parenthesised list): their records and names.
#define RSL_MODULE_TYPES_(TYPES)                                                                      \
    static const rsl_type_descriptor *const rsl_module_types_[] = {                                   \
        RSL_EACH(RSL_DESC_PTR_, _, RSL_UNPAREN(TYPES))};                                              \
    static constexpr rsl_str rsl_module_type_names_[] = {RSL_EACH(RSL_TYPE_NAME_, _, RSL_UNPAREN(TYPES))};

// The module's functions (a parenthesised list), checked: no two share a
// name, and every type one takes by reference or returns is one the module
// lists.
#define RSL_MODULE_FUNCTIONS_(NAME, FUNCTIONS)                                                        \
    static const rsl_function_descriptor *const rsl_module_functions_[] = {                           \
        RSL_EACH(RSL_FN_PTR_, _, RSL_UNPAREN(FUNCTIONS))};                                            \
    static constexpr ::rsl::exporting::function_info rsl_module_function_infos_[] = {                 \
        RSL_EACH(RSL_FN_INFO_, _, RSL_UNPAREN(FUNCTIONS))};                                           \
    static_assert(::rsl::exporting::distinct_names(rsl_module_function_infos_,                        \
                                                   RSL_COUNT_(rsl_module_function_infos_)),          \
                  NAME ": two exported functions share a name");                                      \
    static_assert(::rsl::exporting::references_listed(                                                \
                      rsl_module_function_infos_, RSL_COUNT_(rsl_module_function_infos_),             \
                      rsl_module_type_names_, RSL_COUNT_(rsl_module_type_names_)),                    \
                  NAME ": a function takes a reference to (or returns) a type the module does not list");

// The module's implementations (a parenthesised list of (Type, Interface)),
// checked: none listed twice, and every type a method takes by reference
// (the receiver's included) is one the module lists.
#define RSL_MODULE_IMPLS_(NAME, IMPLS)                                                                \
    static const rsl_impl_descriptor *const rsl_module_impls_[] = {                                   \
        RSL_EACH(RSL_IMPL_PTR_, _, RSL_UNPAREN(IMPLS))};                                              \
    static constexpr ::rsl::exporting::impl_info rsl_module_impl_infos_[] = {                         \
        RSL_EACH(RSL_IMPL_INFO_, _, RSL_UNPAREN(IMPLS))};                                             \
    static_assert(::rsl::exporting::distinct_impls(rsl_module_impl_infos_,                            \
                                                   RSL_COUNT_(rsl_module_impl_infos_)),              \
                  NAME ": an implementation is listed twice");                                        \
    static_assert(::rsl::exporting::impls_reference_listed(                                           \
                      rsl_module_impl_infos_, RSL_COUNT_(rsl_module_impl_infos_),                     \
                      rsl_module_type_names_, RSL_COUNT_(rsl_module_type_names_)),                    \
                  NAME ": an implementing type, or a type a method takes by reference, is not listed");

// Exports the module manifest listing the exported types (at most 32). One
// per library.
#define RESILIENT_EXPORT_MODULE(NAME, VERSION, ...)                                                   \
    static const rsl_type_descriptor *const rsl_module_types_[] = {RSL_EACH(RSL_DESC_PTR_, _, __VA_ARGS__)}; \
    RSL_MANIFEST_(NAME, VERSION, 0, nullptr, 0, nullptr)

// Exports the module manifest listing the exported types and functions, each
// list in parentheses (at least one of each, at most 32):
//     RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("widgets", "1.0.0", (Widget, Point), (widget_id, parse_id))
// A function is listed by the name it was exported as (RESILIENT_EXPORT_FUNCTION
// or _AS). Checked at compile time: no two functions share a name, and every
// type a function takes by reference is one the module lists.
#define RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS(NAME, VERSION, TYPES, FUNCTIONS)                      \
    RSL_MODULE_TYPES_(TYPES)                                                                          \
    RSL_MODULE_FUNCTIONS_(NAME, FUNCTIONS)                                                            \
    RSL_MANIFEST_(NAME, VERSION, RSL_COUNT_(rsl_module_functions_), rsl_module_functions_, 0, nullptr)

// Exports the module manifest listing the exported types and interface
// implementations (RESILIENT_EXPORT_IMPL), each list in parentheses (at
// least one of each, at most 32), an implementation as (Type, Interface):
//     RESILIENT_EXPORT_MODULE_WITH_IMPLS("shapes", "1.0.0", (Square, Circle), ((Square, Shape), (Circle, Shape)))
// Checked at compile time: no implementation is listed twice, and every
// implementing type, and every type a method takes by reference, is one the
// module lists.
#define RESILIENT_EXPORT_MODULE_WITH_IMPLS(NAME, VERSION, TYPES, IMPLS)                              \
    RSL_MODULE_TYPES_(TYPES)                                                                          \
    RSL_MODULE_IMPLS_(NAME, IMPLS)                                                                    \
    RSL_MANIFEST_(NAME, VERSION, 0, nullptr, RSL_COUNT_(rsl_module_impls_), rsl_module_impls_)

// Both: the types, the functions and the implementations.
//     RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS_AND_IMPLS("widgets", "1.0.0", (Widget, Point),
//                                                      (widget_id, parse_id), ((Widget, Describe)))
#define RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS_AND_IMPLS(NAME, VERSION, TYPES, FUNCTIONS, IMPLS)     \
    RSL_MODULE_TYPES_(TYPES)                                                                          \
    RSL_MODULE_FUNCTIONS_(NAME, FUNCTIONS)                                                            \
    RSL_MODULE_IMPLS_(NAME, IMPLS)                                                                    \
    RSL_MANIFEST_(NAME, VERSION, RSL_COUNT_(rsl_module_functions_), rsl_module_functions_,            \
                  RSL_COUNT_(rsl_module_impls_), rsl_module_impls_)

#endif  // RESILIENT_EXPORT_HPP
