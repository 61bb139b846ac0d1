#!/usr/bin/env bash
# Whole-library benchmarks: evrs (build/lib, from `make`) against the system's
# libevent 2.1 (Debian's libevent-dev).
#
#   bash benches/compare.sh               wall-clock medians (about 2 minutes)
#   bash benches/compare.sh --callgrind   also user-space instruction counts
#                                         (or CALLGRIND=1; about 2 minutes more)
#
# Each C benchmark in benches/c is built twice with -O2, into target/bench/evrs and
# target/bench/libevent-2.1. The two builds are run alternately in the same invocation
# (ROUNDS rounds, default 5, the order swapped every round) and the median of their
# medians is reported. The table on standard output is Markdown; progress and
# warnings go to standard error. A build that fails to compile, link or run, or whose
# program finds a wrong count or checksum, is shown as n/a; its logs are in
# target/bench/<build>/. The ratio column always reads "above 1 means evrs is
# better": libevent-2.1 / evrs for times, instructions and bytes, evrs / libevent-2.1
# for rates (MiB/s, connections/s).
#
# Environment: CC (default cc), ROUNDS (default 5), CALLGRIND=1, TIMEOUT (seconds per
# benchmark process, default 120; 900 under valgrind).
set -euo pipefail

usage() {
    sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

callgrind=0
if [[ ${CALLGRIND:-0} == 1 ]]; then
    callgrind=1
fi
for arg in "$@"; do
    case $arg in
        --callgrind) callgrind=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "compare.sh: unknown argument '$arg' (try --help)" >&2
            exit 2
            ;;
    esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$root/build/lib
out=$root/target/bench
cc=${CC:-cc}
rounds=${ROUNDS:-5}
run_timeout=${TIMEOUT:-120}
cg_timeout=${TIMEOUT:-900}

if [[ ! -e $lib/libevent.so ]]; then
    echo "compare.sh: $lib/libevent.so not found; run 'make' in $root first" >&2
    exit 1
fi
if ! command -v "$cc" > /dev/null; then
    echo "compare.sh: no C compiler '$cc' (set CC)" >&2
    exit 1
fi
if ((callgrind)) && ! command -v valgrind > /dev/null; then
    echo "compare.sh: --callgrind needs valgrind (apt-get install valgrind)" >&2
    exit 1
fi
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
    echo "compare.sh: ROUNDS must be a positive integer" >&2
    exit 2
fi

builds=(libevent-2.1 evrs)
benches=(chain timers buffer_bulk buffer_small buffer_readln buffer_search bev_echo
    bev_connrate bev_idle_mem)

note() { echo "compare.sh: $*" >&2; }

# --- build -----------------------------------------------------------------------------

declare -A built=() # [build/bench] = 1 when the binary exists
build_one() {       # build bench
    local build=$1 bench=$2 dir=$out/$1
    local -a cflags=(-O2) ldflags=(-levent)
    if [[ $build == evrs ]]; then
        cflags+=(-I"$root/include")
        # --disable-new-dtags: DT_RPATH wins over LD_LIBRARY_PATH, so this binary
        # always loads build/lib.
        # shellcheck disable=SC2054 # the commas belong to the linker options
        ldflags=(-L"$lib" -Wl,-rpath,"$lib" -Wl,--disable-new-dtags -levent)
    fi
    mkdir -p "$dir"
    rm -f "$dir/$bench"
    if "$cc" "${cflags[@]}" "$root/benches/c/$bench.c" -o "$dir/$bench" "${ldflags[@]}" \
        > "$dir/$bench.build.log" 2>&1; then
        built[$build/$bench]=1
    else
        note "building $bench against $build failed; see $dir/$bench.build.log"
    fi
}

for build in "${builds[@]}"; do
    for bench in "${benches[@]}"; do
        build_one "$build" "$bench"
    done
done

# --- helpers ---------------------------------------------------------------------------

