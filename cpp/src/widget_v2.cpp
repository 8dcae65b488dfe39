// C++ sample library: widgets 1.1.0. A field (`color`) added in the middle,
// the fields reordered, the type grown; a function (`weight_lb`) added.
#include <string>

#include "resilient/export.hpp"
#include "widget_common.hpp"

struct Point {
    std::int32_t x = -2;
    std::int32_t y = 2;
};

struct Widget {
    std::string label = "c++ widget v2";
    bool active = true;
    std::uint32_t color = 0x00ff00ffu;
    std::uint8_t tags[4] = {'v', '2', 'v', '2'};
    std::uint16_t flags = 0x0202;
    Point origin;
    double extra[3] = {0, 0, 0};
    float weight = 2.5f;
    std::uint64_t id = 2;
    Tracker tracker;
};

RESILIENT_EXPORT_TYPE(Point, x, y)
RESILIENT_EXPORT_TYPE(Widget, active, color, tags, flags, origin, weight, id)

#include "widget_functions.hpp"

namespace {
// New in 1.1: the weight in pounds.
double weight_lb(const Widget &w) noexcept { return static_cast<double>(w.weight) * 2.2046226; }
}  // namespace
RESILIENT_EXPORT_FUNCTION(weight_lb)

RESILIENT_EXPORT_MODULE_WITH_FUNCTIONS("widgets", "1.1.0", (Widget, Point), (WIDGET_FUNCTIONS, weight_lb))

extern "C" RSL_API std::uint64_t widget_get_id(const void *w) { return static_cast<const Widget *>(w)->id; }
