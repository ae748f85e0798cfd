#!/bin/sh
# The Windows part of the test run: cross-compiles libsbxrt, sbxrun.exe and
# the test programs with mingw-w64, warnings as errors, then runs the smoke
# tests under Wine (wine-smoke.sh).  The plan tests (tests/test_win_plan.c)
# run natively with the rest of the suite.
#
#   tests/windows/run.sh [SBXC]
#
# SBXC: a native sbxc to compile the test policies (default: build/sbxc,
# built here if missing).  Also leaves build-win/tests/windows/enforce.sbxblob
# for the enforcement tests on a real Windows host (docs/windows.md).
set -eu
cd "$(dirname "$0")/../.."
jobs=$(nproc 2>/dev/null || echo 2)
sbxc=${1:-build/sbxc}
if [ ! -x "$sbxc" ]; then
	cmake -S . -B build -DSBX_WERROR=ON >/dev/null
	cmake --build build -j"$jobs" --target sbxc >/dev/null
fi

cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DSBX_WERROR=ON >/dev/null
cmake --build build-win -j"$jobs"
# The DLL exports exactly the public API of include/sbx/sbxrt.h, as on Linux.
grep -o '^SBX_API[^(]*(' include/sbx/sbxrt.h | sed 's/($//; s/.*[ *]//' | sort > build-win/api.txt
x86_64-w64-mingw32-objdump -p build-win/libsbxrt.dll | sed -n '/Ordinal\/Name Pointer/,/^$/p' |
	sed -n 's/^\t\[ *[0-9]*\] //p' | sort > build-win/exports.txt
if ! diff -u build-win/api.txt build-win/exports.txt; then
	echo "libsbxrt.dll does not export exactly the public API" >&2
	exit 1
fi
echo "ok - libsbxrt.dll exports the $(wc -l < build-win/api.txt) functions of sbxrt.h and nothing else"
"$sbxc" compile tests/windows/smoke.sbxpol --policy enforce --target windows \
	-o build-win/tests/windows/enforce.sbxblob
echo "== Windows smoke tests under Wine =="
timeout 280 sh tests/windows/wine-smoke.sh build-win "$sbxc"
