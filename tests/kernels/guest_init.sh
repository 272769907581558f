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

# link_is LINK TARGET: whether the symlink LINK points to TARGET.
link_is() {
    [ "$(readlink "$1")" = "$2" ]
}

# ring_fdinfo SCENARIO PID: every io_uring fd's fdinfo, as SCENARIO.fdinfo.N
ring_fdinfo() {
    for link in /proc/"$2"/fd/*; do
        link_is "$link" "anon_inode:[io_uring]" || continue
        emit_file "$1.fdinfo.${link##*/}" /proc/"$2"/fdinfo/"${link##*/}"
    done
}

# wait_until TRIES COMMAND...: runs COMMAND every 0.1 s until it succeeds,
# at most TRIES times; returns non-zero if it never did.
wait_until() {
    tries=$1
    shift
    until "$@"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

has_manifest() {
    grep -q '}' /tmp/"$HELPER_SCENARIO".manifest 2>/dev/null
}

helper_settled() {
    has_manifest || ! kill -0 "$HELPER_PID" 2>/dev/null
}

# start_helper SCENARIO COMMAND...: starts COMMAND, a helper that prints a
# one-line JSON manifest and then holds its objects until its stdin reaches
# EOF, and waits for the manifest (emitted as SCENARIO.manifest).  Its stdin
# is a fifo whose write end only a background sleep (KEEPER_PID) holds, so
# that nothing started meanwhile inherits it and helpers can run side by
# side.  Sets HELPER_SCENARIO and HELPER_PID; if the helper fails, emits
# its stderr with its exit status as SCENARIO.holder-err and returns 1.
start_helper() {
    HELPER_SCENARIO=$1
    shift
    fifo=/tmp/$HELPER_SCENARIO.in
    rm -f "$fifo"
    mkfifo "$fifo"
    "$@" <"$fifo" >/tmp/"$HELPER_SCENARIO".manifest 2>/tmp/"$HELPER_SCENARIO".holder-err &
    HELPER_PID=$!
    sleep 1000000 >"$fifo" &
    KEEPER_PID=$!
    wait_until 600 helper_settled
    if ! has_manifest; then
        kill "$HELPER_PID" "$KEEPER_PID" 2>/dev/null
        wait "$HELPER_PID"
        status=$?
        wait "$KEEPER_PID"
        emit "$HELPER_SCENARIO.holder-err" "$status" /tmp/"$HELPER_SCENARIO".holder-err
        return 1
    fi
    emit "$HELPER_SCENARIO.manifest" - /tmp/"$HELPER_SCENARIO".manifest
}

# stop_helper: EOF on the last started helper's stdin; emits its stderr with
# its exit status as SCENARIO.holder-exit.
stop_helper() {
    kill "$KEEPER_PID"
    wait "$KEEPER_PID"
    wait "$HELPER_PID"
    emit "$HELPER_SCENARIO.holder-exit" $? /tmp/"$HELPER_SCENARIO".holder-err
}

# start_holder SCENARIO SCRATCH FACTORY...: start_helper with uring_holder
# making those rings.
start_holder() {
    scenario=$1
    scratch=$2
    shift 2
    mkdir -p "$scratch"
    start_helper "$scenario" uring_holder "$@" "$scratch"
}

# as-nobody COMMAND...: runs COMMAND as uid 65534 (busybox's setpriv cannot
# change uids); a script, so that COMMAND keeps its pid in the background.
cat >/bin/as-nobody <<'EOF'
#!/bin/sh
exec su -s /bin/sh -c 'exec "$0" "$@"' -- nobody "$@"
EOF
chmod 755 /bin/as-nobody

say "kernel $(uname -r)"
data guest.uname "$(uname -r)"
emit_file guest.osrelease /proc/sys/kernel/osrelease
# The mount ids of pipefs and sockfs, for pseudo files that --deep reports
# with their mount (anon_inodefs's is in every ring fd's fdinfo).
: | emit_file guest.fdinfo.FIFO /proc/self/fdinfo/0
nc -l -p 7777 </dev/null >/dev/null 2>&1 &
nc_pid=$!
wait_until 100 test -S /proc/$nc_pid/fd/3
emit_file guest.fdinfo.SOCK /proc/$nc_pid/fdinfo/3
kill "$nc_pid"
wait "$nc_pid"

# ---- fixed files, fd-less rings, SQPOLL: a sparse table with awkward names,
# a ring of mixed types, a ring whose fd was registered and closed, an
# SQPOLL ring
say "scenario fixed: uring_holder sparse-table mixed-types registered-fd-closed sqpoll"
if start_holder fixed /tmp/fixed sparse-table mixed-types registered-fd-closed sqpoll; then
    pid=$HELPER_PID
    ring_fdinfo fixed "$pid"
    emit_file fixed.mountinfo /proc/"$pid"/mountinfo
    for task in /proc/"$pid"/task/*; do
        emit_file "fixed.comm.${task##*/}" "$task"/comm
    done
    # What /proc shows (--no-deep); the kernel view, required and by default.
    run fixed.json lshidden -J -p "$pid" --no-deep
    run fixed.raw lshidden -p "$pid" -o PID,SOURCE,SLOT,PATH -r -n --no-deep
    run fixed.table lshidden -p "$pid" --no-deep
    run fixed.all lshidden -a -J -p "$pid" --no-deep
    run fixed.every lshidden -J --no-deep
    run fixed.deep lshidden --deep -J -p "$pid"
    # -a of every process: fds and rings' details from the kernel view.
    run fixed.all-deep lshidden -a --deep -J
    run fixed.default lshidden -J -p "$pid"
    run fixed.nobtf env LSHIDDEN_DEEP_BTF=/nonexistent lshidden --deep -J -p "$pid"
    run fixed.nobtf-default env LSHIDDEN_DEEP_BTF=/nonexistent lshidden -J -p "$pid"
    stop_helper
