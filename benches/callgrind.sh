#!/usr/bin/env bash
# Instruction counts per operation for groups 1-3, under callgrind: noise-free
# and repeatable, a second measure beside criterion's times.
#
#   bash benches/callgrind.sh [N]
#
# Runs the `count` driver for each variant with 0 and N iterations and prints
# (I(N) - I(0)) / N: the setup cancels out. Scan variants sum 1,000 values per
# iteration, so divide by 1,000 for per-value counts.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
cargo build -q --release -p resilient-benches --bin count
bin=target/release/count
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '| variant | instructions per iteration |\n| --- | --- |\n'
for v in read-direct read-token read-indirect read-getter scan-direct scan-indirect scan-getter \
         alloc-stack-64 alloc-inline-64 alloc-heap-64 alloc-box-64 \
         alloc-stack-1k alloc-inline-1k alloc-heap-1k alloc-box-1k; do
  base=$(count "$v" 0)
  full=$(count "$v" "$n")
  printf '| %s | %s |\n' "$v" "$(( (full - base) / n ))"
done
