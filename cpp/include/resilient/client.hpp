// resilient/client.hpp: the C++17 client of resilient libraries, a thin RAII
// layer over the C API (resilient/resilient.h). Every verdict is the Rust
// one by construction: opening and validating is the Rust loader's, binding
// is layout_meta::compat::bind_view, field access and values are
// resilient_types::dynamic. Nothing here validates, compares identities or
// binds on its own. Link the C API (the CMake target resilient::client, or
// libresilient.a with -ldl -lpthread -lm).
//
//     rsl::Library lib = rsl::Library::open("libwidgets.so");   // validated once
//     rsl::View view("widgets", "Widget");
//     view.field<uint64_t>("id").optional<double>("scale");
//     rsl::Bound w = lib.bind(view);             // every mismatch at once
//     auto id = w.field<uint64_t>("id");         // tokens of this binding
//     rsl::Field<double> scale{};
//     bool has_scale = w.optional("scale", scale);
//     rsl::Value v(w);                            // RAII through witnesses
//     v.set(id, uint64_t{42}); uint64_t x = v.get(id);
//     RSL_DYNAMIC_LOCAL(tmp, w);                  // in this scope's frame (heap if large)
//
// Functions a library exports (docs/FORMAT.md, "Functions") are bound once
// with their C++ signature, by the Rust binder, and then called directly
// through the library's thunk (one indirect call):
//
//     rsl::Api widgets = lib.api("widgets");
//     rsl::Function<double(rsl::Ref)> weight_lb =
//         widgets.function<double(rsl::Ref)>("weight_lb", {"Widget"});  // the type each reference is to
//     double lb = weight_lb(v);                   // v: an rsl::Value of widgets' Widget
//     auto parse_id = widgets.function<std::uint64_t(std::string_view)>("parse_id");
//     std::optional<rsl::Function<rsl::usize(rsl::Ref)>> label_len =
//         widgets.optional<rsl::usize(rsl::Ref)>("label_len", {"Widget"});  // older libraries lack it
//
// Parameters: scalars (rsl::usize and rsl::isize for Rust's usize and
// isize), std::string_view (&str: checked to be UTF-8), rsl::Slice<T>
// (&[T]), and values of exported types as rsl::Ref (&T: a const Local&),
// rsl::Mut (&mut T: a Local&) and rsl::OptRef (Option<&T>: a const Local*,
// or nullptr); results: a scalar or void. A value must be of the function's
// library and type (any binding of it), else rsl::Error before the call.
//
// Interfaces a library's types implement (docs/FORMAT.md, "Interfaces")
// are declared method by method, the receiver first, and bound to every
// implementation the library exports by the Rust binder; values of the
// implementing types (types the host never saw) are made by the library's
// witnesses, and each method is an rsl::Function:
//
//     rsl::Interface describe("widgets", "Describe");
//     auto key = describe.method<std::uint64_t(rsl::This)>("key");      // &self
//     auto set_key = describe.method<void(rsl::ThisMut, std::uint64_t)>("set_key");  // &mut self
//     auto weight_key = describe.optional<std::uint64_t(rsl::This)>("weight_key");
//     for (const rsl::Implementation &imp : lib.implementations(describe)) {  // every mismatch at once
//         rsl::Value v = imp.create();
//         imp.method(set_key)(v, 42);
//         std::uint64_t k = imp.method(key)(v);
//     }
//
// Errors are thrown as rsl::Error, whose what() is the Rust message (naming
// the library, type and field); an impossible size or a failed allocation
// of a value is an rsl::Error too. A call that fails or throws in the
// library throws rsl::CallError (an rsl::Error) with the library's message,
// in the Rust host's words; the library stays usable.
//
// Thread safety: a Library, its Bound types, tokens, Functions and
// Implementations are immutable after open/bind and may be shared (an
// Interface is declared by one thread); a Value or Local is owned by
// one thread at a time, and stays on the thread that made it unless its
// type is send (Bound::flags() & RSL_FLAG_SEND).
#ifndef RESILIENT_CLIENT_HPP
#define RESILIENT_CLIENT_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "resilient/function.hpp"
#include "resilient/identity.hpp"
#include "resilient/layout.h"
#include "resilient/resilient.h"

static_assert(RSL_EXPECT_SCALAR == RSL_KIND_SCALAR && RSL_EXPECT_ARRAY == RSL_KIND_ARRAY &&
                  RSL_EXPECT_NESTED == RSL_KIND_RESILIENT && RSL_EXPECT_OPAQUE == RSL_KIND_OPAQUE,
              "an identity's kind is the expected type's kind");

namespace rsl {

// Why something was refused or failed: what() is the Rust message.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A called function failed (RSL_STATUS_FAILED: a Rust Err, a C++
// rsl::Failure) or panicked or threw: what() is the library's message in
// the Rust host's words. The library stays usable.
class CallError : public Error {
  public:
    CallError(const std::string &message, bool panicked) : Error(message), panicked_(panicked) {}
    // Whether it panicked or threw, rather than failed.
    bool panicked() const noexcept { return panicked_; }

