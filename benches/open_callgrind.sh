#!/usr/bin/env bash
# Instructions per open (and bind, and unload) under callgrind, for the open
# path: noise-free and repeatable, beside the times of `benches/open.rs`.
#
#   bash benches/open_callgrind.sh [N] [BINARY]
#
# Runs the `open_count` driver for each variant with 0 and N iterations and
# prints (I(N) - I(0)) / N: the setup (building the fixtures, the pin of the
# mapped variants) cancels out. BINARY defaults to this tree's
# `target/release/open_count` (built first); pass another build of the same
# driver to compare versions. Counts are user-space instructions: system
# calls and page faults cost time that callgrind does not count.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
bin=${2:-}
if [ -z "$bin" ]; then
  cargo build -q --release -p resilient-benches --bin open_count
  bin=target/release/open_count
fi
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '| variant | instructions per iteration |\n| --- | --- |\n'
for v in mapped-dlopen-10 mapped-open-bind-10 \
         dlopen-1 open-bind-1 dlopen-10 open-bind-10 dlopen-100 open-bind-100 \
         dlopen-1000 open-bind-1000; do
  base=$(count "$v" 0)
  full=$(count "$v" "$n")
  printf '| %s | %s |\n' "$v" "$(( (full - base) / n ))"
done
