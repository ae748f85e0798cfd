#!/bin/sh
# The quick-start demo: installs the build dependencies, builds sbx,
# compiles the default policy (policies/workspace-write.sbxpol) and shows
# what the blob will make the runtime do.
set -eu
cd "$(dirname "$0")/.."
sh .ci/deps
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target sbxc >/dev/null

echo '$ sbxc compile policies/workspace-write.sbxpol -o build/workspace-write.sbxblob'
./build/sbxc compile policies/workspace-write.sbxpol -o build/workspace-write.sbxblob
echo '$ sbxc explain build/workspace-write.sbxblob'
./build/sbxc explain build/workspace-write.sbxblob
