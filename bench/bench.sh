#!/usr/bin/env bash
# Benchmark lshidden against lsof, lsfd and a floor program on a loaded host.
#
# Builds bench/loadgen.c and bench/floor.c, starts the load (hundreds of
# processes with dozens of fds each, tens of io_uring rings with hundreds of
# fixed files each), then times every mode of lshidden -- the default view
# (`lshidden`, a table), `lshidden -a` (table), `lshidden -a -J`, and their
# `--no-deep` twins (/proc alone) -- beside `lsof -n -P`, `lsfd -J` and the
# floor program (the syscalls a minimal scanner needs, writing as many bytes
# as the mode it stands for), in interleaved rounds.  It prints medians,
# minimums, CPU time, peak RSS, row counts and the ratios against the
# targets of issue 14 (by median wall time).  The kernel view needs root (or
# CAP_BPF and CAP_PERFMON); without it the default is the /proc scan, and
# the bench says so.
#
# This is a benchmark, not a test: it is not registered with ctest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

procs=300 fds=40 rings=20 fixed=300 rounds=5
lshidden=
outdir="$repo/build/bench"
strict=0

usage() {
    cat <<EOF
usage: bench/bench.sh [options]
  -n, --procs N      load processes (default $procs)
  -m, --fds M        fds held by each load process (default $fds)
  -r, --rings R      io_uring rings (default $rings)
  -f, --fixed F      fixed files per ring (default $fixed)
  -R, --rounds K     timed rounds (default $rounds)
  -b, --lshidden P   lshidden binary (default build/lshidden, built with cmake if missing)
  -o, --outdir D     where loadgen and floor are compiled (default build/bench)
      --strict       exit 1 if a target is not met
  -h, --help
Run as root for a fair comparison (all the tools then see every process).
EOF
}

num() { [[ $2 =~ ^[0-9]+$ ]] || { echo "bench.sh: $1 needs a number, got '$2'" >&2; exit 2; }; }
while (($#)); do
    case $1 in
        -n|--procs)    num "$1" "${2-}"; procs=$2; shift 2 ;;
        -m|--fds)      num "$1" "${2-}"; fds=$2; shift 2 ;;
        -r|--rings)    num "$1" "${2-}"; rings=$2; shift 2 ;;
        -f|--fixed)    num "$1" "${2-}"; fixed=$2; shift 2 ;;
        -R|--rounds)   num "$1" "${2-}"; rounds=$2; shift 2 ;;
        -b|--lshidden) lshidden=${2:?}; shift 2 ;;
        -o|--outdir)   outdir=${2:?}; shift 2 ;;
        --strict)      strict=1; shift ;;
        -h|--help)     usage; exit 0 ;;
        *) echo "bench.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
((rounds >= 1 && procs >= 1)) || { echo "bench.sh: need at least 1 round and 1 process" >&2; exit 2; }

