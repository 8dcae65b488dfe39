#!/usr/bin/env python3
"""Plots criterion's medians as an SVG bar chart (standard library only).

    python3 benches/plot.py [CRITERION_DIR] [OUT.svg]

Reads every `<group>/<bench...>/new/estimates.json` under CRITERION_DIR
(default target/criterion), and writes one horizontal bar per benchmark,
grouped, on a log scale (default docs/benchmarks.svg). Also prints two
markdown tables: the medians, and the ratios the targets are stated in
(each ratio from two medians of the same run), with the verdict.
"""
import json
import math
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
out = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks.svg"

rows = []
for dirpath, _dirs, files in os.walk(root):
    if os.path.basename(dirpath) == "new" and "estimates.json" in files:
        rel = os.path.relpath(os.path.dirname(dirpath), root).split(os.sep)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            median = json.load(f)["median"]["point_estimate"]
        rows.append((rel[0], "/".join(rel[1:]), median))
rows.sort()
if not rows:
    sys.exit(f"no criterion results under {root}: run `cargo bench -p resilient-benches` first")

def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print("| group | benchmark | median |")
print("| --- | --- | --- |")
for g, b, m in rows:
    print(f"| {g} | {b} | {human(m)} |")

# (what, numerator, denominator, target): a ratio of two medians; the target
# is "<= x" or ">= x", or None where there is no target (for information).
RATIOS = [
    ("read: indirect (token) / direct", "field/read_indirect-token", "field/read_direct-field", "<= 1.10"),
    ("read: indirect (handle) / direct", "field/read_indirect-handle", "field/read_direct-field", "<= 1.10"),
    ("read: indirect (handle reloaded each time) / direct", "field/read_indirect-handle-reloaded", "field/read_direct-field", None),
    ("read: direct view / direct field", "field/read_direct-view", "field/read_direct-field", None),
    ("read: getter / indirect (handle)", "field/read_getter", "field/read_indirect-handle", ">= 5"),
    ("read: indirect (handle) / abi_stable prefix field", "field/read_indirect-handle", "field/read_abi_stable-prefix", None),
    ("read: indirect (handle) / abi_stable optional field", "field/read_indirect-handle", "field/read_abi_stable-optional", None),
    ("write: indirect (token) / direct", "field/write_indirect-token", "field/write_direct-field", "<= 1.10"),
    ("write: indirect (handle) / direct", "field/write_indirect-handle", "field/write_direct-field", "<= 1.10"),
    ("write: indirect (handle reloaded each time) / direct", "field/write_indirect-handle-reloaded", "field/write_direct-field", None),
    ("write: setter / indirect (handle)", "field/write_setter", "field/write_indirect-handle", None),
    ("scan 1M: indirect / direct", "scan/indirect", "scan/direct", "<= 1.05"),
    ("scan 1M: getter / indirect", "scan/getter", "scan/indirect", ">= 5"),
    ("scan 1M: indirect / direct in-domain (another allocation)", "scan/indirect", "scan/direct-in-domain", None),
    ("scan 10k (in cache): indirect / direct", "scan-in-cache/indirect", "scan-in-cache/direct", "<= 1.05"),
    ("scan 10k (in cache): getter / indirect", "scan-in-cache/getter", "scan-in-cache/indirect", ">= 5"),
    ("scan 10k (in cache): indirect / direct in-domain", "scan-in-cache/indirect", "scan-in-cache/direct-in-domain", None),
    ("alloc 64 B: heap (witness) / stack", "alloc/64B_heap-witness", "alloc/64B_stack", ">= 3"),
    ("alloc 1 KiB: heap (witness) / stack", "alloc/1KiB_heap-witness", "alloc/1KiB_stack", ">= 3"),
    ("alloc 64 B: inline / stack", "alloc/64B_inline", "alloc/64B_stack", None),
    ("alloc 1 KiB: inline / stack", "alloc/1KiB_inline", "alloc/1KiB_stack", None),
    ("alloc 64 B: Box (in-domain) / stack", "alloc/64B_box-in-domain", "alloc/64B_stack", None),
    ("alloc 1 KiB: Box (in-domain) / stack", "alloc/1KiB_box-in-domain", "alloc/1KiB_stack", None),
] + [
    (f"load {n} types: open+validate+bind / dlopen+dlsym", f"load/open-validate-bind/{n}", f"load/dlopen-dlsym/{n}",
     "<= 2" if n == 10 else None)
    for n in (1, 10, 100, 1000)
] + [
    ("load 10 types, mapped: open+validate+bind / abi_stable load+check", "load/mapped_open-validate-bind_10",
     "load/mapped_abi_stable-load-check_10", None),
    ("call: bound / plain C function of the same body through dlsym", "call/bound", "call/c-getter-dlsym", "<= 1.02"),
    ("call: bound / the same thunk through its raw pointer", "call/bound", "call/raw-thunk", None),
    ("call: bound / abi_stable module function", "call/bound", "call/abi_stable-module-fn", None),
    ("call: bound / stabby #[export] function", "call/bound", "call/stabby-export", None),
    ("call: panic caught / the same call not panicking", "call/panic-caught", "call/panic-free", None),
    ("iface: bound method through the Object / in-domain dyn Trait", "iface/bound-method", "iface/dyn-in-domain",
     "<= 1.05"),
    ("iface: bound method, hoisted / in-domain dyn Trait", "iface/bound-method-hoisted", "iface/dyn-in-domain", None),
    ("bind-fn: api of 100 functions / api of 1", "bind-fn/api-100", "bind-fn/api-1", None),
]

