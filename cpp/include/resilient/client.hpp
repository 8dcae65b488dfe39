// resilient/client.hpp: the C++17 client of resilient libraries, a thin RAII
// layer over the C API (resilient/resilient.h). Every verdict is the Rust
// one by construction: opening and validating is the Rust loader's, binding
// is layout_meta::compat::bind_view, field access and values are
// resilient_types::dynamic. Nothing here validates, compares identities or
// binds on its own. Link the C API (the CMake target resilient::client, or
// libresilient.a with -ldl -lpthread -lm).
//
//     rsl::Library lib = rsl::Library::open("libwidgets.so");   // validated once
//     rsl::View point("widgets", "Point");
//     point.field<int32_t>("x").field<int32_t>("y");
//     rsl::View view("widgets", "Widget");
//     view.field<uint64_t>("id").optional<double>("scale").nested("origin", point);
//     rsl::Bound w = lib.bind(view);             // every mismatch at once
//     auto id = w.field<uint64_t>("id");         // tokens of this binding
//     rsl::Field<double> scale{};
//     bool has_scale = w.optional("scale", scale);
//     rsl::Nested origin = w.nested("origin");   // the nested view's binding
//     auto x = origin.bound().field<int32_t>("x");
//     rsl::Value v(w);                            // RAII through witnesses
//     v.set(id, uint64_t{42}); uint64_t n = v.get(id);
//     int32_t ox = v.nested(origin).get(x);       // the nested value, in place
//     RSL_DYNAMIC_LOCAL(tmp, w);                  // in this scope's frame (heap if large)
//
// A view may expect a frozen layout (View::frozen(fingerprint)): binding
// then refuses a type that is not frozen, or whose layout changed.
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
//     rsl::Bound p = lib.bind(point);
//     auto parse_point = widgets.function<rsl::Owned(std::string_view)>("parse_point", p);
//     rsl::Value pt = parse_point("3, 4");        // made by the library, owned here, read through p
//
// Parameters: scalars (rsl::usize and rsl::isize for Rust's usize and
// isize), std::string_view (&str: checked to be UTF-8), rsl::Slice<T>
// (&[T]), and values of exported types as rsl::Ref (&T: a const Place&,
// e.g. an rsl::Value or a nested value), rsl::Mut (&mut T: a PlaceMut&)
// and rsl::OptRef (Option<&T>: a const Place*, or nullptr); results: a
// scalar, void, or rsl::Owned (a value of an exported type, which comes
// back as an rsl::Value this side owns: the function is bound with the
// rsl::Bound its values are read through, of the type it returns). A value
// must be of the function's library and type (any binding of it), else
// rsl::Error before the call.
//
// What a host needs can also be declared once as constant data (RSL_VIEW,
// RSL_ENUM_VIEW, RSL_FUNCTION, RSL_OPTIONAL_FUNCTION, below): bound as above, and
// recorded in the binary so that `resilient check LIB --consumer HOST`
// checks a library against it offline, as it checks a Rust host's view!
// and api!.
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
// A method returning rsl::Owned names the result's type after the
// reference parameters' (method<rsl::Owned(rsl::This)>("copy", {"Point"}))
// and is bound with the rsl::Bound its values are read through
// (imp.method(copy, point_binding)).
//
// Enums a library exports (docs/FORMAT.md, "Enums") are read through an
// rsl::EnumView: the cases the host knows, each with the payload fields it
// reads, bound by the Rust binder (each case by name); a value's case is an
// index among them, or rsl::UNKNOWN_CASE for a case a later library added;
// payload fields are read through tokens, refused on a value in another
// case; a case is built by the library's own write_case:
//
//     rsl::EnumView status("widgets", "Status");
//     status.add_case("Idle").add_case("Busy", {rsl::payload<std::uint32_t>("jobs")});
//     rsl::Bound s = lib.bind(status);
//     auto jobs = s.payload<std::uint32_t>(1, "jobs");
//     rsl::Value busy = s.make(1, std::uint32_t{3});
//     if (s.case_of(busy) == 1) use(busy.get(jobs));
//
// Errors are thrown as rsl::Error, whose what() is the Rust message (naming
// the library, type and field); an impossible size or a failed allocation
// of a value is an rsl::Error too. A call that fails or throws in the
// library throws rsl::CallError (an rsl::Error) with the library's message,
// in the Rust host's words; the library stays usable.
//
// Thread safety: a Library, its Bound types, tokens, Nested tokens,
// Functions and Implementations are immutable after open/bind and may be
// shared (a View or an Interface is declared by one thread); a Value,
// Local or Place is used by one thread at a time, and a value stays on the
// thread that made it unless its type is send (Bound::flags() &
// RSL_FLAG_SEND).
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
static_assert(RSL_BY_VALUE == RSL_ACCESS_BY_VALUE && RSL_NESTED == RSL_ACCESS_NESTED && RSL_TEXT == RSL_ACCESS_TEXT &&
                  RSL_OPTIONAL_TEXT == RSL_ACCESS_OPTIONAL_TEXT && RSL_ELEMENTS == RSL_ACCESS_ELEMENTS,
              "the C API's access codes are the view records'");

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

// What a text or elements field is read as (docs/FORMAT.md, "Accessor and
// computed fields"): the library keeps it in a type of its own (Rust's
// String, Vec<T>, Option<String>; std::string, std::vector<T>,
// std::optional<std::string>) and reaches it through its accessors. Used
// as the T of a view's field and of its token: Field<Text>, Field<OptText>,
// Field<Elems<std::uint32_t>>, read with Place::text / elems and written
// with PlaceMut::set_text / set_elems (a by-value get or set refuses them).
struct Text {};     // text: a std::string_view borrowed from the value
struct OptText {};  // text that may hold nothing: an std::optional<std::string_view>
template <class T>
struct Elems {      // elements of a number T: an rsl::Slice<T> borrowed from the value
    static_assert(lowering::is_slice_element<T>, "rsl::Elems<T>: T is a number (not bool or char32_t)");
};

namespace detail {
// How a view reaches a field read as T, and the identity it expects: by
// value (T's), or through the library's accessors.
template <class T>
struct reach {
    static constexpr int access = RSL_BY_VALUE;
    static constexpr bool by_value = true;
    static constexpr const rsl_type_identity &identity() { return ::rsl::identity<T>::value; }
};
template <>
struct reach<Text> {
    static constexpr int access = RSL_TEXT;
    static constexpr bool by_value = false;
    static constexpr const rsl_type_identity &identity() { return lowering::str_identity; }
};
template <>
struct reach<OptText> {
    static constexpr int access = RSL_OPTIONAL_TEXT;
    static constexpr bool by_value = false;
    static constexpr const rsl_type_identity &identity() { return lowering::str_identity; }
};
template <class E>
struct reach<Elems<E>> {
    static constexpr int access = RSL_ELEMENTS;
    static constexpr bool by_value = false;
    static constexpr const rsl_type_identity &identity() { return ::rsl::identity<E>::value; }
};
// Whether T is read by value as a scalar or an array (not a resilient type).
template <class T>
constexpr bool plain_value() {
    if constexpr (reach<T>::by_value)
        return lowering::identity_kind<T>::value != 0 && !lowering::is_resilient<T>;
    else
        return true;
}
}  // namespace detail

struct FieldDecl;

// A view declared as constant data (rsl::view, RSL_VIEW), as its nested
// fields refer to it: the module, the type, a frozen layout, the fields.
struct ViewRef {
    const char *module = nullptr;
    const char *type = nullptr;
    bool frozen = false;
    std::uint64_t fingerprint = 0;
    const FieldDecl *fields = nullptr;
    std::size_t count = 0;
};

// One field of a view declared as constant data (rsl::field,
// rsl::optional_field, rsl::nested, rsl::optional_nested).
struct FieldDecl {
    const char *name = nullptr;
    bool required = true;
    int access = RSL_BY_VALUE;
    const rsl_type_identity *identity = nullptr;  // by value
    ViewRef nested{};                             // nested: the view of the nested type
};

template <std::size_t N>
struct ViewDecl;
template <std::size_t C, std::size_t P>
struct EnumViewDecl;

// A payload field an enum view reads of one case (rsl::payload,
// rsl::optional_payload): its name, whether binding fails without it, and
// the type it is read as.
struct PayloadDecl {
    const char *name = nullptr;
    bool required = true;
    const rsl_type_identity *identity = nullptr;
};

// A payload field of a case, read by value as T (a scalar, an array of
// them). A Rust tuple case's fields are named "0", "1", ...
template <class T>
constexpr PayloadDecl payload(const char *name) {
    static_assert(lowering::identity_kind<T>::value != 0 && !lowering::is_resilient<T>,
                  "a payload field is read by value as a scalar or an array");
    return PayloadDecl{name, true, &identity<T>::value};
}
// As payload(), for a field older libraries' case lacks.
template <class T>
constexpr PayloadDecl optional_payload(const char *name) {
    static_assert(lowering::identity_kind<T>::value != 0 && !lowering::is_resilient<T>,
                  "a payload field is read by value as a scalar or an array");
    return PayloadDecl{name, false, &identity<T>::value};
}

// What Bound::case_of gives for a value in a case the enum view does not
// name (one a later library added: never another case).
constexpr std::size_t UNKNOWN_CASE = RSL_UNKNOWN_CASE;

// What a consumer needs of a foreign type: fields it requires, fields it can
// do without (older libraries), nested fields reached through a view of
// their own, and a frozen layout, checked at bind time by the Rust binder.
// Made at run time, field by field, or from a declaration (RSL_VIEW), which
// is also recorded in the binary for `resilient check`.
class View {
  public:
    View(std::string module, std::string type) : module_(std::move(module)), type_(std::move(type)) {}
    // The view a declaration describes (RSL_VIEW, rsl::view).
    explicit View(const ViewRef &decl);
    template <std::size_t N>
    View(const ViewDecl<N> &decl);

