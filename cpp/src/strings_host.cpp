// A C++ host built against widgets 1.0's `Profile` (the Rust fixture's and
// the C++ sample's), reading and writing any version's text, elements and
// computed fields through the C++ client: `name` (Rust String, std::string)
// as rsl::Text, `tags` (Rust Vec<u32>, std::vector<std::uint32_t>) as
// rsl::Elems<std::uint32_t>, `nick` (Option<String>,
// std::optional<std::string>) as rsl::OptText, and `score`, a by-value u32
// that widgets 1.1 (Rust) computes with a getter and a setter. The C++
// samples' `deltas` (std::vector<std::int32_t>) is an optional field.
// tests/it/strings.rs runs it on every library and checks each line. One
// line per fact.
// Exit: 0, 1 a check failed, 2 usage, 3 refused at open or bind.
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "resilient/client.hpp"

RSL_VIEW(profile_view, "widgets", "Profile", rsl::field<std::uint64_t>("id"), rsl::field<rsl::Text>("name"),
         rsl::field<rsl::Elems<std::uint32_t>>("tags"), rsl::field<rsl::OptText>("nick"),
         rsl::field<std::uint32_t>("score"), rsl::optional_field<rsl::Elems<std::int32_t>>("deltas"));
RSL_OPTIONAL_FUNCTION(live_allocations, rsl::isize(), "widgets", "live_allocations");
RSL_OPTIONAL_FUNCTION(score_reads, rsl::isize(), "widgets", "score_reads");
RSL_OPTIONAL_FUNCTION(garble_name, void(rsl::Mut), "widgets", "garble_name", "Profile");

