#!/usr/bin/env bash
# Turns the Rust staticlibs into libevent's C libraries.
#
#   link-library.sh object  STATICLIB CRATE OUT.o
#       One relocatable object holding the crate's C entry points and everything they
#       use (its own copy of the Rust runtime included), with every symbol but those
#       entry points made local. OUT.syms lists the entry points.
#   link-library.sh library OUTDIR NAME "OBJECTS" "NEEDED"
#       OUTDIR/libNAME-2.2.so.1.0.0 (SONAME libNAME-2.2.so.1) with the links
#       libNAME-2.2.so.1 and libNAME.so, and OUTDIR/libNAME.a, from the objects above.
#       NEEDED are -l flags of libevent libraries this one calls through the C ABI.
#       LIB_RELEASE, LIB_SOVERSION and LIB_VERSION in the environment name another
#       release (2.1, 7, 7.0.1: libNAME-2.1.so.7.0.1, SONAME libNAME-2.1.so.7).
#
# Several crates can share one library (libevent = core + extra) because each object's
# runtime is private to it; only the listed entry points are global.
set -euo pipefail

release=${LIB_RELEASE:-2.2}
soversion=${LIB_SOVERSION:-1}
version=${LIB_VERSION:-1.0.0}

entry_points() {
    # Global functions and data defined by the crate's own archive members, minus the
    # Rust runtime's and compiler's own (which start with '_' or 'rust_').
    readelf -Ws "$1" | awk -v crate="$2" '
        /^File: / { mine = index($2, "(" crate "-") > 0; next }
        mine && ($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && ($4 == "FUNC" || $4 == "OBJECT") { print $8 }
    ' | grep -v -E '^(_|rust_)' | sort -u
}

case "$1" in
object)
    staticlib=$2 crate=$3 out=$4
    syms=${out%.o}.syms
    entry_points "$staticlib" "$crate" > "$syms"
    if [ ! -s "$syms" ]; then
        echo "link-library.sh: $staticlib defines no C entry points" >&2
        exit 1
    fi
    # The Rust runtime's archive members carry LLVM bitcode that binutils' LTO plugin
    # cannot read; it only says so, so that one line is dropped.
    ld -r -o "$out.tmp" $(sed 's/^/-u /' "$syms") "$staticlib" 2>&1 |
        { grep -v 'bfd plugin: LLVM gold plugin' >&2 || true; }
    objcopy --keep-global-symbols="$syms" --remove-section=.llvmbc --remove-section=.llvmcmd \
        "$out.tmp" "$out"
    rm -f "$out.tmp"
    ;;
library)
    outdir=$2 name=$3 objects=$4 needed=$5
    real=lib$name-$release.so.$version
    soname=lib$name-$release.so.$soversion
    map=$outdir/.lib$name.map
    {
        echo "{"
        [ -z "$objects" ] || { echo "global:"; for o in $objects; do sed 's/$/;/' "${o%.o}.syms"; done; }
        echo "local: *; };"
    } > "$map"
    # shellcheck disable=SC2086
    cc -shared -o "$outdir/$real" -Wl,-soname,"$soname" -Wl,--version-script="$map" \
        -Wl,--gc-sections -Wl,-z,relro,-z,now \
        $objects -L"$outdir" -Wl,--no-as-needed $needed -Wl,--as-needed -lgcc_s -lpthread -lm -ldl -lc
    ln -sf "$real" "$outdir/$soname"
    ln -sf "$real" "$outdir/lib$name.so"
    rm -f "$outdir/lib$name.a"
    # shellcheck disable=SC2086
    ar rcs "$outdir/lib$name.a" $objects
    ;;
*)
    echo "usage: $0 object STATICLIB CRATE OUT.o | library OUTDIR NAME OBJECTS NEEDED" >&2
    exit 2
    ;;
esac
