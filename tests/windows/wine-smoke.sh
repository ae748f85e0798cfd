#!/bin/sh
# Runs the Windows smoke tests (smoke.exe) under Wine 8, in a private
# WINEPREFIX in a temporary directory, every Wine call bounded by timeout.
#
#   tests/windows/wine-smoke.sh BUILD_WIN_DIR SBXC
#
# BUILD_WIN_DIR is the cross build (cmake/mingw-w64.cmake); SBXC is a native
# sbxc that compiles tests/windows/smoke.sbxpol for Windows.  What Wine can
# and cannot show is in docs/windows.md.
set -eu
build=$(cd "$1" && pwd)
sbxc=$2
src=$(cd "$(dirname "$0")" && pwd)
wine=${SBX_WINE:-/usr/lib/wine/wine64}
wineserver=${SBX_WINESERVER:-/usr/lib/wine/wineserver}
[ -x "$wine" ] || { echo "wine-smoke: $wine not found (apt-get install wine64)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/sbx-wine.XXXXXX)
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
	timeout 20 "$wineserver" -k >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/work"
for p in smoke wall; do
	"$sbxc" compile "$src/smoke.sbxpol" --policy "$p" --target windows -o "$tmp/$p.sbxblob"
done

# Unix path -> the Z: drive Wine maps to /.
win() { printf 'Z:%s' "$1" | tr / '\\'; }

# The first start of a fresh prefix creates it (tens of seconds).
timeout 120 "$wine" cmd /c exit 0 >/dev/null 2>&1 || { echo "wine-smoke: wine did not start" >&2; exit 1; }

timeout 150 "$wine" "$(win "$build/tests/windows/smoke.exe")" "$(win "$build/sbxrun.exe")" \
	"$(win "$build/tests/windows/sbxrun_faults.exe")" "$(win "$build/tests/windows/probe.exe")" \
	"$(win "$tmp/smoke.sbxblob")" "$(win "$tmp/wall.sbxblob")" "$(win "$tmp/work")"