# (what, benchmark, bound in ns or None): absolute medians stated as targets.
ABSOLUTE = [
    ("bind-fn: bind an api of 100 functions (library open)", "bind-fn/api-100", 20_000),
    ("bind-fn: bind an api of 1 function", "bind-fn/api-1", None),
    ("call: a call whose panic is caught", "call/panic-caught", None),
]

medians = {f"{g}/{b}": m for g, b, m in rows}
print()
print("| ratio | value | target | met |")
print("| --- | --- | --- | --- |")
for what, num, den, target in RATIOS:
    if num not in medians or den not in medians:
        continue
    r = medians[num] / medians[den]
    met = ""
    if target:
        op, bound = target.split()
        met = "yes" if (r <= float(bound) if op == "<=" else r >= float(bound)) else "**no**"
    print(f"| {what} | {r:.2f} | {target or ''} | {met} |")
for n in (1, 10, 100, 1000):
    key = f"load/bind-one-view/{n}"
    if key in medians:
        print(f"| load {n} types: bind one view (target <= 1 µs per type) | {human(medians[key])} | <= 1 µs | "
              f"{'yes' if medians[key] <= 1000 else '**no**'} |")
for what, key, bound in ABSOLUTE:
    if key in medians:
        target = f"<= {human(bound)}" if bound else ""
        met = ("yes" if medians[key] <= bound else "**no**") if bound else ""
        print(f"| {what} | {human(medians[key])} | {target} | {met} |")

bar_h, gap, label_w, chart_w = 18, 6, 300, 520
lo = math.floor(math.log10(min(m for _, _, m in rows)))
hi = math.ceil(math.log10(max(m for _, _, m in rows)))
span = max(hi - lo, 1)
y = 30
parts = []
group = None
for g, b, m in rows:
    if g != group:
        y += 10
        parts.append(f'<text x="4" y="{y + 12}" font-weight="bold">{g}</text>')
        y += bar_h + gap
        group = g
    w = max(2, (math.log10(m) - lo) / span * chart_w)
    parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{b}</text>')
    parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#4878a8"/>')
    parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{human(m)}</text>')
    y += bar_h + gap
ticks = []
for e in range(lo, hi + 1):
    x = label_w + (e - lo) / span * chart_w
    ticks.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>')
    ticks.append(f'<text x="{x:.1f}" y="18" text-anchor="middle">{human(10 ** e)}</text>')
width = label_w + chart_w + 120
svg = (
    f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}" '
    f'font-family="sans-serif" font-size="12">'
    f'<rect width="100%" height="100%" fill="white"/>'
    + "".join(ticks) + "".join(parts) + "</svg>\n"
)
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out, "w") as f:
    f.write(svg)
print(f"\nwrote {out}", file=sys.stderr)
