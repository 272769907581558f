#!/bin/busybox sh
# /init of the kernel-matrix guest (tests/kernels/test_kernel_matrix.py).
#
# Runs the live scenarios under the guest's own kernel and writes every
# output to the second serial port (/dev/ttyS1, only this script writes
# there), one block per output:
#   @@begin NAME
#   <the output, base64>
#   @@end NAME STATUS
# NAME is "scenario.what"; STATUS is the command's exit status (or "-" for
# plain data).  "@@done" closes the stream; then the guest powers off.  The
# host parses the blocks and asserts on them; nothing is judged here.
# The console (/dev/ttyS0) only gets progress lines, for a failure report.

# The initramfs has no /dev/console node (building it needs no root), so
# the kernel started us with no stdin/stdout/stderr: open them first.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
# Sanitizer options and the like, from the host's environment.
[ -f /etc/lshidden-guest.env ] && . /etc/lshidden-guest.env

OUT=/dev/ttyS1
stty -F "$OUT" raw -echo 2>/dev/null
exec 9>"$OUT"

say() {
    echo "guest: $*" >/dev/console
}

# emit NAME STATUS FILE
emit() {
    echo "@@begin $1" >&9
    base64 "$3" >&9
    echo "@@end $1 $2" >&9
}

# run NAME COMMAND...: runs COMMAND, emits its stdout as NAME.out and its
# stderr as NAME.err, both with its exit status.  No timeout here: a hang is
# caught by the host's timeout for the whole boot, which names the last
# output (busybox timeout would leave a watchdog process behind that exits
# in the middle of the next command's scan of /proc).
run() {
    name=$1
    shift
    "$@" >/tmp/run.out 2>/tmp/run.err </dev/null
    status=$?
    emit "$name.out" "$status" /tmp/run.out
    emit "$name.err" "$status" /tmp/run.err
    return "$status"
}

# data NAME TEXT...: emits a line of text as NAME.
data() {
    name=$1
    shift
    echo "$*" >/tmp/data.txt
    emit "$name" - /tmp/data.txt
}

# emit_file NAME PATH: emits a file (e.g. from /proc) as NAME.
emit_file() {
    cat "$2" >/tmp/file.txt 2>&1
    emit "$1" $? /tmp/file.txt
}

# ring_fdinfo SCENARIO PID: every io_uring fd's fdinfo, as SCENARIO.fdinfo.N
ring_fdinfo() {
    for link in /proc/"$2"/fd/*; do
        [ "$(readlink "$link")" = "anon_inode:[io_uring]" ] || continue
        emit_file "$1.fdinfo.${link##*/}" /proc/"$2"/fdinfo/"${link##*/}"
    done
}

# start_holder SCENARIO SCRATCH HELPER-ARGS...: starts uring_holder with its
# stdin on a fifo (held open on fd 8) and waits for its manifest.  Sets
# HOLDER_PID; returns non-zero (after emitting its stderr) if it failed.
start_holder() {
    scenario=$1
    scratch=$2
    shift 2
    mkdir -p "$scratch"
    rm -f /tmp/holder.in
    mkfifo /tmp/holder.in
    uring_holder "$@" "$scratch" </tmp/holder.in >/tmp/"$scenario".manifest \
        2>/tmp/"$scenario".holder-err &
    HOLDER_PID=$!
    exec 8>/tmp/holder.in
    waited=0
    until grep -q '}' /tmp/"$scenario".manifest 2>/dev/null; do
        if ! kill -0 "$HOLDER_PID" 2>/dev/null || [ "$waited" -ge 600 ]; then
            emit "$scenario.holder-err" - /tmp/"$scenario".holder-err
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    emit "$scenario.manifest" - /tmp/"$scenario".manifest
    return 0
}

# stop_holder SCENARIO: EOF on the helper's stdin; emits its exit status.
stop_holder() {
    exec 8>&-
    wait "$HOLDER_PID"
    emit "$1.holder-exit" $? /tmp/"$1".holder-err
}

