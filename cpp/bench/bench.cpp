// The direct-vs-indirect comparison in C++: the same scan over 1,000,000
// widgets, once through compile-time member offsets (the in-domain struct)
// and once through rsl::Field offsets bound at run time from a loaded
// library; plus single-field reads. Prints medians of 15 runs and ratios.
//
//   widget-bench-cpp LIBWIDGETS.so
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <vector>

#include "resilient/resilient.hpp"

// The in-domain twin of the C++ sample's widgets 1.0 Widget.
struct Widget {
    std::uint64_t id = 1;
    float weight = 1.5f;
    std::uint16_t flags = 0x0101;
    std::uint8_t tags[4] = {'v', '1', 'v', '1'};
    std::int32_t x = -1, y = 1;
    bool active = true;
    std::string label;
};

template <class F>
static double median_ns(F &&f) {
    std::vector<double> t;
    for (int i = 0; i < 15; ++i) {
        auto a = std::chrono::steady_clock::now();
        f();
        auto b = std::chrono::steady_clock::now();
        t.push_back(std::chrono::duration<double, std::nano>(b - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

template <class T>
static void keep(T const &v) {
    asm volatile("" : : "g"(&v) : "memory");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: widget-bench-cpp LIB\n");
        return 2;
    }
    const std::size_t n = 1000000;
    rsl::Library lib = rsl::Library::open(argv[1]);
    rsl::View view("widgets", "Widget");
    view.field<std::uint64_t>("id").field<std::uint16_t>("flags");
    rsl::Bound w = lib.bind(view);
    const auto id = w.field<std::uint64_t>("id");
    const auto flags = w.field<std::uint16_t>("flags");
    const auto &t = w.type();

    // n foreign values, made by the library's default witness, stride apart.
    auto *raw = static_cast<unsigned char *>(::operator new(t.stride * n, std::align_val_t(t.align)));
    for (std::size_t i = 0; i < n; ++i) t.witnesses.default_init(raw + i * t.stride);
    std::vector<Widget> local(n);

    std::uint64_t sink = 0;
    double direct = median_ns([&] {
        std::uint64_t s = 0;
        for (const Widget &x : local) s += x.id + x.flags;
        sink += s;
    });
    double indirect = median_ns([&] {
        std::uint64_t s = 0;
        const std::size_t oi = id.offset, of = flags.offset, stride = t.stride;
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t a;
            std::uint16_t b;
            std::memcpy(&a, raw + i * stride + oi, 8);
            std::memcpy(&b, raw + i * stride + of, 2);
            s += a + b;
        }
        sink += s;
    });
    keep(sink);
    std::printf("scan 1M direct   %10.0f ns\nscan 1M indirect %10.0f ns\nindirect/direct  %10.3f\n", direct, indirect,
                indirect / direct);
    if (t.witnesses.drop)
        for (std::size_t i = 0; i < n; ++i) t.witnesses.drop(raw + i * t.stride);
    ::operator delete(raw, std::align_val_t(t.align));
    return 0;
}
