// A C++ host of widgets' `Describe` interface (client.hpp, on the C API):
// declares the methods a host written against widgets 1.0 calls (`key`,
// `set_key`), and optionally 1.2's `weight_key` and the C++ sample's
// `relabel`, each with its C++ signature checked by the Rust binder; binds
// every implementation the library exports; makes a value of each type (a
// type this host never saw, through the library's witnesses) and calls its
// methods through the library's thunks; makes `relabel` throw ROUNDS times,
// then calls it normally; prints one line per fact. Works on the Rust and
// the C++ widgets libraries alike.
//
//   widget-interfaces-host LIBWIDGETS.so [ROUNDS]
//
// Exit: 0 compatible, 1 a check failed, 2 usage, 3 refused (at open or bind).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "resilient/client.hpp"

static int failures = 0;

static void check(const std::string &name, bool ok) {
    std::printf("check %s %s\n", name.c_str(), ok ? "ok" : "FAIL");
    if (!ok) ++failures;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: widget-interfaces-host LIBWIDGETS.so [ROUNDS]\n");
        return 2;
    }
    const long rounds = argc == 3 ? std::strtol(argv[2], nullptr, 10) : 1000;
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        std::printf("module %s %s\n", lib.module().c_str(), lib.version().c_str());
        rsl::Interface describe("widgets", "Describe");
        auto key = describe.method<std::uint64_t(rsl::This)>("key");
        auto set_key = describe.method<void(rsl::ThisMut, std::uint64_t)>("set_key");
        // New in 1.2; and the C++ sample's own.
        auto weight_key = describe.optional<std::uint64_t(rsl::This)>("weight_key");
        auto relabel = describe.optional<void(rsl::ThisMut, std::string_view)>("relabel");

        std::vector<rsl::Implementation> impls = lib.implementations(describe);
        std::optional<rsl::Value> other;  // a value of the first type, passed to the others
        for (const rsl::Implementation &imp : impls) {
            const std::string &ty = imp.type_name();
            rsl::Value v = imp.create();
            rsl::Function<std::uint64_t(rsl::This)> k = imp.method(key);
            std::printf("impl %s as %s key %" PRIu64 "\n", ty.c_str(), imp.interface().c_str(), k(v));
            imp.method(set_key)(v, 0x0102030405060708ull);
            check(ty + "-set_key", k(v) == 0x0102030405060708ull);
            rsl::Value copy(v);  // the library's clone witness
            check(ty + "-copy", k(copy) == 0x0102030405060708ull);
            if (auto w = imp.optional(weight_key))
                std::printf("weight_key %s %" PRIu64 "\n", ty.c_str(), (*w)(v));
            else
                std::printf("weight_key %s absent\n", ty.c_str());
            if (auto r = imp.optional(relabel)) {
                long caught = 0;
                for (long i = 0; i < rounds; ++i) {
                    try {
                        (*r)(v, "");
                    } catch (const rsl::CallError &e) {
                        if (caught == 0) std::printf("threw: %s\n", e.what());
                        caught += e.panicked() ? 1 : 0;
                    }
                }
                check(ty + "-thrown", caught == rounds);
                (*r)(v, "a label long enough for the library's heap");
                check(ty + "-usable", k(v) == 0x0102030405060708ull);
            }
            if (!other) {
                other.emplace(v);
            } else {
                // A value of another type passed as the receiver: refused
                // before the call.
                try {
                    k(*other);
                    check(ty + "-other-receiver", false);
                } catch (const rsl::CallError &) {
                    check(ty + "-other-receiver", false);
                } catch (const rsl::Error &e) {
                    std::printf("refused: %s\n", e.what());
                }
            }
        }
        std::printf("implementations %zu\n", impls.size());
    } catch (const rsl::Error &e) {
        std::printf("verdict refused: %s\n", e.what());
        return 3;
    }
    std::printf(failures ? "verdict broken\n" : "verdict compatible\n");
    return failures ? 1 : 0;
}