say "kernel $(uname -r)"
data guest.uname "$(uname -r)"
emit_file guest.osrelease /proc/sys/kernel/osrelease

# ---- fixed files, fd-less rings, SQPOLL (uring_holder scenarios a-d) ------
say "scenario fixed: uring_holder a,b,c,d"
if start_holder fixed /tmp/fixed --scenarios a,b,c,d; then
    pid=$HOLDER_PID
    ring_fdinfo fixed "$pid"
    emit_file fixed.mountinfo /proc/"$pid"/mountinfo
    for task in /proc/"$pid"/task/*; do
        emit_file "fixed.comm.${task##*/}" "$task"/comm
    done
    run fixed.json lshidden -J -p "$pid"
    run fixed.raw lshidden -p "$pid" -o PID,SOURCE,SLOT,PATH -r -n
    run fixed.table lshidden -p "$pid"
    run fixed.all lshidden -a -J -p "$pid"
    run fixed.every lshidden -J
    stop_holder fixed
fi

# ---- lshidden --mount on a tmpfs with holders of every kind the guest can
# make: an open fd, a cwd, io_uring fixed files and an fd-less ring, a loop
# device, a binfmt_misc F interpreter, a submount, a copy of the mount in
# another mount namespace.
say "scenario mount"
M=/mnt/m
mkdir -p "$M"
run mount.tmpfs mount -t tmpfs -o size=32m,mode=755 lshtest "$M"
mkdir "$M/inside" "$M/cwd" "$M/sub"

: >"$M/open file"
sleep 100000 3<>"$M/open file" &
data mount.fd-pid "$!"
(cd "$M/cwd" && exec sleep 100000) &
data mount.cwd-pid "$!"

if start_holder mount "$M/uring" --scenarios c,d; then
    data mount.uring-pid "$HOLDER_PID"
fi

truncate -s 4M "$M/backing.img"
run mount.insmod-loop insmod /lib/modules/loop.ko
run mount.losetup losetup /dev/loop0 "$M/backing.img"

printf '#!/bin/sh\nexit 0\n' >"$M/interp"
chmod 755 "$M/interp"
run mount.insmod-binfmt insmod /lib/modules/binfmt_misc.ko
run mount.binfmt-mount mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
run mount.binfmt-register sh -c \
    "echo ':lshtest:E::lshtestext::$M/interp:F' >/proc/sys/fs/binfmt_misc/register"
emit_file mount.binfmt-entry /proc/sys/fs/binfmt_misc/lshtest

run mount.submount mount -t tmpfs -o size=1m lshsub "$M/sub"

unshare -m --propagation private sleep 100000 &
ns_pid=$!
waited=0
while [ "$(readlink /proc/$ns_pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] ||
    [ "$(cat /proc/$ns_pid/comm)" != sleep ]; do
    [ "$waited" -ge 300 ] && break
    sleep 0.1
    waited=$((waited + 1))
done
data mount.ns-pid "$ns_pid"
data mount.ns "$(readlink /proc/$ns_pid/ns/mnt)"

emit_file mount.mountinfo /proc/self/mountinfo
emit_file mount.ns-mountinfo /proc/"$ns_pid"/mountinfo
data mount.stat.open-file "$(stat -c '%d %i' "$M/open file")"
data mount.stat.cwd "$(stat -c '%d %i' "$M/cwd")"
data mount.stat.backing "$(stat -c '%d %i' "$M/backing.img")"
data mount.stat.interp "$(stat -c '%d %i' "$M/interp")"
data mount.stat.sub "$(stat -c '%d %i' "$M/sub")"
run mount.umount umount "$M"
run mount.json lshidden --mount "$M" -J
run mount.json-inside lshidden --mount "$M/inside" -J
run mount.table lshidden --mount "$M"
run mount.raw lshidden --mount "$M" -o HOLDER,SOURCE,EFFECT,POSSIBLE,PID -n -r
run mount.journal lshidden --mount "$M" --journal

echo "@@done" >&9
exec 9>&-
say "done, powering off"
sync
poweroff -f
