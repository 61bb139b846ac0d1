#!/usr/bin/env bash
# Builds libevent's own regression suite from a libevent source tree, unmodified,
# against an installed copy of this project, runs every case in a process of its own,
# and reports per group.  `make upstream-check LIBEVENT_SRC=DIR` installs the project
# and calls this.
#
#   upstream/run.sh SRC PREFIX WORKDIR
#
# SRC     a libevent source tree (2.1.12 or 2.2.1): its test/ files are compiled as
#         they are; nothing else of it is used
# PREFIX  where this project is installed (include/, lib/)
# WORKDIR scratch space for the build and the logs
#
# Environment: UPSTREAM_TIMEOUT seconds per case (60), UPSTREAM_JOBS cases run at once
# (2), UPSTREAM_CASES a space-separated list of cases to run instead of all,
# UPSTREAM_VARIANTS the backends and modes to run each case under (see variant_env).
#
# Exit status: 0 when every case that ran passed or skipped, 1 when one failed, 2 when
# the suite could not be built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
support=$here/support
excluded_list=$here/excluded.txt

[ $# -eq 3 ] || { echo "usage: $0 SRC PREFIX WORKDIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
prefix=$(cd "$2" && pwd)
mkdir -p "$3"
work=$(cd "$3" && pwd)/$(basename "$src")
timeout_s=${UPSTREAM_TIMEOUT:-60}
jobs=${UPSTREAM_JOBS:-2}
cc=${CC:-cc}

die() { echo "upstream: $*" >&2; exit 2; }
[ -f "$src/test/regress_main.c" ] || die "$src has no test/regress_main.c: not a libevent source tree"
[ -f "$prefix/include/event2/event.h" ] || die "$prefix/include has no event2/event.h: install the project first"

# The suite's groups: the prefix its runner gives the cases, the files that hold them,
# and a function that a library of ours must export before the group can be built.
groups_table='
main/         regress.c                          -
signal/       regress.c                          -
evtag/        regress.c                          evtag_init
heap/         regress_minheap.c                  -
et/           regress_et.c                       -
finalize/     regress_finalize.c                 -
evbuffer/     regress_buffer.c                   -
util/         regress_util.c                     -
bufferevent/  regress_bufferevent.c              -
http/         regress_http.c,regress_ws.c        evhttp_new
dns/          regress_dns.c                      evdns_base_new
rpc/          regress_rpc.c                      evrpc_init
thread/       regress_thread.c                   -
listener/     regress_listener.c                 -
watch/        regress_watch.c                    -
'
# Groups of the suite that need a TLS library build of ours (their runner lists them
# only when event-config.h says the library has one).
tls_groups='openssl/ mbedtls/'
# Files every build needs: the runner and the helpers shared by several groups.
common_files='regress_main.c regress_testutils.c'
runner_file=$(cd "$src/test" && ls tiny*test.c)

rm -rf "$work"
mkdir -p "$work/tree/test" "$work/obj" "$work/logs"

# The tree the compiler sees: the suite's test/ files, and our stand-ins where
# libevent keeps its private headers (so `#include "../util-internal.h"` from test/
# finds ours).  Nothing else of SRC is reachable.
for f in "$src"/test/*; do ln -s "$f" "$work/tree/test/"; done
for f in "$support"/*.h; do ln -s "$f" "$work/tree/"; done

# Which of our libraries export what.
exports=$work/exports.txt
for lib in "$prefix"/lib/libevent_*.so; do
    nm -D --defined-only "$lib" | awk '{print $NF}'
done | sort -u > "$exports"
exported() { grep -qx "$1" "$exports"; }

# excluded.txt: `group/case  reason` or `group/*  reason`; # starts a comment.
excluded_reason() {
    local name=$1 group=${1%%/*}/
    awk -v n="$name" -v g="$group*" '
        /^[ \t]*(#|$)/ { next }
        $1 == n || $1 == g { $1 = ""; sub(/^ +/, ""); print; exit }' "$excluded_list"
}

# Decide each group's fate.
declare -A group_state group_reason
group_order=()
sources=($common_files)
defines=()
while read -r group files needs; do
    [ -n "$group" ] || continue
    group_order+=("$group")
    first=${files%%,*}
    if [ ! -f "$src/test/$first" ]; then
        group_state[$group]=absent
    elif reason=$(excluded_reason "${group}*"); [ -n "$reason" ]; then
        group_state[$group]=excluded
        group_reason[$group]=$reason
    elif [ "$needs" != - ] && ! exported "$needs"; then
        group_state[$group]=unbuilt
        group_reason[$group]="needs $needs, which no library of ours exports yet"
    else
        group_state[$group]=built
    fi
    if [ "${group_state[$group]}" = built ]; then
        for f in ${files//,/ }; do
            [ -f "$src/test/$f" ] && sources+=("$f")
        done
    elif [ "$first" != regress.c ]; then
        # The runner's table still names the group's case list.
        defines+=("-DUPSTREAM_EMPTY_${group%/}")
    fi
done <<< "$groups_table"
sources+=("$runner_file")
mapfile -t sources < <(printf '%s\n' "${sources[@]}" | awk '!seen[$0]++')

# The zlib filter case of bufferevent/ needs only zlib besides our library.
libs_extra=()
if echo '#include <zlib.h>' | "$cc" -E -x c - >/dev/null 2>&1; then
    defines+=(-DEVENT__HAVE_LIBZ=1)
    sources+=(regress_zlib.c)
    libs_extra+=(-lz)
fi

cflags=(-g -O1 -D_GNU_SOURCE "${defines[@]}" -I "$work/tree" -I "$prefix/include" -pthread)

# Every header a file of the suite includes must come from our install, our stand-ins,
# the suite's own test/ directory or the system; never from the rest of SRC.
check_headers() {
    local file=$1 dep real
    "$cc" "${cflags[@]}" -M -MT x "$work/tree/test/$file" |
        tr ' \\' '\n\n' | grep -v '^x:$' | grep . |
    while read -r dep; do
        real=$(realpath "$dep")
        case $real in
            "$prefix"/include/*|"$support"/*|"$src"/test/*) ;;
            "$src"/*) echo "upstream: $file includes $real from the libevent tree" >&2; return 1 ;;
            */event2/*) echo "upstream: $file includes $real, not our install" >&2; return 1 ;;
        esac
    done
}

echo "upstream: libevent tree $src"
echo "upstream: compiling ${sources[*]}"
for f in "${sources[@]}"; do
    check_headers "$f" || exit 2
done
for f in "${sources[@]}"; do
    "$cc" -c "${cflags[@]}" "$work/tree/test/$f" -o "$work/obj/$(basename "$f" .c).o" \
        2> "$work/obj/$f.log" || { cat "$work/obj/$f.log" >&2; die "test/$f does not compile"; }
    grep -E '(warning|error):' "$work/obj/$f.log" | grep -v 'libevent-private' >&2 || true
done
# The stand-ins mark libevent's private struct members: list where the suite reads them,
# since a case that does cannot run here and must be in excluded.txt.
private_reads=$(sed -n "s|^.*/tree/test/\([^:]*\):\([0-9]*\):.*libevent-private.*|\1:\2|p" \
    "$work"/obj/*.log | sort -t: -k1,1 -k2,2n -u |
    awk -F: '$1 != f { if (f) print f ": " l; f = $1; l = "" } { l = l " " $2 } END { if (f) print f ": " l }')
