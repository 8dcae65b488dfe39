// C++ sample library: widgets 1.0.0, the same module, field names and types
// and functions as the Rust widget-v1 plugin, exported with export.hpp.
#include <string>

#include "resilient/export.hpp"
#include "widget_common.hpp"

struct Point {
    std::int32_t x = -1;
    std::int32_t y = 1;
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
};

RESILIENT_EXPORT_TYPE(Point, x, y)
RESILIENT_EXPORT_TYPE(Widget, id, weight, flags, tags, origin, active)

#include "widget_functions.hpp"

RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("widgets", "1.0.0", (Widget, Point), (WIDGET_FUNCTIONS))

extern "C" RSL_API std::uint64_t widget_get_id(const void *w) { return static_cast<const Widget *>(w)->id; }
extern "C" RSL_API std::uint16_t widget_get_flags(const void *w) { return static_cast<const Widget *>(w)->flags; }
