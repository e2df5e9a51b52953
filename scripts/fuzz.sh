#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a
# bounded time. Skips, successfully, when clang with libFuzzer is missing.
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_BUILD    build directory (default build-fuzz)
#   FUZZ_JOBS     parallel build jobs (default 2)
#   FUZZ_PAR      targets run at once (default 2), each on its own core; a
#                 target's log goes to BUILD/fuzz/TARGET.log, its last lines
#                 are shown when it fails
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
jobs=${FUZZ_JOBS:-2}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz.sh: clang not found; skipping the fuzz targets"
    exit 0
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
    echo "fuzz.sh: clang cannot link libFuzzer (install the libclang-rt / libfuzzer package); skipping"
    exit 0
fi

CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRTN_BUILD_FUZZ=ON \
    -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_BENCH=OFF -DRTN_BUILD_EXAMPLES=OFF -DRTN_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz_snapshot fuzz_events fuzz_reader gen_seeds

# Seed corpora are generated, not committed; findings land in $build/fuzz/crashes.
corpus="$build/fuzz/corpus"
mkdir -p "$corpus/snapshot" "$corpus/events" "$corpus/reader" "$build/fuzz/crashes"
"$build/fuzz/gen_seeds" "$corpus/snapshot"
printf '\001\000\003\001\002\003\004\005\006\007\010\011\012\013' >"$corpus/events/seed-1"
# The reader's seeds: the first byte picks the header (0: the usual order).
printf '\0002026-01-01T00:00:00Z,acquire,c1,,,\n2026-01-01T00:10:00Z,purchase,c1,9.5,2,o-1\n2026-01-01T00:11:00Z,page_view,c2,,,\n' >"$corpus/reader/seed-1"
printf '\001c1,2026-01-02T01:02:03Z,feature,search\r\nc22,2026-01-02T01:02:04Z,cart_create,"k-1"\n' >"$corpus/reader/seed-2"

par=${FUZZ_PAR:-2}
export build seconds corpus
status=0
# shellcheck disable=SC2016 # the script is expanded by the sh that xargs runs
printf '%s\n' snapshot events reader | xargs -P "$par" -I{} sh -c '
    t={}
    log="$build/fuzz/$t.log"
    echo "fuzz.sh: fuzz_$t for ${seconds}s"
    if "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/fuzz/crashes/$t-" -print_final_stats=1 "$corpus/$t" >"$log" 2>&1; then
        echo "fuzz.sh: fuzz_$t clean: $(grep -E "^stat::number_of_executed_units" "$log" | tr -d " ")"
    else
        echo "fuzz.sh: fuzz_$t FAILED; reproducer in $build/fuzz/crashes/, log $log"
        tail -40 "$log"
        exit 1
    fi' || status=1
exit $status