fi

# ---- a ring with neither fd nor mapping (NO_MMAP | REGISTERED_FD_ONLY,
# Linux 6.5+; older kernels refuse the flags)
say "scenario nommap: uring_holder no-mmap-registered-only"
if start_holder nommap /tmp/nommap no-mmap-registered-only; then
    run nommap.json lshidden -J -p "$HELPER_PID" --no-deep
    run nommap.deep lshidden --deep -J -p "$HELPER_PID"
    stop_helper
fi

# ---- the kernel view without the privileges to load BPF: uid 65534 looks
# at its own ring, by default (/proc alone) and with --deep (an error)
say "scenario nobody"
mkdir -m 1777 /tmp/nobody
if start_helper nobody as-nobody uring_holder mixed-types /tmp/nobody; then
    run nobody.json as-nobody lshidden -J -p "$HELPER_PID" --no-deep
    run nobody.default as-nobody lshidden -J -p "$HELPER_PID"
    run nobody.deep as-nobody lshidden --deep -J -p "$HELPER_PID"
    stop_helper
fi

# ---- FUSE passthrough (Linux 6.9+): a server holding a backing id for each
# file of a tmpfs, and a client with one of them open.  Where the kernel has
# no passthrough the server serves reads itself.
say "scenario fuse"
F=/mnt/fuse
mkdir -p "$F/mnt" "$F/back"
[ -f /lib/modules/fuse.ko ] && run fuse.insmod insmod /lib/modules/fuse.ko
[ -c /dev/fuse ] || run fuse.mknod mknod /dev/fuse c 10 229
data fuse.devnode "$(stat -c '%F %t:%T' /dev/fuse 2>&1)"
data fuse.btf "$(ls /sys/kernel/btf)"
run fuse.tmpfs mount -t tmpfs -o size=8m lshback "$F/back"
echo alpha >"$F/back/alpha"
echo beta >"$F/back/beta"
if start_helper fuse-pt fuse_pt_server --preregister --watch-stdin "$F/mnt" "$F/back" ||
    start_helper fuse-plain fuse_pt_server --no-passthrough --watch-stdin "$F/mnt" "$F/back"
