#!/bin/sh
# Builds the libFuzzer targets with clang, ASan and UBSan, and runs each one
# for a bounded time (FUZZ_SECONDS, default 60) from the seeds in
# fuzz/corpus/<target>/.  Fails on any crash, leak, sanitizer report,
# timeout or broken property; the input that failed is kept under
# $FUZZ_BUILD/fuzz-artifacts/<target>/: minimize it and add it to
# fuzz/regressions/<target>/, which ctest replays (tests/test_fuzz_replay.c).
#
#   fuzz/run.sh                 all targets, 60 s each
#   FUZZ_SECONDS=600 fuzz/run.sh compile
#
# Environment: FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz), CC (default clang).
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
targets=${*:-compile verify bind payload}
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" -DSBX_FUZZ=ON -DSBX_SANITIZE=ON \
	-DSBX_WERROR=ON -DSBX_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
for t in $targets; do
	cmake --build "$build" -j"$jobs" --target "fuzz_$t"
done

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=""
for t in $targets; do
	bin="$build/fuzz/fuzz_$t"
	art="$build/fuzz-artifacts/$t"
	mkdir -p "$art" "$work/$t"
	case $t in
	compile) extra="-dict=fuzz/dict/sbxpol.dict -max_len=16384" ;;
	verify)  extra="-max_len=65536" ;;
	bind)    extra="-max_len=16384" ;;
	payload) extra="-max_len=4096" ;;
	*)       extra="" ;;
	esac
	echo "== fuzz_$t: the regressions, then ${seconds}s from the seeds"
	# New inputs go to the scratch directory; the seeds in git stay as they are.
	# shellcheck disable=SC2086
	if ! "$bin" -runs=0 fuzz/regressions/$t >"$work/$t.log" 2>&1 ||
	   ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/" -print_final_stats=1 $extra \
		"$work/$t" "fuzz/corpus/$t" >>"$work/$t.log" 2>&1; then
		tail -n 60 "$work/$t.log"
		echo "fuzz_$t FAILED; the input is in $art/" >&2
		failed="$failed $t"
		continue
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$t.log" | tail -n 2
done
if [ -n "$failed" ]; then
	echo "fuzzing failed:$failed" >&2
	exit 1
fi
echo "fuzzing passed: $targets, ${seconds}s each"
