#!/bin/bash
#
# tests/vm/cgroup-v2.sh - the sandbox's cgroup v2 limits, observed in a VM.
#
# A MANUAL check, not part of CI: ctest and .ci/run do not see it (tests/
# CMakeLists.txt globs tests/test_*.c only).  It needs root (apt-get, the
# kernel image under /boot, /dev/kvm) and takes a minute or two.
#
# Why a VM: a host whose pids and memory controllers are bound to cgroup v1
# (a hybrid layout), or held by the infrastructure, cannot show pids.max or
# memory.max at work.  So this boots Debian's kernel (qemu, KVM when it
# works, else TCG) on a tiny initramfs: busybox, the static sbxrun and
# sbx-init of a Release build, vmhelper (tests/vm/vmhelper.c) and policies
# compiled on the host.  Its /init mounts a pure cgroup v2 hierarchy
# (every controller on it) at /sys/fs/cgroup and runs sbxrun:
#
#   1. as root, from the hierarchy's root, `limit processes 20;` around a
#      fork of 60 children: fewer than 20 forks succeed, the spawn log's
#      enforced_by names "cgroup v2 pids.max", the exit log says
#      "limit":"processes".  (Root on a kernel before 6.14 has no other
#      bound on its processes: without the cgroup a strict policy is refused.)
#   2. as root, `limit memory 64 MiB;` around three processes touching
#      40 MiB each: the OOM killer kills at least one, enforced_by names
#      "cgroup v2 memory.max", the exit log says "limit":"memory".
#   3. as root, `limit cpu 1s;` around four spinning processes: sbxrun
#      exits 137 and the exit log says "limit":"cpu".
#   5. as root, `limit memory 64 MiB;` around a writable reservation of
#      1 TiB (MAP_NORESERVE, what AddressSanitizer makes for its shadow):
#      under memory.max the runtime leaves RLIMIT_DATA out, so it maps, and
#      enforced_by names the cgroup alone.
#   4. as uid 1000 (a user namespace), alone in a cgroup "deleg" that root
#      delegated to it (pids and memory enabled above it, the cgroup and its
#      cgroup.procs, cgroup.subtree_control and cgroup.threads chowned to
#      1000): check 1's policy in .../deleg/sbx-...: fewer than 20 forks,
#      a user namespace, enforced_by names "cgroup v2 pids.max", and the exit
#      log says "limit":"processes".  `vmhelper fork` prints RLIMIT_NPROC and
#      its cgroup's pids.current, pids.max and pids.events once a fork fails,
#      which shows whether pids.max or the rlimit refused it.
#
# Each policy is compiled twice, strict and with `enforcement best-effort;`.
# /init first runs the strict one of check 1 around `true`: when the VM
# kernel's Landlock ABI is too old for strict mode (Debian 12's 6.1 has ABI
# 2), it says so and every check uses the best-effort policies; their
# spawn log's "degraded" list says what was given up.
#
# KVM is tried first (45 s for the whole run); nested under another
# hypervisor it can hang or fail, and then the VM is booted again under TCG,
# which is fast enough (the whole run inside the VM takes a few seconds).
# SBX_VM_ACCEL=tcg skips the KVM attempt, SBX_VM_ACCEL=kvm skips TCG.
#
# Prints PASS/FAIL per check and exits non-zero on any FAIL.  Scratch files
# go under $SBX_VM_WORK (/tmp/sbx-vm), the build under $SBX_VM_BUILD
# (<checkout>/build-vm).  The VM's console is kept in $SBX_VM_WORK/console.log.
#
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SBX_VM_BUILD:-$SRC/build-vm}
WORK=${SBX_VM_WORK:-/tmp/sbx-vm}
ACCEL=${SBX_VM_ACCEL:-auto}
START=$(date +%s)

say() { printf 'cgroup-v2.sh: %s\n' "$*"; }
die() { say "$*" >&2; exit 2; }

# --- packages ---------------------------------------------------------------
# What the Release build needs (a subset of .ci/deps) and what the VM needs.
pkgs="build-essential cmake pkg-config re2c lemon libxxhash-dev file cpio gzip
	qemu-system-x86 linux-image-amd64 busybox-static"
need_pkgs=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	say "installing ${need_pkgs[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${need_pkgs[@]}" >/dev/null
fi
BUSYBOX=/bin/busybox
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not static (busybox-static)"
KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
[ -r "$KERNEL" ] || die "cannot read $KERNEL (run as root)"

# --- build ------------------------------------------------------------------
say "building $SRC into $BUILD"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSBX_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
for b in sbxrun sbx-init; do
	file -L "$BUILD/$b" | grep -q 'statically linked' ||
		die "$BUILD/$b is not statically linked (is libxxhash.a installed? libxxhash-dev)"
done

