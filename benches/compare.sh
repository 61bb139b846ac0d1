#!/usr/bin/env bash
# Builds the C benchmarks against this library (build/lib, from `make`) and against the
# system's libevent 2.1 (libevent-dev), runs both in one go, and prints a Markdown table
# with libevent/evrs ratios (above 1: evrs is faster or leaner).
#   bash benches/compare.sh             wall-clock medians
#   bash benches/compare.sh --callgrind  also user-space instructions per event
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/target/bench
if [ ! -e "$lib/libevent.so" ]; then
    echo "compare.sh: no libraries in build/lib; run 'make' first" >&2
    exit 1
fi
mkdir -p "$out/evrs" "$out/libevent"
for bench in chain timers; do
    cc -O2 -I"$root/include" "benches/c/$bench.c" -o "$out/evrs/$bench" \
        -L"$lib" -Wl,-rpath,"$lib" -levent
    cc -O2 "benches/c/$bench.c" -o "$out/libevent/$bench" -levent
done

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() { echo "| $1 | $2 | $3 | $4 | $(ratio "$3" "$4") |"; }

echo "| benchmark | metric | libevent 2.1 | evrs | ratio |"
echo "|---|---|---:|---:|---:|"
for args in "-n 1000 -a 100 -w 1000" "-n 100 -a 10 -w 100" "-n 1000 -a 100 -w 1000 -K"; do
    # Alternate the two builds so both see the same machine state.
    old=$("$out/libevent/chain" $args | tail -1 | field median_ns_per_event)
    new=$("$out/evrs/chain" $args | tail -1 | field median_ns_per_event)
    row "chain $args" "ns/event" "$old" "$new"
done
old=$("$out/libevent/timers" | tail -1)
new=$("$out/evrs/timers" | tail -1)
for phase in add readd fire; do
    row "timers 100k" "$phase ns/timer" "$(echo "$old" | field ${phase}_ns)" "$(echo "$new" | field ${phase}_ns)"
done

if [ "${1:-}" = "--callgrind" ] || [ "${CALLGRIND:-}" = 1 ]; then
    instructions() { # binary toggle args...
        local bin=$1 toggle=$2 file
        shift 2
        file=$(mktemp)
        local line
        line=$(valgrind --tool=callgrind --callgrind-out-file="$file" --toggle-collect="$toggle" \
            "$bin" "$@" 2>/dev/null | tail -1)
        local ir
        ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$file" | head -1)
        rm -f "$file"
        echo "$ir $line"
    }
    for args in "-n 1000 -a 100 -w 1000" "-n 1000 -a 100 -w 1000 -K"; do
        set -- $(instructions "$out/libevent/chain" bench_run $args -r 3)
        old=$(awk -v ir="$1" -v ev="$(echo "$*" | field events_total)" 'BEGIN { printf "%.0f", ir / ev }')
        set -- $(instructions "$out/evrs/chain" bench_run $args -r 3)
        new=$(awk -v ir="$1" -v ev="$(echo "$*" | field events_total)" 'BEGIN { printf "%.0f", ir / ev }')
        row "chain $args" "instructions/event" "$old" "$new"
    done
    for phase in add readd fire; do
        set -- $(instructions "$out/libevent/timers" "bench_$phase" -n 20000 -r 1)
        old=$(awk -v ir="$1" 'BEGIN { printf "%.0f", ir / 20000 }')
        set -- $(instructions "$out/evrs/timers" "bench_$phase" -n 20000 -r 1)
        new=$(awk -v ir="$1" 'BEGIN { printf "%.0f", ir / 20000 }')
        row "timers 20k" "$phase instructions/timer" "$old" "$new"
    done
fi
