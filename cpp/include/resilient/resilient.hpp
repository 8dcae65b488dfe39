// resilient/resilient.hpp: the whole C++17 side of resilient, for
// compatibility: the export side (resilient/export.hpp: header-only, links
// nothing) and the client (resilient/client.hpp: a RAII layer over the C API
// of resilient/resilient.h, which it needs linked). New code includes the
// one it uses: a plugin export.hpp, a host client.hpp.
#ifndef RESILIENT_RESILIENT_HPP
#define RESILIENT_RESILIENT_HPP

#include "resilient/client.hpp"
#include "resilient/export.hpp"

#endif  // RESILIENT_RESILIENT_HPP