# field NAME LINE: the value of NAME=value in LINE.
field() {
    awk -v name="$1" '{ for (i = 1; i <= NF; i++) if (index($i, name "=") == 1) {
        print substr($i, length(name) + 2); exit } }' <<< "$2"
}

# median of the numbers given as arguments ("n/a" ignored), or n/a.
median() {
    local v
    for v in "$@"; do
        [[ $v == n/a ]] || echo "$v"
    done | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) print "n/a"
        else if (NR % 2) print v[(NR + 1) / 2]
        else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio OLD NEW: OLD / NEW, or n/a (call it as ratio NEW OLD for higher-is-better).
ratio() {
    if [[ $1 == n/a || $2 == n/a ]]; then
        echo n/a
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'
    fi
}

rows=()
row() { # bench metric old new: lower is better (times, instructions, bytes)
    rows+=("| $1 | $2 | $3 | $4 | $(ratio "$3" "$4") |")
}
row_rate() { # bench metric old new: higher is better (MiB/s, connections/s)
    rows+=("| $1 | $2 | $3 | $4 | $(ratio "$4" "$3") |")
}

declare -A versions=() # [build] = the '#' line a benchmark printed

# run_bench BUILD BENCH ARGS...: prints the benchmark's result line, or fails.
run_bench() {
    local build=$1 bench=$2 bin=$out/$1/$2 log=$out/$1/$2.run.log output line
    shift 2
    [[ -n ${built[$build/$bench]:-} ]] || return 1
    if ! output=$(timeout "$run_timeout" "$bin" "$@" 2> "$log"); then
        note "$build: $bench $* failed or timed out; see $log"
        return 1
    fi
    line=$(grep "^$bench " <<< "$output" | tail -n 1) || true
    if [[ -z $line ]]; then
        note "$build: $bench $* printed no result; see $log"
        return 1
    fi
    echo "$line"
}

# The '#' line of one quick run, for the header.
for build in "${builds[@]}"; do
    versions[$build]="n/a"
    if [[ -n ${built[$build/chain]:-} ]]; then
        versions[$build]=$(timeout 30 "$out/$build/chain" -n 2 -a 1 -w 2 -r 1 2> /dev/null |
            sed -n 's/^# //p' | head -n 1) || true
        [[ -n ${versions[$build]} ]] || versions[$build]="n/a (does not run)"
    fi
done

# --- wall clock ------------------------------------------------------------------------

chain_configs=("-n 1000 -a 100 -w 1000" "-n 100 -a 10 -w 100" "-n 1000 -a 100 -w 1000 -K")
timers_config="-n 100000"
bulk_configs=("-m 256" "-m 256 -c")
small_config="-n 1000000"
readln_config="-l 1000000"
search_config="-m 64"
echo_config="-m 128 -c 8"
connrate_config="-n 5000 -o 32"
idle_config="-n 10000"

# alternate BENCH "ARGS" FIELD...: runs both builds ROUNDS times, alternating, and sets
# result[build/field] to the median over the rounds of each field.
declare -A result=()
alternate() {
    local bench=$1 args=$2 round build line f
    shift 2
    local -a argv order
    read -ra argv <<< "$args"
    declare -A seen=()
    for ((round = 0; round < rounds; round++)); do
        if ((round % 2)); then order=(evrs libevent-2.1); else order=(libevent-2.1 evrs); fi
        for build in "${order[@]}"; do
            line=$(run_bench "$build" "$bench" "${argv[@]}") || line=""
            for f in "$@"; do
                seen[$build/$f]+=" $(if [[ -n $line ]]; then field "$f" "$line"; else echo n/a; fi)"
            done
        done
    done
    for build in "${builds[@]}"; do
        for f in "$@"; do
            # shellcheck disable=SC2086 # the list is space-separated numbers
            result[$build/$f]=$(median ${seen[$build/$f]})
        done
    done
}

for args in "${chain_configs[@]}"; do
    note "chain $args ($rounds rounds)"
    alternate chain "$args" median_ns_per_event
    row "chain $args" "ns/event" "${result[libevent-2.1/median_ns_per_event]}" \
        "${result[evrs/median_ns_per_event]}"
