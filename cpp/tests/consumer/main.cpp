// A consumer built against the installed (or added) resilient target: opens
// a library given on the command line, binds a view, prints one field.
#include <cstdio>

#include "resilient/client.hpp"

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consumer LIBWIDGETS.so\n");
        return 2;
    }
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        rsl::View view("widgets", "Widget");
        view.field<std::uint64_t>("id");
        rsl::Bound w = lib.bind(view);
        rsl::Value v(w);
        std::printf("%s %s: id=%llu\n", lib.module().c_str(), lib.version().c_str(),
                    static_cast<unsigned long long>(v.get(w.field<std::uint64_t>("id"))));
        return 0;
    } catch (const rsl::Error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
