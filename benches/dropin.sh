#!/usr/bin/env bash
# Debian's unchanged binaries on the 2.1 build (make ABI=2.1, build/lib-2.1) against
# the same binaries on Debian's libevent 2.1, alternately in one invocation.
#
#   bash benches/dropin.sh
#
# - memcached: memcaslap's throughput (operations per second, 90% get / 10% set) with
#   2 threads and 32 connections against a memcached with 2 threads on loopback.
# - tmux: responsiveness, the wall time of 200 client commands (`display-message -p`,
#   each a new client connecting to the server) against a tmux server with one session.
#
# ROUNDS (default 5) rounds, the order of the two libraries swapped every round; the
# median of each is reported as a Markdown table, ratio "above 1 means evrs is better".
# Needs memcached, libmemcached-tools and tmux (apt-get install); a missing one is
# reported as n/a.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib21=$root/build/lib-2.1
rounds=${ROUNDS:-5}
work=$root/target/bench/dropin
note() { echo "dropin.sh: $*" >&2; }

if [[ ! -e $lib21/libevent-2.1.so.7 ]]; then
    echo "dropin.sh: $lib21/libevent-2.1.so.7 not found; run 'make ABI=2.1' first" >&2
    exit 1
fi
mkdir -p "$work"

# The library path for a build: the system's (empty) or ours.
libpath() { [[ $1 == evrs-2.1 ]] && echo "$lib21" || echo ""; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# memcaslap's operations per second for one build.
memcached_tps() {
    local port pid tps
    port=$(free_port)
    LD_LIBRARY_PATH=$(libpath "$1") memcached -l 127.0.0.1 -p "$port" -U 0 -t 2 -u nobody &
    pid=$!
    for _ in $(seq 100); do
        (echo > "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break
        sleep 0.05
    done
    tps=$(memcaslap -s "127.0.0.1:$port" -T 2 -c 32 -x 200000 2> /dev/null |
        awk '/^Run time:/ { for (i = 1; i <= NF; i++) if ($i == "TPS:") print $(i + 1) }' | tail -1)
    kill "$pid"
    wait "$pid" 2> /dev/null || true
    echo "${tps:-n/a}"
}

# Milliseconds for 200 tmux client commands for one build.
tmux_ms() {
    local socket=$work/tmux-$1 start end
    rm -f "$socket"
    LD_LIBRARY_PATH=$(libpath "$1") tmux -S "$socket" -f /dev/null new-session -d -x 80 -y 24
    start=$(date +%s%N)
    for _ in $(seq 200); do
        LD_LIBRARY_PATH=$(libpath "$1") tmux -S "$socket" display-message -p '#{session_name}' > /dev/null
    done
    end=$(date +%s%N)
    LD_LIBRARY_PATH=$(libpath "$1") tmux -S "$socket" kill-server 2> /dev/null || true
    echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }

declare -A samples
for bench in memcached tmux; do
    needs=(tmux)
    [[ $bench == memcached ]] && needs=(memcached memcaslap)
    missing=0
    for program in "${needs[@]}"; do
        command -v "$program" > /dev/null || missing=1
    done
    if ((missing)); then
        note "$bench: ${needs[*]} needed; not run"
        continue
    fi
    for round in $(seq "$rounds"); do
        order=(libevent-2.1 evrs-2.1)
        ((round % 2)) || order=(evrs-2.1 libevent-2.1)
        for build in "${order[@]}"; do
            if [[ $bench == memcached ]]; then
                value=$(memcached_tps "$build")
            else
                value=$(tmux_ms "$build")
            fi
            note "$bench $build round $round: $value"
            samples[$bench/$build]+="$value"$'\n'
        done
    done
done

result() { printf '%s' "${samples[$1]:-}" | grep -v '^n/a$' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "| benchmark | metric | libevent-2.1 | evrs-2.1 | ratio |"
echo "|---|---|---:|---:|---:|"
m_le=$(result memcached/libevent-2.1)
m_ev=$(result memcached/evrs-2.1)
echo "| memcached + memcaslap | operations/s | $m_le | $m_ev | $(ratio "$m_ev" "$m_le") |"
t_le=$(result tmux/libevent-2.1)
t_ev=$(result tmux/evrs-2.1)
echo "| tmux, 200 client commands | ms | $t_le | $t_ev | $(ratio "$t_le" "$t_ev") |"