  private:
    bool panicked_;
};

namespace detail {

// An rsl_error for one call, freed after it.
class ErrorBox {
  public:
    ErrorBox() : e_(rsl_error_new()) {}
    ~ErrorBox() { rsl_error_free(e_); }
    ErrorBox(const ErrorBox &) = delete;
    ErrorBox &operator=(const ErrorBox &) = delete;
    rsl_error *get() const { return e_; }
    [[noreturn]] void raise(rsl_status s) const {
        std::string m = rsl_error_message(e_);
        if (m.empty()) m = "resilient: the C API failed with status " + std::to_string(static_cast<int>(s));
        throw Error(m);
    }

  private:
    rsl_error *e_;
};

// Calls `f(rsl_error *)`, throwing rsl::Error on failure; returns the status
// (RSL_OK or RSL_ABSENT).
template <class F>
rsl_status call(F &&f) {
    ErrorBox e;
    rsl_status s = f(e.get());
    if (s != RSL_OK && s != RSL_ABSENT) e.raise(s);
    return s;
}

// Calls `f(rsl_error *)` with no error first (the hot path allocates
// nothing); on failure calls it again with one, for the message, and throws.
// Only for calls that change nothing when they fail.
template <class F>
void call_fast(F &&f) {
    if (f(nullptr) == RSL_OK) return;
    call(f);
}

// The expected-type description of an identity record: a chain of
// rsl_expect (one per array level) and their names, owned here.
class Expect {
  public:
    explicit Expect(const rsl_type_identity &id) {
        std::size_t depth = 0;
        for (const rsl_type_identity *p = &id; p; p = p->kind == RSL_KIND_ARRAY ? p->element : nullptr) ++depth;
        names_.reserve(depth);
        chain_.resize(depth);
        const rsl_type_identity *p = &id;
        for (std::size_t i = 0; i < depth; ++i, p = p->element) {
            names_.emplace_back(p->name.ptr, p->name.len);
            rsl_expect &x = chain_[i];
            x.kind = p->kind;
            x.name = p->kind == RSL_KIND_ARRAY ? nullptr : names_.back().c_str();
            x.size = p->size;
            x.align = p->align;
            x.count = p->count;
            x.element = i + 1 < depth ? &chain_[i + 1] : nullptr;
        }
    }
    // A nested resilient type, by name.
    explicit Expect(const std::string &nested) : names_{nested}, chain_(1) {
        chain_[0] = {RSL_EXPECT_NESTED, names_[0].c_str(), 0, 0, 0, nullptr};
    }
    Expect(const Expect &) = delete;
    Expect &operator=(const Expect &) = delete;
    const rsl_expect *get() const { return chain_.data(); }

  private:
    std::vector<std::string> names_;
    std::vector<rsl_expect> chain_;
};

}  // namespace detail

// A token: the offset of a field of type T in one bound type, plus the
// binding it belongs to (an id never reused in the process) and its index in
// the view. The C API accepts it only on values of that binding.
template <class T>
struct Field {
    std::uint64_t binding;
    std::size_t offset;
    std::uint32_t index;

    rsl_field raw() const { return rsl_field{binding, offset, index}; }
};

// What a consumer needs of a foreign type: fields it requires, fields it can
// do without (older libraries), checked at bind time by the Rust binder.
class View {
  public:
    View(std::string module, std::string type) : module_(std::move(module)), type_(std::move(type)) {}
    template <class T>
    View &field(const std::string &name) {
        needs_.push_back({name, true, RSL_BY_VALUE, &identity<T>::value, {}});
        return *this;
    }
    template <class T>
    View &optional(const std::string &name) {
        needs_.push_back({name, false, RSL_BY_VALUE, &identity<T>::value, {}});
        return *this;
    }
    // A nested resilient field of type `type` (bind a View of `type` for its
    // own fields).
    View &nested(const std::string &name, const std::string &type, bool required = true) {
        needs_.push_back({name, required, RSL_NESTED, nullptr, type});
        return *this;
    }
    const std::string &module() const { return module_; }
    const std::string &type() const { return type_; }

  private:
    friend class Library;
    struct Need {
        std::string name;
        bool required;
        int access;
        const rsl_type_identity *identity;  // by value
        std::string nested;                 // nested
    };
    std::string module_, type_;
    std::vector<Need> needs_;
};

// A view bound to a type of a loaded library. Keeps the library loaded.
class Bound {
  public:
    // The token of a field the view declared, as type T (setup time, not the
    // hot path).
    template <class T>
    Field<T> field(const std::string &name) const {
        Field<T> f{};
        if (!find<T>(name, f))
            throw Error(*lib_ + ": `" + type_name_ + "." + name + "` is absent (declared optional?)");
        return f;
    }
    // The token of an optional field, or false if this library lacks it.
    template <class T>
    bool optional(const std::string &name, Field<T> &out) const {
        return find<T>(name, out);
    }
    std::size_t size() const { return size_; }
    std::size_t align() const { return align_; }
    std::size_t stride() const { return stride_; }
    std::uint32_t flags() const { return rsl_bound_flags(h_.get()); }
    // The binding id this binding's tokens carry (fresh per bind, never
    // reused in the process).
    std::uint64_t id() const { return binding_; }
    // The id of the library's type this is bound to: the same for every
    // binding of it, never reused (what a function's reference parameter
    // checks).
    std::uint64_t type_id() const { return type_id_; }
    const std::string &type_name() const { return type_name_; }
    const std::string &library() const { return *lib_; }
    const rsl_bound *handle() const { return h_.get(); }