# ------------------------------------------------------------ prerequisites
missing=()
command -v lsof >/dev/null || missing+=("lsof (Debian package: lsof)")
command -v lsfd >/dev/null || missing+=("lsfd (Debian package: util-linux, >= 2.38)")
command -v cc   >/dev/null || missing+=("cc (Debian package: gcc)")
[[ -e /usr/include/liburing.h ]] || missing+=("liburing.h (Debian package: liburing-dev)")
if ((${#missing[@]})); then
    printf 'bench.sh: missing: %s\n' "${missing[@]}" >&2
    exit 2
fi
if command -v python3 >/dev/null; then jsoncount=python3
elif command -v jq >/dev/null; then jsoncount=jq
else jsoncount=none
fi
((EUID == 0)) || echo "bench.sh: warning: not root; the tools will not see other users' files" >&2

if [[ -z $lshidden ]]; then
    lshidden="$repo/build/lshidden"
    if [[ ! -x $lshidden ]]; then
        echo "bench.sh: building lshidden with cmake" >&2
        cmake -S "$repo" -B "$repo/build" >&2
        cmake --build "$repo/build" --target lshidden >&2
    fi
fi
[[ -x $lshidden ]] || { echo "bench.sh: $lshidden is not an executable" >&2; exit 2; }
lshidden=$(cd "$(dirname "$lshidden")" && pwd)/$(basename "$lshidden")

mkdir -p "$outdir"
loadgen="$outdir/loadgen"
if [[ ! -x $loadgen || $here/loadgen.c -nt $loadgen ]]; then
    cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "$here/loadgen.c" -o "$loadgen" -luring
fi
floor="$outdir/floor"
if [[ ! -x $floor || $here/floor.c -nt $floor ]]; then
    cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "$here/floor.c" -o "$floor" -pthread
fi

# ------------------------------------------------------------ load
work=$(mktemp -d "${TMPDIR:-/tmp}/lshidden-bench.XXXXXX")
lg_pid=
ctl=
# shellcheck disable=SC2317  # invoked through trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $ctl ]]; then exec {ctl}>&-; fi   # EOF on loadgen's stdin
    if [[ -n $lg_pid ]] && kill -0 "$lg_pid" 2>/dev/null; then
        kill -TERM "$lg_pid" 2>/dev/null || true
        wait "$lg_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# loadgen stops on EOF on its stdin: hold a FIFO open (read-write, so the
# open never blocks) and close it in cleanup(); SIGTERM is the fallback.
mkfifo "$work/ctl"
exec {ctl}<>"$work/ctl"
"$loadgen" -n "$procs" -m "$fds" -r "$rings" -f "$fixed" -d "$work" \
    <"$work/ctl" >"$work/loadgen.out" 2>"$work/loadgen.err" &
lg_pid=$!

echo "starting load: $procs processes x $fds fds, $rings rings x $fixed fixed files ..." >&2
deadline=$((SECONDS + 120 + procs / 10))
until grep -q '^ready' "$work/loadgen.out" 2>/dev/null; do
    if ! kill -0 "$lg_pid" 2>/dev/null || ((SECONDS > deadline)); then
        echo "bench.sh: loadgen did not get ready:" >&2
        cat "$work/loadgen.err" >&2
        exit 1
    fi
    sleep 0.1
done

# ------------------------------------------------------------ measuring
# def/all/json: lshidden, -a, -a -J; the nd_ twins add --no-deep; floor_X
# is the floor program writing as many bytes as X did in the warm-up.
tools=(def all json nd_def nd_all nd_json lsof lsfd floor_def floor_all floor_json)
declare -A label=([def]="lshidden" [all]="lshidden -a" [json]="lshidden -a -J"
    [nd_def]="lshidden --no-deep" [nd_all]="lshidden -a --no-deep" [nd_json]="lshidden -a -J --no-deep"
    [lsof]="lsof -n -P" [lsfd]="lsfd -J"
    [floor_def]="floor (bytes of lshidden)" [floor_all]="floor (bytes of -a)" [floor_json]="floor (bytes of -a -J)")
declare -A wall user sys rss fails bytes
for t in "${tools[@]}"; do wall[$t]='' user[$t]='' sys[$t]='' rss[$t]='' fails[$t]=0 bytes[$t]=0; done

command_of() { # tool -> the command in cmd[]
    case $1 in
        def)     cmd=("$lshidden") ;;
        all)     cmd=("$lshidden" -a) ;;
        json)    cmd=("$lshidden" -a -J) ;;
        nd_def)  cmd=("$lshidden" --no-deep) ;;
        nd_all)  cmd=("$lshidden" -a --no-deep) ;;
        nd_json) cmd=("$lshidden" -a -J --no-deep) ;;
        lsof)    cmd=(lsof -n -P) ;;
        lsfd)    cmd=(lsfd -J) ;;
        floor_*) cmd=("$floor" -b "${bytes[${1#floor_}]}") ;;
    esac
}

# timed TOOL OUT: run once under `loadgen -T` (CLOCK_MONOTONIC wall time,
# wait4() CPU times and peak RSS), stdout to OUT, stderr appended to
# $work/TOOL.err.
timed() {
    local t=$1 out=$2 w u s st m cmd
    command_of "$t"
    "$loadgen" -T "$work/time" -- "${cmd[@]}" >"$out" 2>>"$work/$t.err" || true
    read -r w u s st m <"$work/time"
    # lshidden: 0 = rows printed, 1 = no rows (the default view on a host
    # with nothing hidden); anything else is a failure.
    if ((st > 1)) || { ((st != 0)) && [[ $t != def && $t != nd_def ]]; }; then
        fails[$t]=$((fails[$t] + 1))
    fi
    last_wall=$w last_user=$u last_sys=$s last_rss=${m:-0}
}