    // A field read as T: by value (a scalar or an array; stored or
    // computed by the library), or rsl::Text, rsl::OptText, rsl::Elems<E>
    // (through the library's accessors).
    template <class T>
    View &field(const std::string &name) {
        needs_.push_back({name, true, detail::reach<T>::access, &detail::reach<T>::identity(), {}, nullptr});
        return *this;
    }
    // As field(), for a field older libraries lack.
    template <class T>
    View &optional(const std::string &name) {
        needs_.push_back({name, false, detail::reach<T>::access, &detail::reach<T>::identity(), {}, nullptr});
        return *this;
    }
    // A nested resilient field reached through `view`, a view of the nested
    // type (copied): binding also binds `view` against the library's type of
    // that name (the Rust host's Nested<V>), and Bound::nested(name) gives
    // its binding, whose tokens read the nested value (Local::nested).
    View &nested(const std::string &name, const View &view, bool required = true) {
        needs_.push_back({name, required, RSL_NESTED, nullptr, view.type_, std::make_shared<const View>(view)});
        return *this;
    }
    // A nested resilient field of type `type`, checked by the binder, without
    // a view of its own (no tokens into the nested value).
    View &nested(const std::string &name, const std::string &type, bool required = true) {
        needs_.push_back({name, required, RSL_NESTED, nullptr, type, nullptr});
        return *this;
    }
    // Expects the type frozen with exactly the layout of `fingerprint` (what
    // `resilient inspect` shows, or `gen rust` writes, for the version this
    // host is built against): binding refuses a type that is not frozen or
    // whose layout changed, in the Rust binder's words.
    View &frozen(std::uint64_t fingerprint) {
        frozen_ = fingerprint;
        return *this;
    }
    const std::string &module() const { return module_; }
    const std::string &type() const { return type_; }
    // Whether this is an enum view (rsl::EnumView).
    bool is_enum() const { return enum_; }

  protected:
    // An enum view's cases, each with the payload fields it reads.
    struct CaseNeed {
        std::string name;
        std::vector<PayloadDecl> fields;
        std::vector<std::string> names;  // the fields' names, owned here
    };
    bool enum_ = false;
    std::vector<CaseNeed> cases_;

  private:
    friend class Library;
    struct Need {
        std::string name;
        bool required;
        int access;
        const rsl_type_identity *identity;  // by value
        std::string nested;                 // nested
        std::shared_ptr<const View> view;   // nested, through a view of its own
    };
    // The view as the C API describes it (owned by the caller).
    std::unique_ptr<rsl_view, void (*)(rsl_view *)> describe() const {
        rsl_view *raw = nullptr;
        detail::call([&](rsl_error *e) {
            return enum_ ? rsl_enum_view_new(module_.c_str(), type_.c_str(), &raw, e)
                         : rsl_view_new(module_.c_str(), type_.c_str(), &raw, e);
        });
        std::unique_ptr<rsl_view, void (*)(rsl_view *)> v(raw, rsl_view_free);
        if (frozen_) detail::call([&](rsl_error *e) { return rsl_view_set_frozen(v.get(), *frozen_, e); });
        for (std::size_t c = 0; c < cases_.size(); ++c) {
            const CaseNeed &k = cases_[c];
            detail::call([&](rsl_error *e) { return rsl_view_add_case(v.get(), k.name.c_str(), e); });
            for (std::size_t i = 0; i < k.fields.size(); ++i) {
                detail::Expect ex(*k.fields[i].identity);
                detail::call([&](rsl_error *e) {
                    return rsl_view_add_payload(v.get(), c, k.names[i].c_str(), k.fields[i].required ? 1 : 0, ex.get(),
                                                e);
                });
            }
        }
        for (const auto &n : needs_) {
            if (n.view) {
                auto inner = n.view->describe();
                detail::call([&](rsl_error *e) {
                    return rsl_view_add_nested(v.get(), n.name.c_str(), n.required ? 1 : 0, inner.get(), e);
                });
                continue;
            }
            std::unique_ptr<detail::Expect> ex(n.identity ? new detail::Expect(*n.identity)
                                                          : new detail::Expect(n.nested));
            detail::call([&](rsl_error *e) {
                return rsl_view_add_field(v.get(), n.name.c_str(), n.required ? 1 : 0, n.access, ex->get(), e);
            });
        }
        return v;
    }
    std::string module_, type_;
    std::optional<std::uint64_t> frozen_;
    std::vector<Need> needs_;
};

// What a consumer needs of a foreign enum (docs/FORMAT.md, "Enums"), as the
// Rust host's enum_view! declares it: the cases it knows, in its own order
// (a case's index is the number declared before it), each with the payload
// fields it reads. Bound by the Rust binder (lib.bind: each case by name,
// each payload field by the field rule as a field of `Enum::Case`), so a
// refusal names the case or field in the Rust host's words; a case the
// enum has and the view does not name reads as rsl::UNKNOWN_CASE. A field
// of a struct holding the enum is reached through it with
// View::nested(name, enum_view).
//
//     rsl::EnumView status("widgets", "Status");
//     status.add_case("Idle")                                                // case 0
//         .add_case("Busy", {rsl::payload<std::uint32_t>("jobs")})           // case 1
//         .add_case("Failed", {rsl::payload<std::int64_t>("0")});            // case 2: Rust's Failed(i64)
//     rsl::Bound s = lib.bind(status);
//     auto jobs = s.payload<std::uint32_t>(1, "jobs");
//     rsl::Value v = s.make(2, std::int64_t{-3});         // built by the library's write_case
//     switch (s.case_of(v)) {
//         case 1: std::printf("%u jobs\n", v.get(jobs)); break;  // a payload of another case is refused
//         case rsl::UNKNOWN_CASE: break;                     // a case added later
//     }
//
// Declared as constant data with RSL_ENUM_VIEW (below), an enum view is
// also recorded in the binary for `resilient check`; View::frozen (or
// rsl::frozen in the declaration) expects the enum frozen with that
// fingerprint, and then binding also requires every case named.
class EnumView : public View {
  public:
    EnumView(std::string module, std::string type) : View(std::move(module), std::move(type)) { enum_ = true; }
    // The enum view a declaration describes (RSL_ENUM_VIEW, rsl::enum_view).
    template <std::size_t C, std::size_t P>
    EnumView(const EnumViewDecl<C, P> &decl);
    // Declares case `name` with the payload fields it reads (rsl::payload,
    // rsl::optional_payload); its index is the number of cases declared
    // before it. A repeated or empty name is refused at bind.
    EnumView &add_case(const std::string &name, std::initializer_list<PayloadDecl> fields = {}) {
        CaseNeed c{name, std::vector<PayloadDecl>(fields), {}};
        for (const PayloadDecl &f : fields) c.names.emplace_back(f.name ? f.name : "");
        cases_.push_back(std::move(c));
        return *this;
    }
    std::size_t case_count() const { return cases_.size(); }
};