    // A default value in caller-provided room (`room_size` bytes, aligned to
    // align()), to be dropped with drop_at exactly once.
    void init_at(void *room, std::size_t room_size) const {
        detail::call([&](rsl_error *e) { return rsl_bound_init_at(h_.get(), room, room_size, e); });
    }
    // Drops a value made by init_at.
    void drop_at(void *value) const noexcept { rsl_bound_drop_at(h_.get(), value); }

  private:
    friend class Library;
    friend class Implementation;
    // The binding `b` (made by the C API for the library at `lib`), owned
    // from now on.
    static Bound adopt(rsl_bound *b, std::shared_ptr<const std::string> lib) {
        Bound out;
        out.h_ = std::shared_ptr<rsl_bound>(b, rsl_bound_free);
        out.lib_ = std::move(lib);
        out.type_name_ = rsl_bound_type_name(b);
        out.size_ = rsl_bound_size(b);
        out.align_ = rsl_bound_align(b);
        out.stride_ = rsl_bound_stride(b);
        out.binding_ = rsl_bound_binding(b);
        out.type_id_ = rsl_bound_type_id(b);
        return out;
    }
    template <class T>
    bool find(const std::string &name, Field<T> &out) const {
        detail::Expect as(identity<T>::value);
        rsl_field f{};
        rsl_status s = detail::call([&](rsl_error *e) {
            return rsl_bound_field_named(h_.get(), name.c_str(), as.get(), RSL_BY_VALUE, &f, e);
        });
        if (s == RSL_ABSENT) return false;
        out = Field<T>{f.binding, f.offset, f.index};
        return true;
    }
    std::shared_ptr<rsl_bound> h_;
    std::shared_ptr<const std::string> lib_;
    std::string type_name_;
    std::size_t size_ = 0, align_ = 1, stride_ = 0;
    std::uint64_t binding_ = 0;
    std::uint64_t type_id_ = 0;
};

class Api;
class Interface;
class Implementation;

// An opened library whose metadata the Rust loader has validated.
class Library {
  public:
    static Library open(const std::string &path) {
        rsl_library *raw = nullptr;
        detail::call([&](rsl_error *e) { return rsl_library_open(path.c_str(), &raw, e); });
        Library lib;
        lib.h_ = std::shared_ptr<rsl_library>(raw, rsl_library_close);
        lib.path_ = std::make_shared<const std::string>(path);
        lib.module_ = rsl_library_module(raw);
        lib.version_ = rsl_library_version(raw);
        return lib;
    }

    const std::string &path() const { return *path_; }
    const std::string &module() const { return module_; }
    const std::string &version() const { return version_; }
    const rsl_library *handle() const { return h_.get(); }

    // Binds `view` (layout_meta::compat::bind_view): every required field
    // must exist with the type the view expects; all mismatches are reported
    // in one Error, in the Rust binder's words.
    Bound bind(const View &view) const {
        rsl_view *raw = nullptr;
        detail::call([&](rsl_error *e) { return rsl_view_new(view.module().c_str(), view.type().c_str(), &raw, e); });
        std::unique_ptr<rsl_view, void (*)(rsl_view *)> v(raw, rsl_view_free);
        for (const auto &n : view.needs_) {
            std::unique_ptr<detail::Expect> ex(n.identity ? new detail::Expect(*n.identity)
                                                          : new detail::Expect(n.nested));
            detail::call([&](rsl_error *e) {
                return rsl_view_add_field(v.get(), n.name.c_str(), n.required ? 1 : 0, n.access, ex->get(), e);
            });
        }
        rsl_bound *b = nullptr;
        detail::call([&](rsl_error *e) { return rsl_view_bind(v.get(), h_.get(), &b, e); });
        return Bound::adopt(b, path_);
    }

    // The functions of module `module` this library exports, to bind by
    // name and signature (the module is checked at each bind).
    Api api(const std::string &module) const;

    // Every implementation of `iface` this library exports, each bound by
    // the code the Rust host's implementations() binds with: every method
    // the interface declares must exist with exactly its signature, the
    // receiver being the implementing type. Throws rsl::Error with every
    // mismatch of every implementation (type, interface, method and
    // parameter), in the Rust binder's words.
    std::vector<Implementation> implementations(const Interface &iface) const;

  private:
    std::shared_ptr<rsl_library> h_;
    std::shared_ptr<const std::string> path_;
    std::string module_, version_;
};

// Room RSL_DYNAMIC_LOCAL reserves in its scope, and its alignment: values up
// to this size (and alignment) live there, larger ones on the heap.
constexpr std::size_t INLINE_CAP = RSL_INLINE_CAP;
constexpr std::size_t INLINE_ALIGN = RSL_INLINE_ALIGN;

// A value of a foreign type made by the library's witnesses, in room the
// caller provides (when it fits) or on the heap (made by the C API, so an
// impossible size is an rsl::Error).
class Local {
  public:
    // A default value in `room` (`room_size` bytes) if the type fits there
    // with its alignment, else on the heap; `room` may be null.
    Local(const Bound &b, void *room, std::size_t room_size) : b_(b) {
        auto p = reinterpret_cast<std::uintptr_t>(room);
        if (room && b.size() <= room_size && p % b.align() == 0) {
            b.init_at(room, room_size);
            p_ = static_cast<unsigned char *>(room);
        } else {
            detail::call([&](rsl_error *e) { return rsl_value_new(b.handle(), &heap_, e); });
            p_ = static_cast<unsigned char *>(rsl_value_data(heap_));
        }
    }
    Local(const Local &) = delete;
    Local &operator=(const Local &) = delete;
    ~Local() {
        if (heap_)
            rsl_value_free(heap_);
        else
            b_.drop_at(p_);
    }

