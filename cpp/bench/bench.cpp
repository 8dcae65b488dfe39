// The direct-vs-indirect comparison in C++: the same scan (sum of two
// fields) over the same foreign values, made by the library's default
// witness (through the C API's init_at), once through compile-time member
// offsets (the in-domain struct, whose layout the loaded library has:
// checked first) and once through rsl::Field offsets bound at run time; plus
// the library's exported getter (the opaque-pointer C-FFI way). 1,000,000
// values (memory-bound) and 10,000 (in cache). Prints the median of 15 runs
// of each, and ratios.
//
//   widget-bench-cpp LIBWIDGETS.so
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>
#include "resilient/client.hpp"

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

// Sums id + flags over `n` widgets `stride` apart, three ways.
struct Scans {
    const unsigned char *raw;
    std::size_t stride, oi, of;
    std::uint64_t (*get_id)(const void *);
    std::uint16_t (*get_flags)(const void *);

    std::uint64_t direct(std::size_t n) const {
        // The values are Widgets of the same definition (checked in main).
        const Widget *w = reinterpret_cast<const Widget *>(raw);
        std::uint64_t s = 0;
        for (std::size_t i = 0; i < n; ++i) s += w[i].id + w[i].flags;
        return s;
    }
    std::uint64_t indirect(std::size_t n) const {
        std::uint64_t s = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::uint64_t a;
            std::uint16_t b;
            std::memcpy(&a, raw + i * stride + oi, 8);
            std::memcpy(&b, raw + i * stride + of, 2);
            s += a + b;
        }
        return s;
    }
    std::uint64_t getter(std::size_t n) const {
        std::uint64_t s = 0;
        for (std::size_t i = 0; i < n; ++i) s += get_id(raw + i * stride) + get_flags(raw + i * stride);
        return s;
    }
};

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
    const std::size_t stride = w.stride(), align = w.align();
    if (stride != sizeof(Widget) || align != alignof(Widget) || id.offset != offsetof(Widget, id) ||
        flags.offset != offsetof(Widget, flags)) {
        std::fprintf(stderr, "%s: Widget's layout is not the compiled-in one; no direct baseline\n", argv[1]);
        return 1;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
    auto get_id = h ? reinterpret_cast<std::uint64_t (*)(const void *)>(dlsym(h, "widget_get_id")) : nullptr;
    auto get_flags = h ? reinterpret_cast<std::uint16_t (*)(const void *)>(dlsym(h, "widget_get_flags")) : nullptr;
    if (!get_id || !get_flags) {
        std::fprintf(stderr, "%s: no widget_get_id / widget_get_flags getters\n", argv[1]);
        return 1;
    }

    // n foreign values, made by the library's default witness, stride apart.
    auto *raw = static_cast<unsigned char *>(::operator new(stride * n, std::align_val_t(align)));
    for (std::size_t i = 0; i < n; ++i) {
        w.init_at(raw + i * stride, stride);
        std::uint64_t v = i;
        std::memcpy(raw + i * stride + id.offset, &v, 8);
    }
    Scans sc{raw, stride, id.offset, flags.offset, get_id, get_flags};
    if (sc.direct(n) != sc.indirect(n) || sc.indirect(n) != sc.getter(n)) {
        std::fprintf(stderr, "the three scans disagree\n");
        return 1;
    }

    std::uint64_t sink = 0;
    for (std::size_t m : {n, std::size_t{10000}}) {
        double direct = median_ns([&] { sink += sc.direct(m); });
        double indirect = median_ns([&] { sink += sc.indirect(m); });
        double getter = median_ns([&] { sink += sc.getter(m); });
        std::printf("scan %7zu: direct %10.0f ns  indirect %10.0f ns  getter %10.0f ns  "
                    "indirect/direct %.3f  getter/indirect %.2f\n",
                    m, direct, indirect, getter, indirect / direct, getter / indirect);
    }
    keep(sink);
    for (std::size_t i = 0; i < n; ++i) w.drop_at(raw + i * stride);
    ::operator delete(raw, std::align_val_t(align));
    dlclose(h);
    return 0;
}
