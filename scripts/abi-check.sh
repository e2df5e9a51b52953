#!/usr/bin/env bash
# scripts/abi-check.sh: is a built libretention.so compatible with the
# committed ABI baseline (abi/libretention.abi, abi/retention-enums.abi)?
# The `abi` ctest entry runs it on every default build.
#
#   scripts/abi-check.sh [--baseline DIR] [--include DIR] [--cc CC] LIB
#
# Additions pass (a new function, a new enumerator) and are reported.
# Anything else fails: a function or enumerator removed or changed, any
# change of a public struct's layout. A field appended to a size-prefixed
# struct fails too: it is allowed only as a reviewed change that comes with
# a new baseline (docs/abi.md).
#
# Exit status: 0 compatible, 1 incompatible, 2 the tools failed, 77 nothing
# checked: abigail-tools missing or LIB without debug information (with
# RTN_ABI_REQUIRED=1, as scripts/test.sh sets, those fail with status 1
# instead), or LIB not x86-64, the baseline's architecture.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=abi-common.sh
. "$root/scripts/abi-common.sh"

base=$root/abi
inc=$root/include
cc=${CC:-cc}
while [ $# -gt 1 ]; do
    case $1 in
        --baseline) base=$2; shift 2 ;;
        --include) inc=$2; shift 2 ;;
        --cc) cc=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -ne 1 ]; then
    echo "usage: $0 [--baseline DIR] [--include DIR] [--cc CC] LIB" >&2
    exit 2
fi
lib=$1

skip() { echo "SKIPPED: $*"; exit 77; }
# A check that should have run and could not: a failure where it is required.
unchecked() {
    if [ "${RTN_ABI_REQUIRED:-0}" = 1 ]; then
        echo "FAILED: $* (RTN_ABI_REQUIRED=1)"
        exit 1
    fi
    skip "$@"
}
command -v abidiff >/dev/null 2>&1 && command -v abidw >/dev/null 2>&1 ||
    unchecked "abidiff/abidw not found (apt-get install abigail-tools)"
readelf -S -W "$lib" | grep -q '\.debug_info' ||
    unchecked "$lib has no debug information (configure with -DRTN_DEBUG_INFO=ON)"
readelf -h "$lib" | grep -q 'X86-64' || skip "$lib is not x86-64, the baseline's architecture"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtn-abi.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# compare NAME BASELINE OBJECT: describes OBJECT as the baseline was
# described, prints abidiff's report of every change, additions included,
# then decides on the report without additions.
status=0
compare() {
    local name=$1 old=$2 new=$tmp/$1.abi rc
    rtn_abi_dump "$3" "$inc" "$new" || { echo "abidw failed on $3"; status=2; return; }
    echo "== $name: abidiff $old $3"
    abidiff "$old" "$new"
    rc=$?
    if [ $((rc & 3)) -eq 0 ]; then
        abidiff --no-added-syms "$old" "$new" >/dev/null
        rc=$?
    fi
    if [ $((rc & 3)) -ne 0 ]; then
        echo "abidiff failed (status $rc)"
        status=2
    elif [ "$rc" -ne 0 ]; then
        echo "$name: INCOMPATIBLE with the baseline (abidiff status $rc without additions:" \
             "$([ $((rc & 8)) -ne 0 ] && echo 'interfaces removed' || echo 'types changed'))"
        [ "$status" -eq 0 ] && status=1
    else
        echo "$name: compatible with the baseline"
    fi
}

compare library "$base/libretention.abi" "$lib"
probe=$(rtn_abi_enum_probe "$inc" "$cc" "$tmp") || { echo "cannot build the enum probe with $cc"; exit 2; }
compare enums "$base/retention-enums.abi" "$probe"
exit $status