class Nested;
class Place;
class Value;

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
    // The token of nested field `name`, declared with a view of its own
    // (View::nested(name, view)): its place here and the binding of that
    // view, whose tokens read the nested value (Local::nested).
    Nested nested(const std::string &name) const;
    // As nested(), for an optional nested field: empty if this library
    // lacks it.
    std::optional<Nested> optional_nested(const std::string &name) const;
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

    // ---- enums (a binding of an rsl::EnumView)

    // The number of cases the enum view names (0 for a struct view).
    std::size_t case_count() const { return rsl_bound_case_count(h_.get()); }
    // The name of the view's case `c` ("" out of range).
    std::string case_name(std::size_t c) const { return rsl_bound_case_name(h_.get(), c); }
    // The view's case of `value`, a value of this binding's type (checked):
    // its index among the cases the view names, or rsl::UNKNOWN_CASE for a
    // case it does not name. Read from the value's plain tag, or by the
    // library's case_of witness.
    std::size_t case_of(const Place &value) const;
    // The token of payload field `name` of the view's case `c`, read as T
    // (the type the view declared it as): read it with get() on a value in
    // that case (a value in another case is refused).
    template <class T>
    Field<T> payload(std::size_t c, const std::string &name) const {
        Field<T> f{};
        if (!find_payload<T>(c, name, f))
            throw Error(*lib_ + ": `" + type_name_ + "::" + case_name(c) + "." + name +
                        "` is absent (declared optional?)");
        return f;
    }
    // The token of an optional payload field, or false if this library's
    // case lacks it.
    template <class T>
    bool optional_payload(std::size_t c, const std::string &name, Field<T> &out) const {
        return find_payload<T>(c, name, out);
    }
    // A new value of the view's case `c`, built by the library's own
    // write_case witness from `values`: one per payload field the view
    // declared for the case, in its order, each of the type it declared
    // (checked, as their bytes for bool and char32_t). Throws rsl::Error
    // with the Rust host's words if the library's case has a payload field
    // the view does not name, or the library builds none.
    template <class... T>
    Value make(std::size_t c, const T &...values) const;

  private:
    friend class Library;
    friend class Implementation;
    Bound() = default;
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
    bool find_payload(std::size_t c, const std::string &name, Field<T> &out) const {
        detail::Expect as(identity<T>::value);
        rsl_field f{};
        rsl_status s = detail::call(
            [&](rsl_error *e) { return rsl_bound_payload(h_.get(), c, name.c_str(), as.get(), &f, e); });
        if (s == RSL_ABSENT) return false;
        out = Field<T>{f.binding, f.offset, f.index};
        return true;
    }
    template <class T>
    bool find(const std::string &name, Field<T> &out) const {
        detail::Expect as(detail::reach<T>::identity());
        rsl_field f{};
        rsl_status s = detail::call([&](rsl_error *e) {
            return rsl_bound_field_named(h_.get(), name.c_str(), as.get(), detail::reach<T>::access, &f, e);
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
template <class Sig>
class Function;
template <class Sig, bool Required>
struct FunctionDecl;

namespace detail {
// What binding a declared function gives: the function, or (optional) an
// std::optional of it.
template <class Sig, bool Required>
using bound_function = std::conditional_t<Required, Function<Sig>, std::optional<Function<Sig>>>;
}  // namespace detail

// A nested field of a bound view (Bound::nested): where the nested value is
// and the binding of the view it is read through (bound()). Made by
// binding only; keeps the library loaded.
class Nested {
  public:
    // The binding of the nested view: its tokens read and write the nested
    // value (Local::nested).
    const Bound &bound() const { return inner_; }
    rsl_field raw() const { return f_; }

  private:
    friend class Bound;
    Nested(rsl_field f, Bound inner) : f_(f), inner_(std::move(inner)) {}
    rsl_field f_;
    Bound inner_;
};

inline std::optional<Nested> Bound::optional_nested(const std::string &name) const {
    rsl_field f{};
    rsl_status s = detail::call([&](rsl_error *e) {
        return rsl_bound_field_named(h_.get(), name.c_str(), nullptr, RSL_NESTED, &f, e);
    });
    if (s == RSL_ABSENT) return std::nullopt;
    rsl_bound *inner = nullptr;
    s = detail::call([&](rsl_error *e) { return rsl_bound_nested(h_.get(), f.index, &inner, e); });
    if (s == RSL_ABSENT) return std::nullopt;
    return Nested(f, Bound::adopt(inner, lib_));
}

inline Nested Bound::nested(const std::string &name) const {
    std::optional<Nested> n = optional_nested(name);
    if (!n) throw Error(*lib_ + ": `" + type_name_ + "." + name + "` is absent (declared optional?)");
    return std::move(*n);
}

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
    // must exist with the type the view expects, a frozen view needs that
    // exact frozen layout, and the view of each nested field binds to the
    // library's type of its name; all mismatches are reported in one Error,
    // in the Rust binder's words (a declaration, RSL_VIEW, binds the same).
    Bound bind(const View &view) const {
        auto v = view.describe();
        rsl_bound *b = nullptr;
        detail::call([&](rsl_error *e) { return rsl_view_bind(v.get(), h_.get(), &b, e); });
        return Bound::adopt(b, path_);
    }
    // Binds an enum view declared with RSL_ENUM_VIEW (as an rsl::EnumView).
    template <std::size_t C, std::size_t P>
    Bound bind(const EnumViewDecl<C, P> &decl) const;

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

    // Binds a function declared with RSL_FUNCTION (an rsl::Function) or
    // RSL_OPTIONAL_FUNCTION (an std::optional of one, empty if this library
    // lacks it), as Api::function and Api::optional bind.
    template <class Sig, bool Required>
    detail::bound_function<Sig, Required> bind(const FunctionDecl<Sig, Required> &decl) const;
    // As bind(decl), for a function returning rsl::Owned: its values are
    // read through `result`, a binding of the type the declaration names.
    template <class Sig, bool Required>
    detail::bound_function<Sig, Required> bind(const FunctionDecl<Sig, Required> &decl, const Bound &result) const;

  private:
    std::shared_ptr<rsl_library> h_;
    std::shared_ptr<const std::string> path_;
    std::string module_, version_;
};

// Room RSL_DYNAMIC_LOCAL reserves in its scope, and its alignment: values up
// to this size (and alignment) live there, larger ones on the heap.
constexpr std::size_t INLINE_CAP = RSL_INLINE_CAP;
constexpr std::size_t INLINE_ALIGN = RSL_INLINE_ALIGN;

namespace detail {
struct OwnedSlot;
}  // namespace detail

// A value of a bound type at an address this handle does not own (the
// nested value a field of another value holds: Local::nested), read through
// the binding's tokens. Valid while the value holding it lives; a value
// passed as rsl::Ref is one of these (a Local, a Value, a nested value).
class Place {
  public:
    // Reads a field (checked: this binding's token, the field's size, and
    // for bool and char fields a valid value).
    template <class T>
    T get(Field<T> f) const {
        static_assert(detail::reach<T>::by_value, "a text or elements field is read with text() or elems()");
        static_assert(std::is_trivially_copyable<T>::value, "fields are read by copy");
        unsigned char buf[sizeof(T)];
        detail::call_fast(
            [&](rsl_error *e) { return rsl_bound_get(b_.handle(), p_, f.raw(), buf, sizeof(T), e); });
        T v;
        std::memcpy(static_cast<void *>(&v), buf, sizeof(T));
        return v;
    }
    // Text field `f`, borrowed from the value (valid until it is next
    // written or dropped), checked to be UTF-8 as the Rust host's `text`
    // checks it: bytes that are not (a C++ library's std::string may hold
    // any) throw rsl::Error with the Rust message; text_bytes reads them.
    // The bytes are the library's, outside the value: never pass them to a
    // function together with the value as rsl::Mut (the call would write
    // the value while the library reads them; the check of rsl::Mut sees
    // the value's own bytes only). Copy them first. The same holds for
    // elems().
    std::string_view text(Field<Text> f) const { return view(borrow(f.raw(), true)); }
    // Text field `f` as the library holds it: bytes, not checked.
    std::string_view text_bytes(Field<Text> f) const { return view(borrow(f.raw(), false)); }
    // Optional text field `f` (empty if it holds nothing), checked as text().
    std::optional<std::string_view> text(Field<OptText> f) const { return optional_view(borrow(f.raw(), true)); }
    std::optional<std::string_view> text_bytes(Field<OptText> f) const {
        return optional_view(borrow(f.raw(), false));
    }
    // Elements field `f`, borrowed from the value (valid until it is next
    // written or dropped).
    template <class E>
    Slice<E> elems(Field<Elems<E>> f) const {
        rsl_slice s = borrow(f.raw(), false);
        return Slice<E>(static_cast<const E *>(s.ptr), s.len);
    }
    // The nested value field `n` holds (n: Bound::nested of this value's
    // binding; checked), read through n.bound()'s tokens.
    Place nested(const Nested &n) const { return Place(n.bound(), nested_at(n)); }
    unsigned char *data() const { return p_; }
    const Bound &bound() const { return b_; }

  protected:
    Place(const Bound &b, unsigned char *p) : b_(b), p_(p) {}
    // The contents of accessor field `f` through the library's getter
    // (checked to be UTF-8 text if `utf8`).
    rsl_slice borrow(rsl_field f, bool utf8) const {
        rsl_slice s{nullptr, 0};
        detail::call_fast([&](rsl_error *e) {
            return utf8 ? rsl_bound_text(b_.handle(), p_, f, &s, e) : rsl_bound_borrow(b_.handle(), p_, f, &s, e);
        });
        return s;
    }
    static std::string_view view(rsl_slice s) { return std::string_view(static_cast<const char *>(s.ptr), s.len); }
    static std::optional<std::string_view> optional_view(rsl_slice s) {
        if (s.ptr == nullptr) return std::nullopt;
        return view(s);
    }
    // The address of the nested value of field `n`, checked by the C API
    // (a nested field of this binding).
    unsigned char *nested_at(const Nested &n) const {
        void *at = nullptr;
        detail::call_fast([&](rsl_error *e) { return rsl_bound_nested_at(b_.handle(), p_, n.raw(), &at, e); });
        return static_cast<unsigned char *>(at);
    }
    Bound b_;
    unsigned char *p_ = nullptr;
};

// A Place that may be written (rsl::Mut takes one): not copyable, as Rust's
// &mut is not.
class PlaceMut : public Place {
  public:
    PlaceMut(const PlaceMut &) = delete;
    PlaceMut &operator=(const PlaceMut &) = delete;

    // Writes a field (checked as get; invalid bytes are refused, nothing is
    // written).
    template <class T>
    void set(Field<T> f, const T &v) {
        static_assert(detail::reach<T>::by_value, "a text or elements field is written with set_text() or set_elems()");
        static_assert(std::is_trivially_copyable<T>::value, "fields are written by copy");
        detail::call_fast(
            [&](rsl_error *e) { return rsl_bound_set(b_.handle(), p_, f.raw(), &v, sizeof(T), e); });
    }
    // Replaces text field `f` with a copy of `text`, made (and later freed)
    // by the library's allocator. It must be UTF-8: else rsl::Error, with
    // the Rust message, and nothing is written.
    void set_text(Field<Text> f, std::string_view text) { replace(f.raw(), bytes(text), text.size()); }
    // Replaces optional text field `f` (std::nullopt: nothing).
    void set_text(Field<OptText> f, std::optional<std::string_view> text) {
        replace(f.raw(), text ? bytes(*text) : nullptr, text ? text->size() : 0);
    }
    // Replaces elements field `f` with a copy of `elems`, made (and later
    // freed) by the library's allocator.
    template <class E>
    void set_elems(Field<Elems<E>> f, Slice<E> elems) {
        static const E none{};
        replace(f.raw(), elems.data() ? static_cast<const void *>(elems.data()) : &none, elems.size());
    }
    template <class E>
    void set_elems(Field<Elems<E>> f, const std::vector<E> &elems) {
        set_elems(f, Slice<E>(elems));
    }
    // The nested value field `n` holds, writable.
    PlaceMut nested(const Nested &n) { return PlaceMut(n.bound(), nested_at(n)); }
    Place nested(const Nested &n) const { return Place::nested(n); }

  protected:
    PlaceMut(const Bound &b, unsigned char *p) : Place(b, p) {}

  private:
    static const void *bytes(std::string_view text) { return text.data() ? text.data() : ""; }
    void replace(rsl_field f, const void *ptr, std::size_t len) {
        detail::call_fast([&](rsl_error *e) { return rsl_bound_replace(b_.handle(), p_, f, ptr, len, e); });
    }
};

// A value of a foreign type made by the library's witnesses, in room the
// caller provides (when it fits) or on the heap (made by the C API, so an
// impossible size is an rsl::Error).
class Local : public PlaceMut {
  public:
    // A default value in `room` (`room_size` bytes) if the type fits there
    // with its alignment, else on the heap; `room` may be null.
    Local(const Bound &b, void *room, std::size_t room_size) : PlaceMut(b, nullptr) {
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

  protected:
    struct CloneOf {};
    // A heap copy of a heap value, made by the clone witness.
    Local(const Local &src, CloneOf) : PlaceMut(src.b_, nullptr) {
        if (!src.heap_) throw Error("only a value on the heap is cloned");
        detail::call([&](rsl_error *e) { return rsl_value_clone(src.heap_, &heap_, e); });
        p_ = static_cast<unsigned char *>(rsl_value_data(heap_));
    }
    // The heap value `owned` (made by the C API for binding `b`), owned from
    // now on.
    Local(const Bound &b, rsl_value *owned) : PlaceMut(b, static_cast<unsigned char *>(rsl_value_data(owned))) {
        heap_ = owned;
    }
    struct MoveOf {};
    // The heap value of `src`, which is left empty (its destructor then
    // does nothing).
    Local(Local &&src, MoveOf) noexcept : PlaceMut(src.b_, src.p_) {
        heap_ = src.heap_;
        src.heap_ = nullptr;
        src.p_ = nullptr;
    }

  private:
    rsl_value *heap_ = nullptr;
};

// A value on the heap, RAII: created by the default witness, copied by the
// clone witness, destroyed by the drop witness, exactly once each; or an
// owned result of a function (rsl::Owned), which the library made.
class Value : public Local {
  public:
    explicit Value(const Bound &b) : Local(b, nullptr, 0) {}
    // A copy made by the library's clone witness.
    Value(const Value &other) : Local(other, CloneOf{}) {}
    // Takes `other`'s value (no witness runs); `other` is left empty, only
    // to be destroyed.
    Value(Value &&other) noexcept : Local(std::move(other), MoveOf{}) {}

  private:
    friend struct detail::OwnedSlot;
    friend class Bound;
    Value(const Bound &b, rsl_value *owned) : Local(b, owned) {}
};

inline std::size_t Bound::case_of(const Place &value) const {
    if (value.data() == nullptr) throw Error("reading a case: the value was moved from");
    if (value.bound().type_id() != type_id_)
        throw Error("reading a case of `" + type_name_ + "`: the value belongs to another type, library or version");
    std::size_t c = UNKNOWN_CASE;
    detail::call_fast([&](rsl_error *e) { return rsl_bound_case(h_.get(), value.data(), &c, e); });
    return c;
}

template <class... T>
Value Bound::make(std::size_t c, const T &...values) const {
    static_assert(((std::is_trivially_copyable<T>::value && lowering::identity_kind<T>::value != 0 &&
                    !lowering::is_resilient<T>) &&
                   ... && true),
                  "a case is built from payload values: scalars or arrays of them");
    const void *ptrs[] = {static_cast<const void *>(&values)..., nullptr};
    const rsl_type_identity *ids[] = {&identity<T>::value..., nullptr};
    // Each value is of the type the view declared its field as (the Rust
    // identity rule, by the C API): the library reads exactly that many
    // bytes from it.
    for (std::size_t i = 0; i < sizeof...(T); ++i) {
        detail::Expect as(*ids[i]);
        rsl_field f{};
        detail::call([&](rsl_error *e) { return rsl_bound_payload_at(h_.get(), c, i, as.get(), &f, e); });
    }
    rsl_value *v = nullptr;
    detail::call([&](rsl_error *e) { return rsl_value_new_case(h_.get(), c, ptrs, sizeof...(T), &v, e); });
    return Value(*this, v);
}

// ---------------------------------------------------------------- functions

// Markers of a host-side signature for values of exported types (the type
// is named when binding): `&T`, `&mut T` and `Option<&T>`, and a result
// that is a value of an exported type (Rust's `-> T`), which the caller
// then owns as an rsl::Value.
struct Ref {};
struct Mut {};
struct OptRef {};
struct Owned {};
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

// The bytes an argument lends the library for the call (none for a
// scalar): a value passed by reference, a slice's or a string's contents.
struct Bytes {
    const void *data = nullptr;
    std::size_t size = 0;
    // Whether both lend a byte in common.
    bool overlaps(const Bytes &o) const noexcept {
        if (data == nullptr || o.data == nullptr || size == 0 || o.size == 0) return false;
        const auto a = reinterpret_cast<std::uintptr_t>(data), b = reinterpret_cast<std::uintptr_t>(o.data);
        return a < b + o.size && b < a + size;
    }
};

// How a parameter of a host-side signature crosses: its pass code and type
// (`identity`: null for references, named when binding, and strings), what
// the call takes (`input`), its form in the thunk's signature (`ffi`), why
// a value cannot be passed (`refuse`: null if it can), and the bytes it
// lends (`extent`).
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
    static constexpr const rsl_type_identity *identity() { return &::rsl::identity<T>::value; }
    using input = T;
    using ffi = typename lowering::lowered<T>::type;
    static const char *refuse(T v, std::uint64_t) noexcept {
        if constexpr (std::is_same<T, char32_t>::value)
            return lowering::valid_char(v) ? nullptr : "a char32_t that is not a Unicode scalar value";
        (void)v;
        return nullptr;
    }
    static ffi lower(T v) noexcept { return static_cast<ffi>(v); }
    static Bytes extent(T) noexcept { return {}; }
};

template <>
struct Arg<std::string_view> {
    static constexpr std::uint32_t pass = RSL_PASS_STR;
    static constexpr bool reference = false, exclusive = false;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using input = std::string_view;
    using ffi = rsl_slice;
    static const char *refuse(std::string_view v, std::uint64_t) noexcept {
        return utf8(v.data(), v.size()) ? nullptr : "the string is not UTF-8";
    }
    static ffi lower(std::string_view v) noexcept { return lowering::lower_slice(v.data(), v.size()); }
    static Bytes extent(std::string_view v) noexcept { return {v.data(), v.size()}; }
};

template <class T>
struct Arg<Slice<T>> {
    static_assert(lowering::is_slice_element<T>, "rsl::Slice<T> crosses as Rust's &[T]: T is a number");
    static constexpr std::uint32_t pass = RSL_PASS_SLICE;
    static constexpr bool reference = false, exclusive = false;
    static constexpr const rsl_type_identity *identity() { return &::rsl::identity<T>::value; }
    using input = Slice<T>;
    using ffi = rsl_slice;
    static const char *refuse(Slice<T> v, std::uint64_t) noexcept {
        return v.data() == nullptr && v.size() != 0 ? "a null slice of a nonzero length" : nullptr;
    }
    static ffi lower(Slice<T> v) noexcept { return lowering::lower_slice(v.data(), v.size()); }
    static Bytes extent(Slice<T> v) noexcept { return {v.data(), v.size() * sizeof(T)}; }
};

constexpr const char *other_type = "the value belongs to another type, library or version than the function takes";

constexpr const char *moved_from = "the value was moved from";

// Why the value `v` cannot be passed as a reference to a value of type
// `type` (null: it can).
inline const char *refuse_value(const Place &v, std::uint64_t type) noexcept {
    if (v.data() == nullptr) return moved_from;
    return v.bound().type_id() == type ? nullptr : other_type;
}

template <>
struct Arg<Ref> {
    static constexpr std::uint32_t pass = RSL_PASS_REF;
    static constexpr bool reference = true, exclusive = false;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using input = const Place &;
    using ffi = const void *;
    static const char *refuse(const Place &v, std::uint64_t type) noexcept { return refuse_value(v, type); }
    static ffi lower(const Place &v) noexcept { return v.data(); }
    static Bytes extent(const Place &v) noexcept { return {v.data(), v.bound().size()}; }
};

template <>
struct Arg<Mut> {
    static constexpr std::uint32_t pass = RSL_PASS_MUT;
    static constexpr bool reference = true, exclusive = true;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using input = PlaceMut &;
    using ffi = void *;
    static const char *refuse(const Place &v, std::uint64_t type) noexcept { return refuse_value(v, type); }
    static ffi lower(PlaceMut &v) noexcept { return v.data(); }
    static Bytes extent(const Place &v) noexcept { return {v.data(), v.bound().size()}; }
};

template <>
struct Arg<OptRef> {
    static constexpr std::uint32_t pass = RSL_PASS_OPT_REF;
    static constexpr bool reference = true, exclusive = false;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using input = const Place *;
    using ffi = const void *;
    static const char *refuse(const Place *v, std::uint64_t type) noexcept {
        return v == nullptr ? nullptr : refuse_value(*v, type);
    }
    static ffi lower(const Place *v) noexcept { return v != nullptr ? v->data() : nullptr; }
    static Bytes extent(const Place *v) noexcept {
        return v != nullptr ? Bytes{v->data(), v->bound().size()} : Bytes{};
    }
};

// The receiver: a value of the implementing type (its type is the
// implementation's, named by nobody).
template <>
struct Arg<This> : Arg<Ref> {};
template <>
struct Arg<ThisMut> : Arg<Mut> {};

template <class T>
constexpr bool is_receiver = std::is_same<T, This>::value || std::is_same<T, ThisMut>::value;

// How a result crosses: what the thunk returns (`reg`: the status, or a
// scalar with the status), room for it during a call (`slot`, made with the
// binding an owned result is read through, null for the others) and the
// result made from them (`output`).
template <class R, class = void>
struct Ret {
    static_assert(lowering::always_false<R>, "a function's result is a scalar, void or rsl::Owned");
};

template <>
struct Ret<void> {
    static constexpr std::uint32_t pass = RSL_PASS_UNIT;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using ffi = void;
    using output = void;
    using reg = std::uint32_t;
    static std::uint32_t status(reg r) noexcept { return r; }
    static const char *invalid(reg) noexcept { return nullptr; }
    struct slot {
        explicit slot(const Bound *) noexcept {}
        void *ptr() noexcept { return nullptr; }
        void get(reg) const noexcept {}
    };
};

template <class R>
struct Ret<R, std::enable_if_t<lowering::is_scalar<R>>> {
    static constexpr std::uint32_t pass = RSL_PASS_VALUE;
    static constexpr const rsl_type_identity *identity() { return &::rsl::identity<R>::value; }
    using ffi = void;
    using output = R;
    // The value comes back in registers with the status; no room. A bool
    // comes back as its byte (same size and registers), checked before it
    // is one: a byte of 2 read as a bool would be undefined behaviour.
    using reg = ::rsl::ret<std::conditional_t<std::is_same<R, bool>::value, std::uint8_t,
                                              typename lowering::lowered<R>::type>>;
    static std::uint32_t status(const reg &r) noexcept { return r.status; }
    // Why a successful result's bits are no value of R (nullptr: they are).
    static const char *invalid(const reg &r) noexcept {
        if constexpr (std::is_same<R, bool>::value)
            return r.value > 1 ? "bool" : nullptr;
        else if constexpr (std::is_same<R, char32_t>::value)
            return lowering::valid_char(r.value) ? nullptr : "char";
        else
            return nullptr;
    }
    struct slot {
        explicit slot(const Bound *) noexcept {}
        void *ptr() noexcept { return nullptr; }
        R get(const reg &r) const noexcept { return R(r.value); }
    };
};

// Room on the heap (the C API's rsl_room) for the value an owned result is,
// of the size and alignment of its binding's type; made a Value once the
// thunk moved one in, else freed holding nothing.
struct OwnedSlot {
    explicit OwnedSlot(const Bound *result) : b_(result) {
        call([&](rsl_error *e) { return rsl_room_new(b_->handle(), &room_, e); });
    }
    OwnedSlot(const OwnedSlot &) = delete;
    OwnedSlot &operator=(const OwnedSlot &) = delete;
    ~OwnedSlot() { rsl_room_free(room_); }
    void *ptr() noexcept { return rsl_room_data(room_); }
    // After the thunk returned RSL_STATUS_OK.
    Value get(std::uint32_t) {
        rsl_value *v = nullptr;
        call([&](rsl_error *e) { return rsl_room_into_value(room_, &v, e); });
        room_ = nullptr;
        return Value(*b_, v);
    }

  private:
    const Bound *b_;
    rsl_room *room_ = nullptr;
};

template <>
struct Ret<Owned> {
    static constexpr std::uint32_t pass = RSL_PASS_OWNED;
    static constexpr const rsl_type_identity *identity() { return nullptr; }
    using ffi = void;
    using output = Value;
    using reg = std::uint32_t;
    static std::uint32_t status(reg r) noexcept { return r; }
    static const char *invalid(reg) noexcept { return nullptr; }
    using slot = OwnedSlot;
};

template <class R>
constexpr bool is_owned = std::is_same<R, Owned>::value;
template <class Sig>
constexpr bool returns_owned = false;
template <class R, class... A>
constexpr bool returns_owned<R(A...)> = is_owned<R>;

// Signature R(A...) described as data for the C API: one rsl_param per
// parameter and the result, and the expected types they point to, owned
// here. `types` names the exported type of each reference parameter, in
// order (a receiver is none: it is the implementing type); `result`, the
// exported type an owned result is a value of (else ignored); `name`, for
// the error if there are not as many.
template <class R, class... A>
class Described {
  public:
    Described(const std::string &name, const std::vector<std::string> &types, const std::string &result = {}) {
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
        if (is_owned<R>) ret_expect_.reset(new Expect(result));
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
    // What a call returns: R, or for rsl::Owned an rsl::Value this side
    // owns (read through the binding the function was bound with,
    // destroyed through the library's drop witness).
    using Output = typename detail::Ret<R>::output;

    // Calls the function: checks each value passed by reference (its type),
    // each string (UTF-8) and each char32_t, then one indirect call through
    // the library's thunk. Throws rsl::Error for a value it cannot pass, and
    // rsl::CallError if the function failed, panicked or threw (then an
    // owned result's room is freed holding nothing).
    Output operator()(typename detail::Arg<A>::input... a) const {
        return call(std::index_sequence_for<A...>{}, a...);
    }

    const std::string &name() const { return name_; }
    const rsl_function *handle() const { return h_.get(); }
    // For rsl::Owned: the binding the results are read through.
    const Bound *result() const { return result_.get(); }

  private:
    friend class Api;
    friend class Library;
    friend class Implementation;
    using Thunk = typename detail::Ret<R>::reg (*)(typename detail::Arg<A>::ffi..., typename detail::Ret<R>::ffi *,
                                                  rsl_call_error *);

    // Made only by binding (Api, Implementation): never a function without
    // a thunk.
    Function() = default;

    // The bound function `raw` (made by the C API with this signature),
    // owned from now on.
    // The bound function `raw` (made by the C API with this signature),
    // owned from now on; `result`: the binding an owned result is read
    // through, which must be of the type the function returns.
    static Function adopt(rsl_function *raw, const std::string &name, const Bound *result = nullptr) {
        Function f;
        f.h_ = std::shared_ptr<rsl_function>(raw, rsl_function_free);
        f.thunk_ = reinterpret_cast<Thunk>(rsl_function_thunk(raw));
        for (std::size_t i = 0; i < sizeof...(A); ++i) f.types_[i] = rsl_function_param_type(raw, i);
        f.name_ = name;
        if constexpr (detail::is_owned<R>) {
            if (result == nullptr || rsl_function_result_type(raw) != result->type_id())
                throw Error("`" + name + "` returns a `" + (result ? result->type_name() : std::string("?")) +
                            "` of another library or version than the binding given to read its results");
            f.result_ = std::make_shared<const Bound>(*result);
        }
        return f;
    }

    // Binds `name` of `module` in `lib`: the signature as data, one type name
    // per reference parameter, checked by the Rust binder; `result`: for
    // rsl::Owned, the binding its values are read through (its type is the
    // result's). Empty if the function is optional and absent.
    static std::optional<Function> bind(const rsl_library *lib, const std::string &module, const std::string &name,
                                        const std::vector<std::string> &types, bool required,
                                        const Bound *result = nullptr) {
        static_assert(!(detail::is_receiver<A> || ... || false),
                      "rsl::This and rsl::ThisMut are a method's receiver: declare the method in an rsl::Interface");
        detail::Described<R, A...> d(name, types, result ? result->type_name() : std::string());
        rsl_function *raw = nullptr;
        rsl_status s = detail::call([&](rsl_error *e) {
            return rsl_function_bind(lib, module.c_str(), name.c_str(), d.params(), d.count(), d.result(),
                                     required ? 1 : 0, &raw, e);
        });
        if (s == RSL_ABSENT) return std::nullopt;
        return adopt(raw, name, result);  // owns `raw` even if it throws
    }

    template <std::size_t... I>
    Output call(std::index_sequence<I...>, typename detail::Arg<A>::input... a) const {
        const char *why[] = {detail::Arg<A>::refuse(a, types_[I])..., nullptr};
        for (std::size_t i = 0; i < sizeof...(A); ++i)
            if (why[i]) refused(i, why[i]);
        if constexpr ((detail::Arg<A>::exclusive || ... || false) && sizeof...(A) > 1) {
            // Rust's &mut is exclusive: no byte of the value it points to is
            // lent again, as the value, a value nested in it or one that
            // holds it, or a slice or string of its bytes.
            const detail::Bytes at[] = {detail::Arg<A>::extent(a)...};
            const bool exclusive[] = {detail::Arg<A>::exclusive...};
            for (std::size_t i = 0; i < sizeof...(A); ++i)
                for (std::size_t j = 0; j < sizeof...(A); ++j)
                    if (exclusive[i] && i != j && at[i].overlaps(at[j]))
                        refused(i, "a value passed as rsl::Mut (exclusive) is lent again, in whole or in part, "
                                   "by another parameter");
        }
        rsl_call_error e;  // written by the thunk exactly when the status is not OK
        typename detail::Ret<R>::slot ret(result_.get());
        const auto reg = thunk_(detail::Arg<A>::lower(a)..., ret.ptr(), &e);
        const std::uint32_t st = detail::Ret<R>::status(reg);
        if (st != RSL_STATUS_OK) failed(st, e);
        if (const char *scalar = detail::Ret<R>::invalid(reg)) invalid_result(scalar);
        return ret.get(reg);
    }

    [[noreturn]] void refused(std::size_t index, const char *why) const {
        throw Error("`" + name_ + "` (parameter " + std::to_string(index + 1) + "): " + why);
    }

    // A successful call whose result's bits are no value of its type: the
    // Rust host's error (Error::InvalidResult), in its words.
    [[noreturn]] void invalid_result(const char *scalar) const {
        throw Error("`" + name_ + "` returned bytes that are not a valid " + scalar);
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
    std::shared_ptr<const Bound> result_;
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
        static_assert(!detail::returns_owned<Sig>, "a function returning rsl::Owned is bound with the rsl::Bound its values "
                                           "are read through: function<Sig>(name, types, bound)");
        return required(Function<Sig>::bind(lib_.get(), module_, name, types, true), name);
    }
    // Binds function `name` returning rsl::Owned (a value of an exported
    // type): its values are read through `result`, a binding of that type
    // (its type names the result, and must be this library's), and come
    // back as rsl::Value this side owns.
    template <class Sig>
    Function<Sig> function(const std::string &name, const Bound &result) const {
        return function<Sig>(name, {}, result);
    }
    template <class Sig>
    Function<Sig> function(const std::string &name, const std::vector<std::string> &types, const Bound &result) const {
        static_assert(detail::returns_owned<Sig>, "only a function returning rsl::Owned takes the rsl::Bound of its result");
        return required(Function<Sig>::bind(lib_.get(), module_, name, types, true, &result), name);
    }

    // As function(), for a function older libraries lack: empty if this one
    // does (a function of that name with another signature still throws).
    template <class Sig>
    std::optional<Function<Sig>> optional(const std::string &name, const std::vector<std::string> &types = {}) const {
        static_assert(!detail::returns_owned<Sig>, "a function returning rsl::Owned is bound with the rsl::Bound its values "
                                           "are read through: optional<Sig>(name, types, bound)");
        return Function<Sig>::bind(lib_.get(), module_, name, types, false);
    }
    template <class Sig>
    std::optional<Function<Sig>> optional(const std::string &name, const std::vector<std::string> &types,
                                          const Bound &result) const {
        static_assert(detail::returns_owned<Sig>, "only a function returning rsl::Owned takes the rsl::Bound of its result");
        return Function<Sig>::bind(lib_.get(), module_, name, types, false, &result);
    }

  private:
    friend class Library;
    template <class Sig>
    static Function<Sig> required(std::optional<Function<Sig>> f, const std::string &name) {
        if (!f) throw Error("`" + name + "` is absent");
        return std::move(*f);
    }
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
    // the receiver, in order, then, for an rsl::Owned result, the type it
    // is a value of. The token hands out the bound method
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
        std::vector<std::string> refs = types;
        std::string result;
        if constexpr (detail::is_owned<R>) {
            if (refs.empty())
                throw Error("`" + name + "`: an owned result is named after the reference parameters' types");
            result = refs.back();
            refs.pop_back();
        }
        detail::Described<R, A...> d(name, refs, result);
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
        static_assert(!detail::returns_owned<Sig>, "a method returning rsl::Owned is bound with the rsl::Bound its "
                                                   "values are read through: method(m, bound)");
        return required(find(m, nullptr), m);
    }
    // As method(), for a method returning rsl::Owned: its values are read
    // through `result`, a binding of the type the method returns (of this
    // library), and come back as rsl::Value this side owns.
    template <class Sig>
    Function<Sig> method(const Method<Sig> &m, const Bound &result) const {
        static_assert(detail::returns_owned<Sig>, "only a method returning rsl::Owned takes the rsl::Bound of its result");
        return required(find(m, &result), m);
    }
    // As method(), empty for an optional method this type lacks.
    template <class Sig>
    std::optional<Function<Sig>> optional(const Method<Sig> &m) const {
        static_assert(!detail::returns_owned<Sig>, "a method returning rsl::Owned is bound with the rsl::Bound its "
                                                   "values are read through: optional(m, bound)");
        return find(m, nullptr);
    }
    template <class Sig>
    std::optional<Function<Sig>> optional(const Method<Sig> &m, const Bound &result) const {
        static_assert(detail::returns_owned<Sig>, "only a method returning rsl::Owned takes the rsl::Bound of its result");
        return find(m, &result);
    }
    const rsl_impl *handle() const { return h_.get(); }

  private:
    friend class Library;
    template <class Sig>
    std::optional<Function<Sig>> find(const Method<Sig> &m, const Bound *result) const {
        if (m.decl_ != decl_)
            throw Error("`" + m.name() + "`: a method of another declaration of `" + m.decl_->name + "`");
        if (m.index_ >= methods_)
            throw Error("`" + m.name() + "` was declared after `" + decl_->name + "` was bound");
        rsl_function *raw = nullptr;
        rsl_status s = detail::call([&](rsl_error *e) { return rsl_impl_method(h_.get(), m.index_, &raw, e); });
        if (s == RSL_ABSENT) return std::nullopt;
        return Function<Sig>::adopt(raw, m.name(), result);
    }
    template <class Sig>
    Function<Sig> required(std::optional<Function<Sig>> f, const Method<Sig> &m) const {
        if (!f) throw Error("`" + type_name_ + "` as `" + decl_->name + "` lacks the optional method `" + m.name() + "`");
        return std::move(*f);
    }
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

// ------------------------------------------------------------ declarations
//
// What a host needs, declared once as constant data: bound at run time like
// the views and functions above, and recorded in the binary (ELF section
// resilient_views, docs/FORMAT.md "Consumer needs") so that `resilient
// check LIB --consumer HOST` checks a library against them offline, by the
// rules the binder applies, as it does for a Rust host's view!, enum_view!
// and api!:
//
//     RSL_VIEW(point_view, "widgets", "Point", rsl::field<std::int32_t>("x"), rsl::field<std::int32_t>("y"));
//     RSL_VIEW(widget_view, "widgets", "Widget",
//              rsl::field<std::uint64_t>("id"),
//              rsl::nested("origin", point_view),         // read through point_view
//              rsl::optional_field<double>("scale"));
//     RSL_VIEW(frozen_point, "widgets", "Point", rsl::frozen(0x5bd23ff654e9a316), rsl::field<std::int32_t>("x"));
//     RSL_ENUM_VIEW(status_view, "widgets", "Status",
//                   rsl::enum_case("Idle"),
//                   rsl::enum_case("Busy"), rsl::payload<std::uint32_t>("jobs"),  // Busy's payload
//                   rsl::enum_case("Failed"), rsl::payload<std::int64_t>("0"));   // a tuple field
//     RSL_FUNCTION(widget_id, std::uint64_t(rsl::Ref), "widgets", "widget_id", "Widget");
//     RSL_OPTIONAL_FUNCTION(weight_lb, double(rsl::Ref), "widgets", "weight_lb", "Widget");
//     RSL_FUNCTION(parse_point, rsl::Owned(std::string_view), "widgets", "parse_point", "Point");
//
//     rsl::Bound w = lib.bind(widget_view);            // an rsl::View, as any other
//     rsl::Function<std::uint64_t(rsl::Ref)> id_of = lib.bind(widget_id);
//     std::optional<rsl::Function<double(rsl::Ref)>> lb = lib.bind(weight_lb);
//     rsl::Bound p = lib.bind(point_view);
//     auto parse = lib.bind(parse_point, p);           // results read through p
//     rsl::Bound s = lib.bind(status_view);             // an rsl::EnumView: cases 0, 1, 2
//
// A function declaration names, after its module and name, the exported
// type of each reference parameter and then of an owned result, in order
// (checked at compile time). Use the macros at namespace scope, each once
// in one source file (each translation unit that declares a need records
// it). A mistake in a declaration (an empty or repeated name, a nested view
// of another module) does not compile.

// The frozen layout a declared view expects (rsl::view, RSL_VIEW).
struct Frozen {
    std::uint64_t fingerprint;
};
constexpr Frozen frozen(std::uint64_t fingerprint) { return Frozen{fingerprint}; }

// A field read as T: by value (a scalar, an array of them; stored or
// computed by the library), or rsl::Text, rsl::OptText, rsl::Elems<E>
// (through the library's accessors).
template <class T>
constexpr FieldDecl field(const char *name) {
    static_assert(detail::plain_value<T>(),
                  "a field is read by value as a scalar or an array, or as rsl::Text, rsl::OptText or "
                  "rsl::Elems<T>; a nested resilient type is rsl::nested");
    return FieldDecl{name, true, detail::reach<T>::access, &detail::reach<T>::identity(), {}};
}
// As field(), for a field older libraries lack.
template <class T>
constexpr FieldDecl optional_field(const char *name) {
    FieldDecl f = field<T>(name);
    f.required = false;
    return f;
}

// A view of type `type` of module `module`, declared as constant data.
template <std::size_t N>
struct ViewDecl {
    const char *module;
    const char *type;
    bool frozen;
    std::uint64_t fingerprint;
    std::array<FieldDecl, N> fields;

    constexpr ViewRef ref() const { return ViewRef{module, type, frozen, fingerprint, fields.data(), N}; }
};

// A nested resilient field read through `view` (declared before it).
template <std::size_t N>
constexpr FieldDecl nested(const char *name, const ViewDecl<N> &view) {
    return FieldDecl{name, true, RSL_NESTED, nullptr, view.ref()};
}
// As nested(), for a field older libraries lack.
template <std::size_t N>
constexpr FieldDecl optional_nested(const char *name, const ViewDecl<N> &view) {
    return FieldDecl{name, false, RSL_NESTED, nullptr, view.ref()};
}

namespace detail {

constexpr bool same(const char *a, const char *b) {
    std::size_t i = 0;
    for (; a[i] != 0 && a[i] == b[i]; ++i) {
    }
    return a[i] == b[i];
}
constexpr bool named(const char *s) { return s != nullptr && s[0] != 0; }

template <class... I>
constexpr std::size_t fields_in = ((std::is_same<I, FieldDecl>::value ? 1 : 0) + ... + 0);

template <std::size_t N>
constexpr void put(ViewDecl<N> &v, std::size_t &k, const FieldDecl &f) {
    v.fields[k++] = f;
}
template <std::size_t N>
constexpr void put(ViewDecl<N> &v, std::size_t &, const Frozen &f) {
    if (v.frozen) throw Error("a view is declared frozen twice");
    v.frozen = true;
    v.fingerprint = f.fingerprint;
}

}  // namespace detail

// A view declared as constant data: `items` are its fields (rsl::field,
// rsl::optional_field, rsl::nested, rsl::optional_nested) and at most one
// rsl::frozen. What RSL_VIEW declares and records.
template <class... I>
constexpr ViewDecl<detail::fields_in<I...>> view(const char *module, const char *type, I... items) {
    static_assert(((std::is_same<I, FieldDecl>::value || std::is_same<I, Frozen>::value) && ... && true),
                  "a view's items are rsl::field, rsl::optional_field, rsl::nested, rsl::optional_nested and "
                  "rsl::frozen");
    ViewDecl<detail::fields_in<I...>> v{module, type, false, 0, {}};
    std::size_t k = 0;
    (detail::put(v, k, items), ...);
    static_cast<void>(k);
    if (!detail::named(module) || !detail::named(type)) throw Error("a view needs a module and a type name");
    for (std::size_t i = 0; i < v.fields.size(); ++i) {
        const FieldDecl &f = v.fields[i];
        if (!detail::named(f.name)) throw Error("a field needs a name");
        for (std::size_t j = 0; j < i; ++j)
            if (detail::same(v.fields[j].name, f.name)) throw Error("a field is declared twice");
        if (f.access == RSL_NESTED && !detail::same(f.nested.module, module))
            throw Error("a nested view is of the outer view's module");
    }
    return v;
}

inline View::View(const ViewRef &decl) : module_(decl.module), type_(decl.type) {
    if (decl.frozen) frozen(decl.fingerprint);
    for (std::size_t i = 0; i < decl.count; ++i) {
        const FieldDecl &f = decl.fields[i];
        if (f.access == RSL_NESTED)
            nested(f.name, View(f.nested), f.required);
        else
            needs_.push_back({f.name, f.required, f.access, f.identity, {}, nullptr});
    }
}

template <std::size_t N>
View::View(const ViewDecl<N> &decl) : View(decl.ref()) {}

// One case of an enum view declared as constant data (rsl::enum_view,
// RSL_ENUM_VIEW): the payload fields (rsl::payload, rsl::optional_payload)
// that follow it, up to the next case, are the ones the view reads of it.
struct CaseDecl {
    const char *name = nullptr;
};
constexpr CaseDecl enum_case(const char *name) { return CaseDecl{name}; }

// An enum view of enum `type` of module `module`, declared as constant
// data: its cases in order (a case's index is the number declared before
// it), each with its payload fields, and a frozen layout.
template <std::size_t C, std::size_t P>
struct EnumViewDecl {
    const char *module;
    const char *type;
    bool frozen;
    std::uint64_t fingerprint;
    std::array<const char *, C> cases;
    std::array<std::size_t, C> first;  // each case's first payload field
    std::array<std::size_t, C> count;  // and how many it has
    std::array<PayloadDecl, P> payloads;
};

namespace detail {

template <class T, class... I>
constexpr std::size_t count_of = ((std::is_same<I, T>::value ? 1 : 0) + ... + 0);

struct EnumPut {
    std::size_t cases = 0;
    std::size_t payloads = 0;
};
template <std::size_t C, std::size_t P>
constexpr void put(EnumViewDecl<C, P> &v, EnumPut &k, const CaseDecl &c) {
    v.cases[k.cases] = c.name;
    v.first[k.cases] = k.payloads;
    v.count[k.cases] = 0;
    ++k.cases;
}
template <std::size_t C, std::size_t P>
constexpr void put(EnumViewDecl<C, P> &v, EnumPut &k, const PayloadDecl &f) {
    if (k.cases == 0) throw Error("a payload field follows the case it is of (rsl::enum_case)");
    v.payloads[k.payloads++] = f;
    ++v.count[k.cases - 1];
}
template <std::size_t C, std::size_t P>
constexpr void put(EnumViewDecl<C, P> &v, EnumPut &, const Frozen &f) {
    if (v.frozen) throw Error("an enum view is declared frozen twice");
    v.frozen = true;
    v.fingerprint = f.fingerprint;
}

}  // namespace detail

// An enum view declared as constant data: `items` are its cases
// (rsl::enum_case), each followed by its payload fields (rsl::payload,
// rsl::optional_payload), and at most one rsl::frozen (the enum frozen with
// that fingerprint; binding then also requires every case named). What
// RSL_ENUM_VIEW declares and records.
template <class... I>
constexpr EnumViewDecl<detail::count_of<CaseDecl, I...>, detail::count_of<PayloadDecl, I...>> enum_view(
    const char *module, const char *type, I... items) {
    static_assert(((std::is_same<I, CaseDecl>::value || std::is_same<I, PayloadDecl>::value ||
                    std::is_same<I, Frozen>::value) &&
                   ... && true),
                  "an enum view's items are rsl::enum_case, rsl::payload, rsl::optional_payload and rsl::frozen");
    EnumViewDecl<detail::count_of<CaseDecl, I...>, detail::count_of<PayloadDecl, I...>> v{
        module, type, false, 0, {}, {}, {}, {}};
    detail::EnumPut k{};
    (detail::put(v, k, items), ...);
    static_cast<void>(k);
    if (!detail::named(module) || !detail::named(type)) throw Error("an enum view needs a module and a type name");
    for (std::size_t c = 0; c < v.cases.size(); ++c) {
        if (!detail::named(v.cases[c])) throw Error("a case needs a name");
        for (std::size_t d = 0; d < c; ++d)
            if (detail::same(v.cases[d], v.cases[c])) throw Error("a case is declared twice");
        for (std::size_t i = v.first[c]; i < v.first[c] + v.count[c]; ++i) {
            if (!detail::named(v.payloads[i].name)) throw Error("a payload field needs a name");
            for (std::size_t j = v.first[c]; j < i; ++j)
                if (detail::same(v.payloads[j].name, v.payloads[i].name))
                    throw Error("a payload field is declared twice in its case");
        }
    }
    return v;
}

template <std::size_t C, std::size_t P>
EnumView::EnumView(const EnumViewDecl<C, P> &decl) : EnumView(decl.module, decl.type) {
    if (decl.frozen) frozen(decl.fingerprint);
    for (std::size_t c = 0; c < C; ++c) {
        CaseNeed k{decl.cases[c], {}, {}};
        for (std::size_t i = decl.first[c]; i < decl.first[c] + decl.count[c]; ++i) {
            k.fields.push_back(decl.payloads[i]);
            k.names.emplace_back(decl.payloads[i].name);
        }
        cases_.push_back(std::move(k));
    }
}

template <std::size_t C, std::size_t P>
Bound Library::bind(const EnumViewDecl<C, P> &decl) const {
    return bind(static_cast<const View &>(EnumView(decl)));
}

// A function of module `module` a host calls with signature Sig (R(A...)),
// declared as constant data (RSL_FUNCTION, RSL_OPTIONAL_FUNCTION): `types`
// names the exported type of each reference parameter, then of an owned
// result.
template <class Sig, bool Required>
struct FunctionDecl {
    static_assert(lowering::always_false<Sig>, "rsl::FunctionDecl<R(Args...)>: a function type");
};
template <class R, class... A, bool Required>
struct FunctionDecl<R(A...), Required> {
    static_assert(!(detail::is_receiver<A> || ... || false),
                  "rsl::This and rsl::ThisMut are a method's receiver: a function has none");
    static_assert(sizeof...(A) <= lowering::max_params, "a function has at most 64 parameters");
    // How many type names the declaration gives.
    static constexpr std::size_t names =
        ((detail::Arg<A>::reference ? 1 : 0) + ... + 0) + (detail::is_owned<R> ? 1 : 0);
    const char *module;
    const char *name;
    std::array<const char *, names> types;

    // The type names of the reference parameters, and of an owned result.
    std::vector<std::string> referents() const {
        return std::vector<std::string>(types.begin(), types.end() - (detail::is_owned<R> ? 1 : 0));
    }
    std::string result() const { return detail::is_owned<R> ? std::string(types[names - 1]) : std::string(); }
};

namespace detail {

// What RSL_FUNCTION and RSL_OPTIONAL_FUNCTION declare.
template <class Sig, bool Required, class... T>
constexpr FunctionDecl<Sig, Required> declare(const char *module, const char *name, T... types) {
    static_assert((std::is_convertible<T, const char *>::value && ... && true), "type names are strings");
    static_assert(sizeof...(T) == FunctionDecl<Sig, Required>::names,
                  "name the exported type of each reference parameter (rsl::Ref, rsl::Mut, rsl::OptRef), then "
                  "of an owned result (rsl::Owned), in order");
    FunctionDecl<Sig, Required> d{module, name, {{static_cast<const char *>(types)...}}};
    if (!named(module) || !named(name)) throw Error("a function needs a module and a name");
    for (const char *t : d.types)
        if (!named(t)) throw Error("a type name is empty");
    return d;
}

// ---- the records (layout.h), built at compile time from declarations

constexpr rsl_str str(const char *s) { return rsl_str{s, lowering::length(s)}; }

// A resilient type by name, as a view or a host's signature expects it
// (its layout is the library's): what the Rust host's
// TypeIdentity::resilient::<()> writes.
constexpr rsl_type_identity by_name(const char *type) {
    return rsl_type_identity{RSL_KIND_RESILIENT, 0, str(type), 0, 1, 0, nullptr};
}

constexpr std::uint32_t access_code(int access) {
    switch (access) {
        case RSL_NESTED:
            return RSL_ACCESS_NESTED;
        case RSL_TEXT:
            return RSL_ACCESS_TEXT;
        case RSL_OPTIONAL_TEXT:
            return RSL_ACCESS_OPTIONAL_TEXT;
        case RSL_ELEMENTS:
            return RSL_ACCESS_ELEMENTS;
        default:
            return RSL_ACCESS_BY_VALUE;
    }
}

constexpr rsl_view_field_record field_record(const FieldDecl &f) {
    return rsl_view_field_record{str(f.name), f.required ? 1u : 0u, access_code(f.access),
                                 f.access == RSL_NESTED ? by_name(f.nested.type) : *f.identity};
}

template <std::size_t N, std::size_t... I>
constexpr std::array<rsl_view_field_record, N> field_records(const ViewDecl<N> &v, std::index_sequence<I...>) {
    return {{field_record(v.fields[I])...}};
}
template <std::size_t N>
constexpr std::array<rsl_view_field_record, N> field_records(const ViewDecl<N> &v) {
    return field_records(v, std::make_index_sequence<N>{});
}

constexpr rsl_view_record view_record(const ViewRef &v, const rsl_view_field_record *fields) {
    return rsl_view_record{{'R', 'S', 'L', 'N', 'T', 'V', 'W', 0},
                           RSL_FORMAT_VERSION,
                           static_cast<std::uint32_t>(sizeof(rsl_view_record)),
                           v.frozen ? 1u : 0u,
                           0,
                           str(v.module),
                           str(v.type),
                           v.frozen ? v.fingerprint : 0,
                           v.count,
                           fields};
}

constexpr rsl_view_field_record payload_record(const PayloadDecl &f) {
    return rsl_view_field_record{str(f.name), f.required ? 1u : 0u, RSL_ACCESS_BY_VALUE, *f.identity};
}
template <std::size_t C, std::size_t P, std::size_t... I>
constexpr std::array<rsl_view_field_record, P> payload_records(const EnumViewDecl<C, P> &v,
                                                               std::index_sequence<I...>) {
    return {{payload_record(v.payloads[I])...}};
}
template <std::size_t C, std::size_t P>
constexpr std::array<rsl_view_field_record, P> payload_records(const EnumViewDecl<C, P> &v) {
    return payload_records(v, std::make_index_sequence<P>{});
}
template <std::size_t C, std::size_t P>
constexpr rsl_case_need_record case_record(const EnumViewDecl<C, P> &v, const rsl_view_field_record *payloads,
                                           std::size_t c) {
    return rsl_case_need_record{str(v.cases[c]), v.count[c], v.count[c] != 0 ? payloads + v.first[c] : nullptr};
}
template <std::size_t C, std::size_t P, std::size_t... I>
constexpr std::array<rsl_case_need_record, C> case_records(const EnumViewDecl<C, P> &v,
                                                           const rsl_view_field_record *payloads,
                                                           std::index_sequence<I...>) {
    static_cast<void>(payloads);
    return {{case_record(v, payloads, I)...}};
}
template <std::size_t C, std::size_t P>
constexpr std::array<rsl_case_need_record, C> case_records(const EnumViewDecl<C, P> &v,
                                                           const rsl_view_field_record *payloads) {
    return case_records(v, payloads, std::make_index_sequence<C>{});
}
template <std::size_t C, std::size_t P>
constexpr rsl_enum_view_record enum_view_record(const EnumViewDecl<C, P> &v, const rsl_case_need_record *cases) {
    return rsl_enum_view_record{{'R', 'S', 'L', 'N', 'T', 'E', 'V', 0},
                                RSL_FORMAT_VERSION,
                                static_cast<std::uint32_t>(sizeof(rsl_enum_view_record)),
                                v.frozen ? 1u : 0u,
                                0,
                                str(v.module),
                                str(v.type),
                                v.frozen ? v.fingerprint : 0,
                                C,
                                C != 0 ? cases : nullptr};
}

template <class R, class... A, bool Q>
constexpr std::array<rsl_param_descriptor, sizeof...(A)> param_records(const FunctionDecl<R(A...), Q> &d) {
    std::array<rsl_param_descriptor, sizeof...(A)> out{};
    const std::uint32_t passes[] = {Arg<A>::pass..., 0};
    const bool refs[] = {Arg<A>::reference..., false};
    const rsl_type_identity *ids[] = {Arg<A>::identity()..., nullptr};
    std::size_t k = 0;
    for (std::size_t i = 0; i < sizeof...(A); ++i) {
        const rsl_type_identity id = refs[i] ? by_name(d.types[k++])
                                     : passes[i] == RSL_PASS_STR ? lowering::str_identity
                                                                 : *ids[i];
        out[i] = rsl_param_descriptor{lowering::param_name(i), passes[i], 0, id};
    }
    return out;
}

template <class R, class... A, bool Q>
constexpr rsl_fn_need_record fn_record(const FunctionDecl<R(A...), Q> &d, const rsl_param_descriptor *params) {
    const rsl_type_identity ret = is_owned<R>                ? by_name(d.types[FunctionDecl<R(A...), Q>::names - 1])
                                  : Ret<R>::identity() != nullptr ? *Ret<R>::identity()
                                                                  : lowering::unit_identity;
    return rsl_fn_need_record{{'R', 'S', 'L', 'N', 'T', 'F', 'N', 0},
                              RSL_FORMAT_VERSION,
                              static_cast<std::uint32_t>(sizeof(rsl_fn_need_record)),
                              Q ? 1u : 0u,
                              RSL_ABI_THUNK_V2,
                              str(d.module),
                              str(d.name),
                              sizeof...(A),
                              params,
                              rsl_param_descriptor{{"return", 6}, Ret<R>::pass, 0, ret}};
}

}  // namespace detail

template <class Sig, bool Required>
detail::bound_function<Sig, Required> Library::bind(const FunctionDecl<Sig, Required> &decl) const {
    static_assert(!detail::returns_owned<Sig>, "a function returning rsl::Owned is bound with the rsl::Bound its "
                                               "values are read through: lib.bind(decl, bound)");
    std::optional<Function<Sig>> f = Function<Sig>::bind(h_.get(), decl.module, decl.name, decl.referents(), Required);
    if constexpr (Required) {
        if (!f) throw Error(std::string("`") + decl.name + "` is absent");
        return std::move(*f);
    } else {
        return f;
    }
}

template <class Sig, bool Required>
detail::bound_function<Sig, Required> Library::bind(const FunctionDecl<Sig, Required> &decl,
                                                    const Bound &result) const {
    static_assert(detail::returns_owned<Sig>, "only a function returning rsl::Owned takes the rsl::Bound of its result");
    if (result.type_name() != decl.result())
        throw Error(std::string("`") + decl.name + "` returns a `" + decl.result() + "`, the binding given is of `" +
                    result.type_name() + "`");
    std::optional<Function<Sig>> f =
        Function<Sig>::bind(h_.get(), decl.module, decl.name, decl.referents(), Required, &result);
    if constexpr (Required) {
        if (!f) throw Error(std::string("`") + decl.name + "` is absent");
        return std::move(*f);
    } else {
        return f;
    }
}

}  // namespace rsl

#define RSL_CLIENT_CAT_(a, b) a##b
#define RSL_CLIENT_CAT(a, b) RSL_CLIENT_CAT_(a, b)

// Where records of a host's needs go (layout.h's RSL_VIEWS_SECTION), kept
// by the compiler though nothing refers to them.
#if defined(__linux__)
#define RSL_NEED_SECTION_ __attribute__((used, section(RSL_VIEWS_SECTION)))
#else
#define RSL_NEED_SECTION_ __attribute__((used))
#endif

// Declares `name`, a view (an rsl::ViewDecl: rsl::view(__VA_ARGS__), the
// module, the type and the fields), and records it in the binary for
// `resilient check`. Bind it with lib.bind(name). At namespace scope.
#define RSL_VIEW(name, ...)                                                                                 \
    constexpr auto name = ::rsl::view(__VA_ARGS__);                                                          \
    namespace {                                                                                              \
    constexpr auto RSL_CLIENT_CAT(rsl_fields_of_, name) = ::rsl::detail::field_records(name);                \
    constexpr rsl_view_record RSL_CLIENT_CAT(rsl_view_need_, name) =                                         \
        ::rsl::detail::view_record(name.ref(), RSL_CLIENT_CAT(rsl_fields_of_, name).data());                 \
    RSL_NEED_SECTION_ const rsl_view_record *const RSL_CLIENT_CAT(rsl_view_need_at_, name) =                 \
        &RSL_CLIENT_CAT(rsl_view_need_, name);                                                               \
    }                                                                                                        \
    static_assert(true, "RSL_VIEW is a declaration")

// Declares `name`, an enum view (an rsl::EnumViewDecl: rsl::enum_view(
// __VA_ARGS__), the module, the enum, its cases each followed by its payload
// fields, and at most one rsl::frozen), and records it in the binary for
// `resilient check`. Bind it with lib.bind(name) (an rsl::Bound of an
// rsl::EnumView). At namespace scope.
#define RSL_ENUM_VIEW(name, ...)                                                                            \
    constexpr auto name = ::rsl::enum_view(__VA_ARGS__);                                                     \
    namespace {                                                                                              \
    constexpr auto RSL_CLIENT_CAT(rsl_payloads_of_, name) = ::rsl::detail::payload_records(name);            \
    constexpr auto RSL_CLIENT_CAT(rsl_cases_of_, name) =                                                     \
        ::rsl::detail::case_records(name, RSL_CLIENT_CAT(rsl_payloads_of_, name).data());                    \
    constexpr rsl_enum_view_record RSL_CLIENT_CAT(rsl_enum_need_, name) =                                    \
        ::rsl::detail::enum_view_record(name, RSL_CLIENT_CAT(rsl_cases_of_, name).data());                   \
    RSL_NEED_SECTION_ const rsl_enum_view_record *const RSL_CLIENT_CAT(rsl_enum_need_at_, name) =            \
        &RSL_CLIENT_CAT(rsl_enum_need_, name);                                                               \
    }                                                                                                        \
    static_assert(true, "RSL_ENUM_VIEW is a declaration")

#define RSL_FUNCTION_NEED_(name, required, Sig, ...)                                                        \
    constexpr auto name = ::rsl::detail::declare<Sig, required>(__VA_ARGS__);                                \
    namespace {                                                                                              \
    constexpr auto RSL_CLIENT_CAT(rsl_params_of_, name) = ::rsl::detail::param_records(name);                \
    constexpr rsl_fn_need_record RSL_CLIENT_CAT(rsl_fn_need_, name) =                                        \
        ::rsl::detail::fn_record(name, RSL_CLIENT_CAT(rsl_params_of_, name).data());                         \
    RSL_NEED_SECTION_ const rsl_fn_need_record *const RSL_CLIENT_CAT(rsl_fn_need_at_, name) =                \
        &RSL_CLIENT_CAT(rsl_fn_need_, name);                                                                 \
    }                                                                                                        \
    static_assert(true, "RSL_FUNCTION is a declaration")

// Declares `name`, a function this host calls with signature Sig (an
// rsl::FunctionDecl: the module, the function's name, then the exported
// type of each reference parameter and of an owned result), and records it
// in the binary for `resilient check`. Bind it with lib.bind(name) (an
// rsl::Function), or lib.bind(name, bound) for an rsl::Owned result. At
// namespace scope.
#define RSL_FUNCTION(name, Sig, ...) RSL_FUNCTION_NEED_(name, true, Sig, __VA_ARGS__)
// As RSL_FUNCTION, for a function older libraries lack: lib.bind(name) is an
// std::optional of the rsl::Function, empty if this library lacks it.
#define RSL_OPTIONAL_FUNCTION(name, Sig, ...) RSL_FUNCTION_NEED_(name, false, Sig, __VA_ARGS__)

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
