// Shared by every version of the C++ widgets sample library, included after
// `Widget` (with `id`, `label` and a Tracker), `Status` and `Job` (with
// `status` and a JobTracker) and their exports: the functions
// every version exports, the Rust fixtures' (tests/plugins/common.rs) in
// C++, plus three that take a slice, an optional reference, and an
// exclusive and a shared one. Each has
// internal linkage: the library reaches it only through its thunk.
#ifndef WIDGET_FUNCTIONS_HPP
#define WIDGET_FUNCTIONS_HPP

#include <stdexcept>
#include <string>
#include <string_view>

#include "resilient/export.hpp"

namespace {

// Widgets alive now (made by a constructor, not yet destroyed).
rsl::isize live_count() noexcept { return live_widgets.load(); }

// A widget's identifier, read by the library's own code.
std::uint64_t widget_id(const Widget &w) noexcept { return w.id; }

// The length of a widget's private label.
rsl::usize label_len(const Widget &w) noexcept { return w.label.size(); }

// Renames a widget (its private label, the library's own allocation).
void rename(Widget &w, std::string_view label) { w.label = std::string(label); }

// Parses an identifier as Rust's `text.trim().parse::<u64>()` does; a bad
// one is a failure (rsl::Failure: RSL_STATUS_FAILED, as Rust's Err), with
// Rust's message.
std::uint64_t parse_id(std::string_view text) {
    const char *space = " \t\n\v\f\r";
    std::size_t first = text.find_first_not_of(space);
    text = first == std::string_view::npos ? std::string_view() : text.substr(first);
    text = text.substr(0, text.find_last_not_of(space) + 1);
    if (!text.empty() && text[0] == '+') text.remove_prefix(1);
    if (text.empty()) throw rsl::Failure("cannot parse integer from empty string");
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') throw rsl::Failure("invalid digit found in string");
        std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) throw rsl::Failure("number too large to fit in target type");
        n = n * 10 + d;
    }
    return n;
}

// Throws `message` if `fail`: the host receives an error, never an exception.
std::uint32_t maybe_panic(bool fail, std::string_view message) {
    if (fail) throw std::runtime_error(std::string(message));
    return 7;
}

// The Rust fixtures silence their panic hook; C++ exceptions print nothing.
void silence_panics() noexcept {}

// The sum of `bytes` (a slice: Rust's &[u8]).
std::uint64_t checksum(rsl::Slice<std::uint8_t> bytes) noexcept {
    std::uint64_t sum = 0;
    for (std::uint8_t b : bytes) sum += b;
    return sum;
}

// Whether `other` is a widget with `w`'s identifier (an optional reference:
// Rust's Option<&Widget>).
bool same_id(const Widget &w, const Widget *other) noexcept { return other != nullptr && other->id == w.id; }

// Copies `from`'s label to `to` (an exclusive and a shared reference: Rust's
// &mut Widget and &Widget, never the same widget).
void copy_label(Widget &to, const Widget &from) { to.label = from.label; }

// A widget of this library's own making, handed to the host, which owns it
// from then on (and destroys it through the library's drop witness).
Widget make_widget(std::uint64_t id, std::string_view label) {
    Widget w;
    w.id = id;
    w.label = std::string(label);
    return w;
}

// Rust's `c.trim().parse::<i32>()`, failing with Rust's message as
// parse_point's error ("`c`: message").
std::int32_t parse_coordinate(std::string_view c) {
    const char *space = " \t\n\v\f\r";
    std::string_view t = c;
    std::size_t first = t.find_first_not_of(space);
    t = first == std::string_view::npos ? std::string_view() : t.substr(first);
    t = t.substr(0, t.find_last_not_of(space) + 1);
    auto fail = [&](const char *why) { return rsl::Failure("`" + std::string(c) + "`: " + why); };
    bool negative = !t.empty() && t[0] == '-';
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
    if (t.empty()) throw fail(first == std::string_view::npos ? "cannot parse integer from empty string" : "invalid digit found in string");
    std::int64_t n = 0;
    for (char ch : t) {
        if (ch < '0' || ch > '9') throw fail("invalid digit found in string");
        n = n * 10 + (ch - '0');
        if (n > std::int64_t(INT32_MAX) + (negative ? 1 : 0))
            throw fail(negative ? "number too small to fit in target type" : "number too large to fit in target type");
    }
    return static_cast<std::int32_t>(negative ? -n : n);
}