    // Reads a field (checked: this binding's token, the field's size, and
    // for bool and char fields a valid value).
    template <class T>
    T get(Field<T> f) const {
        static_assert(std::is_trivially_copyable<T>::value, "fields are read by copy");
        unsigned char buf[sizeof(T)];
        detail::call_fast(
            [&](rsl_error *e) { return rsl_bound_get(b_.handle(), p_, f.raw(), buf, sizeof(T), e); });
        T v;
        std::memcpy(static_cast<void *>(&v), buf, sizeof(T));
        return v;
    }
    // Writes a field (checked as get; invalid bytes are refused, nothing is
    // written).
    template <class T>
    void set(Field<T> f, const T &v) {
        static_assert(std::is_trivially_copyable<T>::value, "fields are written by copy");
        detail::call_fast(
            [&](rsl_error *e) { return rsl_bound_set(b_.handle(), p_, f.raw(), &v, sizeof(T), e); });
    }
    unsigned char *data() const { return p_; }
    const Bound &bound() const { return b_; }

  protected:
    struct CloneOf {};
    // A heap copy of a heap value, made by the clone witness.
    Local(const Local &src, CloneOf) : b_(src.b_) {
        if (!src.heap_) throw Error("only a value on the heap is cloned");
        detail::call([&](rsl_error *e) { return rsl_value_clone(src.heap_, &heap_, e); });
        p_ = static_cast<unsigned char *>(rsl_value_data(heap_));
    }

