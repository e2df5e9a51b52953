#!/usr/bin/env bash
# scripts/run.sh: the main job. For now: build the library and run the
# quickstart example, which prints a small report.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build --preset default --target example_quickstart >/dev/null
exec ./build-default/examples/quickstart
