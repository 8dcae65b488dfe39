// resilient/resilient.hpp: the C++17 side of the resilient layout metadata
// format (docs/FORMAT.md). Header-only.
//
// Export (a C++ library):
//
//     struct Widget { uint64_t id; float weight; std::string label; };
//     RESILIENT_EXPORT_TYPE(Widget, id, weight)          // fields listed once
//     RESILIENT_EXPORT_MODULE("widgets", "1.0.0", Widget)
//
// emits `Widget_size`, `Widget_align`, `Widget_<field>_offset` (size_t),
// `Widget_descriptor`, `resilient_manifest` and the witnesses (constructor,
// copy constructor, destructor), every number from sizeof/alignof/offsetof,
// with static_asserts, and the same fingerprint as the Rust producer.
//
// Consume (a C++ host):
//
//     rsl::Library lib = rsl::Library::open("libwidgets.so");   // validated once
//     rsl::View view("widgets", "Widget");
//     view.field<uint64_t>("id").optional<double>("scale");
//     rsl::Bound w = lib.bind(view);             // every mismatch at once
//     auto id = w.field<uint64_t>("id");         // tokens from the bound type
//     rsl::Field<double> scale{};
//     bool has_scale = w.optional("scale", scale);
//     rsl::Value v(w);                            // RAII through witnesses
//     v.set(id, uint64_t{42}); uint64_t x = v.get(id);
//     RSL_DYNAMIC_LOCAL(tmp, w);                  // alloca in this frame (heap above one page)
//
// Errors are thrown as rsl::Error (what() names the library, type and field).
// Thread safety: a Library, its Bound types and tokens are immutable after
// open/bind and may be shared; a Value is owned by one thread at a time.
#ifndef RESILIENT_RESILIENT_HPP
#define RESILIENT_RESILIENT_HPP

#include <alloca.h>
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "resilient/layout.h"

#define RSL_API __attribute__((visibility("default")))

namespace rsl {

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

// --------------------------------------------------------------- validation

// Why something was refused: what() names the library, the type and field.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace detail {

// Bounded reads of a loaded library: only its read-only (or RELRO) segments.
struct Image {
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> readable, code;

    bool ok(std::uintptr_t addr, std::size_t len) const {
        if (addr + len < addr) return false;
        for (auto &r : readable)
            if (r.first <= addr && addr + len <= r.second) return true;
        return false;
    }
    bool is_code(std::uintptr_t addr) const {
        for (auto &r : code)
            if (r.first <= addr && addr < r.second) return true;
        return false;
    }

    static Image containing(std::uintptr_t addr) {
        struct Search {
            std::uintptr_t addr;
            Image img;
            bool found;
            bool oom;
        } s{addr, {}, false, false};
        // The callback runs inside glibc with its loader lock held: nothing
        // may propagate out of it, so an allocation failure is recorded and
        // thrown after the walk.
        dl_iterate_phdr(
            [](dl_phdr_info *info, std::size_t, void *data) -> int {
                auto *s = static_cast<Search *>(data);
                try {
                    bool mine = false;
                    for (int i = 0; i < info->dlpi_phnum; ++i) {
                        const auto &p = info->dlpi_phdr[i];
                        std::uintptr_t a = info->dlpi_addr + p.p_vaddr;
                        if (p.p_type == PT_LOAD && s->addr >= a && s->addr < a + p.p_memsz) mine = true;
                    }
                    if (!mine) return 0;
                    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> relro;
                    for (int i = 0; i < info->dlpi_phnum; ++i) {
                        const auto &p = info->dlpi_phdr[i];
                        std::uintptr_t a = info->dlpi_addr + p.p_vaddr;
                        if (p.p_type == PT_GNU_RELRO) relro.push_back({a, a + p.p_memsz});
                    }
                    for (int i = 0; i < info->dlpi_phnum; ++i) {
                        const auto &p = info->dlpi_phdr[i];
                        if (p.p_type != PT_LOAD) continue;
                        std::uintptr_t a = info->dlpi_addr + p.p_vaddr, e = a + p.p_memsz;
                        if (p.p_flags & PF_X) s->img.code.push_back({a, e});
                        if (!(p.p_flags & PF_R)) continue;
                        if (!(p.p_flags & PF_W)) {
                            s->img.readable.push_back({a, e});
                        } else {
                            for (auto &r : relro) {
                                std::uintptr_t lo = a > r.first ? a : r.first, hi = e < r.second ? e : r.second;
                                if (lo < hi) s->img.readable.push_back({lo, hi});
                            }
                        }
                    }
                    s->found = true;
                    return 1;
                } catch (...) {
                    s->oom = true;
                    return 1;
                }
            },
            &s);
        if (s.oom) throw Error("out of memory while reading the loaded objects' segments");
        if (!s.found) throw Error("the manifest address is in no loaded object");
        return s.img;
    }
};

inline bool is_pow2(std::size_t x) { return x && !(x & (x - 1)); }

}  // namespace detail

