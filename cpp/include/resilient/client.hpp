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
// Errors are thrown as rsl::Error, whose what() is the Rust message (naming
// the library, type and field); an impossible size or a failed allocation
// of a value is an rsl::Error too.
//
// Thread safety: a Library, its Bound types and tokens are immutable after
// open/bind and may be shared; a Value or Local is owned by one thread at a
// time, and stays on the thread that made it unless its type is send
// (Bound::flags() & RSL_FLAG_SEND).
#ifndef RESILIENT_CLIENT_HPP
#define RESILIENT_CLIENT_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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
};

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
        Bound out;
        out.h_ = std::shared_ptr<rsl_bound>(b, rsl_bound_free);
        out.lib_ = path_;
        out.type_name_ = rsl_bound_type_name(b);
        out.size_ = rsl_bound_size(b);
        out.align_ = rsl_bound_align(b);
        out.stride_ = rsl_bound_stride(b);
        out.binding_ = rsl_bound_binding(b);
        return out;
    }

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
