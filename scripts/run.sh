#!/usr/bin/env bash
# scripts/run.sh: the main job. Builds the library and the `retention` tool,
# then prints the metrics report of the bundled sample shop
# (examples/data/sample.csv, January to June 2026) for May 2026. Arguments,
# when given, replace that period: they go to `retention report` (for
# example --format json, or --from 2026-03-01 --to 2026-04-01).
# Missing Debian packages are installed with apt-get (sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }
need=()
have cmake || need+=(cmake)
have ninja || need+=(ninja-build)
have cc || need+=(gcc)
have pkg-config || need+=(pkg-config)
if [ ! -e /usr/include/zlib.h ]; then need+=(zlib1g-dev); fi
if [ ${#need[@]} -gt 0 ]; then
    echo "run.sh: installing ${need[*]}" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Only the library and the tool: the tests (and their Check dependency) are
# the test command's business.
cmake -S . -B build-run -G Ninja -DCMAKE_BUILD_TYPE=Release -DRTN_BUILD_TESTS=OFF \
    -DRTN_BUILD_BENCH=OFF -DRTN_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build-run --target retention_cli >/dev/null
if [ $# -eq 0 ]; then set -- --from 2026-05-01 --to 2026-06-01; fi
exec ./build-run/tools/retention report "$@" examples/data/sample.csv
