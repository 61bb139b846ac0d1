#!/usr/bin/env bash
# Whole-library benchmarks: evrs (build/lib, from `make`) against the system's
# libevent 2.1 (Debian's libevent-dev).
#
#   bash benches/compare.sh               wall-clock medians (about 13 minutes)
#   bash benches/compare.sh --callgrind   also user-space instruction counts
#                                         (or CALLGRIND=1; about 2 minutes more)
#   bash benches/compare.sh --http        only the HTTP benchmarks (about 4 minutes)
#   bash benches/compare.sh --no-http     only the core benchmarks (about 2 minutes)
#   bash benches/compare.sh --dns         only the DNS benchmarks (about 2 minutes)
#   bash benches/compare.sh --rpc         only the evtag and evrpc benchmarks (about 2 minutes)
#   bash benches/compare.sh --tls         only the TLS bufferevent benchmarks (about 5 minutes;
#                                         with --callgrind also their instruction counts)
#   bash benches/compare.sh --backends    only chain, bev_echo and idle_conns, on evrs's
#                                         epoll and io_uring and on libevent 2.1, with
#                                         ranges (about 6 minutes)
#
# Each C benchmark in benches/c is built twice with -O2, into target/bench/evrs and
# target/bench/libevent-2.1. The two builds are run alternately in the same invocation
# (ROUNDS rounds, default 5, the order swapped every round) and the median of their
# medians is reported. The table on standard output is Markdown; progress and
# warnings go to standard error. A build that fails to compile, link or run, or whose
# program finds a wrong count or checksum, is shown as n/a; its logs are in
# target/bench/<build>/. The ratio column always reads "above 1 means evrs is
# better": libevent-2.1 / evrs for times, instructions, allocations and bytes,
# evrs / libevent-2.1 for rates (MiB/s, connections/s, requests/s, lookups/s, queries/s,
# handshakes/s). The TLS benchmarks link libevent_openssl too (Debian's 2.1 one against
# the system's OpenSSL, and build/lib's), and are shown as n/a when it is missing.
#
# Environment: CC (default cc), ROUNDS (default 5), CALLGRIND=1, TIMEOUT (seconds per
# benchmark process, default 120; 900 under valgrind), PIN=0 (do not pin the HTTP
# benchmarks' server and client to CPUs 0 and 1), WRK_SECONDS (default 5).
set -euo pipefail

usage() {
    sed -n '2,32s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

callgrind=0
if [[ ${CALLGRIND:-0} == 1 ]]; then
    callgrind=1
fi
run_core=1
run_http=1
run_dns=1
run_rpc=1
run_tls=1
run_backends=0
for arg in "$@"; do
    case $arg in
        --callgrind) callgrind=1 ;;
        --http) run_core=0 run_http=1 run_dns=0 run_rpc=0 run_tls=0 ;;
        --no-http) run_core=1 run_http=0 run_dns=0 run_rpc=0 run_tls=0 ;;
        --dns) run_core=0 run_http=0 run_dns=1 run_rpc=0 run_tls=0 ;;
        --rpc) run_core=0 run_http=0 run_dns=0 run_rpc=1 run_tls=0 ;;
        --tls) run_core=0 run_http=0 run_dns=0 run_rpc=0 run_tls=1 ;;
        --backends) run_core=0 run_http=0 run_dns=0 run_rpc=0 run_tls=0 run_backends=1 ;;
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

note() { echo "compare.sh: $*" >&2; }

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
if ((callgrind && !run_core && !run_tls)); then
    note "--callgrind counts only the core and TLS benchmarks; none are selected"
    callgrind=0
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
core_benches=(chain timers buffer_bulk buffer_small buffer_readln buffer_search bev_echo
    bev_connrate bev_idle_mem)
http_benches=(http_hello http_client http_bulk http_mem)
dns_benches=(dns_lookup dns_server)
rpc_benches=(rpc_tag rpc_call)
tls_benches=(tls_bulk tls_handshake tls_idle_mem)
benches=(chain) # always: its first line names the library for the header
if ((run_core)); then
    benches=("${core_benches[@]}")
fi
if ((run_http)); then
    benches+=("${http_benches[@]}")
fi
if ((run_dns)); then
    benches+=("${dns_benches[@]}")
fi
if ((run_rpc)); then
    benches+=("${rpc_benches[@]}")
fi
if ((run_tls)); then
    benches+=("${tls_benches[@]}")
fi
if ((run_backends)); then
    benches+=(bev_echo idle_conns)
fi

