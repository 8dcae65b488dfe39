// C++ sample library: widgets 1.0.0, the same module, field names and types
// and functions as the Rust widget-v1 plugin, exported with export.hpp.
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "resilient/export.hpp"
#include "widget_common.hpp"

// What a widget is doing (the Rust fixture's `Status` enum): a
// std::variant of one struct per case, each exported with its payload
// fields; `Failed`'s member `_0` is exported as `0`, the field of Rust's
// tuple case `Failed(i64)`.
namespace status {
struct Idle {};
struct Busy {
    std::uint32_t jobs = 0;
};
struct Failed {
    std::int64_t _0 = 0;
};
}  // namespace status
using Status = std::variant<status::Idle, status::Busy, status::Failed>;

// A job: a struct with a field of an exported enum type.
struct Job {
    std::uint32_t id = 1;
    Status status = status::Busy{1};
    JobTracker tracker;
};

struct Point {
    std::int32_t x = -1;
    std::int32_t y = 1;

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
    std::uint64_t id = 1;
    float weight = 1.5f;
    std::uint16_t flags = 0x0101;
    std::uint8_t tags[4] = {'v', '1', 'v', '1'};
    Point origin;
    bool active = true;
    std::string label = "c++ widget v1, with a heap-allocated label";
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
RESILIENT_EXPORT_CASE(status::Busy, jobs)
RESILIENT_EXPORT_CASE(status::Failed, _0)
RESILIENT_EXPORT_VARIANT(Status)
RESILIENT_EXPORT_TYPE(Job, id, status)
RESILIENT_EXPORT_TYPE(Widget, id, weight, flags, tags, origin, active)

#include "widget_functions.hpp"

RESILIENT_EXPORT_IMPL(Widget, Describe, key, set_key, relabel)
RESILIENT_EXPORT_IMPL(Point, Describe, key, set_key)

RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS_AND_IMPLS("widgets", "1.0.0", (Widget, Point, Status, Job, Profile), (WIDGET_FUNCTIONS),
                                                 ((Widget, Describe), (Point, Describe)))

extern "C" RSL_API std::uint64_t widget_get_id(const void *w) { return static_cast<const Widget *>(w)->id; }
extern "C" RSL_API std::uint16_t widget_get_flags(const void *w) { return static_cast<const Widget *>(w)->flags; }
