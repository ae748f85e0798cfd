#!/bin/sh
# Sets up and runs every test: installs the build dependencies, builds with
# warnings as errors, runs the suite, then builds and runs it again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh .ci/deps
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DSBX_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -S . -B build-asan -DSBX_WERROR=ON -DSBX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ctest --test-dir build-asan --output-on-failure -j"$jobs"