# Warm-up: each tool once (the floors last: they need the byte counts);
# the output is kept for the row and byte counts.
for t in "${tools[@]}"; do
    timed "$t" "$work/$t.out"
    fails[$t]=0
    bytes[$t]=$(stat -c %s "$work/$t.out")
done

count_json() { # file key -> "total loadgen hidden"
    case $jsoncount in
        python3) python3 - "$1" "$2" 2>/dev/null <<'EOF'
import json, sys
try:
    rows = json.load(open(sys.argv[1]))[sys.argv[2]]
    print(len(rows), sum(r.get("command") == "loadgen" for r in rows),
          sum(r.get("hidden") is True for r in rows))
except Exception as e:
    print("n/a n/a n/a")
EOF
        ;;
        jq) jq -r --arg k "$2" '.[$k] | "\(length) \(map(select(.command=="loadgen"))|length) \(map(select(.hidden==true))|length)"' "$1" 2>/dev/null \
                || echo "n/a n/a n/a" ;;
        *) echo "n/a n/a n/a" ;;
    esac
}
# A table with headers, COMMAND first -> "total loadgen -".
count_table() { awk 'NR > 1 { n++; if ($1 == "loadgen") l++ } END { print n + 0, l + 0, "-" }' "$1"; }
declare -A rows lgrows hidden
read -r 'rows[json]' 'lgrows[json]' 'hidden[json]' < <(count_json "$work/json.out" files)
read -r 'rows[nd_json]' 'lgrows[nd_json]' 'hidden[nd_json]' < <(count_json "$work/nd_json.out" files)
for t in def all nd_def nd_all; do
    read -r "rows[$t]" "lgrows[$t]" "hidden[$t]" < <(count_table "$work/$t.out")
done
for t in floor_def floor_all floor_json; do rows[$t]=- lgrows[$t]=- hidden[$t]=-; done
# Where the kernel view cannot run the default is the /proc scan: say so.
view_status=0
"$lshidden" --deep -p $$ -J >/dev/null 2>"$work/view.err" || view_status=$?
if ((view_status == 2)); then
    echo "bench.sh: the kernel view cannot run here, so the default is the /proc scan:" >&2
    sed 's/^/    /' "$work/view.err" >&2
    view_missing=1
