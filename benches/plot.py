#!/usr/bin/env python3
"""Plots criterion's medians as an SVG bar chart (standard library only).

    python3 benches/plot.py [CRITERION_DIR] [OUT.svg]

Reads every `<group>/<bench...>/new/estimates.json` under CRITERION_DIR
(default target/criterion), and writes one horizontal bar per benchmark,
grouped, on a log scale (default docs/benchmarks.svg). Also prints a
markdown table of the medians.
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