then
    sleep 100000 3<"$F/mnt/alpha" &
    client=$!
    wait_until 100 link_is /proc/$client/fd/3 "$F/mnt/alpha"
    data fuse.client-pid "$client"
    emit_file fuse.mountinfo /proc/self/mountinfo
    # Not -p SERVER: before 6.16 lshidden knows a connection's server
    # only from a mount of type fuse.COMMAND, and this one's is fuse.ptserver.
    run fuse.json lshidden -J --no-deep
    run fuse.deep lshidden --deep -J
    run fuse.mount lshidden --mount "$F/back" -J --no-deep
    run fuse.mount-deep lshidden --mount "$F/back" --deep -J
    kill "$client"
    wait "$client"
    stop_helper
    # Gone with its mount: no connection left to hold anything later.
    wait_until 100 sh -c '! ls -d /sys/fs/fuse/connections/[0-9]* >/dev/null 2>&1'
    data fuse.connections-after "$(ls /sys/fs/fuse/connections 2>&1)"
fi

# ---- a FUSE passthrough file that only a mapping holds: the client maps it
# and closes its fd, and the server closes the backing id at that close
say "scenario fusemap"
FM=/mnt/fusemap
mkdir -p "$FM/mnt" "$FM/back" /tmp/fusemap
run fusemap.tmpfs mount -t tmpfs -o size=8m lshmapback "$FM/back"
echo gamma >"$FM/back/gamma"
if start_helper fusemap-server fuse_pt_server --close-after-open --watch-stdin "$FM/mnt" "$FM/back"; then
    server_pid=$HELPER_PID
    server_keeper=$KEEPER_PID
    if start_helper fusemap-client mount_holder mmap "$FM/mnt/gamma" /tmp/fusemap; then
        emit_file fusemap.mountinfo /proc/self/mountinfo
        data fusemap.stat "$(stat -c '%d %i' "$FM/back/gamma")"
        run fusemap.umount umount "$FM/back"
        run fusemap.default lshidden --mount "$FM/back" -J
        run fusemap.procfs lshidden --mount "$FM/back" -J --no-deep
        stop_helper
    fi
    HELPER_SCENARIO=fusemap-server HELPER_PID=$server_pid KEEPER_PID=$server_keeper
    stop_helper
fi

# ---- lshidden --mount on a tmpfs with holders of every kind the guest can
# make: an open fd, a cwd, io_uring fixed files and an fd-less ring, a loop
# device, a binfmt_misc F interpreter, a submount, a copy of the mount in
# another mount namespace; and rings whose files are elsewhere, which only
# --deep can tell from the holders on these kernels.
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

if start_holder mount "$M/uring" registered-fd-closed sqpoll; then
    data mount.uring-pid "$HELPER_PID"
fi
# Rings whose files are elsewhere (one of them with no fd).
start_holder elsewhere /tmp/elsewhere mixed-types registered-fd-closed

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
ns_ready() {
    [ "$(readlink /proc/$ns_pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] &&
        [ "$(cat /proc/$ns_pid/comm)" = sleep ]
}
wait_until 300 ns_ready
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
run mount.json lshidden --mount "$M" -J --no-deep
run mount.deep lshidden --mount "$M" --deep -J
run mount.default lshidden --mount "$M" -J
run mount.json-inside lshidden --mount "$M/inside" -J --no-deep
run mount.table lshidden --mount "$M" --no-deep
run mount.raw lshidden --mount "$M" -o HOLDER,SOURCE,EFFECT,POSSIBLE,PID -n -r --no-deep
run mount.journal lshidden --mount "$M" --journal --no-deep

echo "@@done" >&9
exec 9>&-
say "done, powering off"
sync
poweroff -f