if [ -n "$private_reads" ]; then
    echo "upstream: the suite reads libevent-private members at these lines (only excluded cases may run them):"
    echo "$private_reads" | sed 's/^/    /'
fi
for f in "$support"/*.c; do
    "$cc" -c -Wall "${cflags[@]}" -iquote "$work/tree/test" "$f" \
        -o "$work/obj/support_$(basename "$f" .c).o" || die "support/$(basename "$f") does not compile"
done

libs=(-L "$prefix/lib" -Wl,-rpath,"$prefix/lib")
grep -q '^ev\(http\|dns\|tag\|rpc\)_' "$exports" && libs+=(-levent_extra)
libs+=(-levent_pthreads -levent_core "${libs_extra[@]}" -lpthread)

# A function the suite calls that neither our libraries nor our support provide gets a
# stand-in that says so and aborts, so that only the cases that reach it are lost.
link() { "$cc" -pthread -o "$work/regress" "$work"/obj/*.o "${libs[@]}" 2> "$work/link.log"; }
if ! link; then
    missing=$(sed -n -e "s/.*undefined reference to \`\([A-Za-z_0-9]*\)'.*/\1/p" \
                     -e 's/.*undefined symbol: \([A-Za-z_0-9]*\).*/\1/p' "$work/link.log" | sort -u)
    [ -n "$missing" ] || { cat "$work/link.log" >&2; die "link failed"; }
    {
        echo '#include <stdio.h>'
        echo '#include <stdlib.h>'
        echo 'static void missing(const char *what) {'
        echo '    printf("\n[upstream] %s\n", what); fflush(stdout);'
        echo '    fprintf(stderr, "[upstream] %s\n", what); abort(); }'
        for sym in $missing; do
            if grep -qw "$sym" "$prefix"/include/event2/*.h; then
                what="not provided yet: $sym"
            else
                what="libevent-internal, no stand-in: $sym"
            fi
            echo "void $sym(void) { missing(\"$what\"); }"
        done
    } > "$work/missing.c"
    "$cc" -c -w "$work/missing.c" -o "$work/obj/missing.o"
    link || { cat "$work/link.log" >&2; die "link failed"; }
    echo "upstream: stand-ins that abort for $(echo $missing | wc -w) functions we lack (see $work/missing.c)"
fi
if ldd "$work/regress" | grep 'libevent' | grep -v "$prefix/lib/" >&2; then
    die "the suite would load a libevent that is not ours"
fi

# Every case the runner knows, in its order.
"$work/regress" --list-tests | awk '/^    [^ ]/ { print $1 }' > "$work/cases.txt"
[ -s "$work/cases.txt" ] || die "the suite lists no cases"
if [ -n "${UPSTREAM_CASES:-}" ]; then
    printf '%s\n' $UPSTREAM_CASES > "$work/cases.txt"
fi

# How libevent's own test.sh runs the suite: once per backend, with the others disabled
# through the environment, and again in debug mode.
variant_env() {
    local backend=${1%+debug} env=""
    case $backend in
        epoll) env="EVENT_NOPOLL=1 EVENT_NOSELECT=1" ;;
        epoll-changelist) env="EVENT_NOPOLL=1 EVENT_NOSELECT=1 EVENT_EPOLL_USE_CHANGELIST=1" ;;
        epoll-timerfd) env="EVENT_NOPOLL=1 EVENT_NOSELECT=1 EVENT_PRECISE_TIMER=1" ;;
        poll) env="EVENT_NOEPOLL=1 EVENT_NOSELECT=1" ;;
        select) env="EVENT_NOEPOLL=1 EVENT_NOPOLL=1" ;;
        *) return 1 ;;
    esac
    [ "$backend" = "$1" ] || env="$env EVENT_DEBUG_MODE=1"
    echo "$env"
}
variants=${UPSTREAM_VARIANTS:-epoll poll select epoll+debug poll+debug select+debug}
for v in $variants; do
    variant_env "$v" >/dev/null || die "unknown variant $v (UPSTREAM_VARIANTS)"
done

# One case under one variant, in its own process and scratch directory; prints
# `case variant outcome`.
run_case() {
    local name=$1 variant=$2 log dir rc outcome
    log=$work/logs/${name//\//__}.$variant.log
    dir=$(mktemp -d "$work/run.XXXXXX")
    set +e
    # shellcheck disable=SC2046
    timeout -k 5 "$timeout_s" env -C "$dir" $(variant_env "$variant") \
        "$work/regress" "$name" > "$log" 2>&1
    rc=$?
    set -e
    rm -rf "$dir"
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "[upstream] timed out after ${timeout_s}s" >> "$log"
        outcome=failed
    elif grep -q '^\[upstream\] not provided yet:' "$log"; then
        outcome=unbuilt
    elif [ $rc -eq 0 ] && grep -q '^0 tests ok\.' "$log"; then
        outcome=skipped
    elif [ $rc -eq 0 ] && grep -q '^1 tests ok\.' "$log"; then
        outcome=passed
    else
        outcome=failed
    fi
    echo "$name $variant $outcome"
}
export -f run_case variant_env
export work timeout_s

: > "$work/to-run.txt"
: > "$work/results.txt"
while read -r name; do
    group=${name%%/*}/
    if [ "${group_state[$group]:-built}" != built ]; then
        echo "$name - unbuilt" >> "$work/results.txt"
    elif [ -n "$(excluded_reason "$name")" ]; then
        echo "$name - excluded" >> "$work/results.txt"
    else
        for v in $variants; do echo "$name $v"; done >> "$work/to-run.txt"
    fi
done < "$work/cases.txt"

echo "upstream: running $(wc -l < "$work/to-run.txt") case runs (variants: $variants)," \
    "$jobs at a time, ${timeout_s}s limit each"
start=$(date +%s)
xargs -P "$jobs" -L 1 bash -c 'run_case "$1" "$2"' _ < "$work/to-run.txt" >> "$work/results.txt"
echo "upstream: ran in $(( $(date +%s) - start ))s; logs in $work/logs"

# One outcome per case: failed if it failed under any variant, not built if a function
# we lack stopped it, passed if it passed under every other, skipped if skipped under all.
awk '{ seen[$1] = 1; n[$1 " " $3]++; if (!($1 in order)) { order[$1] = ++k; name[k] = $1 } }
     END { for (i = 1; i <= k; i++) { c = name[i]
         if (n[c " failed"]) o = "failed"; else if (n[c " unbuilt"]) o = "unbuilt"
         else if (n[c " excluded"]) o = "excluded"; else if (n[c " passed"]) o = "passed"
         else o = "skipped"
         print c, o } }' "$work/results.txt" > "$work/outcomes.txt"

# Report: per group, then the cases that failed with the start of their output.
echo
printf '%-14s %7s %7s %8s %9s %10s\n' group passed failed skipped excluded "not built"
total_pass=0 total_fail=0 total_skip=0
for group in "${group_order[@]}" $tls_groups; do
    state=${group_state[$group]:-}
    case $state in
        absent) continue ;;
        excluded) printf '%-14s excluded whole: %s\n' "$group" "${group_reason[$group]}"; continue ;;
        unbuilt) printf '%-14s not built: %s\n' "$group" "${group_reason[$group]}"; continue ;;
        '') printf '%-14s not built: needs a TLS library of ours, which has no content yet\n' "$group"; continue ;;
    esac
    read -r p f s e u < <(awk -v g="$group" '
        index($1, g) == 1 { n[$2]++ }
        END { printf "%d %d %d %d %d\n", n["passed"], n["failed"], n["skipped"], n["excluded"], n["unbuilt"] }' \
        "$work/outcomes.txt")
    [ $((p + f + s + e + u)) -gt 0 ] || continue
    printf '%-14s %7d %7d %8d %9d %10d\n' "$group" "$p" "$f" "$s" "$e" "$u"
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s + e + u))
done

if grep -q ' unbuilt$' "$work/outcomes.txt"; then
    needs=$(cat "$work"/logs/*.log 2>/dev/null |
        sed -n 's/^\[upstream\] not provided yet: //p' | sort -u | tr '\n' ' ')
    if [ -n "$needs" ]; then
        echo "cases stopped by functions we do not provide yet: $needs"
    fi
fi
if [ "$total_fail" -gt 0 ]; then
    echo
    echo "failed cases (the variants they failed under, then the first failure's output):"
    grep ' failed$' "$work/outcomes.txt" | while read -r name _; do
        failed_under=$(awk -v c="$name" '$1 == c && $3 == "failed" { print $2 }' "$work/results.txt")
        echo "--- $name [$(echo $failed_under | tr ' ' ',')]"
        first=$(echo "$failed_under" | head -n 1)
        grep -v '^\s*$' "$work/logs/${name//\//__}.$first.log" | head -n 8 | sed 's/^/    /'
    done
fi
echo
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