done

note "timers $timers_config ($rounds rounds)"
alternate timers "$timers_config" add_ns readd_ns fire_ns
for phase in add readd fire; do
    row "timers $timers_config" "$phase ns/timer" "${result[libevent-2.1/${phase}_ns]}" \
        "${result[evrs/${phase}_ns]}"
done

for args in "${bulk_configs[@]}"; do
    note "buffer_bulk $args ($rounds rounds)"
    alternate buffer_bulk "$args" mib_per_s
    row_rate "buffer_bulk $args" "MiB/s" "${result[libevent-2.1/mib_per_s]}" \
        "${result[evrs/mib_per_s]}"
done

note "buffer_small $small_config ($rounds rounds)"
alternate buffer_small "$small_config" steady_ns empty_ns
for phase in steady empty; do
    row "buffer_small $small_config" "$phase ns/op" "${result[libevent-2.1/${phase}_ns]}" \
        "${result[evrs/${phase}_ns]}"
done

note "buffer_readln $readln_config ($rounds rounds)"
alternate buffer_readln "$readln_config" fill_ns crlf_ns lf_ns
for phase in fill crlf lf; do
    row "buffer_readln $readln_config" "$phase ns/line" "${result[libevent-2.1/${phase}_ns]}" \
        "${result[evrs/${phase}_ns]}"
done

note "buffer_search $search_config ($rounds rounds)"
alternate buffer_search "$search_config" end_ns_per_mib count_ns_per_mib \
    eol_crlf_ns_per_mib eol_lf_ns_per_mib
for phase in end count eol_crlf eol_lf; do
    row "buffer_search $search_config" "$phase ns/MiB" \
        "${result[libevent-2.1/${phase}_ns_per_mib]}" "${result[evrs/${phase}_ns_per_mib]}"
done

note "bev_echo $echo_config ($rounds rounds)"
alternate bev_echo "$echo_config" mib_per_s
row_rate "bev_echo $echo_config" "MiB/s echoed" "${result[libevent-2.1/mib_per_s]}" \
    "${result[evrs/mib_per_s]}"

note "bev_connrate $connrate_config ($rounds rounds)"
alternate bev_connrate "$connrate_config" conns_per_s
row_rate "bev_connrate $connrate_config" "connections/s" \
    "${result[libevent-2.1/conns_per_s]}" "${result[evrs/conns_per_s]}"

note "bev_idle_mem $idle_config ($rounds rounds)"
alternate bev_idle_mem "$idle_config" bytes_per_bev setup_ns
row "bev_idle_mem $idle_config" "heap bytes/bufferevent" \
    "${result[libevent-2.1/bytes_per_bev]}" "${result[evrs/bytes_per_bev]}"
row "bev_idle_mem $idle_config" "setup ns/bufferevent" \
    "${result[libevent-2.1/setup_ns]}" "${result[evrs/setup_ns]}"

# --- callgrind -------------------------------------------------------------------------

# callgrind_per BUILD BENCH TOGGLE COUNT_FIELD ARGS...: instructions counted inside
# TOGGLE divided by the COUNT_FIELD the benchmark printed, or n/a.
callgrind_per() {
    local build=$1 bench=$2 toggle=$3 count_field=$4 bin=$out/$1/$2
    local cgout=$out/$1/$2.$3.callgrind log=$out/$1/$2.$3.callgrind.log output line ir count
    shift 4
    if [[ -z ${built[$build/$bench]:-} ]]; then
        echo n/a
        return
    fi
    if ! output=$(timeout "$cg_timeout" valgrind --tool=callgrind --callgrind-out-file="$cgout" \
        --toggle-collect="$toggle" "$bin" "$@" 2> "$log"); then
        note "$build: callgrind $bench $* failed or timed out; see $log"
        echo n/a
        return
    fi
    line=$(grep "^$bench " <<< "$output" | tail -n 1) || true
    ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$cgout" | head -n 1)
    count=$(field "$count_field" "$line")
    if [[ -z $ir || -z $count || $count == 0 ]]; then
        note "$build: no instruction count from callgrind $bench $*; see $log"
        echo n/a
        return
    fi
    awk -v ir="$ir" -v n="$count" 'BEGIN { printf "%.0f\n", ir / n }'
}

