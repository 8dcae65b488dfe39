// Shared by every version of the C++ widgets sample library (the Rust
// fixtures' tests/plugins/common.rs, in C++), included before `Widget` and
// `Job`: counts of the widgets and jobs alive, kept by a member every
// Widget (Tracker) and every Job (JobTracker) has.
#ifndef WIDGET_COMMON_HPP
#define WIDGET_COMMON_HPP

#include <atomic>
#include <cstddef>

// Internal linkage: each version of the library counts its own widgets, even
// beside another version loaded with global visibility.
namespace {
std::atomic<std::ptrdiff_t> live_widgets{0};
std::atomic<std::ptrdiff_t> live_jobs_count{0};
std::atomic<std::ptrdiff_t> live_profiles{0};

// Counts itself: made by every constructor of its Widget (default, copy),
// destroyed by its destructor.
struct Tracker {
    Tracker() noexcept { ++live_widgets; }
    Tracker(const Tracker &) noexcept { ++live_widgets; }
    Tracker &operator=(const Tracker &) = default;
    ~Tracker() { --live_widgets; }
};

// Counts the jobs alive, as Tracker counts widgets (a member every Job has).
struct JobTracker {
    JobTracker() noexcept { ++live_jobs_count; }
    JobTracker(const JobTracker &) noexcept { ++live_jobs_count; }
    JobTracker &operator=(const JobTracker &) = default;
    ~JobTracker() { --live_jobs_count; }
};

// Counts the profiles alive (a member every Profile has): what the C++
// samples' `live_allocations` reports (see widget_functions.hpp).
struct ProfileTracker {
    ProfileTracker() noexcept { ++live_profiles; }
    ProfileTracker(const ProfileTracker &) noexcept { ++live_profiles; }
    ProfileTracker &operator=(const ProfileTracker &) = default;
    ~ProfileTracker() { --live_profiles; }
};
}  // namespace

#endif  // WIDGET_COMMON_HPP