  private:
    Bound b_;
    unsigned char *p_ = nullptr;
    rsl_value *heap_ = nullptr;
};

// A value on the heap, RAII: created by the default witness, copied by the
// clone witness, destroyed by the drop witness, exactly once each.
class Value : public Local {
  public:
    explicit Value(const Bound &b) : Local(b, nullptr, 0) {}
    // A copy made by the library's clone witness.
    Value(const Value &other) : Local(other, CloneOf{}) {}
};

// ---------------------------------------------------------------- functions

// Markers of a host-side signature for values of exported types (the type
// is named when binding): `&T`, `&mut T` and `Option<&T>`.
struct Ref {};
struct Mut {};
struct OptRef {};
// A method's receiver (rsl::Interface): `&self` and `&mut self`, a value of
// the implementing type, whichever it is.
struct This {};
struct ThisMut {};

namespace detail {

// Whether the `n` bytes at `s` are UTF-8 (what a Rust &str holds).
inline bool utf8(const char *s, std::size_t n) noexcept {
    const auto *p = reinterpret_cast<const unsigned char *>(s);
    std::size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4 || i + len > n) return false;
        std::uint32_t cp = c & (0x3Fu >> (len - 1));
        for (std::size_t k = 1; k < len; ++k) {
            unsigned b = p[i + k];
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        // Overlong forms, surrogates, past U+10FFFF.
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

// How a parameter of a host-side signature crosses: its pass code and type
// (`identity`: null for references, named when binding, and strings), what
// the call takes (`input`), its form in the thunk's signature (`ffi`), and
// why a value cannot be passed (`refuse`: null if it can).
template <class T, class = void>
struct Arg {
    static_assert(lowering::always_false<T>,
                  "a function's parameter is a scalar, std::string_view, rsl::Slice<T>, rsl::Ref, rsl::Mut or "
                  "rsl::OptRef");
};

template <class T>
struct Arg<T, std::enable_if_t<lowering::is_scalar<T>>> {
    static constexpr std::uint32_t pass = RSL_PASS_VALUE;
    static constexpr bool reference = false, exclusive = false;
    static const rsl_type_identity *identity() { return &::rsl::identity<T>::value; }
    using input = T;
    using ffi = typename lowering::lowered<T>::type;
    static const char *refuse(T v, std::uint64_t) noexcept {
        if constexpr (std::is_same<T, char32_t>::value)
            return lowering::valid_char(v) ? nullptr : "a char32_t that is not a Unicode scalar value";
        (void)v;
        return nullptr;
    }
    static ffi lower(T v) noexcept { return static_cast<ffi>(v); }
    static const void *address(T) noexcept { return nullptr; }
};

template <>
struct Arg<std::string_view> {
    static constexpr std::uint32_t pass = RSL_PASS_STR;
    static constexpr bool reference = false, exclusive = false;
    static const rsl_type_identity *identity() { return nullptr; }
    using input = std::string_view;
    using ffi = rsl_slice;
    static const char *refuse(std::string_view v, std::uint64_t) noexcept {
        return utf8(v.data(), v.size()) ? nullptr : "the string is not UTF-8";
    }
    static ffi lower(std::string_view v) noexcept { return lowering::lower_slice(v.data(), v.size()); }
    static const void *address(std::string_view) noexcept { return nullptr; }
};

template <class T>
struct Arg<Slice<T>> {
    static_assert(lowering::is_slice_element<T>, "rsl::Slice<T> crosses as Rust's &[T]: T is a number");
    static constexpr std::uint32_t pass = RSL_PASS_SLICE;
    static constexpr bool reference = false, exclusive = false;
    static const rsl_type_identity *identity() { return &::rsl::identity<T>::value; }
    using input = Slice<T>;
    using ffi = rsl_slice;
    static const char *refuse(Slice<T>, std::uint64_t) noexcept { return nullptr; }
    static ffi lower(Slice<T> v) noexcept { return lowering::lower_slice(v.data(), v.size()); }
    static const void *address(Slice<T>) noexcept { return nullptr; }
};

constexpr const char *other_type = "the value belongs to another type, library or version than the function takes";

template <>
struct Arg<Ref> {
    static constexpr std::uint32_t pass = RSL_PASS_REF;
    static constexpr bool reference = true, exclusive = false;
    static const rsl_type_identity *identity() { return nullptr; }
    using input = const Local &;
    using ffi = const void *;
    static const char *refuse(const Local &v, std::uint64_t type) noexcept {
        return v.bound().type_id() == type ? nullptr : other_type;
    }
    static ffi lower(const Local &v) noexcept { return v.data(); }
    static const void *address(const Local &v) noexcept { return v.data(); }
};

template <>
struct Arg<Mut> {
    static constexpr std::uint32_t pass = RSL_PASS_MUT;
    static constexpr bool reference = true, exclusive = true;
    static const rsl_type_identity *identity() { return nullptr; }
    using input = Local &;
    using ffi = void *;
    static const char *refuse(const Local &v, std::uint64_t type) noexcept {
        return v.bound().type_id() == type ? nullptr : other_type;
    }
    static ffi lower(Local &v) noexcept { return v.data(); }
    static const void *address(const Local &v) noexcept { return v.data(); }
};

template <>
struct Arg<OptRef> {
    static constexpr std::uint32_t pass = RSL_PASS_OPT_REF;
    static constexpr bool reference = true, exclusive = false;
    static const rsl_type_identity *identity() { return nullptr; }
    using input = const Local *;
    using ffi = const void *;
    static const char *refuse(const Local *v, std::uint64_t type) noexcept {
        return v == nullptr || v->bound().type_id() == type ? nullptr : other_type;
    }
    static ffi lower(const Local *v) noexcept { return v != nullptr ? v->data() : nullptr; }
    static const void *address(const Local *v) noexcept { return v != nullptr ? v->data() : nullptr; }
};

// The receiver: a value of the implementing type (its type is the
// implementation's, named by nobody).
template <>
struct Arg<This> : Arg<Ref> {};
template <>
struct Arg<ThisMut> : Arg<Mut> {};

template <class T>
constexpr bool is_receiver = std::is_same<T, This>::value || std::is_same<T, ThisMut>::value;

// How a result crosses: room for it (`slot`) and the result made from it.
template <class R, class = void>
struct Ret {
    static_assert(lowering::always_false<R>, "a function's result is a scalar or void");
};

template <>
struct Ret<void> {
    static constexpr std::uint32_t pass = RSL_PASS_UNIT;
    static const rsl_type_identity *identity() { return nullptr; }
    using ffi = void;
    struct slot {
        unsigned char unused = 0;
        void *ptr() noexcept { return &unused; }
        void get() const noexcept {}
    };
};

template <class R>
struct Ret<R, std::enable_if_t<lowering::is_scalar<R>>> {
    static constexpr std::uint32_t pass = RSL_PASS_VALUE;
    static const rsl_type_identity *identity() { return &::rsl::identity<R>::value; }
    using ffi = typename lowering::lowered<R>::type;
    struct slot {
        ffi value;
        ffi *ptr() noexcept { return &value; }
        R get() const noexcept { return R(value); }
    };
};

// Signature R(A...) described as data for the C API: one rsl_param per
// parameter and the result, and the expected types they point to, owned
// here. `types` names the exported type of each reference parameter, in
// order (a receiver is none: it is the implementing type); `name`, for the
// error if there are not as many.
template <class R, class... A>
class Described {
  public:
    Described(const std::string &name, const std::vector<std::string> &types) {
        constexpr std::size_t n = sizeof...(A);
        const std::uint32_t passes[] = {Arg<A>::pass..., 0};
        const bool refs[] = {(Arg<A>::reference && !is_receiver<A>)..., false};
        const rsl_type_identity *ids[] = {Arg<A>::identity()..., nullptr};
        std::size_t nrefs = 0;
        for (std::size_t i = 0; i < n; ++i) nrefs += refs[i] ? 1 : 0;
        if (types.size() != nrefs)
            throw Error("`" + name + "`: " + std::to_string(nrefs) + " reference parameter(s), " +
                        std::to_string(types.size()) + " type name(s) given");
        std::size_t k = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (refs[i])
                expects_.emplace_back(new Expect(types[k++]));
            else if (ids[i])
                expects_.emplace_back(new Expect(*ids[i]));
            else
                expects_.emplace_back(nullptr);
            params_.push_back(rsl_param{passes[i], expects_.back() ? expects_.back()->get() : nullptr});
        }
        const rsl_type_identity *ret_id = Ret<R>::identity();
        if (ret_id) ret_expect_.reset(new Expect(*ret_id));
        result_ = rsl_param{Ret<R>::pass, ret_expect_ ? ret_expect_->get() : nullptr};
    }
    Described(const Described &) = delete;
    Described &operator=(const Described &) = delete;

    const rsl_param *params() const { return params_.data(); }
    std::size_t count() const { return params_.size(); }
    const rsl_param *result() const { return &result_; }

  private:
    std::vector<std::unique_ptr<Expect>> expects_;
    std::vector<rsl_param> params_;
    std::unique_ptr<Expect> ret_expect_;
    rsl_param result_{};
};

}  // namespace detail

template <class Sig>
class Function {
    static_assert(lowering::always_false<Sig>, "rsl::Function<R(Args...)>: a function type");
};

// A function of a library bound to signature R(A...): call it like a
// function. Keeps the library loaded; copies share the binding.
template <class R, class... A>
class Function<R(A...)> {
    static_assert(sizeof...(A) <= 64, "a function has at most 64 parameters");