rm -rf "$WORK"
mkdir -p "$WORK/root"/{bin,pol/strict,pol/best-effort,proc,sys,dev,tmp,etc}
R=$WORK/root
gcc -O2 -static -Wall -Wextra -Werror -o "$R/bin/vmhelper" "$SRC/tests/vm/vmhelper.c"
cp "$BUSYBOX" "$R/bin/busybox"
cp "$BUILD/sbxrun" "$BUILD/sbx-init" "$R/bin/"
printf 'root:x:0:0:root:/:/bin/sh\nu:x:1000:1000:u:/tmp/u:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nu:x:1000:\n' >"$R/etc/group"

# --- policies ---------------------------------------------------------------
policy() {   # mode, name, limit statements
	local mode="" name=$2
	[ "$1" = best-effort ] && mode="enforcement best-effort;"
	cat >"$WORK/$1-$name.sbxpol" <<-EOF
	sbxpol 1;
	policy $name {
	    param WORKSPACE;
	    readonly "/";
	    writable "\${WORKSPACE}";
	    $3
	    limit wall 60s;
	    $mode
	}
	EOF
	"$BUILD/sbxc" compile "$WORK/$1-$name.sbxpol" -o "$R/pol/$1/$name.sbxblob"
}
for m in strict best-effort; do
	policy $m procs "limit processes 20;"
	policy $m mem "limit memory 64 MiB;"
	policy $m cpu "limit cpu 1s;"
done

# --- /init ------------------------------------------------------------------
cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
mkdir -p /tmp/ws /tmp/u
chown 1000:1000 /tmp/u
echo "VM kernel: $(uname -r)"
echo "VM cmdline: $(cat /proc/cmdline)"
echo "VM landlock abi: $(vmhelper landlock-abi)"
echo "VM lsm: $(cat /sys/kernel/security/lsm 2>/dev/null || echo '?')"
echo "VM cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "VM /proc/self/cgroup: $(cat /proc/self/cgroup)"
echo "VM unprivileged_userns_clone: $(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo absent)"
echo "VM cpus: $(nproc)"
echo "VM memory: $(sed -n 's/MemTotal: *//p' /proc/meminfo), swap: $(sed -n 's/SwapTotal: *//p' /proc/meminfo)"

# Strict mode, when this kernel's Landlock can do it; else best effort.
P=/pol/strict
sbxrun --policy $P/procs.sbxblob --log /tmp/probe.jsonl --var WORKSPACE=/tmp/ws -- /bin/true \
	>/tmp/out 2>&1
rc=$?
echo "--- strict probe: sbxrun exited $rc"
sed 's/^/  out: /' /tmp/out
sed 's/^/  log: /' /tmp/probe.jsonl
if [ $rc = 125 ] && grep -q 'Landlock ABI' /tmp/out; then
	P=/pol/best-effort
fi
echo "VM policies: $P"

show() {   # name, rc, log file, output file
	echo "--- $1: sbxrun exited $2"
	sed 's/^/  out: /' "$4"
	sed 's/^/  log: /' "$3"
}
result() {   # name, why it failed (empty: it passed)
	if [ -z "$2" ]; then echo "RESULT $1 PASS"; else echo "RESULT $1 FAIL:$2"; fi
}
has() { grep -q -F -- "$1" "$2"; }
root_run() {   # name, blob, command...
	n=$1 b=$2
	shift 2
	rm -f /tmp/log.jsonl
	sbxrun --policy $P/$b.sbxblob --log /tmp/log.jsonl --var WORKSPACE=/tmp/ws -- "$@" \
		>/tmp/out 2>&1
	rc=$?
	show "$n" $rc /tmp/log.jsonl /tmp/out
}

# 1. processes, root, from the hierarchy's root
root_run check1 procs /bin/vmhelper fork 60
got=$(sed -n 's/.*got \([0-9]*\) of.*/\1/p' /tmp/out)
why=""
[ "$rc" = 0 ] || why="$why exit $rc;"
[ -n "$got" ] && [ "$got" -lt 20 ] || why="$why forked '$got' (want < 20);"
has '"enforced_by":"cgroup v2 pids.max' /tmp/log.jsonl || why="$why no pids.max enforced_by;"
has '"limit":"processes"' /tmp/log.jsonl || why="$why no \"limit\":\"processes\";"
has '"cgroup":"/sys/fs/cgroup/sbx-' /tmp/log.jsonl || why="$why cgroup not /sys/fs/cgroup/sbx-*;"
result check1 "$why"

# 2. memory, root
root_run check2 mem /bin/vmhelper hogs 3 40 3
killed=$(sed -n 's/.*hogs: \([0-9]*\) of 3 killed.*/\1/p' /tmp/out)
why=""
[ -n "$killed" ] && [ "$killed" -ge 1 ] || why="$why killed '$killed' (want >= 1);"
has '"enforced_by":"cgroup v2 memory.max' /tmp/log.jsonl || why="$why no memory.max enforced_by;"
has '"limit":"memory"' /tmp/log.jsonl || why="$why no \"limit\":\"memory\";"
result check2 "$why"
dmesg | grep -i -E 'oom-kill|killed process' | sed 's/^/  dmesg: /' | head -n 6

