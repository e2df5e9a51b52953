#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, as CI runs it.
#   gcc (default preset), clang, gcc profile-guided (RTN_PGO) and ASan+UBSan
#   builds with their ctest runs
#   (the default one includes the ABI check against abi/ with abigail-tools),
#   the Doxygen docs target (warnings are errors), an install to a temporary
#   prefix, the quickstart example built against it with pkg-config, and a
#   find_package(retention) consumer project.
# Missing Debian packages are installed with apt-get (sudo when not root).
#   Then every suite under valgrind memcheck (scripts/valgrind.sh) and each
#   libFuzzer target for a bounded time when clang can link libFuzzer
#   (scripts/fuzz.sh, FUZZ_SECONDS per target, default 30 here).
# Options (environment): RTN_PRESETS="default clang pgo asan" chooses the builds;
# RTN_VALGRIND=0 and RTN_FUZZ=0 skip those steps.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Each step says how long the run has taken so far (SECONDS: bash's clock).
step() { printf '\n==== %s (at %d s)\n' "$*" "$SECONDS"; }

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have cmake || need_pkgs+=(cmake)
have ninja || need_pkgs+=(ninja-build)
have gcc || need_pkgs+=(gcc)
have g++ || need_pkgs+=(g++)
have clang || need_pkgs+=(clang)
have pkg-config || need_pkgs+=(pkg-config)
have doxygen || need_pkgs+=(doxygen)
have readelf || need_pkgs+=(binutils)
# abidiff/abidw: the `abi` test of the default build (skipped without them).
{ have abidiff && have abidw; } || need_pkgs+=(abigail-tools)
if [ "${RTN_VALGRIND:-1}" = 1 ] && ! have valgrind; then need_pkgs+=(valgrind); fi
if [ ! -e /usr/include/zlib.h ]; then need_pkgs+=(zlib1g-dev); fi
# libFuzzer and the sanitizer runtimes for clang.
if [ "${RTN_FUZZ:-1}" = 1 ] && ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
    apt-cache show libclang-rt-14-dev >/dev/null 2>&1; then need_pkgs+=(libclang-rt-14-dev); fi
if ! { have pkg-config && pkg-config --exists check; }; then need_pkgs+=(check); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    step "installing ${need_pkgs[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# CI runs the ABI check for real: a skip (tools missing, no debug
# information) fails the `abi` test here instead.
export RTN_ABI_REQUIRED=1

presets=${RTN_PRESETS:-"default clang pgo asan"}
for p in $presets; do
    step "build and test: $p"
    cmake --preset "$p" >/dev/null
    cmake --build --preset "$p"
    ctest --preset "$p"
done

if [ -f build-pgo/libretention.a ]; then
    # The profiled build's objects are fat LTO objects: its static library
    # must still link into a program built without LTO (clang here).
    step "the pgo build's static library, linked without LTO"
    t=$(mktemp -d)
    clang -std=c11 -Wall -Wextra -Werror -DRTN_STATIC -I include examples/quickstart.c \
        build-pgo/libretention.a -lm -o "$t/quickstart"
    "$t/quickstart" >/dev/null
    rm -rf "$t"
fi

step "docs (Doxygen, warnings are errors)"
cmake --preset default >/dev/null
cmake --build --preset docs

step "install to a temporary prefix and build against it"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --build --preset default
cmake --install build-default --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n 1)
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
flags=$(pkg-config --cflags --libs retention)
echo "pkg-config --cflags --libs retention: $flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$root/examples/quickstart.c" $flags -o "$tmp/quickstart"
LD_LIBRARY_PATH="$(dirname "$libdir")" "$tmp/quickstart"
cmake -S "$root/tests/find_package" -B "$tmp/consumer" -G Ninja \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer"
"$tmp/consumer/consumer"
"$tmp/consumer/consumer_static"

if [ "${RTN_VALGRIND:-1}" = 1 ]; then
    step "every suite under valgrind memcheck"
    scripts/valgrind.sh
fi

if [ "${RTN_FUZZ:-1}" = 1 ]; then
    export FUZZ_SECONDS=${FUZZ_SECONDS:-30}
    step "fuzzing (libFuzzer, ASan + UBSan), $FUZZ_SECONDS s per target"
    scripts/fuzz.sh
fi

step "all tests passed"