  public:
    // Calls the function: checks each value passed by reference (its type),
    // each string (UTF-8) and each char32_t, then one indirect call through
    // the library's thunk. Throws rsl::Error for a value it cannot pass, and
    // rsl::CallError if the function failed, panicked or threw.
    R operator()(typename detail::Arg<A>::input... a) const { return call(std::index_sequence_for<A...>{}, a...); }

    const std::string &name() const { return name_; }
    const rsl_function *handle() const { return h_.get(); }

  private:
    friend class Api;
    friend class Implementation;
    using Thunk = std::uint32_t (*)(typename detail::Arg<A>::ffi..., typename detail::Ret<R>::ffi *,
                                    rsl_call_error *);

    // Made only by binding (Api, Implementation): never a function without
    // a thunk.
    Function() = default;

    // The bound function `raw` (made by the C API with this signature),
    // owned from now on.
    static Function adopt(rsl_function *raw, const std::string &name) {
        Function f;
        f.h_ = std::shared_ptr<rsl_function>(raw, rsl_function_free);
        f.thunk_ = reinterpret_cast<Thunk>(rsl_function_thunk(raw));
        for (std::size_t i = 0; i < sizeof...(A); ++i) f.types_[i] = rsl_function_param_type(raw, i);
        f.name_ = name;
        return f;
    }

    // Binds `name` of `module` in `lib`: the signature as data, one type name
    // per reference parameter, checked by the Rust binder. Empty if the
    // function is optional and absent.
    static std::optional<Function> bind(const rsl_library *lib, const std::string &module, const std::string &name,
                                        const std::vector<std::string> &types, bool required) {
        static_assert(!(detail::is_receiver<A> || ... || false),
                      "rsl::This and rsl::ThisMut are a method's receiver: declare the method in an rsl::Interface");
        detail::Described<R, A...> d(name, types);
        rsl_function *raw = nullptr;
        rsl_status s = detail::call([&](rsl_error *e) {
            return rsl_function_bind(lib, module.c_str(), name.c_str(), d.params(), d.count(), d.result(),
                                     required ? 1 : 0, &raw, e);
        });
        if (s == RSL_ABSENT) return std::nullopt;
        return adopt(raw, name);
    }

    template <std::size_t... I>
    R call(std::index_sequence<I...>, typename detail::Arg<A>::input... a) const {
        const char *why[] = {detail::Arg<A>::refuse(a, types_[I])..., nullptr};
        for (std::size_t i = 0; i < sizeof...(A); ++i)
            if (why[i]) refused(i, why[i]);
        if constexpr ((detail::Arg<A>::exclusive || ... || false) && sizeof...(A) > 1) {
            // Rust's &mut is exclusive: the value it points to is passed once.
            const void *at[] = {detail::Arg<A>::address(a)...};
            const bool exclusive[] = {detail::Arg<A>::exclusive...};
            for (std::size_t i = 0; i < sizeof...(A); ++i)
                for (std::size_t j = 0; j < sizeof...(A); ++j)
                    if (exclusive[i] && i != j && at[i] != nullptr && at[i] == at[j])
                        refused(i, "a value passed as rsl::Mut (exclusive) is passed again");
        }
        rsl_call_error e{nullptr, 0, 0, nullptr};
        typename detail::Ret<R>::slot ret;
        std::uint32_t st = thunk_(detail::Arg<A>::lower(a)..., ret.ptr(), &e);
        if (st != RSL_STATUS_OK) failed(st, e);
        return ret.get();
    }

    [[noreturn]] void refused(std::size_t index, const char *why) const {
        throw Error("`" + name_ + "` (parameter " + std::to_string(index + 1) + "): " + why);
    }

    // Frees the library's message through its own free and throws the Rust
    // host's error for the call.
    [[noreturn]] void failed(std::uint32_t st, rsl_call_error &e) const {
        detail::ErrorBox box;
        rsl_function_call_failed(h_.get(), st, &e, box.get());
        std::string m = rsl_error_message(box.get());
        if (m.empty()) m = "`" + name_ + "` failed (status " + std::to_string(st) + ")";
        throw CallError(m, st != RSL_STATUS_FAILED);
    }

    std::shared_ptr<rsl_function> h_;
    Thunk thunk_ = nullptr;
    std::array<std::uint64_t, sizeof...(A)> types_{};
    std::string name_;
};

// The functions of one module of a library (Library::api): the host's
// declaration of what it calls, bound function by function.
class Api {
  public:
    const std::string &module() const { return module_; }