# --- build -----------------------------------------------------------------------------

declare -A built=() # [build/bench] = 1 when the binary exists
build_one() {       # build bench
    local build=$1 bench=$2 dir=$out/$1
    local -a cflags=(-O2) ldflags=() libs=(-levent)
    if [[ $bench == tls_* ]]; then
        libs=(-levent_openssl -levent -lssl -lcrypto)
    fi
    if [[ $build == evrs ]]; then
        cflags+=(-I"$root/include")
        # --disable-new-dtags: DT_RPATH wins over LD_LIBRARY_PATH, so this binary
        # always loads build/lib.
        # shellcheck disable=SC2054 # the commas belong to the linker options
        ldflags=(-L"$lib" -Wl,-rpath,"$lib" -Wl,--disable-new-dtags)
    fi
    ldflags+=("${libs[@]}")
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

# alternate_with RUNNER BENCH "ARGS" FIELD...: runs both builds ROUNDS times,
# alternating, each time as `RUNNER BUILD BENCH ARGS...` (which prints the result line
# or fails), and sets result[build/field] to the median over the rounds of each field.
declare -A result=()
alternate_with() {
    local runner=$1 bench=$2 args=$3 round build line f
    shift 3
    local -a argv order
    read -ra argv <<< "$args"
    declare -A seen=()
    for ((round = 0; round < rounds; round++)); do
        if ((round % 2)); then order=(evrs libevent-2.1); else order=(libevent-2.1 evrs); fi
        for build in "${order[@]}"; do
            line=$("$runner" "$build" "$bench" "${argv[@]}") || line=""
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

# alternate BENCH "ARGS" FIELD...: alternate_with run_bench.
alternate() {
    alternate_with run_bench "$@"
}

if ((run_core)); then
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
        row "buffer_readln $readln_config" "$phase ns/line" \
            "${result[libevent-2.1/${phase}_ns]}" "${result[evrs/${phase}_ns]}"
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
fi

# --- wall clock: HTTP ------------------------------------------------------------------

# The servers and clients of the HTTP benchmarks run on two CPUs: the server on CPU 0,
# the load (wrk, or the program's other process) on CPU 1, unless PIN=0 or there is
# one CPU. wrk runs with one thread and 50 connections for WRK_SECONDS.
pin=0
if [[ ${PIN:-1} != 0 ]] && (($(nproc) >= 2)); then
    pin=1
fi
wrk_seconds=${WRK_SECONDS:-5}
if ! [[ $wrk_seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "compare.sh: WRK_SECONDS must be a positive integer" >&2
    exit 2
fi
pin_flag=""
if ((pin)); then
    pin_flag="-P"
fi
client_config="-n 100000 -c 10 -r 3"
http_bulk_config="-d 1024 -u 256 -r 3"
http_mem_config="-n 10000 -c 10"

# run_wrk BUILD http_hello MODE: starts the server, loads it with wrk for WRK_SECONDS
# (MODE keepalive, or close: "Connection: close", a connection per request), stops it
# with SIGTERM and prints "http_hello mode=MODE requests_per_s=.. cpu_ns_per_request=..
# requests=.. conns=.." (the CPU time is the server's), or fails: the server did not start, failed or saw a bad request; wrk reported an
# error or a non-2xx response; the server answered fewer requests than wrk counted;
# keep-alive was not kept (fewer than 10 requests per connection) or, with close, a
# connection served more than one request.
run_wrk() {
    local build=$1 bench=$2 mode=$3 dir=$out/$1
    local bin=$dir/$2 log=$dir/$2.$3.run.log wrk_log=$dir/$2.$3.wrk.log
    local server_out=$dir/$2.$3.out port_file=$dir/$2.port
    local -a server_pin=() wrk_pin=() header=()
    local pid port i rate total server requests conns cpu ok=1
    [[ -n ${built[$build/$bench]:-} ]] || return 1
    if ((pin)); then
        server_pin=(taskset -c 0)
        wrk_pin=(taskset -c 1)
    fi
    if [[ $mode == close ]]; then
        header=(-H "Connection: close")
    fi
    rm -f "$port_file"
    "${server_pin[@]}" "$bin" -f "$port_file" -t "$run_timeout" > "$server_out" 2> "$log" &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        [[ -s $port_file ]] && break
        sleep 0.1
    done
    if ! port=$(cat "$port_file" 2> /dev/null) || ! [[ $port =~ ^[0-9]+$ ]]; then
        note "$build: $bench did not start; see $log"
        kill -TERM "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
        return 1
    fi
    if ! timeout $((wrk_seconds + 30)) "${wrk_pin[@]}" wrk -t1 -c50 -d"${wrk_seconds}s" \
        "${header[@]}" "http://127.0.0.1:$port/" > "$wrk_log" 2>&1; then
        note "$build: wrk against $bench ($mode) failed; see $wrk_log"
        ok=0
    fi
    kill -TERM "$pid" 2> /dev/null || true
    if ! wait "$pid"; then
        note "$build: $bench ($mode) failed; see $log"
        ok=0
    fi
    ((ok)) || return 1
    rate=$(awk '$1 == "Requests/sec:" { print $2 }' "$wrk_log")
    total=$(awk '$2 == "requests" && $3 == "in" { print $1 }' "$wrk_log")
    server=$(grep "^$bench " "$server_out" | tail -n 1) || true
    requests=$(field requests "$server")
    conns=$(field conns_closed "$server")
    cpu=$(field cpu_ns_per_request "$server")
    if [[ -z $rate || -z $total || -z $requests || -z $conns || -z $cpu ]]; then
        note "$build: no result from wrk or $bench ($mode); see $wrk_log and $server_out"
        return 1
    fi
    if grep -q -e "Socket errors" -e "Non-2xx" "$wrk_log"; then
        note "$build: wrk saw errors against $bench ($mode); see $wrk_log"
        return 1
    fi
    if ((requests < total)); then
        note "$build: $bench ($mode) answered $requests requests, wrk counted $total"
        return 1
    fi
    if [[ $mode == keepalive ]] && ((conns * 10 > total)); then
        note "$build: $bench closed $conns connections for $total requests: keep-alive lost"
        return 1
    fi
    if [[ $mode == close ]] && ((conns < total)); then
        note "$build: $bench closed $conns connections for $total requests with" \
            "\"Connection: close\""
        return 1
    fi
    echo "$bench mode=$mode requests_per_s=$rate cpu_ns_per_request=$cpu requests=$total" \
        "conns=$conns"
}

if ((run_http)); then
    if command -v wrk > /dev/null; then
        for mode in keepalive close; do
            note "http_hello with wrk, $mode ($rounds rounds of ${wrk_seconds} s per build)"
            alternate_with run_wrk http_hello "$mode" requests_per_s cpu_ns_per_request
            row_rate "http_hello wrk -t1 -c50 ($mode)" "requests/s" \
                "${result[libevent-2.1/requests_per_s]}" "${result[evrs/requests_per_s]}"
            row "http_hello wrk -t1 -c50 ($mode)" "server CPU ns/request" \
                "${result[libevent-2.1/cpu_ns_per_request]}" \
                "${result[evrs/cpu_ns_per_request]}"
        done
    else
        note "wrk not found (apt-get install wrk): http_hello shows n/a"
        for mode in keepalive close; do
            row_rate "http_hello wrk -t1 -c50 ($mode)" "requests/s" n/a n/a
            row "http_hello wrk -t1 -c50 ($mode)" "server CPU ns/request" n/a n/a
        done
    fi

    note "http_client $client_config ($rounds rounds)"
    alternate http_client "$client_config $pin_flag" requests_per_s cpu_ns_per_request
    row_rate "http_client $client_config" "requests/s" \
        "${result[libevent-2.1/requests_per_s]}" "${result[evrs/requests_per_s]}"
    row "http_client $client_config" "client CPU ns/request" \
        "${result[libevent-2.1/cpu_ns_per_request]}" "${result[evrs/cpu_ns_per_request]}"

    note "http_bulk $http_bulk_config ($rounds rounds)"
    alternate http_bulk "$http_bulk_config $pin_flag" down_mib_per_s up_mib_per_s \
        down_cpu_us_per_mib up_cpu_us_per_mib
    for direction in down up; do
        row_rate "http_bulk $http_bulk_config" "${direction}load MiB/s" \
            "${result[libevent-2.1/${direction}_mib_per_s]}" \
            "${result[evrs/${direction}_mib_per_s]}"
        row "http_bulk $http_bulk_config" "${direction}load CPU us/MiB (both sides)" \
            "${result[libevent-2.1/${direction}_cpu_us_per_mib]}" \
            "${result[evrs/${direction}_cpu_us_per_mib]}"
    done

    note "http_mem $http_mem_config ($rounds rounds)"
    alternate http_mem "$http_mem_config $pin_flag" allocs_per_request bytes_per_request \
        heap_allocs_per_request
    row "http_mem $http_mem_config" "server allocations/request" \
        "${result[libevent-2.1/allocs_per_request]}" "${result[evrs/allocs_per_request]}"
    row "http_mem $http_mem_config" "server bytes allocated/request" \
        "${result[libevent-2.1/bytes_per_request]}" "${result[evrs/bytes_per_request]}"
    row "http_mem $http_mem_config" "server malloc calls/request" \
        "${result[libevent-2.1/heap_allocs_per_request]}" \
        "${result[evrs/heap_allocs_per_request]}"
fi

# --- wall clock: DNS -------------------------------------------------------------------

# Each program runs its own loopback peer in a thread: dns_lookup a plain UDP responder
# for the evdns resolver, dns_server a plain UDP client for an evdns server port.
dns_lookup_config="-n 100000 -c 500 -r 3"
dns_server_config="-n 100000 -c 64 -r 3"
if ((run_dns)); then
    note "dns_lookup $dns_lookup_config ($rounds rounds)"
    alternate dns_lookup "$dns_lookup_config" lookups_per_s heap_bytes_per_inflight
    row_rate "dns_lookup $dns_lookup_config" "lookups/s" \
        "${result[libevent-2.1/lookups_per_s]}" "${result[evrs/lookups_per_s]}"
    row "dns_lookup $dns_lookup_config" "heap bytes/request in flight" \
        "${result[libevent-2.1/heap_bytes_per_inflight]}" \
        "${result[evrs/heap_bytes_per_inflight]}"

    note "dns_server $dns_server_config ($rounds rounds)"
    alternate dns_server "$dns_server_config" queries_per_s
    row_rate "dns_server $dns_server_config" "queries/s" \
        "${result[libevent-2.1/queries_per_s]}" "${result[evrs/queries_per_s]}"
fi

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

# --- wall clock: evtag and evrpc --------------------------------------------------------

# rpc_tag runs in one thread; rpc_call runs its server in a thread of its own.
rpc_tag_config="-n 100000 -r 5"
rpc_call_config="-n 20000 -c 8 -r 3"
if ((run_rpc)); then
    note "rpc_tag $rpc_tag_config ($rounds rounds)"
    alternate rpc_tag "$rpc_tag_config" marshal_ns unmarshal_ns
    row "rpc_tag $rpc_tag_config (20 fields)" "marshal ns/message" \
        "${result[libevent-2.1/marshal_ns]}" "${result[evrs/marshal_ns]}"
    row "rpc_tag $rpc_tag_config (20 fields)" "unmarshal ns/message" \
        "${result[libevent-2.1/unmarshal_ns]}" "${result[evrs/unmarshal_ns]}"

    # Wall clock on a shared machine moves by half from run to run here; the
    # instruction count of each phase is steady.
    if command -v valgrind > /dev/null; then
        for phase in marshal unmarshal; do
            note "callgrind: rpc_tag -n 20000 -r 1, $phase"
            old=$(callgrind_per libevent-2.1 rpc_tag "$phase" messages -n 20000 -r 1)
            new=$(callgrind_per evrs rpc_tag "$phase" messages -n 20000 -r 1)
            row "rpc_tag -n 20000 -r 1 (20 fields)" "$phase instructions/message" "$old" "$new"
        done
    fi

    note "rpc_call $rpc_call_config ($rounds rounds)"
    alternate rpc_call "$rpc_call_config" calls_per_s
    row_rate "rpc_call $rpc_call_config" "calls/s" \
        "${result[libevent-2.1/calls_per_s]}" "${result[evrs/calls_per_s]}"
fi

# --- wall clock: TLS bufferevents -------------------------------------------------------

# One process, one thread and one event base per program: both ends of every
# connection are in it, so the figures are the library's cost plus OpenSSL's, twice.
tls_bulk_configs=("-m 512 -r 3" "-m 512 -r 3 -f")
tls_handshake_config="-n 2000 -c 8 -r 3"
tls_idle_configs=("-n 2000" "-n 2000 -f")
if ((run_tls)); then
    for args in "${tls_bulk_configs[@]}"; do
        note "tls_bulk $args ($rounds rounds)"
        alternate tls_bulk "$args" mib_per_s cpu_us_per_mib
        row_rate "tls_bulk $args" "MiB/s" "${result[libevent-2.1/mib_per_s]}" \
            "${result[evrs/mib_per_s]}"
        row "tls_bulk $args" "CPU us/MiB (both ends)" "${result[libevent-2.1/cpu_us_per_mib]}" \
            "${result[evrs/cpu_us_per_mib]}"
    done

    note "tls_handshake $tls_handshake_config ($rounds rounds)"
    alternate tls_handshake "$tls_handshake_config" handshakes_per_s cpu_us_per_handshake
    row_rate "tls_handshake $tls_handshake_config" "handshakes/s" \
        "${result[libevent-2.1/handshakes_per_s]}" "${result[evrs/handshakes_per_s]}"
    row "tls_handshake $tls_handshake_config" "CPU us/handshake (both ends)" \
        "${result[libevent-2.1/cpu_us_per_handshake]}" "${result[evrs/cpu_us_per_handshake]}"

    for args in "${tls_idle_configs[@]}"; do
        note "tls_idle_mem $args ($rounds rounds)"
        alternate tls_idle_mem "$args" bytes_per_bev lib_bytes_per_bev ssl_bytes_per_bev
        row "tls_idle_mem $args" "heap bytes/TLS bufferevent" \
            "${result[libevent-2.1/bytes_per_bev]}" "${result[evrs/bytes_per_bev]}"
        row "tls_idle_mem $args" "of which not OpenSSL's" \
            "${result[libevent-2.1/lib_bytes_per_bev]}" "${result[evrs/lib_bytes_per_bev]}"
        row "tls_idle_mem $args" "of which OpenSSL's" \
            "${result[libevent-2.1/ssl_bytes_per_bev]}" "${result[evrs/ssl_bytes_per_bev]}"
    done

    # Instruction counts of the timed function (user space, both ends, OpenSSL's
    # included): steadier than wall clock on a shared machine.
    if ((callgrind)); then
        for args in "-m 32 -r 1" "-m 32 -r 1 -f"; do
            note "callgrind: tls_bulk $args"
            read -ra argv <<< "$args"
            old=$(callgrind_per libevent-2.1 tls_bulk bench_run mib_total "${argv[@]}")
            new=$(callgrind_per evrs tls_bulk bench_run mib_total "${argv[@]}")
            row "tls_bulk $args" "instructions/MiB" "$old" "$new"
        done
        note "callgrind: tls_handshake -n 200 -c 8 -r 1"
        old=$(callgrind_per libevent-2.1 tls_handshake bench_run handshakes_total \
            -n 200 -c 8 -r 1)
        new=$(callgrind_per evrs tls_handshake bench_run handshakes_total -n 200 -c 8 -r 1)
        row "tls_handshake -n 200 -c 8 -r 1" "instructions/handshake" "$old" "$new"
    fi
fi

# --- callgrind -------------------------------------------------------------------------


if ((callgrind && run_core)); then
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

# --- backends: evrs's io_uring and epoll, and libevent 2.1 ----------------------------

# The evrs binaries run twice, with the environment that picks each backend whatever
# the order of preference (libevent's EVENT_NO<METHOD> variables); a run whose '#' line
# names another backend counts as failed.
backend_builds=(libevent-2.1 evrs-epoll evrs-io_uring)
declare -A spread=() # [build/field] = "min–max" over the rounds

# run_backend BUILD BENCH ARGS...: prints the result line, or fails.
run_backend() {
    local build=$1 bench=$2 bin_build=$1 want="" output line
    local -a env=()
    shift 2
    case $build in
        evrs-epoll) bin_build=evrs want=epoll env=(EVENT_NOIO_URING=1) ;;
        evrs-io_uring)
            bin_build=evrs want=io_uring
            env=(EVENT_NOEPOLL=1 EVENT_NOPOLL=1 EVENT_NOSELECT=1)
            ;;
    esac
    local bin=$out/$bin_build/$bench log=$out/$bin_build/$bench.$build.run.log
    [[ -n ${built[$bin_build/$bench]:-} ]] || return 1
    if ! output=$(env "${env[@]}" timeout "$run_timeout" "$bin" "$@" 2> "$log"); then
        note "$build: $bench $* failed or timed out; see $log"
        return 1
    fi
    if [[ -n $want ]] && ! grep -q "^# .*method $want\$" <<< "$output"; then
        note "$build: $bench did not run on $want: $(head -n 1 <<< "$output")"
        return 1
    fi
    line=$(grep "^$bench " <<< "$output" | tail -n 1) || true
    if [[ -z $line ]]; then
        note "$build: $bench $* printed no result; see $log"
        return 1
    fi
    echo "$line"
}

# alternate_backends BENCH "ARGS" FIELD: ROUNDS rounds over the three builds, the
# order rotated every round; sets result[build/FIELD] (median) and spread[build/FIELD].
alternate_backends() {
    local bench=$1 args=$2 f=$3 round i build line
    local -a argv order
    read -ra argv <<< "$args"
    declare -A seen=()
    for ((round = 0; round < rounds; round++)); do
        order=()
        for ((i = 0; i < 3; i++)); do
            order+=("${backend_builds[(round + i) % 3]}")
        done
        for build in "${order[@]}"; do
            line=$(run_backend "$build" "$bench" "${argv[@]}") || line=""
            seen[$build]+=" $(if [[ -n $line ]]; then field "$f" "$line"; else echo n/a; fi)"
        done
    done
    for build in "${backend_builds[@]}"; do
        # shellcheck disable=SC2086 # the list is space-separated numbers
        result[$build/$f]=$(median ${seen[$build]})
        spread[$build/$f]=$(tr ' ' '\n' <<< "${seen[$build]}" | grep -v -e '^$' -e n/a |
            sort -g | sed -n '1p;$p' | paste -sd ' ' | awk '{ if (NF) print $1 "–" $NF }')
    done
}

backend_rows=()
# backend_row BENCH "ARGS" METRIC FIELD lower|higher
backend_row() {
    local bench=$1 args=$2 metric=$3 f=$4 better=$5 build cell ratio_cell
    local -a cells=()
    note "$bench $args on ${backend_builds[*]} ($rounds rounds)"
    alternate_backends "$bench" "$args" "$f"
    for build in "${backend_builds[@]}"; do
        cell=${result[$build/$f]}
        [[ -n ${spread[$build/$f]} ]] && cell+=" (${spread[$build/$f]})"
        cells+=("$cell")
    done
    if [[ $better == lower ]]; then
        ratio_cell=$(ratio "${result[evrs-epoll/$f]}" "${result[evrs-io_uring/$f]}")
    else
        ratio_cell=$(ratio "${result[evrs-io_uring/$f]}" "${result[evrs-epoll/$f]}")
    fi
    backend_rows+=("| $bench $args | $metric | ${cells[0]} | ${cells[1]} | ${cells[2]} | $ratio_cell |")
}

if ((run_backends)); then
    backend_row chain "-n 1000 -a 100 -w 1000" "ns/event" median_ns_per_event lower
    backend_row chain "-n 1000 -a 100 -w 1000 -K" "ns/event" median_ns_per_event lower
    backend_row chain "-n 100 -a 10 -w 100" "ns/event" median_ns_per_event lower
    backend_row bev_echo "$echo_config" "MiB/s echoed" mib_per_s higher
    backend_row idle_conns "-c 9900 -p 1 -n 50 -r 5" "ns/event" median_ns_per_event lower
fi

# --- report ----------------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2> /dev/null | head -n 1) || true
echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr)"
echo "- libevent-2.1 build: ${versions[libevent-2.1]}"
echo "- evrs build: ${versions[evrs]}"
echo "- wall times: median over $rounds alternating rounds of each benchmark's own median"
if ((run_http)); then
    if ((pin)); then
        echo "- HTTP: servers pinned to CPU 0, their load (wrk or client) to CPU 1"
    else
        echo "- HTTP: servers and their load not pinned to CPUs"
    fi
fi
if ((run_dns)); then
    echo "- DNS: each program's loopback peer is a thread of the same process"
fi
if ((run_tls)); then
    echo "- TLS: $(openssl version 2> /dev/null || echo "OpenSSL"); TLS 1.3," \
        "TLS_AES_128_GCM_SHA256, X25519, ECDSA P-256; both ends in one thread"
fi
if ((run_backends)); then
    echo "- backends: median over $rounds rounds (min–max in brackets), each build in turn"
    echo
    echo "| benchmark | metric | libevent-2.1 | evrs epoll | evrs io_uring | io_uring vs epoll |"
    echo "|---|---|---:|---:|---:|---:|"
    printf '%s\n' "${backend_rows[@]}"
    echo
    echo "Last column: above 1 means io_uring is better (epoll / io_uring for times," \
        "io_uring / epoll for rates)."
fi
if ((${#rows[@]})); then
    echo
    echo "| benchmark | metric | libevent-2.1 | evrs | ratio |"
    echo "|---|---|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Ratio: above 1 means evrs is better. It is libevent-2.1 / evrs for times, instructions," \
        "allocations and bytes, and evrs / libevent-2.1 for rates (MiB/s, connections/s," \
        "requests/s, lookups/s, queries/s, handshakes/s)."
fi