// One field of a validated type.
struct FieldInfo {
    std::string name;
    std::size_t offset;
    // A validated copy (owned by the library handle): its `element` points
    // at the validated copy of the element, its name into the library's
    // read-only image, checked.
    const rsl_type_identity *identity;
};

// One validated type.
struct TypeInfo {
    std::string name;
    std::uint32_t flags;
    std::size_t size, align, stride;
    std::uint64_t fingerprint;
    std::vector<FieldInfo> fields;
    rsl_value_witnesses witnesses;

    const FieldInfo *field(const std::string &n) const {
        for (auto &f : fields)
            if (f.name == n) return &f;
        return nullptr;
    }
};

inline std::string describe(const rsl_type_identity &id) {
    switch (id.kind) {
        case RSL_KIND_ARRAY:
            return "[" + describe(*id.element) + "; " + std::to_string(id.count) + "]";
        case RSL_KIND_RESILIENT:
            return "resilient " + std::string(id.name.ptr, id.name.len);
        default:
            return std::string(id.name.ptr, id.name.len);
    }
}

inline bool same_identity(const rsl_type_identity &a, const rsl_type_identity &b) {
    if (a.kind != b.kind) return false;
    if (a.kind == RSL_KIND_RESILIENT)
        return a.name.len == b.name.len && std::memcmp(a.name.ptr, b.name.ptr, a.name.len) == 0;
    if (a.kind == RSL_KIND_ARRAY)
        return a.count == b.count && a.size == b.size && same_identity(*a.element, *b.element);
    return a.size == b.size && a.align == b.align && a.name.len == b.name.len &&
           std::memcmp(a.name.ptr, b.name.ptr, a.name.len) == 0;
}

// A token: the offset of a field of type T in one bound type, plus the
// binding it belongs to (handles check it).
template <class T>
struct Field {
    std::size_t offset;
    const void *binding;
};

// What a consumer needs of a foreign type: fields it requires, fields it can
// do without (older libraries), checked at bind time.
class View {
  public:
    View(std::string module, std::string type) : module_(std::move(module)), type_(std::move(type)) {}
    template <class T>
    View &field(const std::string &name) {
        needs_.push_back({name, true, &identity<T>::value});
        return *this;
    }
    template <class T>
    View &optional(const std::string &name) {
        needs_.push_back({name, false, &identity<T>::value});
        return *this;
    }
    const std::string &module() const { return module_; }
    const std::string &type() const { return type_; }

  private:
    friend class Library;
    struct Need {
        std::string name;
        bool required;
        const rsl_type_identity *identity;
    };
    std::string module_, type_;
    std::vector<Need> needs_;
};

namespace detail {
struct LibState {
    void *handle = nullptr;
    std::string path, module, version;
    std::vector<TypeInfo> types;
    std::deque<rsl_type_identity> idents;  // validated copies (stable addresses)
    ~LibState() {
        if (handle) dlclose(handle);
    }
};
}  // namespace detail

// A view bound to a type of a loaded library. Keeps the library loaded.
class Bound {
  public:
    // The token of a field the view declared (setup time, not the hot path).
    template <class T>
    Field<T> field(const std::string &name) const {
        auto f = find<T>(name);
        if (!f) throw Error(lib_->path + ": `" + ty_->name + "." + name + "` is absent (declared optional?)");
        return *f;
    }
    // The token of an optional field, or nothing if this library lacks it.
    template <class T>
    bool optional(const std::string &name, Field<T> &out) const {
        auto f = find<T>(name);
        if (f) out = *f;
        return f != nullptr;
    }
    const TypeInfo &type() const { return *ty_; }
    std::size_t size() const { return ty_->size; }
    std::size_t align() const { return ty_->align; }
    const void *id() const { return ty_; }
    const std::string &library() const { return lib_->path; }