# 5. memory, root: a writable reservation of 1 TiB, as AddressSanitizer
#    makes; under memory.max RLIMIT_DATA is left out, so it maps
root_run check5 mem /bin/vmhelper reserve 1024
why=""
[ "$rc" = 0 ] || why="$why exit $rc;"
has 'reserved 1024 GiB' /tmp/out || why="$why the reservation was refused;"
has '"enforced_by":"cgroup v2 memory.max, no swap (the whole tree)"}' /tmp/log.jsonl ||
	why="$why memory enforced_by names more than the cgroup;"
result check5 "$why"

# 3. cpu, root
root_run check3 cpu /bin/vmhelper spin 4
why=""
[ "$rc" = 137 ] || why="$why exit $rc (want 137);"
has '"limit":"cpu"' /tmp/log.jsonl || why="$why no \"limit\":\"cpu\";"
has '"enforced_by":"cgroup v2 cpu.stat' /tmp/log.jsonl || why="$why no cpu.stat enforced_by;"
result check3 "$why"

# 4. processes, uid 1000 in a cgroup delegated to it
C=/sys/fs/cgroup
mkdir $C/deleg
echo "+pids +memory" >$C/cgroup.subtree_control
chown 1000:1000 $C/deleg $C/deleg/cgroup.procs $C/deleg/cgroup.subtree_control \
	$C/deleg/cgroup.threads
mkdir -p /tmp/u/ws
chown -R 1000:1000 /tmp/u
# A shell of its own moves into deleg and becomes sbxrun, so that sbxrun is
# alone there (a shared cgroup is left alone by design).
P=$P sh -c 'echo $$ >/sys/fs/cgroup/deleg/cgroup.procs &&
	exec /bin/vmhelper asuser 1000 /bin/sbxrun --policy $P/procs.sbxblob \
		--log /tmp/u/log.jsonl --var WORKSPACE=/tmp/u/ws -- /bin/vmhelper fork 60' \
	>/tmp/out 2>&1
rc=$?
show check4 $rc /tmp/u/log.jsonl /tmp/out
echo "  deleg after: $(ls $C/deleg | grep -E '^sbx-' | tr '\n' ' ')"
got=$(sed -n 's/.*got \([0-9]*\) of.*/\1/p' /tmp/out)
why=""
[ "$rc" = 0 ] || why="$why exit $rc;"
[ -n "$got" ] && [ "$got" -lt 20 ] || why="$why forked '$got' (want < 20);"
has '"user_namespace":true' /tmp/u/log.jsonl || why="$why no user namespace;"
has '"enforced_by":"cgroup v2 pids.max' /tmp/u/log.jsonl || why="$why no pids.max enforced_by;"
has '"limit":"processes"' /tmp/u/log.jsonl || why="$why no \"limit\":\"processes\";"
has '"cgroup":"/sys/fs/cgroup/deleg/sbx-' /tmp/u/log.jsonl || why="$why cgroup not .../deleg/sbx-*;"
result check4 "$why"

echo "VM DONE"
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.cpio.gz"

# --- boot -------------------------------------------------------------------
# KVM when it works: nested under another hypervisor, `-cpu host` can fail
# on an MSR (arch-capabilities) the outer one does not let through.
boot() {   # seconds, accelerator options...
	local secs=$1
	shift
	say "booting $KERNEL ($*)"
	timeout "$secs" qemu-system-x86_64 "$@" -m 512 -smp 2 -nographic -nic none -no-reboot \
		-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz" \
		-append "console=ttyS0 lsm=landlock,yama panic=-1 quiet loglevel=3" \
		</dev/null 2>&1 | tee "$WORK/console.raw"
	tr -d '\r' <"$WORK/console.raw" >"$WORK/console.log"
	grep -q '^VM kernel:' "$WORK/console.log"
}
set +e
[ -w /dev/kvm ] || [ "$ACCEL" = kvm ] || ACCEL=tcg
case $ACCEL in
kvm) boot 600 -enable-kvm -cpu host,-arch-capabilities ;;
tcg) boot 600 -accel tcg ;;
*) boot 45 -enable-kvm -cpu host,-arch-capabilities || boot 600 -accel tcg ;;
esac
set -e

# --- verdict ----------------------------------------------------------------
fails=0
for c in check1 check2 check3 check4 check5; do
	line=$(grep -m1 "^RESULT $c " "$WORK/console.log" || true)
	case $line in
	"RESULT $c PASS") echo "PASS $c" ;;
	"RESULT $c FAIL"*) echo "FAIL $c:${line#*FAIL:}"; fails=$((fails + 1)) ;;
	*) echo "FAIL $c: no result on the console (see $WORK/console.log)"; fails=$((fails + 1)) ;;
	esac
done
say "took $(($(date +%s) - START)) s; $fails failed"
[ "$fails" = 0 ]
