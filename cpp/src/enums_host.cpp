// A C++ host built against widgets 1.0's `Status` enum (the Rust fixture's
// and the C++ sample's), reading any version through the C++ client's enum
// views: the cases it knows by name, a case added later as unknown (never
// another case), payload fields through tokens checked against the value's
// case, cases built by the library's own write_case, a job's status nested
// in place and returned by value (owned). The Rust host does the same in
// tests/it/enums.rs, which checks that both print the same lines, word for
// word. One line per fact.
// Exit: 0, 2 usage, 3 refused at open or bind.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "resilient/client.hpp"

namespace {

// What a host built against widgets 1.0 knows of `Status`.
enum : std::size_t { IDLE, BUSY, FAILED };

rsl::EnumView status_view() {
    rsl::EnumView v("widgets", "Status");
    v.add_case("Idle")
        .add_case("Busy", {rsl::payload<std::uint32_t>("jobs")})
        .add_case("Failed", {rsl::payload<std::int64_t>("0")});  // Rust's Failed(i64)
    return v;
}

// A newer host's view: it knows `Paused` (widgets 1.1 on).
enum : std::size_t { NEWER_IDLE, NEWER_PAUSED };

rsl::EnumView newer_view() {
    rsl::EnumView v("widgets", "Status");
    v.add_case("Idle").add_case("Paused", {rsl::payload<std::uint64_t>("until")});
    return v;
}

// A binding of status_view() and its payload tokens (each binding's own).
struct Status {
    rsl::Bound s;
    rsl::Field<std::uint32_t> jobs;
    rsl::Field<std::int64_t> code;
    explicit Status(rsl::Bound b)
        : s(std::move(b)), jobs(s.payload<std::uint32_t>(BUSY, "jobs")), code(s.payload<std::int64_t>(FAILED, "0")) {}
};

// A status as the 1.0 host reads it.
std::string show(const Status &t, const rsl::Place &v) {
    switch (t.s.case_of(v)) {
        case IDLE:
            return "Idle";
        case BUSY:
            return "Busy jobs=" + std::to_string(v.get(t.jobs));
        case FAILED:
            return "Failed 0=" + std::to_string(v.get(t.code));
        case rsl::UNKNOWN_CASE:
            return "Unknown";
        default:
            return "?";
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: enums-host-cpp PLUGIN\n");
        return 2;
    }
    try {
        rsl::Library lib = rsl::Library::open(argv[1]);
        std::printf("module %s %s\n", lib.module().c_str(), lib.version().c_str());
        const Status t(lib.bind(status_view()));  // every mismatch, in the Rust host's words
        const rsl::Bound &s = t.s;
        rsl::View job_view("widgets", "Job");
        job_view.field<std::uint32_t>("id").nested("status", status_view());
        rsl::Bound j = lib.bind(job_view);
        auto id = j.field<std::uint32_t>("id");
        rsl::Nested status = j.nested("status");
        const Status nested(status.bound());  // the nested view's binding and tokens

        rsl::Api api = lib.api("widgets");
        auto live_jobs = api.function<rsl::isize()>("live_jobs");
        auto job_status = api.function<rsl::Owned(rsl::Ref)>("job_status", {"Job"}, s);
        auto set_job_status = api.function<void(rsl::Mut, rsl::Ref)>("set_job_status", {"Job", "Status"});
        const rsl::isize before = live_jobs();

        {
            rsl::Value job(j);  // the library's default witness
            std::printf("job %" PRIu32 " status %s\n", job.get(id),
                        show(nested, job.nested(status)).c_str());
            rsl::Value owned = job_status(job);  // made by the library, owned here
            std::printf("owned status %s\n", show(t, owned).c_str());
            std::printf("default status %s\n", show(t, rsl::Value(s)).c_str());
            rsl::Value failed = s.make(FAILED, std::int64_t{-3});  // built by the library
            rsl::Value copy = failed;                                 // its clone witness
            std::printf("built %s, copy %s\n", show(t, failed).c_str(), show(t, copy).c_str());
            try {
                std::printf("jobs of a failed status read %" PRIu32 "\n", failed.get(t.jobs));
            } catch (const rsl::Error &e) {
                std::printf("wrong case refused: %s\n", e.what());
            }
            try {
                rsl::Value busy = s.make(BUSY, std::uint32_t{8});
                std::printf("built %s\n", show(t, busy).c_str());
            } catch (const rsl::Error &e) {
                std::printf("busy refused: %s\n", e.what());
            }
            try {
                s.make(FAILED, std::int32_t{-3});
                std::printf("a value of another type was passed\n");
            } catch (const rsl::Error &e) {
                std::printf("wrong value refused: %s\n", e.what());
            }
            try {
                rsl::Bound newer = lib.bind(newer_view());
                rsl::Value paused = newer.make(NEWER_PAUSED, std::uint64_t{1900000000});
                auto until = newer.payload<std::uint64_t>(NEWER_PAUSED, "until");
                std::printf("newer built %s until=%" PRIu64 "\n", newer.case_name(newer.case_of(paused)).c_str(),
                            paused.get(until));
                set_job_status(job, paused);
                std::printf("job status after Paused: %s\n", show(nested, job.nested(status)).c_str());
            } catch (const rsl::Error &e) {
                std::printf("newer refused: %s\n", e.what());
            }
            std::printf("live jobs +%td\n", static_cast<std::ptrdiff_t>(live_jobs() - before));
        }
        std::printf("live jobs after +%td\n", static_cast<std::ptrdiff_t>(live_jobs() - before));
    } catch (const rsl::Error &e) {
        std::printf("refused: %s\n", e.what());
        return 3;
    }
    return 0;
}