  private:
    friend class Library;
    template <class T>
    std::unique_ptr<Field<T>> find(const std::string &name) const {
        const FieldInfo *f = ty_->field(name);
        if (!f) return nullptr;
        if (!same_identity(*f->identity, identity<T>::value))
            throw Error(lib_->path + ": `" + ty_->name + "." + name + "` is " + describe(*f->identity) +
                        ", the token asks for " + describe(identity<T>::value));
        return std::unique_ptr<Field<T>>(new Field<T>{f->offset, ty_});
    }
    std::shared_ptr<detail::LibState> lib_;
    const TypeInfo *ty_ = nullptr;
};

// An opened library whose metadata has been validated (bounded reads of its
// read-only segments only: a hostile manifest is an Error, not a crash).
class Library {
  public:
    static Library open(const std::string &path) {
        auto st = std::make_shared<detail::LibState>();
        st->path = path;
        st->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!st->handle) {
            const char *e = dlerror();
            throw Error(path + ": cannot be loaded as a shared library: " + (e ? e : "?"));
        }
        void *sym = dlsym(st->handle, RSL_MANIFEST_SYMBOL);
        if (!sym) throw Error(path + ": exports no `resilient_manifest` symbol (not a resilient library)");
        Dl_info info;
        if (dladdr(sym, &info) && info.dli_fname) {
            // The symbol must be this library's, not a dependency's.
            char *a = realpath(info.dli_fname, nullptr), *b = realpath(path.c_str(), nullptr);
            bool same = a && b && std::strcmp(a, b) == 0;
            std::free(a);
            std::free(b);
            if (!same) throw Error(path + ": its `resilient_manifest` is defined by another object");
        }
        try {
            Reader r{detail::Image::containing(reinterpret_cast<std::uintptr_t>(sym)), path};
            r.manifest(reinterpret_cast<std::uintptr_t>(sym), *st);
        } catch (const std::bad_alloc &) {
            throw Error(path + ": out of memory while reading its layout metadata");
        }
        Library lib;
        lib.s_ = std::move(st);
        return lib;
    }

    const std::string &path() const { return s_->path; }
    const std::string &module() const { return s_->module; }
    const std::string &version() const { return s_->version; }
    const std::vector<TypeInfo> &types() const { return s_->types; }

    // Binds `view`: every required field must exist with the same type
    // identity; all mismatches are reported in one Error.
    Bound bind(const View &view) const {
        if (view.module() != s_->module)
            throw Error(s_->path + " exports module `" + s_->module + "`, the view is of module `" + view.module() + "`");
        const TypeInfo *ty = nullptr;
        for (auto &t : s_->types)
            if (t.name == view.type()) ty = &t;
        if (!ty) throw Error("cannot bind view of `" + view.type() + "` to " + s_->path + ": type `" + view.type() + "` is missing");
        std::string problems;
        for (auto &n : view.needs_) {
            const FieldInfo *f = ty->field(n.name);
            std::string where = "field `" + ty->name + "." + n.name + "`";
            if (!f) {
                if (n.required) problems += (problems.empty() ? "" : "; ") + where + " (" + describe(*n.identity) + ") is missing";
            } else if (!same_identity(*f->identity, *n.identity)) {
                problems += (problems.empty() ? "" : "; ") + where + " is " + describe(*f->identity) + ", the view expects " + describe(*n.identity);
            }
        }
        if (!problems.empty())
            throw Error("cannot bind view of `" + ty->name + "` to " + s_->module + " " + s_->version + " (" + s_->path + "): " + problems);
        Bound b;
        b.lib_ = s_;
        b.ty_ = ty;
        return b;
    }

  private:
    std::shared_ptr<detail::LibState> s_;

    // Validates a manifest with the checks of the Rust validator
    // (crates/layout-meta/src/validate.rs), reading the library only through
    // bounded reads of its read-only image, and never following or hashing
    // anything it has not checked.
    struct Reader {
        detail::Image img;
        std::string path;
        // What the decoded module may take in memory, as the Rust reader's
        // limits::MAX_MODULE_BYTES: records may be shared, so the per-record
        // limits alone do not bound it.
        mutable std::size_t budget = std::size_t{64} << 20;

        [[noreturn]] void fail(const std::string &what) const { throw Error(path + ": invalid layout metadata: " + what); }
        void take(std::size_t bytes) const {
            if (bytes > budget) fail("the decoded module would take more than 64 MiB");
            budget -= bytes;
        }
        template <class R>
        R read(std::uintptr_t addr, const char *what) const {
            if (!img.ok(addr, sizeof(R))) fail(std::string(what) + " lies outside the library image");
            R r;
            std::memcpy(&r, reinterpret_cast<const void *>(addr), sizeof(R));
            return r;
        }
        // A list of `count` records `size` bytes apart at `base`, all inside
        // the image (checked once, without wrapping).
        void list(const void *base, std::size_t count, std::size_t size, const std::string &what) const {
            if (count && !img.ok(reinterpret_cast<std::uintptr_t>(base), count * size))
                fail(what + " lies outside the library image");
        }
        static bool utf8_without_controls(const unsigned char *p, std::size_t n) {
            for (std::size_t i = 0; i < n;) {
                std::uint32_t c = p[i];
                std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
                if (len == 0 || i + len > n) return false;
                for (std::size_t k = 1; k < len; ++k) {
                    if ((p[i + k] & 0xc0) != 0x80) return false;
                    c = (c << 6) | (p[i + k] & 0x3f);
                }
                if (len == 2) c &= 0x7ff;
                if (len == 3) c &= 0xffff;
                if (len == 4) c &= 0x1fffff;
                const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
                if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;  // overlong, surrogate
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;                           // control
                i += len;
            }
            return true;
        }
        std::string name(const rsl_str &s, const std::string &what, std::size_t max = 1024) const {
            if (s.len == 0) fail(what + ": it is empty");
            if (s.len > max) fail(what + " is too long");
            if (!img.ok(reinterpret_cast<std::uintptr_t>(s.ptr), s.len)) fail(what + " lies outside the library image");
            take(s.len);
            if (!utf8_without_controls(reinterpret_cast<const unsigned char *>(s.ptr), s.len))
                fail(what + ": it is not UTF-8, or contains control characters");
            return std::string(s.ptr, s.len);
        }
        static bool is_semver(const std::string &v) {
            auto split = [](const std::string &s, char c) {
                std::vector<std::string> out(1);
                for (char ch : s) {
                    if (ch == c)
                        out.emplace_back();
                    else
                        out.back().push_back(ch);
                }
                return out;
            };
            auto number = [](const std::string &p) {
                return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                       (p == "0" || p[0] != '0');
            };
            auto ident = [](const std::string &p) {
                return !p.empty() && std::all_of(p.begin(), p.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
                });
            };
            std::string rest = v, build, pre;
            bool has_build = false, has_pre = false;
            if (auto b = rest.find('+'); b != std::string::npos) {
                build = rest.substr(b + 1), rest = rest.substr(0, b), has_build = true;
            }
            if (auto d = rest.find('-'); d != std::string::npos) {
                pre = rest.substr(d + 1), rest = rest.substr(0, d), has_pre = true;
            }
            auto core = split(rest, '.');
            if (core.size() != 3 || !std::all_of(core.begin(), core.end(), number)) return false;
            for (auto *part : {has_pre ? &pre : nullptr, has_build ? &build : nullptr})
                if (part) {
                    auto ids = split(*part, '.');
                    if (!std::all_of(ids.begin(), ids.end(), ident)) return false;
                }
            return true;
        }
        // Checks the identity record `id` (already copied out of the image)
        // and returns a validated copy owned by `st`.
        const rsl_type_identity *identity(const rsl_type_identity &id, int depth, const std::string &where,
                                          detail::LibState &st) const {
            if (depth > 16) fail(where + ": array nesting too deep");
            if (!detail::is_pow2(id.align) || id.align > (std::size_t{1} << 29) || id.size % id.align ||
                id.size > static_cast<std::size_t>(PTRDIFF_MAX))
                fail(where + ": bad size or alignment");
            take(sizeof(rsl_type_identity));
            rsl_type_identity out = id;
            if (id.kind == RSL_KIND_ARRAY) {
                if (id.name.len != 0) fail(where + ": malformed type identity: an array identity has a name");
                auto e = read<rsl_type_identity>(reinterpret_cast<std::uintptr_t>(id.element), "an array element type");
                const rsl_type_identity *ev = identity(e, depth + 1, where, st);
                if (ev->size * id.count != id.size || (id.count && id.size / id.count != ev->size) || ev->align != id.align)
                    fail(where + ": malformed array identity");
                out.element = ev;
                out.name = {"", 0};
            } else if (id.kind >= RSL_KIND_SCALAR && id.kind <= RSL_KIND_OPAQUE) {
                if (id.count != 0 || id.element != nullptr)
                    fail(where + ": malformed type identity: a count or element on an identity that is not an array");
                name(id.name, where + " type name");
            } else {
                fail(where + ": unknown identity kind");
            }
            st.idents.push_back(out);
            return &st.idents.back();
        }
        void manifest(std::uintptr_t addr, detail::LibState &st) const {
            auto m = read<rsl_manifest>(addr, "the manifest");
            if (std::memcmp(m.magic, RSL_MAGIC, 8) != 0) fail("bad magic");
            if (m.format_version != RSL_FORMAT_VERSION)
                fail("format version " + std::to_string(m.format_version) + " is not supported (this reader knows version 1)");
            if (m.header_size < sizeof(rsl_manifest) || m.type_record_size < sizeof(rsl_type_descriptor) ||
                m.field_record_size < sizeof(rsl_field_descriptor) || m.header_size > 4096 || m.type_record_size > 4096 ||
                m.field_record_size > 4096)
                fail("record sizes out of range");
            if (m.pointer_width != sizeof(void *)) fail("metadata is for another target: pointer width");
            if (m.endianness != RSL_LITTLE_ENDIAN) fail("metadata is for another target: endianness");
            st.module = name(m.module_name, "module name");
            st.version = name(m.module_version, "module version", 128);
            if (!is_semver(st.version)) fail("module version `" + st.version + "` is not semver");
            if (m.type_count > 65536) fail("too many types");
            list(m.types, m.type_count, sizeof(void *), "the type list");
            take(m.type_count * sizeof(TypeInfo));
            st.types.reserve(m.type_count);
            std::unordered_set<std::string> type_names;
            for (std::size_t i = 0; i < m.type_count; ++i) {
                auto tp = read<const rsl_type_descriptor *>(reinterpret_cast<std::uintptr_t>(m.types + i), "the type list");
                auto t = read<rsl_type_descriptor>(reinterpret_cast<std::uintptr_t>(tp), "a type record");
                TypeInfo ti;
                ti.name = name(t.name, "type name");
                if (!type_names.insert(ti.name).second) fail("type `" + ti.name + "` is described twice");
                ti.flags = t.flags;
                ti.size = t.size;
                ti.align = t.align;
                ti.stride = t.stride;
                ti.fingerprint = t.fingerprint;
                ti.witnesses = t.witnesses;
                const std::string ty = "type `" + ti.name + "`";
                const auto max_size = static_cast<std::size_t>(PTRDIFF_MAX);
                if (!detail::is_pow2(t.align) || t.align > (std::size_t{1} << 29)) fail(ty + " has a bad alignment");
                if (t.size % t.align || t.size > max_size) fail(ty + " has a bad size");
                if (t.stride < t.size || t.stride % t.align || t.stride > max_size) fail(ty + " has a bad stride");
                if (t.field_count > 4096) fail(ty + " has too many fields");
                list(t.fields, t.field_count, m.field_record_size, ty + "'s field list");
                take(t.field_count * sizeof(FieldInfo));
                ti.fields.reserve(t.field_count);
                std::unordered_set<std::string> field_names;
                for (std::size_t j = 0; j < t.field_count; ++j) {
                    auto fa = reinterpret_cast<std::uintptr_t>(t.fields) + j * m.field_record_size;
                    auto f = read<rsl_field_descriptor>(fa, "a field record");
                    FieldInfo fi;
                    fi.name = name(f.name, ty + " field name");
                    const std::string where = "field `" + ti.name + "." + fi.name + "`";
                    if (!field_names.insert(fi.name).second) fail(where + " is described twice");
                    fi.identity = identity(f.identity, 0, where, st);
                    fi.offset = f.offset;
                    if (f.offset + fi.identity->size < f.offset || f.offset + fi.identity->size > t.size)
                        fail(where + " ends past the type's size");
                    ti.fields.push_back(std::move(fi));
                }
                // Overlaps: fields of nonzero size, by offset; each ends
                // before the next begins (ends cannot overflow: checked).
                std::vector<const FieldInfo *> spans;
                for (auto &f : ti.fields)
                    if (f.identity->size) spans.push_back(&f);
                std::sort(spans.begin(), spans.end(),
                          [](const FieldInfo *a, const FieldInfo *b) { return a->offset < b->offset; });
                for (std::size_t k = 1; k < spans.size(); ++k)
                    if (spans[k - 1]->offset + spans[k - 1]->identity->size > spans[k]->offset)
                        fail("fields `" + ti.name + "." + spans[k - 1]->name + "` and `" + ti.name + "." + spans[k]->name +
                             "` overlap");
                // The fingerprint, over the validated copies only.
                Fnv fp;
                fp.word(t.size);
                fp.word(t.align);
                fp.word(t.stride);
                fp.word(t.field_count);
                for (auto &f : ti.fields) {
                    fp.str({f.name.data(), f.name.size()});
                    fp.word(f.offset);
                    fp.identity(*f.identity);
                }
                if (fp.h != t.fingerprint) fail(ty + " has a fingerprint that is not its layout's");
                const std::pair<const void *, std::uint32_t> ws[] = {
                    {reinterpret_cast<const void *>(t.witnesses.drop), RSL_FLAG_NEEDS_DROP},
                    {reinterpret_cast<const void *>(t.witnesses.clone), RSL_FLAG_CLONABLE},
                    {reinterpret_cast<const void *>(t.witnesses.default_init), RSL_FLAG_DEFAULT_INIT}};
                for (auto &w : ws) {
                    if ((w.first != nullptr) != ((t.flags & w.second) != 0)) fail(ty + ": a witness and its flag disagree");
                    if (w.first && !img.is_code(reinterpret_cast<std::uintptr_t>(w.first)))
                        fail(ty + ": a witness address is not in the library's code");
                }
                if ((t.flags & RSL_FLAG_POD) && t.witnesses.drop)
                    fail(ty + ": a plain-old-data type cannot need drop");
                st.types.push_back(std::move(ti));
            }
            // A nested resilient field is bound through the module's type of
            // that name: where the module lists one, it must have the
            // field's size and alignment.
            std::unordered_map<std::string, const TypeInfo *> by_name;
            for (auto &t : st.types) by_name.emplace(t.name, &t);
            for (auto &t : st.types)
                for (auto &f : t.fields) {
                    const rsl_type_identity *id = f.identity;
                    while (id->kind == RSL_KIND_ARRAY) id = id->element;
                    if (id->kind != RSL_KIND_RESILIENT) continue;
                    auto n = by_name.find(std::string(id->name.ptr, id->name.len));
                    if (n != by_name.end() && (n->second->size != id->size || n->second->align != id->align))
                        fail("field `" + t.name + "." + f.name +
                             "`: the module's type of the nested name has another size or alignment");
                }
        }
    };
};

