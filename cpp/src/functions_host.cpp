// A C++ host of widgets' functions (client.hpp, on the C API): binds the
// functions widgets 1.0 exports, and optionally 1.1's `weight_lb` and the C++
// sample's `checksum` and `same_id`, each with its C++ signature checked by
// the Rust binder; calls each through the library's thunk; takes values the
// library makes (`make_widget`, `parse_point`: rsl::Owned results, owned
// here as rsl::Value and destroyed through the library's witness); makes a
// function throw (or panic) ROUNDS times, then calls a normal one; prints
// one line per fact. Works on the Rust and the C++ widgets libraries alike.
//
//   widget-functions-host LIBWIDGETS.so [ROUNDS]
//
// Exit: 0 compatible, 1 a check failed, 2 usage, 3 refused (at open or bind).
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "resilient/client.hpp"

static int failures = 0;

static void check(const char *name, bool ok) {
    std::printf("check %s %s\n", name, ok ? "ok" : "FAIL");
    if (!ok) ++failures;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: widget-functions-host LIBWIDGETS.so [ROUNDS]\n");
        return 2;
    }
    const long rounds = argc == 3 ? std::strtol(argv[2], nullptr, 10) : 1000;
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        std::printf("module %s %s\n", lib.module().c_str(), lib.version().c_str());
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id");
        rsl::Bound w = lib.bind(view);
        auto id = w.field<std::uint64_t>("id");
        rsl::View point_view("widgets", "Point");
        point_view.field<std::int32_t>("x").field<std::int32_t>("y");
        rsl::Bound p = lib.bind(point_view);
        auto x = p.field<std::int32_t>("x");
        auto y = p.field<std::int32_t>("y");

        // What a host written against widgets 1.0 calls.
        rsl::Api widgets = lib.api("widgets");
        auto live_count = widgets.function<rsl::isize()>("live_count");
        auto widget_id = widgets.function<std::uint64_t(rsl::Ref)>("widget_id", {"Widget"});
        auto label_len = widgets.function<rsl::usize(rsl::Ref)>("label_len", {"Widget"});
        auto rename = widgets.function<void(rsl::Mut, std::string_view)>("rename", {"Widget"});
        auto parse_id = widgets.function<std::uint64_t(std::string_view)>("parse_id");
        auto maybe_panic = widgets.function<std::uint32_t(bool, std::string_view)>("maybe_panic");
        auto silence_panics = widgets.function<void()>("silence_panics");
        // Values the library makes, read through this host's bindings.
        auto make_widget = widgets.function<rsl::Owned(std::uint64_t, std::string_view)>("make_widget", w);
        auto parse_point = widgets.function<rsl::Owned(std::string_view)>("parse_point", p);
        // New in 1.1; and the C++ sample's own.
        auto weight_lb = widgets.optional<double(rsl::Ref)>("weight_lb", {"Widget"});
        auto checksum = widgets.optional<std::uint64_t(rsl::Slice<std::uint8_t>)>("checksum");
        auto same_id = widgets.optional<bool(rsl::Ref, rsl::OptRef)>("same_id", {"Widget", "Widget"});

        silence_panics();
        const std::ptrdiff_t before = live_count();
        {
            rsl::Value v(w);
            check("live_count", live_count() == before + 1);
            v.set(id, std::uint64_t{0xfeed});
            check("widget_id", widget_id(v) == 0xfeed);
            rename(v, "a longer label, on the library's heap");
            check("label_len", label_len(v) == 37);
            check("parse_id", parse_id(" 123 ") == 123);
            try {
                parse_id("12x");
                check("parse_id-fails", false);
            } catch (const rsl::CallError &e) {
                std::printf("failed: %s\n", e.what());
                check("parse_id-fails", !e.panicked());
            }
            long caught = 0;
            for (long i = 0; i < rounds; ++i) {
                try {
                    maybe_panic(true, "the bolts are loose");
                } catch (const rsl::CallError &e) {
                    if (caught == 0) std::printf("threw: %s\n", e.what());
                    caught += e.panicked() ? 1 : 0;
                }
            }
            check("thrown", caught == rounds);
            check("usable", maybe_panic(false, "") == 7);
            if (weight_lb)
                std::printf("weight_lb %.6f\n", (*weight_lb)(v));
            else
                std::printf("weight_lb absent\n");
            if (checksum) {
                const std::vector<std::uint8_t> bytes = {1, 2, 3, 250};
                check("checksum", (*checksum)(bytes) == 256 && (*checksum)(rsl::Slice<std::uint8_t>()) == 0);
            }
            if (same_id) {
                rsl::Value copy(v);
                check("same_id", (*same_id)(v, &copy) && !(*same_id)(v, nullptr));
            }
            // Made by the library in room this side allocated, owned here.
            rsl::Value made = make_widget(99, "from the library");
            check("make_widget", made.get(id) == 99 && label_len(made) == 16 && widget_id(made) == 99 &&
                                     live_count() == before + 2);
            rsl::Value pt = parse_point("-7, 8");
            check("parse_point", pt.get(x) == -7 && pt.get(y) == 8);
            for (const char *text : {"3;4", "1,x"}) {
                try {
                    parse_point(text);
                    check("parse_point-fails", false);
                } catch (const rsl::CallError &e) {
                    std::printf("parse_point failed: %s\n", e.what());
                }
            }
        }
        check("live_count-after", live_count() == before);
    } catch (const rsl::Error &e) {
        std::printf("verdict refused: %s\n", e.what());
        return 3;
    }
    std::printf(failures ? "verdict broken\n" : "verdict compatible\n");
    return failures ? 1 : 0;
}