// A point parsed from `x,y`: an owned value of an exported type, or this
// library's error (Rust's messages).
Point parse_point(std::string_view text) {
    std::size_t comma = text.find(',');
    if (comma == std::string_view::npos) throw rsl::Failure("`" + std::string(text) + "` is not `x,y`");
    Point p;
    p.x = parse_coordinate(text.substr(0, comma));
    p.y = parse_coordinate(text.substr(comma + 1));
    return p;
}

// Jobs alive now (made by a constructor, not yet destroyed).
rsl::isize live_jobs() noexcept { return live_jobs_count.load(); }

// A job's status, as a value the host owns (an enum by value).
Status job_status(const Job &j) { return j.status; }

// Sets a job's status from the host's value.
void set_job_status(Job &j, const Status &status) { j.status = status; }

// A greeting: an owned string (Rust's String), its bytes handed to the host
// and freed by this library.
std::string greeting(std::string_view name) { return "hello, " + std::string(name); }

// A string of one byte, `b`, which need not be UTF-8: a Rust host reads the
// bytes, and its `as_str` refuses them (this sample's own; the Rust
// fixtures have no such function).
std::string raw_byte(std::uint8_t b) { return std::string(1, static_cast<char>(b)); }

// The squares of 0..n: an owned vector (Rust's Vec<u64>).
std::vector<std::uint64_t> squares(std::uint32_t n) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(i * i);
    return v;
}

}  // namespace

RESILIENT_EXPORT_FUNCTION(live_count)
RESILIENT_EXPORT_FUNCTION(live_jobs)
RESILIENT_EXPORT_FUNCTION(greeting)
RESILIENT_EXPORT_FUNCTION(squares)
RESILIENT_EXPORT_FUNCTION(raw_byte)
RESILIENT_EXPORT_FUNCTION(widget_id)
RESILIENT_EXPORT_FUNCTION(label_len)
// `rename` alone would also name ::rename of <cstdio>: pick the overload.
RESILIENT_EXPORT_FUNCTION_AS(rename, static_cast<void (*)(Widget &, std::string_view)>(&rename))
RESILIENT_EXPORT_FUNCTION(parse_id)
RESILIENT_EXPORT_FUNCTION(maybe_panic)
RESILIENT_EXPORT_FUNCTION(silence_panics)
RESILIENT_EXPORT_FUNCTION(checksum)
RESILIENT_EXPORT_FUNCTION(same_id)
RESILIENT_EXPORT_FUNCTION(copy_label)
RESILIENT_EXPORT_FUNCTION(make_widget)
RESILIENT_EXPORT_FUNCTION(parse_point)
RESILIENT_EXPORT_FUNCTION(job_status)
RESILIENT_EXPORT_FUNCTION(set_job_status)

namespace {
// Puts bytes that are not UTF-8 into a profile's name (a std::string may
// hold any bytes): a Rust host's `text` refuses them, `text_bytes` reads
// them.
void garble_name(Profile &p) { p.name = std::string("ok\xff\xfe", 4); }
}  // namespace
RESILIENT_EXPORT_FUNCTION(garble_name)

namespace {
// The library's allocations alive, as far as it can count them. The Rust
// fixtures count every heap block (a counting global allocator); a C++
// library cannot count its std::string's and std::vector's blocks (libstdc++
// allocates them, through the process's one operator new), so it counts the
// Profile values alive, each of which owns its buffers and frees them in its
// destructor (valgrind checks the bytes).
rsl::isize live_allocations() noexcept { return live_profiles.load(); }
// Reads of a computed `score`: none, the C++ samples store it (as Rust 1.0).
rsl::isize score_reads() noexcept { return 0; }
}  // namespace
RESILIENT_EXPORT_FUNCTION(live_allocations)
RESILIENT_EXPORT_FUNCTION(score_reads)

// The functions every version lists in its module.
#define WIDGET_FUNCTIONS \
    live_count, widget_id, label_len, rename, parse_id, maybe_panic, silence_panics, checksum, same_id, copy_label, \
        make_widget, parse_point, live_jobs, job_status, set_job_status, greeting, squares, raw_byte, garble_name, \
        live_allocations, score_reads

#endif  // WIDGET_FUNCTIONS_HPP
