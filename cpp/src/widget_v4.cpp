// C++ sample library: widgets 2.0.0, incompatible: `weight` is a double, and
// `weight_lb` returns a float.
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "resilient/export.hpp"
#include "widget_common.hpp"

// What a widget is doing: 2.0 removes `Failed`, as the Rust fixture's
// `Status`.
namespace status {
struct Idle {};
struct Busy {
    std::uint32_t jobs = 0;
    float load = 0;
};
struct Paused {
    std::uint64_t until = 0;
};
}  // namespace status
using Status = std::variant<status::Idle, status::Busy, status::Paused>;

// A job: a struct with a field of an exported enum type.
struct Job {
    std::uint32_t id = 4;
    Status status = status::Busy{4, 1.0f};
    JobTracker tracker;
};

struct Point {
    std::int32_t x = -4;
    std::int32_t y = 4;

    // Describe (the Rust fixtures' interface): both coordinates as 32-bit
    // halves of a key.
    std::uint64_t key() const noexcept {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) << 32) | static_cast<std::uint32_t>(y);
    }
    void set_key(std::uint64_t key) noexcept {
        x = static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32));
        y = static_cast<std::int32_t>(static_cast<std::uint32_t>(key));
    }
};

struct Widget {
    std::uint64_t id = 4;
    double weight = 4.5;
    std::uint16_t flags = 0x0404;
    std::uint8_t tags[4] = {'v', '4', 'v', '4'};
    Point origin;
    bool active = true;
    std::string label = "c++ widget v4";
    Tracker tracker;

    // Describe (the Rust fixtures' interface): the identifier is the key.
    std::uint64_t key() const noexcept { return id; }
    void set_key(std::uint64_t key) noexcept { id = key; }
    // The C++ sample's own method of Describe: a new label, never empty (an
    // empty one throws: the host receives an error naming the method).
    void relabel(std::string_view text) {
        if (text.empty()) throw std::invalid_argument("a label is never empty");
        label = std::string(text);
    }
    // New in 1.2 (Describe): the weight's bits.
    std::uint64_t weight_key() const noexcept {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &weight, sizeof bits);
        return bits;
    }
};

// A profile (the Rust fixtures' `Profile`): a std::string, a
// std::vector<std::uint32_t> and a std::optional<std::string>, exported
// through accessors this library generates (export.hpp), beside stored
// fields. `tags` holds std::uint32_t, as the Rust fixture's Vec<u32>, so one
// host view reads both; `deltas` (C++ only) is a std::vector<std::int32_t>.
struct Profile {
    std::uint64_t id = 0;
    std::string name;
    std::vector<std::uint32_t> tags;
    std::optional<std::string> nick;
    std::uint32_t score = 0;
    std::vector<std::int32_t> deltas;
    ProfileTracker tracker;  // not exported: counts the profiles alive
};

RESILIENT_EXPORT_TYPE(Point, x, y)
RESILIENT_EXPORT_TYPE(Profile, id, name, tags, nick, score, deltas)
RESILIENT_EXPORT_CASE(status::Idle)
RESILIENT_EXPORT_CASE(status::Busy, jobs, load)
RESILIENT_EXPORT_CASE(status::Paused, until)
RESILIENT_EXPORT_VARIANT(Status)
RESILIENT_EXPORT_TYPE(Job, id, status)
RESILIENT_EXPORT_TYPE(Widget, id, weight, flags, tags, origin, active)

#include "widget_functions.hpp"

namespace {
// Retyped in 2.0: the weight in pounds, as a float.
float weight_lb(const Widget &w) noexcept { return static_cast<float>(w.weight * 2.2046226); }
}  // namespace
RESILIENT_EXPORT_FUNCTION(weight_lb)

RESILIENT_EXPORT_IMPL(Widget, Describe, key, set_key, relabel, weight_key)
RESILIENT_EXPORT_IMPL(Point, Describe, key, set_key)

RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS_AND_IMPLS("widgets", "2.0.0", (Widget, Point, Status, Job, Profile), (WIDGET_FUNCTIONS, weight_lb),
                                                 ((Widget, Describe), (Point, Describe)))
