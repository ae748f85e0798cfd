#!/bin/sh
# Sets up and runs every test: installs the build dependencies, builds with
# warnings as errors, runs the suite, then builds and runs it again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then cross-compiles the
# Windows runtime and runs its smoke tests under Wine.  When started as root it
# also runs the suite as an unprivileged user (created if needed), since the
# sandbox takes a different path there (a user namespace).
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

# Windows: cross-compile with mingw-w64 (warnings as errors) and run the
# smoke tests under Wine (docs/windows.md says what Wine can and cannot show).
sh tests/windows/run.sh build/sbxc

if [ "$(id -u)" -eq 0 ]; then
	user=${SBX_TEST_USER:-sbxtest}
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
	home=$(getent passwd "$user" | cut -d: -f6)
	rm -rf "$home/sbx"
	mkdir -p "$home/sbx"
	# A copy the user owns: the checkout may sit where it cannot read.
	tar --exclude='./build*' -cf - . | tar -C "$home/sbx" -xf -
	chown -R "$user:" "$home/sbx"
	echo "== the suite again, as the unprivileged user '$user' =="
	su "$user" -s /bin/sh -c "cd '$home/sbx' && cmake -S . -B build -DSBX_WERROR=ON >/dev/null && \
		cmake --build build -j$jobs >/dev/null && ctest --test-dir build --output-on-failure -j$jobs"
fi
