#!/bin/sh
# The quick-start demo: installs the build dependencies, builds sbx,
# compiles the default policy (policies/workspace-write.sbxpol) and runs a
# command under it that tries three things:
#   1. write a file in the workspace        -> allowed
#   2. write a file in the home directory   -> denied
#   3. connect to a server listening on the host's loopback -> denied
#      (the same connection made outside the sandbox succeeds first)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh .ci/deps
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target sbxc sbxrun >/dev/null

blob=$top/build/workspace-write.sbxblob
echo "\$ sbxc compile policies/workspace-write.sbxpol -o build/workspace-write.sbxblob"
./build/sbxc compile policies/workspace-write.sbxpol -o "$blob"

work=$(mktemp -d)
port=$((20000 + $$ % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
# Wait (bounded) until the server answers, from outside the sandbox.
i=0
until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "demo: the test server did not start"; exit 1; }
	sleep 0.1
done
echo "outside the sandbox: connected to 127.0.0.1:$port"

cat > "$work/try.sh" <<SCRIPT
if echo hello > notes.txt; then echo "allowed: wrote \$PWD/notes.txt"; fi
if echo x 2>/dev/null > "\$HOME/sbx-demo.txt"; then echo "NOT DENIED: wrote \$HOME/sbx-demo.txt"
else echo "denied:  cannot write \$HOME/sbx-demo.txt"; fi
if bash -c 'exec 3<>/dev/tcp/127.0.0.1/$port' 2>/dev/null; then echo "NOT DENIED: connected to 127.0.0.1:$port"
else echo "denied:  cannot connect to 127.0.0.1:$port (the sandbox is offline)"; fi
SCRIPT
echo "\$ cd $work && sbxrun --policy build/workspace-write.sbxblob -- sh try.sh"
cd "$work"
"$top/build/sbxrun" --policy "$blob" -- sh try.sh