    // Binds function `name` to signature Sig (R(Args...)): `types` names the
    // exported type of each reference parameter (rsl::Ref, rsl::Mut,
    // rsl::OptRef), in order. Throws rsl::Error with the Rust binder's
    // message if the library lacks it or has another signature.
    template <class Sig>
    Function<Sig> function(const std::string &name, const std::vector<std::string> &types = {}) const {
        std::optional<Function<Sig>> f = Function<Sig>::bind(lib_.get(), module_, name, types, true);
        if (!f) throw Error("`" + name + "` is absent");
        return std::move(*f);
    }

    // As function(), for a function older libraries lack: empty if this one
    // does (a function of that name with another signature still throws).
    template <class Sig>
    std::optional<Function<Sig>> optional(const std::string &name, const std::vector<std::string> &types = {}) const {
        return Function<Sig>::bind(lib_.get(), module_, name, types, false);
    }

  private:
    friend class Library;
    Api(std::shared_ptr<rsl_library> lib, std::string module) : lib_(std::move(lib)), module_(std::move(module)) {}
    std::shared_ptr<rsl_library> lib_;
    std::string module_;
};

inline Api Library::api(const std::string &module) const { return Api(h_, module); }

// --------------------------------------------------------------- interfaces

namespace detail {

// An interface's declaration, shared by its copies, its method tokens and
// the implementations bound from it.
struct InterfaceDecl {
    rsl_interface *h = nullptr;
    std::string module, name;
    std::size_t methods = 0;
    InterfaceDecl() = default;
    InterfaceDecl(const InterfaceDecl &) = delete;
    InterfaceDecl &operator=(const InterfaceDecl &) = delete;
    ~InterfaceDecl() { rsl_interface_free(h); }
};

}  // namespace detail

template <class Sig>
class Method {
    static_assert(lowering::always_false<Sig>, "rsl::Method<R(rsl::This, Args...)>: a function type");
};

// A method an rsl::Interface declares, with signature R(A...) (A's first is
// the receiver, rsl::This or rsl::ThisMut): the token an Implementation
// hands out the bound method for. Plain data; copy it freely.
template <class R, class... A>
class Method<R(A...)> {
  public:
    const std::string &name() const { return name_; }
    // Whether every implementation has it (else, some may lack it).
    bool required() const { return required_; }

  private:
    friend class Interface;
    friend class Implementation;
    Method(std::shared_ptr<const detail::InterfaceDecl> decl, std::size_t index, std::string name, bool required)
        : decl_(std::move(decl)), index_(index), name_(std::move(name)), required_(required) {}
    std::shared_ptr<const detail::InterfaceDecl> decl_;
    std::size_t index_;
    std::string name_;
    bool required_;
};

// What a host calls of an interface (the plugin-host pattern: "every type of
// the library that implements Describe"), as Rust's interface! declares it:
// each method's name and signature, the receiver first (rsl::This for
// &self, rsl::ThisMut for &mut self), checked when bound
// (Library::implementations) by the Rust binder. Declared by one thread;
// copies share the declaration.
class Interface {
  public:
    Interface(const std::string &module, const std::string &name) : decl_(std::make_shared<detail::InterfaceDecl>()) {
        detail::call([&](rsl_error *e) { return rsl_interface_new(module.c_str(), name.c_str(), &decl_->h, e); });
        decl_->module = module;
        decl_->name = name;
    }

    const std::string &module() const { return decl_->module; }
    const std::string &name() const { return decl_->name; }
    const rsl_interface *handle() const { return decl_->h; }

    // Declares method `name` with signature Sig (R(rsl::This, Args...) or
    // R(rsl::ThisMut, Args...)), which every implementation must have:
    // `types` names the exported type of each reference parameter after
    // the receiver, in order. The token hands out the bound method
    // (Implementation::method).
    template <class Sig>
    Method<Sig> method(const std::string &name, const std::vector<std::string> &types = {}) {
        return declare(static_cast<Sig *>(nullptr), name, types, true);
    }
    // As method(), for a method an implementation may lack (older
    // libraries, or types that do not have it).
    template <class Sig>
    Method<Sig> optional(const std::string &name, const std::vector<std::string> &types = {}) {
        return declare(static_cast<Sig *>(nullptr), name, types, false);
    }

