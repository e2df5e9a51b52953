#!/usr/bin/env bash
# scripts/abi-baseline.sh: regenerate the ABI baseline that the `abi` test
# compares every build with: abi/libretention.abi (the exported functions
# and the public types they reach) and abi/retention-enums.abi (every
# public enum's enumerators). Run it after a deliberate, compatible
# addition has passed scripts/abi-check.sh, and commit the result with it;
# never to make an incompatible change pass (see docs/abi.md).
#
#   scripts/abi-baseline.sh [LIB]
#
# Without LIB it builds the library alone, RelWithDebInfo with gcc, in
# build-abi/ (RTN_ABI_BUILD to change), so the baseline does not depend on
# the state of another build directory. Same sources and compiler, same files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=abi-common.sh
. scripts/abi-common.sh

for t in abidw abidiff; do
    command -v $t >/dev/null 2>&1 || { echo "$t not found: apt-get install abigail-tools" >&2; exit 1; }
done
if [ $# -ge 1 ]; then
    lib=$1
else
    build=${RTN_ABI_BUILD:-build-abi}
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
        -DRTN_DEBUG_INFO=ON -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_TOOLS=OFF -DRTN_BUILD_BENCH=OFF \
        -DRTN_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$build" --target retention >/dev/null
    lib=$build/libretention.so
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtn-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p abi
rtn_abi_dump "$lib" include abi/libretention.abi
probe=$(rtn_abi_enum_probe include gcc "$tmp")
rtn_abi_dump "$probe" include abi/retention-enums.abi
echo "wrote abi/libretention.abi ($(grep -c '<elf-symbol ' abi/libretention.abi) functions)" \
     "and abi/retention-enums.abi ($(grep -c '<enum-decl ' abi/retention-enums.abi) enums)"
