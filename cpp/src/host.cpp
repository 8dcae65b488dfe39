// A C++ host built once against widgets 1.0, the C++ twin of the Rust demo
// host (crates/demo-host): it declares what it needs (the same views and
// functions, as constant data recorded in this binary, so `resilient check
// LIB --consumer widget-host-cpp` checks a library against them offline),
// binds them, reads and writes every field it knows through run-time
// offsets (the nested origin through its own view), creates values through
// the library's witnesses (heap and stack), calls the library's functions,
// and prints one line per fact.
// Exit: 0 compatible, 1 a check failed, 2 usage, 3 refused at load.
#include <array>
#include <cstdio>

#include "resilient/client.hpp"

// What this host uses of widgets 1.0 (the demo host's view! and api!).
RSL_VIEW(point_view, "widgets", "Point", rsl::field<std::int32_t>("x"), rsl::field<std::int32_t>("y"));
RSL_VIEW(widget_view, "widgets", "Widget",
         rsl::field<std::uint64_t>("id"),
         rsl::field<float>("weight"),
         rsl::field<std::uint16_t>("flags"),
         rsl::field<std::array<std::uint8_t, 4>>("tags"),
         rsl::nested("origin", point_view),
         rsl::field<bool>("active"),
         rsl::optional_field<double>("scale"));  // only libraries from 1.2 on have it
// What a job is doing, as widgets 1.0 published it (the demo host's
// enum_view!): recorded for `resilient check`; a later case reads as
// rsl::UNKNOWN_CASE.
RSL_ENUM_VIEW(status_view, "widgets", "Status",
              rsl::enum_case("Idle"),
              rsl::enum_case("Busy"), rsl::payload<std::uint32_t>("jobs"),
              rsl::enum_case("Failed"), rsl::payload<std::int64_t>("0"));
RSL_FUNCTION(live_count_fn, rsl::isize(), "widgets", "live_count");
RSL_FUNCTION(widget_id_fn, std::uint64_t(rsl::Ref), "widgets", "widget_id", "Widget");
RSL_FUNCTION(label_len_fn, rsl::usize(rsl::Ref), "widgets", "label_len", "Widget");
RSL_OPTIONAL_FUNCTION(weight_lb_fn, double(rsl::Ref), "widgets", "weight_lb", "Widget");  // from 1.1 on

static int failures = 0;

static void check(const char *name, bool ok) {
    std::printf("check %s %s\n", name, ok ? "ok" : "FAIL");
    if (!ok) ++failures;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: widget-host-cpp PLUGIN\n");
        return 2;
    }
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        std::printf("module %s %s\n", lib.module().c_str(), lib.version().c_str());
        rsl::Bound w = lib.bind(widget_view);
        auto id = w.field<std::uint64_t>("id");
        auto weight = w.field<float>("weight");
        auto flags = w.field<std::uint16_t>("flags");
        auto tags = w.field<std::array<std::uint8_t, 4>>("tags");
        auto active = w.field<bool>("active");
        rsl::Field<double> scale{};
        bool has_scale = w.optional("scale", scale);
        rsl::Nested origin = w.nested("origin");
        auto x = origin.bound().field<std::int32_t>("x");
        auto y = origin.bound().field<std::int32_t>("y");

        auto live_count = lib.bind(live_count_fn);
        auto widget_id = lib.bind(widget_id_fn);
        auto label_len = lib.bind(label_len_fn);
        auto weight_lb = lib.bind(weight_lb_fn);
        const std::ptrdiff_t before = live_count();
        {
            rsl::Value v(w);
            auto t = v.get(tags);
            rsl::Place o = v.nested(origin);
            std::printf("read id=%llu weight=%g flags=0x%04x tags=%c%c%c%c active=%d origin=(%d,%d) scale=%s\n",
                        static_cast<unsigned long long>(v.get(id)), v.get(weight), v.get(flags), t[0], t[1], t[2],
                        t[3], v.get(active), o.get(x), o.get(y),
                        has_scale ? std::to_string(v.get(scale)).c_str() : "absent");
            if (weight_lb)
                std::printf("weight_lb %.6f\n", (*weight_lb)(v));
            else
                std::printf("weight_lb absent\n");
            const std::array<std::uint8_t, 4> tag_bytes = {0x31, 0x32, 0x33, 0x34};
            v.set(id, std::uint64_t{0x0102030405060708ull});
            float wt;
            std::uint32_t bits = 0x11121314u;
            std::memcpy(&wt, &bits, 4);
            v.set(weight, wt);
            v.set(flags, std::uint16_t{0x2122});
            v.set(tags, tag_bytes);
            v.set(active, false);
            rsl::PlaceMut m = v.nested(origin);
            m.set(x, std::int32_t{-77});
            m.set(y, std::int32_t{88});
            check("id", v.get(id) == 0x0102030405060708ull);
            float back = v.get(weight);
            check("weight", std::memcmp(&back, &bits, 4) == 0);
            check("flags", v.get(flags) == 0x2122);
            check("tags", v.get(tags) == tag_bytes);
            check("active", v.get(active) == false);
            check("origin", v.nested(origin).get(x) == -77 && v.nested(origin).get(y) == 88);
            rsl::Value copy(v);
            check("clone", copy.get(id) == 0x0102030405060708ull && copy.nested(origin).get(y) == 88);
            // The library's own code reads what this host wrote.
            check("widget_id", widget_id(v) == 0x0102030405060708ull && label_len(copy) == label_len(v));
            check("live_count", live_count() == before + 2);
        }
        check("live_count-after", live_count() == before);
        {
            RSL_DYNAMIC_LOCAL(tmp, w);
            check("stack-aligned", reinterpret_cast<std::uintptr_t>(tmp.data()) % w.align() == 0);
            tmp.set(id, std::uint64_t{7});
            check("stack-value", tmp.get(id) == 7);
        }
    } catch (const rsl::Error &e) {
        std::printf("verdict refused: %s\n", e.what());
        return 3;
    }
    std::printf(failures ? "verdict broken\n" : "verdict compatible\n");
    return failures ? 1 : 0;
}