// Stack cap of RSL_DYNAMIC_LOCAL (size + alignment): larger values go to the
// heap. One page: an alloca this small cannot step over a thread's guard page
// (the 4 KiB probe interval compilers assume for any frame), so a stack
// overflow still faults in the guard page whatever flags the caller's code
// was compiled with. (Rust's with_stack probes by hand and allows 16 KiB.)
constexpr std::size_t STACK_CAP = 4096;

// A value of a foreign type made by the library's witnesses; `mem` is where
// it lives (aligned room of the type's size), or null for the heap.
class Local {
  public:
    Local(const Bound &b, void *room) : b_(b) {
        const auto &t = b.type();
        place(room);
        if (t.witnesses.default_init) {
            t.witnesses.default_init(p_);
        } else if (t.flags & RSL_FLAG_POD) {
            std::memset(p_, 0, t.size);
        } else {
            release();
            throw Error(b.library() + ": type `" + t.name + "` has no default_init witness");
        }
    }
    // Room for a copy of `src`, made by the clone witness.
    Local(const Bound &b, void *room, const unsigned char *src) : b_(b) {
        const auto &t = b.type();
        place(room);
        if (t.witnesses.clone) {
            t.witnesses.clone(p_, src);
        } else if (t.flags & RSL_FLAG_POD) {
            std::memcpy(p_, src, t.size);
        } else {
            release();
            throw Error(b.library() + ": type `" + t.name + "` has no clone witness");
        }
    }
    Local(const Local &) = delete;
    Local &operator=(const Local &) = delete;
    ~Local() {
        if (b_.type().witnesses.drop) b_.type().witnesses.drop(p_);
        release();
    }

