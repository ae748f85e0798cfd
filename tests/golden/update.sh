#!/bin/sh
# Regenerates the golden `sbxc explain` outputs of the shipped policies.
# Run after an intended change to the compiler or to explain, then review
# the diff: it is exactly what changed for users.
#   sh tests/golden/update.sh build/sbxc
set -eu
sbxc=${1:?usage: update.sh PATH/TO/sbxc}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pol in "$here"/../../policies/*.sbxpol; do
	name=$(basename "$pol" .sbxpol)
	"$sbxc" compile "$pol" -o "$tmp/$name.sbxblob"
	"$sbxc" explain "$tmp/$name.sbxblob" > "$here/$name.txt"
	"$sbxc" explain "$tmp/$name.sbxblob" --json > "$here/$name.json"
done