  private:
    friend class Library;
    template <class R>
    Method<R()> declare(R (*)(), const std::string &, const std::vector<std::string> &, bool) {
        static_assert(lowering::always_false<R>, "a method takes its receiver first: rsl::This or rsl::ThisMut");
    }
    template <class R, class Self, class... A>
    Method<R(Self, A...)> declare(R (*)(Self, A...), const std::string &name, const std::vector<std::string> &types,
                                  bool required) {
        static_assert(detail::is_receiver<Self>,
                      "a method takes its receiver first: rsl::This (&self) or rsl::ThisMut (&mut self)");
        static_assert(!(detail::is_receiver<A> || ... || false), "a method has one receiver, its first parameter");
        static_assert(sizeof...(A) < 64, "a method has at most 64 parameters, the receiver included");
        detail::Described<R, A...> d(name, types);
        detail::call([&](rsl_error *e) {
            return rsl_interface_add_method(decl_->h, name.c_str(), detail::Arg<Self>::pass, d.params(), d.count(),
                                            d.result(), required ? 1 : 0, e);
        });
        return Method<R(Self, A...)>(decl_, decl_->methods++, name, required);
    }
    std::shared_ptr<detail::InterfaceDecl> decl_;
};

// One type's implementation of an interface, bound: the type's name, its
// values (made by the library's witnesses) and its methods. Keeps the
// library loaded; immutable, copies share it.
//
//     rsl::Interface describe("widgets", "Describe");
//     auto key = describe.method<std::uint64_t(rsl::This)>("key");
//     auto set_key = describe.method<void(rsl::ThisMut, std::uint64_t)>("set_key");
//     for (const rsl::Implementation &imp : lib.implementations(describe)) {
//         rsl::Value v = imp.create();                  // a value of a type this host never saw
//         imp.method(set_key)(v, 42);
//         std::uint64_t k = imp.method(key)(v);
//     }
class Implementation {
  public:
    const std::string &type_name() const { return type_name_; }
    const std::string &interface() const { return decl_->name; }
    // The implementing type, bound with no fields: the type of the values
    // the methods take (rsl::Value v(imp.bound()), RSL_DYNAMIC_LOCAL).
    const Bound &bound() const { return bound_; }
    // A new value of the implementing type (the library's default witness).
    Value create() const { return Value(bound_); }

    // The bound method `m` declares: an rsl::Function whose first parameter
    // is the receiver, a value of this type. Throws rsl::Error for a token
    // of another interface declaration, one declared after this binding,
    // or an optional method this type lacks. Keep it: each call binds anew.
    template <class Sig>
    Function<Sig> method(const Method<Sig> &m) const {
        std::optional<Function<Sig>> f = optional(m);
        if (!f) throw Error("`" + type_name_ + "` as `" + decl_->name + "` lacks the optional method `" + m.name() + "`");
        return std::move(*f);
    }
    // As method(), empty for an optional method this type lacks.
    template <class Sig>
    std::optional<Function<Sig>> optional(const Method<Sig> &m) const {
        if (m.decl_ != decl_)
            throw Error("`" + m.name() + "`: a method of another declaration of `" + m.decl_->name + "`");
        if (m.index_ >= methods_)
            throw Error("`" + m.name() + "` was declared after `" + decl_->name + "` was bound");
        rsl_function *raw = nullptr;
        rsl_status s = detail::call([&](rsl_error *e) { return rsl_impl_method(h_.get(), m.index_, &raw, e); });
        if (s == RSL_ABSENT) return std::nullopt;
        return Function<Sig>::adopt(raw, m.name());
    }
    const rsl_impl *handle() const { return h_.get(); }

  private:
    friend class Library;
    Implementation(std::shared_ptr<rsl_impl> h, std::shared_ptr<const detail::InterfaceDecl> decl, Bound bound)
        : h_(std::move(h)),
          decl_(std::move(decl)),
          bound_(std::move(bound)),
          type_name_(rsl_impl_type_name(h_.get())),
          methods_(rsl_impl_method_count(h_.get())) {}
    std::shared_ptr<rsl_impl> h_;
    std::shared_ptr<const detail::InterfaceDecl> decl_;
    Bound bound_;
    std::string type_name_;
    std::size_t methods_;
};

inline std::vector<Implementation> Library::implementations(const Interface &iface) const {
    rsl_impl_list *raw = nullptr;
    detail::call([&](rsl_error *e) { return rsl_interface_bind(iface.decl_->h, h_.get(), &raw, e); });
    std::unique_ptr<rsl_impl_list, void (*)(rsl_impl_list *)> list(raw, rsl_impl_list_free);
    std::vector<Implementation> out;
    const std::size_t n = rsl_impl_list_count(raw);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        rsl_impl *imp = nullptr;
        detail::call([&](rsl_error *e) { return rsl_impl_list_get(raw, i, &imp, e); });
        std::shared_ptr<rsl_impl> h(imp, rsl_impl_free);
        rsl_bound *b = nullptr;
        detail::call([&](rsl_error *e) { return rsl_impl_bound(imp, &b, e); });
        out.push_back(Implementation(std::move(h), iface.decl_, Bound::adopt(b, path_)));
    }
    return out;
}

}  // namespace rsl

#define RSL_CLIENT_CAT_(a, b) a##b
#define RSL_CLIENT_CAT(a, b) RSL_CLIENT_CAT_(a, b)

// Declares `name`, a default value of `bound`'s type, destroyed at the end of
// the enclosing scope. Its room is a buffer of rsl::INLINE_CAP bytes aligned
// to rsl::INLINE_ALIGN declared in that same scope (not alloca): the
// compiler reserves it once in the frame and reuses it, so the macro in a
// loop takes the same bytes every iteration instead of growing the stack.
// Values larger than the buffer (or aligned more strictly) go to the heap.
// One buffer per use: 2 KiB of frame, under a page, so no guard page can be
// stepped over.
#define RSL_DYNAMIC_LOCAL(name, bound)                                                          \
    alignas(RSL_INLINE_ALIGN) unsigned char RSL_CLIENT_CAT(rsl_room_, name)[RSL_INLINE_CAP];    \
    ::rsl::Local name((bound), RSL_CLIENT_CAT(rsl_room_, name), sizeof(RSL_CLIENT_CAT(rsl_room_, name)))

#endif  // RESILIENT_CLIENT_HPP
