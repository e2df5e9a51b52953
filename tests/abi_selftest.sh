#!/usr/bin/env bash
# abi_selftest.sh: scripts/abi-check.sh catches what it must. Builds
# variants of libretention.so from a copy of the sources with one deliberate
# change each, and checks the verdict against abi/: additions pass (a new
# function in a new version node, a new enumerator), every other change
# fails (a field moved, inserted or appended, a function removed, an
# enumerator renumbered). Exits 77 (skipped) when abi-check.sh cannot run.
#
#   abi_selftest.sh SOURCE_DIR CC VERSION_SCRIPT
set -uo pipefail
src=$1
cc=$2
map=$3
if ! command -v abidiff >/dev/null 2>&1 || ! command -v abidw >/dev/null 2>&1; then
    echo "SKIPPED: abidiff/abidw not found (apt-get install abigail-tools)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtn-abi-selftest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

# variant NAME SED_SCRIPT: a copy of include/ with one edit, which must apply.
variant() {
    mkdir -p "$tmp/$1/include"
    sed -E "$2" "$src/include/retention.h" >"$tmp/$1/include/retention.h"
    if cmp -s "$src/include/retention.h" "$tmp/$1/include/retention.h"; then
        echo "FAIL $1: the edit '$2' no longer applies to retention.h"
        fails=$((fails + 1))
        return 1
    fi
}

# build DIR [MAP [EXTRA_SOURCE]]: DIR/lib.so from the library's sources
# with DIR/include, as the build makes it (hidden visibility, version script).
build() {
    local dir=$1 vmap=${2:-$map}
    local inc=$src/include
    [ -d "$dir/include" ] && inc=$dir/include
    mkdir -p "$dir"
    "$cc" -std=c11 -O0 -g -fPIC -shared -fvisibility=hidden -DRTN_BUILDING -D_POSIX_C_SOURCE=200809L \
        -I"$inc" -I"$src/lib" "$src"/lib/*.c ${3:+"$3"} -lm -Wl,--version-script="$vmap" \
        -Wl,-soname,libretention.so.1 -o "$dir/lib.so"
}

# expect NAME STATUS [WORD]: abi-check.sh on NAME's library gives STATUS
# (0 compatible, 1 incompatible), and its report names WORD.
expect() {
    local name=$1 want=$2 word=${3:-} inc=$src/include rc
    [ -d "$tmp/$name/include" ] && inc=$tmp/$name/include
    if [ ! -f "$tmp/$name/lib.so" ]; then
        echo "FAIL $name: not built"
        fails=$((fails + 1))
        return
    fi
    "$src/scripts/abi-check.sh" --include "$inc" --cc "$cc" "$tmp/$name/lib.so" >"$tmp/$name.log" 2>&1
    rc=$?
    if [ "$rc" -eq 77 ]; then
        cat "$tmp/$name.log"
        exit 77
    fi
    if [ "$rc" -ne "$want" ] || { [ -n "$word" ] && ! grep -q -- "$word" "$tmp/$name.log"; }; then
        echo "FAIL $name: abi-check.sh status $rc, expected $want${word:+ with '$word' in the report}:"
        sed 's/^/    /' "$tmp/$name.log"
        fails=$((fails + 1))
    else
        echo "ok   $name: status $rc ($([ "$want" -eq 0 ] && echo accepted || echo rejected))"
    fi
}

# The unchanged sources, built this way, are compatible.
build "$tmp/same" && expect same 0

# A new function in a new version node: compatible, and reported.
mkdir -p "$tmp/added_function"
printf '#include "retention.h"\nRTN_API int rtn_abi_added(int x);\nint rtn_abi_added(int x) { return x; }\n' \
    >"$tmp/added_function/added.c"
{ cat "$map"; printf 'rtn_1.1 {\n  global:\n    rtn_abi_added;\n} rtn_1.0;\n'; } \
    >"$tmp/added_function/map"
build "$tmp/added_function" "$tmp/added_function/map" "$tmp/added_function/added.c" &&
    expect added_function 0 rtn_abi_added

# A function no longer exported: incompatible.
mkdir -p "$tmp/removed_function"
sed '/rtn_version_number;/d' "$map" >"$tmp/removed_function/map"
build "$tmp/removed_function" "$tmp/removed_function/map" && expect removed_function 1 rtn_version_number

# Two fields of rtn_event swapped: incompatible.
variant swapped_fields '/uint32_t customer_len;/{h;d};/uint32_t ref_len;/G' &&
    build "$tmp/swapped_fields" && expect swapped_fields 1 customer_len

# A field inserted in the middle of rtn_value: incompatible.
variant inserted_field 's/^( +)double value; +\/\*\*< The metric/\1int64_t inserted;\n&/' &&
    build "$tmp/inserted_field" && expect inserted_field 1 inserted

# A field appended to size-prefixed rtn_event: flagged too; the policy
# allows it only as a reviewed change with a new baseline.
variant appended_field 's/^( +)int64_t quantity; .*$/&\n\1int64_t appended;/' &&
    build "$tmp/appended_field" && expect appended_field 1 appended

# A field appended to rtn_survival_point, an array element without a size: incompatible.
variant grown_element 's/^( +)double hi; +\/\*\*< Upper 95 % band.*$/&\n\1double extra;/' &&
    build "$tmp/grown_element" && expect grown_element 1 extra

# A new enumerator: compatible.
variant added_enumerator 's/RTN_EV_CES = 19 /RTN_EV_CES = 19, RTN_EV_ADDED = 20 /' &&
    build "$tmp/added_enumerator" && expect added_enumerator 0

# An enumerator renumbered: incompatible.
variant renumbered_enumerator 's/RTN_METRIC_NPS = 300,/RTN_METRIC_NPS = 399,/' &&
    build "$tmp/renumbered_enumerator" && expect renumbered_enumerator 1 RTN_METRIC_NPS

if [ "$fails" -ne 0 ]; then
    echo "$fails abi-check.sh verdict(s) wrong"
    exit 1
fi
echo "every abi-check.sh verdict as expected"