fi
read -r 'rows[lsfd]' 'lgrows[lsfd]' 'hidden[lsfd]' < <(count_json "$work/lsfd.out" lsfd)
hidden[lsfd]=-
read -r 'rows[lsof]' 'lgrows[lsof]' < <(awk 'NR > 1 { n++; if ($1 == "loadgen") l++ } END { print n + 0, l + 0 }' "$work/lsof.out")
hidden[lsof]=-
floor_note=$(grep -h '^floor:' "$work/floor_all.err" | head -1 || true)
rm -f "$work"/*.out "$work"/floor_*.err

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "running $rounds interleaved rounds of ${#tools[@]} commands ..." >&2
for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < ${#tools[@]}; i++)); do   # rotate the order every round
        t=${tools[$(((r + i) % ${#tools[@]}))]}
        timed "$t" /dev/null
        wall[$t]+="$last_wall " user[$t]+="$last_user " sys[$t]+="$last_sys " rss[$t]+="$last_rss "
    done
done
kill -0 "$lg_pid" 2>/dev/null || { echo "bench.sh: loadgen died during the run" >&2; exit 1; }

# ------------------------------------------------------------ report
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n |
    awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' <<<"$1" | grep . | sort -n | head -1; }
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
mib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1024 }'; }

declare -A med mn cpu mrss
for t in "${tools[@]}"; do
    med[$t]=$(median "${wall[$t]}") mn[$t]=$(minimum "${wall[$t]}") mrss[$t]=$(median "${rss[$t]}")
    cpu[$t]=$(awk -v u="$(median "${user[$t]}")" -v s="$(median "${sys[$t]}")" 'BEGIN { print u + s }')
done

lsof_v=$(lsof -v 2>&1 | awk '/revision:/ { print $2; exit }')
lsfd_v=$(lsfd --version 2>/dev/null | awk '{ print $NF }')
lsh_v=$("$lshidden" -V 2>/dev/null | head -1 || true)
echo
echo "host: Linux $(uname -r), $(nproc) cores; lsof ${lsof_v:-?}, lsfd ${lsfd_v:-?}, ${lsh_v:-lshidden ?} ($lshidden)"
echo "load: $procs processes x $fds fds, $rings rings x $fixed fixed files ($((rings * fixed)) fixed slots); $rounds rounds"
echo "${floor_note:-floor: ?}"
echo
row_format='%-27s %9s %9s %8s %8s %8s %8s %8s %8s %7s\n'
# shellcheck disable=SC2059  # the format is ours
printf "$row_format" command "median ms" "min ms" "user ms" "sys ms" "RSS MiB" "out KiB" rows loadgen hidden
for t in "${tools[@]}"; do
    # shellcheck disable=SC2059
    printf "$row_format" "${label[$t]}" "$(ms "${med[$t]}")" "$(ms "${mn[$t]}")" \
        "$(ms "$(median "${user[$t]}")")" "$(ms "$(median "${sys[$t]}")")" "$(mib "${mrss[$t]}")" \
        "$((bytes[$t] / 1024))" "${rows[$t]}" "${lgrows[$t]}" "${hidden[$t]}"
done
echo "(medians over the rounds; RSS: peak resident set from wait4(); out: bytes written in the warm-up;"
echo " rows: records in the warm-up; hidden: uring-fixed/uring-ring rows)"
for t in "${tools[@]}"; do
    if ((fails[$t])); then echo "warning: ${label[$t]} failed in ${fails[$t]} of $rounds rounds"; fi
    # The floor's one line on stderr is its summary, shown above.
    if [[ -s $work/$t.err && $t != floor_* ]]; then
        echo "note: ${label[$t]} wrote to stderr, e.g.:"; sort -u "$work/$t.err" | head -3 | sed 's/^/    /'
    fi
done
echo

met=1
# ratio KIND A B TARGET: A/B of the median wall time (time), CPU time
# (cpu: user+sys) or peak RSS (rss); TARGET - is informational, and a
# missed target makes --strict fail.
ratio() {
    local kind=$1 a=$2 b=$3 target=$4 va vb r ok
    case $kind in
        time) va=${med[$a]} vb=${med[$b]} ;;
        cpu)  va=${cpu[$a]} vb=${cpu[$b]} ;;
        rss)  va=${mrss[$a]} vb=${mrss[$b]} ;;
    esac
    r=$(awk -v a="$va" -v b="$vb" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
    if [[ $target == - ]]; then ok="(informational)"
    elif awk -v r="$r" -v t="$target" 'BEGIN { exit !(r != "n/a" && r <= t) }'; then ok="target <= $target: met"
    else ok="target <= $target: NOT met"; met=0
    fi
    printf '%-4s %-25s / %-25s %7s   %s\n' "$kind" "${label[$a]}" "${label[$b]}" "$r" "$ok"
}
echo "ratios (time: median wall time; cpu: median user+sys; rss: median peak RSS):"
ratio time def lsof 0.25
ratio time all lsof 0.35
ratio time all json 1.3
ratio time json lsof 0.25
ratio time json lsfd 0.2
ratio rss all json 1.3
ratio rss def json 1.3
for t in def all json; do ratio time "$t" "floor_$t" 1.5; done
for t in def all json; do ratio time "nd_$t" "floor_$t" 1.5; done
# The kernel view's cost over the /proc scan alone.
if [[ -z ${view_missing-} ]]; then
    for t in def all json; do ratio time "$t" "nd_$t" -; done
fi
# CPU time is less sensitive than wall time to other work on the host.
ratio cpu all json -
ratio cpu def lsof -
ratio cpu json lsof -
ratio cpu json lsfd -
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"

if ((strict && !met)); then exit 1; fi
exit 0