    template <class T>
    T get(Field<T> f) const {
        check(f.binding);
        if constexpr (std::is_same<T, bool>::value) {
            std::uint8_t b;
            std::memcpy(&b, p_ + f.offset, 1);
            if (b > 1) throw Error("field holds an invalid bool");
            return b != 0;
        } else {
            static_assert(std::is_trivially_copyable<T>::value, "fields are read by copy");
            T v;
            std::memcpy(&v, p_ + f.offset, sizeof(T));
            return v;
        }
    }
    template <class T>
    void set(Field<T> f, const T &v) {
        check(f.binding);
        std::memcpy(p_ + f.offset, &v, sizeof(T));
    }
    unsigned char *data() const { return p_; }

  protected:
    void check(const void *binding) const {
        if (binding != b_.id()) throw Error("a token of another binding was used (another type or library version)");
    }
    // Points p_ at `room` (aligned up; it holds size + align bytes), or at a
    // new heap block when `room` is null.
    void place(void *room) {
        const auto &t = b_.type();
        if (room) {
            auto p = reinterpret_cast<std::uintptr_t>(room);
            p_ = reinterpret_cast<unsigned char *>((p + t.align - 1) & ~(std::uintptr_t)(t.align - 1));
        } else {
            heap_ = true;
            p_ = static_cast<unsigned char *>(::operator new(t.size ? t.size : 1, std::align_val_t(t.align)));
        }
    }
    void release() {
        if (heap_) ::operator delete(p_, std::align_val_t(b_.type().align));
        heap_ = false;
    }
    Bound b_;
    unsigned char *p_ = nullptr;
    bool heap_ = false;
};