namespace {

int failures = 0;

void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

template <class E>
std::string list(rsl::Slice<E> s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
}

struct Profile {
    rsl::Bound b;
    rsl::Field<std::uint64_t> id;
    rsl::Field<rsl::Text> name;
    rsl::Field<rsl::Elems<std::uint32_t>> tags;
    rsl::Field<rsl::OptText> nick;
    rsl::Field<std::uint32_t> score;
    rsl::Field<rsl::Elems<std::int32_t>> deltas{};
    bool has_deltas;
    explicit Profile(rsl::Bound bound)
        : b(std::move(bound)),
          id(b.field<std::uint64_t>("id")),
          name(b.field<rsl::Text>("name")),
          tags(b.field<rsl::Elems<std::uint32_t>>("tags")),
          nick(b.field<rsl::OptText>("nick")),
          score(b.field<std::uint32_t>("score")),
          has_deltas(b.optional("deltas", deltas)) {}
};

std::string show(const Profile &p, const rsl::Place &v) {
    std::optional<std::string_view> nick = v.text(p.nick);
    return "id=" + std::to_string(v.get(p.id)) + " name=" + quoted(v.text(p.name)) + " tags=" + list(v.elems(p.tags)) +
           " nick=" + (nick ? quoted(*nick) : std::string("none")) + " score=" + std::to_string(v.get(p.score));
}

// The status of a raw C API call (for misuse, which must be refused).
const char *status_name(rsl_status s) {
    switch (s) {
        case RSL_OK:
            return "ok";
        case RSL_ERROR_NULL:
            return "null";
        case RSL_ERROR_ARGUMENT:
            return "argument";
        case RSL_ERROR_BINDING:
            return "binding";
        case RSL_ERROR_VALUE:
            return "value";
        case RSL_ERROR_UTF8:
            return "utf8";
        default:
            return "other";
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s LIBRARY\n", argv[0]);
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::optional<rsl::Library> lib;
    std::optional<Profile> p;
    try {
        lib = rsl::Library::open(argv[1]);
        p.emplace(lib->bind(profile_view));
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    std::printf("version %s\n", lib->version().c_str());
    auto allocations = lib->bind(live_allocations);
    auto reads = lib->bind(score_reads);
    auto garble = lib->bind(garble_name);
    std::ptrdiff_t before = allocations ? std::ptrdiff_t((*allocations)()) : 0;
    {
        rsl::Value v(p->b);
        std::printf("default %s\n", show(*p, v).c_str());
        v.set(p->id, std::uint64_t{7});
        v.set_text(p->name, "Ada Lovelace");
        v.set_elems(p->tags, std::vector<std::uint32_t>{1, 2, 3});
        v.set_text(p->nick, std::string_view("ada"));
        std::ptrdiff_t r0 = reads ? std::ptrdiff_t((*reads)()) : 0;
        v.set(p->score, std::uint32_t{42});
        std::uint32_t score = v.get(p->score);
        std::ptrdiff_t r1 = reads ? std::ptrdiff_t((*reads)()) : 0;
        std::printf("score %u read by the library's getter %d times\n", score, static_cast<int>(r1 - r0));
        std::printf("set %s\n", show(*p, v).c_str());
        // A copy by the library's clone witness (the C++ samples' copy
        // constructor: a deep copy); the Rust fixtures' Profile has none.
        std::optional<rsl::Value> copy;
        if (p->b.flags() & RSL_FLAG_CLONABLE) copy.emplace(v);
        // A field copied onto itself, whole or in part (the library's getter
        // lent the source): the library's setter copies before it frees.
        v.set_text(p->name, v.text(p->name).substr(4));
        rsl::Slice<std::uint32_t> lent = v.elems(p->tags);
        v.set_elems(p->tags, rsl::Slice<std::uint32_t>(lent.data() + 1, lent.size() - 1));
        v.set_text(p->nick, v.text(p->nick));
        std::printf("onto itself %s\n", show(*p, v).c_str());
        v.set_text(p->nick, std::nullopt);
        v.set_elems(p->tags, rsl::Slice<std::uint32_t>());
        v.set_text(p->name, "");
        std::printf("cleared %s\n", show(*p, v).c_str());
        if (copy)
            std::printf("copy %s\n", show(*p, *copy).c_str());
        else
            std::printf("no clone witness\n");
        check(v.elems(p->tags).data() != nullptr, "an empty elements field borrows a non-NULL pointer");

        if (p->has_deltas) {
            std::vector<std::int32_t> d{-1, 0, 2147483647, -2147483647 - 1};
            v.set_elems(p->deltas, d);
            std::printf("deltas %s\n", list(v.elems(p->deltas)).c_str());
        } else {
            std::printf("deltas absent\n");
        }

        // Text that is not UTF-8 is refused before the library sees it.
        try {
            v.set_text(p->name, std::string_view("bad \xff", 5));
            std::printf("non-UTF-8 written\n");
        } catch (const rsl::Error &e) {
            std::printf("non-UTF-8 refused: %s\n", e.what());
        }
        check(v.text(p->name).empty(), "a refused write changes nothing");

        // Bytes a C++ library put in a std::string that are not UTF-8.
        if (garble) {
            (*garble)(v);
            try {
                std::printf("garbled text %s\n", quoted(v.text(p->name)).c_str());
            } catch (const rsl::Error &e) {
                std::printf("garbled text refused: %s\n", e.what());
            }
            std::string hex;
            for (unsigned char c : v.text_bytes(p->name)) {
                char b[4];
                std::snprintf(b, sizeof b, "%02x", c);
                hex += b;
            }
            std::printf("garbled bytes %s\n", hex.c_str());
            v.set_text(p->name, "mended");
        } else {
            std::printf("no garble_name\n");
        }

        // Misuse through the C API: typed errors, never a crash.
        const rsl_bound *h = p->b.handle();
        void *data = v.data();
        unsigned char buf[8];
        rsl_slice s{};
        std::printf("get of a text field: %s\n",
                    status_name(rsl_bound_get(h, data, p->name.raw(), buf, sizeof buf, nullptr)));
        std::printf("borrow of a by-value field: %s\n",
                    status_name(rsl_bound_borrow(h, data, p->id.raw(), &s, nullptr)));
        std::printf("text of an elements field: %s\n",
                    status_name(rsl_bound_text(h, data, p->tags.raw(), &s, nullptr)));
        std::printf("borrow into NULL: %s\n", status_name(rsl_bound_borrow(h, data, p->name.raw(), nullptr, nullptr)));
        std::printf("borrow of NULL: %s\n", status_name(rsl_bound_borrow(h, nullptr, p->name.raw(), &s, nullptr)));
        std::printf("nothing into a required text: %s\n",
                    status_name(rsl_bound_replace(h, data, p->name.raw(), nullptr, 0, nullptr)));
        std::printf("nothing into elements: %s\n",
                    status_name(rsl_bound_replace(h, data, p->tags.raw(), nullptr, 0, nullptr)));
        rsl::Bound other = lib->bind(profile_view);
        rsl_field stale = other.field<rsl::Text>("name").raw();
        std::printf("token of another binding: %s\n", status_name(rsl_bound_borrow(h, data, stale, &s, nullptr)));
        std::uint32_t odd[2] = {1, 2};
        const unsigned char *misaligned = reinterpret_cast<const unsigned char *>(odd) + 1;
        std::printf("misaligned elements: %s\n",
                    status_name(rsl_bound_replace(h, data, p->tags.raw(), misaligned, 1, nullptr)));
        std::printf("after misuse %s\n", show(*p, v).c_str());

        // Growing replacements, the library allocating and freeing.
        std::string text(4096, 'x');
        for (int i = 0; i < 20000; ++i) {
            std::size_t len = 1 + static_cast<std::size_t>(i) % 4096;
            v.set_text(p->name, std::string_view(text.data(), len));
            if (i % 3 == 0)
                v.set_text(p->nick, std::nullopt);
            else
                v.set_text(p->nick, std::string_view(text.data(), len / 2));
            v.set_elems(p->tags, rsl::Slice<std::uint32_t>(odd, static_cast<std::size_t>(i % 3)));
        }
        std::printf("name length %zu\n", v.text(p->name).size());
    }
    if (allocations)
        std::printf("live allocations back to start: %s\n", std::ptrdiff_t((*allocations)()) == before ? "yes" : "no");
    else
        std::printf("live allocations not counted\n");
    return failures == 0 ? 0 : 1;
}
