#!/bin/sh
# Run every test suite under valgrind memcheck: any error or leak fails.
# Check runs the tests in-process (CK_FORK=no) so valgrind sees them, and
# RTN_TEST_QUICK=1 shrinks the heaviest loops (see tests/snaputil.h).
#   VALGRIND_BUILD  build directory (default build-valgrind)
#   VALGRIND_JOBS   parallel build jobs (default 2)
#   VALGRIND_TESTS  test names to run (default: every tests/test_*.c)
set -eu
cd "$(dirname "$0")/.."
build=${VALGRIND_BUILD:-build-valgrind}
jobs=${VALGRIND_JOBS:-2}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind not found; skipping"
    exit 0
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRTN_BUILD_BENCH=OFF \
    -DRTN_BUILD_EXAMPLES=OFF -DRTN_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j"$jobs"

tests=${VALGRIND_TESTS:-$(for f in tests/test_*.c; do basename "$f" .c; done)}
# One suite per core at a time (VALGRIND_PAR, default 2), the slowest first.
par=${VALGRIND_PAR:-2}
export build
status=0
printf '%s\n' $tests | awk '{ print ($0 == "test_alloc" ? 0 : 1), $0 }' | sort -k1,1n -s |
    cut -d' ' -f2 | xargs -P "$par" -I{} sh -c '
        t={}
        start=$(date +%s)
        if CK_FORK=no RTN_TEST_QUICK=1 valgrind -q --error-exitcode=99 --leak-check=full \
            --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
            "$build/tests/$t" >"$build/$t.valgrind.log" 2>&1; then
            echo "valgrind.sh: $t clean ($(( $(date +%s) - start )) s)"
        else
            echo "valgrind.sh: $t FAILED; see $build/$t.valgrind.log"
            tail -30 "$build/$t.valgrind.log"
            exit 1
        fi' || status=1
exit $status
