// Shared by every version of the C++ widgets sample library (the Rust
// fixtures' tests/plugins/common.rs, in C++), included before `Widget`: a
// count of the widgets alive, kept by a member every Widget has.
#ifndef WIDGET_COMMON_HPP
#define WIDGET_COMMON_HPP

#include <atomic>
#include <cstddef>

// Internal linkage: each version of the library counts its own widgets, even
// beside another version loaded with global visibility.
namespace {
std::atomic<std::ptrdiff_t> live_widgets{0};

// Counts itself: made by every constructor of its Widget (default, copy),
// destroyed by its destructor.
struct Tracker {
    Tracker() noexcept { ++live_widgets; }
    Tracker(const Tracker &) noexcept { ++live_widgets; }
    Tracker &operator=(const Tracker &) = default;
    ~Tracker() { --live_widgets; }
};
}  // namespace

#endif  // WIDGET_COMMON_HPP
