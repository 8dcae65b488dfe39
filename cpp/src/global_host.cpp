// A host linked against the C++ widgets 1.0 library, so that v1's symbols
// are in the process's global scope, which then opens another version
// through rsl::Library. That version's manifest, descriptors and witnesses
// must be its own: its default value must be its own (id 2 for 1.1.0), not
// v1's constructor run on v2's storage; and its functions' thunks must run
// its own code (v2's `widget_id` reads v2's layout).
//
//   widget-global-host LIBWIDGETS.so
#include <cstdio>

#include "resilient/client.hpp"

extern "C" const std::size_t Widget_size;  // v1's, through the link

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: widget-global-host LIBWIDGETS.so\n");
        return 2;
    }
    try {
        std::printf("linked widgets 1.0: Widget_size %zu\n", Widget_size);
        rsl::Library lib = rsl::Library::open(argv[1]);
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id");
        rsl::Bound w = lib.bind(view);
        rsl::Value v(w);
        std::printf("opened %s %s: id=%llu\n", lib.module().c_str(), lib.version().c_str(),
                    static_cast<unsigned long long>(v.get(w.field<std::uint64_t>("id"))));
        auto widget_id = lib.api("widgets").function<std::uint64_t(rsl::Ref)>("widget_id", {"Widget"});
        std::printf("called %s %s: widget_id=%llu\n", lib.module().c_str(), lib.version().c_str(),
                    static_cast<unsigned long long>(widget_id(v)));
        return 0;
    } catch (const rsl::Error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