if ((callgrind)); then
    cg_chain_runs=3
    cg_timers="-n 100000 -r 1"
    cg_bulk="-m 64 -r 1"
    cg_small="-n 200000 -r 1"
    cg_readln="-l 200000 -r 1"
    cg_search="-m 16 -r 1"
    for args in "${chain_configs[@]}"; do
        note "callgrind: chain $args -r $cg_chain_runs"
        read -ra argv <<< "$args -r $cg_chain_runs"
        old=$(callgrind_per libevent-2.1 chain bench_run events_total "${argv[@]}")
        new=$(callgrind_per evrs chain bench_run events_total "${argv[@]}")
        row "chain $args" "instructions/event" "$old" "$new"
    done
    read -ra argv <<< "$cg_timers"
    for phase in add readd fire; do
        note "callgrind: timers $cg_timers, $phase"
        old=$(callgrind_per libevent-2.1 timers "bench_$phase" timers_total "${argv[@]}")
        new=$(callgrind_per evrs timers "bench_$phase" timers_total "${argv[@]}")
        row "timers ${cg_timers% -r 1}" "$phase instructions/timer" "$old" "$new"
    done
    note "callgrind: buffer_bulk $cg_bulk"
    read -ra argv <<< "$cg_bulk"
    old=$(callgrind_per libevent-2.1 buffer_bulk bench_run chunks_total "${argv[@]}")
    new=$(callgrind_per evrs buffer_bulk bench_run chunks_total "${argv[@]}")
    row "buffer_bulk ${cg_bulk% -r 1}" "instructions/16 KiB" "$old" "$new"
    read -ra argv <<< "$cg_small"
    for phase in steady empty; do
        note "callgrind: buffer_small $cg_small, $phase"
        old=$(callgrind_per libevent-2.1 buffer_small "bench_$phase" ops_total "${argv[@]}")
        new=$(callgrind_per evrs buffer_small "bench_$phase" ops_total "${argv[@]}")
        row "buffer_small ${cg_small% -r 1}" "$phase instructions/op" "$old" "$new"
    done
    read -ra argv <<< "$cg_readln"
    for phase in fill crlf lf; do
        note "callgrind: buffer_readln $cg_readln, $phase"
        old=$(callgrind_per libevent-2.1 buffer_readln "bench_$phase" lines_total "${argv[@]}")
        new=$(callgrind_per evrs buffer_readln "bench_$phase" lines_total "${argv[@]}")
        row "buffer_readln ${cg_readln% -r 1}" "$phase instructions/line" "$old" "$new"
    done
    read -ra argv <<< "$cg_search"
    for phase in count eol_crlf eol_lf; do
        note "callgrind: buffer_search $cg_search, $phase"
        old=$(callgrind_per libevent-2.1 buffer_search "bench_$phase" mib_total "${argv[@]}")
        new=$(callgrind_per evrs buffer_search "bench_$phase" mib_total "${argv[@]}")
        row "buffer_search ${cg_search% -r 1}" "$phase instructions/MiB" "$old" "$new"
    done
fi

# --- report ----------------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1) || true
echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr)"
echo "- libevent-2.1 build: ${versions[libevent-2.1]}"
echo "- evrs build: ${versions[evrs]}"
echo "- wall times: median over $rounds alternating rounds of each benchmark's own median"
echo
echo "| benchmark | metric | libevent-2.1 | evrs | ratio |"
echo "|---|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Ratio: above 1 means evrs is better. It is libevent-2.1 / evrs for times, instructions" \
    "and bytes, and evrs / libevent-2.1 for rates (MiB/s, connections/s)."
