// C++ sample library: widgets 2.0.0, incompatible: `weight` is a double.
#include <string>

#include "resilient/export.hpp"

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
};

RESILIENT_EXPORT_TYPE(Point, x, y)
RESILIENT_EXPORT_TYPE(Widget, id, weight, flags, tags, origin, active)
RESILIENT_EXPORT_MODULE("widgets", "2.0.0", Widget, Point)