// A value on the heap, RAII: created by the default witness, copied by the
// clone witness, destroyed by the drop witness, exactly once each.
class Value : public Local {
  public:
    explicit Value(const Bound &b) : Local(b, nullptr) {}
    // A copy made by the library's clone witness.
    Value(const Value &other) : Local(other.b_, nullptr, other.p_) {}
};

}  // namespace rsl

// Declares `name`, a default value of `bound`'s type allocated with alloca in
// the caller's frame (on the heap above rsl::STACK_CAP), destroyed at scope end.
#define RSL_DYNAMIC_LOCAL(name, bound)                                                     \
    ::rsl::Local name((bound), (bound).size() + (bound).align() <= ::rsl::STACK_CAP          \
                                   ? alloca((bound).size() + (bound).align())               \
                                   : nullptr)

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
    /* The manifest points at this internal copy, so that it binds to this  \
       library's descriptor even beside another version loaded globally;  \
       T_descriptor is the same record, exported for C readers. */         \
    static constexpr rsl_type_descriptor T##_descriptor_local_ = {                                    \
        ::rsl::witness<T>::flags(), 0, {#T, sizeof(#T) - 1}, sizeof(T), alignof(T), sizeof(T),         \
        ::rsl::fingerprint(sizeof(T), alignof(T), sizeof(T), T##_fields_,                             \
                           sizeof(T##_fields_) / sizeof(T##_fields_[0])),                             \
        sizeof(T##_fields_) / sizeof(T##_fields_[0]), T##_fields_, ::rsl::witness<T>::table()};      \
    extern "C" RSL_API const rsl_type_descriptor T##_descriptor;                                      \
    const rsl_type_descriptor T##_descriptor = T##_descriptor_local_;                                 \
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
        0, 0, 0, nullptr};

#endif  // RESILIENT_RESILIENT_HPP
