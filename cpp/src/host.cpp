// A C++ host built once against widgets 1.0's view: binds, reads and writes
// every field it knows through run-time offsets, creates values through the
// library's witnesses (heap and alloca), and prints one line per fact.
// Exit: 0 compatible, 1 a check failed, 3 refused at load.
#include <array>
#include <cstdio>

#include "resilient/client.hpp"

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
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id")
            .field<float>("weight")
            .field<std::uint16_t>("flags")
            .field<std::array<std::uint8_t, 4>>("tags")
            .field<bool>("active")
            .optional<double>("scale");
        rsl::Bound w = lib.bind(view);
        auto id = w.field<std::uint64_t>("id");
        auto weight = w.field<float>("weight");
        auto flags = w.field<std::uint16_t>("flags");
        auto tags = w.field<std::array<std::uint8_t, 4>>("tags");
        auto active = w.field<bool>("active");
        rsl::Field<double> scale{};
        bool has_scale = w.optional("scale", scale);
        {
            rsl::Value v(w);
            auto t = v.get(tags);
            std::printf("read id=%llu weight=%g flags=0x%04x tags=%c%c%c%c active=%d scale=%s\n",
                        static_cast<unsigned long long>(v.get(id)), v.get(weight), v.get(flags), t[0], t[1], t[2],
                        t[3], v.get(active), has_scale ? std::to_string(v.get(scale)).c_str() : "absent");
            const std::array<std::uint8_t, 4> tag_bytes = {0x31, 0x32, 0x33, 0x34};
            v.set(id, std::uint64_t{0x0102030405060708ull});
            float wt;
            std::uint32_t bits = 0x11121314u;
            std::memcpy(&wt, &bits, 4);
            v.set(weight, wt);
            v.set(flags, std::uint16_t{0x2122});
            v.set(tags, tag_bytes);
            v.set(active, false);
            check("id", v.get(id) == 0x0102030405060708ull);
            float back = v.get(weight);
            check("weight", std::memcmp(&back, &bits, 4) == 0);
            check("flags", v.get(flags) == 0x2122);
            check("tags", v.get(tags) == tag_bytes);
            check("active", v.get(active) == false);
            rsl::Value copy(v);
            check("clone", copy.get(id) == 0x0102030405060708ull);
        }
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
