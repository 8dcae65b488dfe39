// C++ sample library: widgets 2.0.0, incompatible: `weight` is a double, and
// `weight_lb` returns a float.
#include <string>

#include "resilient/export.hpp"
#include "widget_common.hpp"

struct Point {
    std::int32_t x = -4;
    std::int32_t y = 4;
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
};

RESILIENT_EXPORT_TYPE(Point, x, y)
RESILIENT_EXPORT_TYPE(Widget, id, weight, flags, tags, origin, active)

#include "widget_functions.hpp"

namespace {
// Retyped in 2.0: the weight in pounds, as a float.
float weight_lb(const Widget &w) noexcept { return static_cast<float>(w.weight * 2.2046226); }
}  // namespace
RESILIENT_EXPORT_FUNCTION(weight_lb)

RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("widgets", "2.0.0", (Widget, Point), (WIDGET_FUNCTIONS, weight_lb))
