#!/usr/bin/env bash
# Instruction counts per operation, under callgrind: noise-free
# and repeatable, a second measure beside criterion's times.
#
#   bash benches/callgrind.sh [N]
#
# Runs the `count` driver for each variant with M and 2M iterations and
# prints (I(2M) - I(M)) / M: the setup cancels out, and so does every
# first-call cost (lazy symbol binding, first allocations), which
# (I(M) - I(0)) / M spread over the iterations. The setup itself varies by
# some 30,000 instructions from one process to the next (hash seeds,
# allocation patterns), so M grows as the operation shrinks: 100 N for
# single reads, calls and method calls, 10 N for allocations, N for scans,
# caught panics and binds. Scan variants sum 1,000 values per
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
         alloc-stack-1k alloc-inline-1k alloc-heap-1k alloc-box-1k \
         call-bound call-getter call-panic-free call-panic-caught \
         iface-dyn iface-bound iface-bound-hoisted bind-fn-1 bind-fn-100; do
  case $v in
    read-* | call-bound | call-getter | call-panic-free | iface-*) m=$((100 * n)) ;;
    alloc-*) m=$((10 * n)) ;;
    *) m=$n ;;
  esac
  base=$(count "$v" "$m")
  full=$(count "$v" "$((2 * m))")
  printf '| %s | %s |\n' "$v" "$(( (full - base) / m ))"
done
