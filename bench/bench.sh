#!/usr/bin/env bash
# Benchmark lshidden against lsof and lsfd on a loaded host.
#
# Builds bench/loadgen.c, starts it (hundreds of processes with dozens of fds
# each, tens of io_uring rings with hundreds of fixed files each), then times
# `lshidden -a -J` (the default: the kernel view where it can be loaded),
# `lshidden -a -J --no-deep` (/proc alone), `lsof -n -P` and `lsfd -J` in
# interleaved rounds and prints medians, minimums, row counts and the ratios
# against the targets (lshidden <= 0.2x lsof and <= 0.5x lsfd, and the
# kernel view <= 2x the /proc scan, by median wall time).  The kernel view
# needs root (or CAP_BPF and CAP_PERFMON); without it the default is the
# /proc scan, and the bench says so.
#
# This is a benchmark, not a test: it is not registered with ctest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

procs=300 fds=40 rings=20 fixed=300 rounds=10
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
  -o, --outdir D     where loadgen is compiled (default build/bench)
      --strict       exit 1 if a target is not met
  -h, --help
Run as root for a fair comparison (all three tools then see every process).
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
tools=(lshidden procfs lsof lsfd)
declare -A label=([lshidden]="lshidden -a -J" [procfs]="lshidden -a -J --no-deep"
    [lsof]="lsof -n -P" [lsfd]="lsfd -J")
declare -A wall user sys fails
for t in "${tools[@]}"; do wall[$t]='' user[$t]='' sys[$t]='' fails[$t]=0; done

# timed TOOL OUT: run once under `loadgen -T` (CLOCK_MONOTONIC wall time and
# wait4() CPU times), stdout to OUT, stderr appended to $work/TOOL.err.
timed() {
    local t=$1 out=$2 w u s st
    case $t in
        lshidden) "$loadgen" -T "$work/time" -- "$lshidden" -a -J >"$out" 2>>"$work/$t.err" || true ;;
        procfs)   "$loadgen" -T "$work/time" -- "$lshidden" -a -J --no-deep >"$out" 2>>"$work/$t.err" || true ;;
        lsof)     "$loadgen" -T "$work/time" -- lsof -n -P        >"$out" 2>>"$work/$t.err" || true ;;
        lsfd)     "$loadgen" -T "$work/time" -- lsfd -J           >"$out" 2>>"$work/$t.err" || true ;;
    esac
    read -r w u s st <"$work/time"
    # lshidden: 0 = rows printed, 1 = no rows; anything else is a failure.
    if ((st != 0)); then fails[$t]=$((fails[$t] + 1)); fi
    last_wall=$w last_user=$u last_sys=$s
}

# Warm-up: each tool once; its output is kept for the row counts.
for t in "${tools[@]}"; do
    timed "$t" "$work/$t.out"
    fails[$t]=0
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
declare -A rows lgrows hidden
read -r 'rows[lshidden]' 'lgrows[lshidden]' 'hidden[lshidden]' < <(count_json "$work/lshidden.out" files)
read -r 'rows[procfs]' 'lgrows[procfs]' 'hidden[procfs]' < <(count_json "$work/procfs.out" files)
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
rm -f "$work"/*.out

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "running $rounds interleaved rounds ..." >&2
for ((r = 0; r < rounds; r++)); do
    for ((i = 0; i < ${#tools[@]}; i++)); do   # rotate the order every round
        t=${tools[$(((r + i) % ${#tools[@]}))]}
        timed "$t" /dev/null
        wall[$t]+="$last_wall " user[$t]+="$last_user " sys[$t]+="$last_sys "
    done
done
kill -0 "$lg_pid" 2>/dev/null || { echo "bench.sh: loadgen died during the run" >&2; exit 1; }

# ------------------------------------------------------------ report
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n |
    awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minimum() { tr ' ' '\n' <<<"$1" | grep . | sort -n | head -1; }
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }

declare -A med mn
for t in "${tools[@]}"; do med[$t]=$(median "${wall[$t]}"); mn[$t]=$(minimum "${wall[$t]}"); done

lsof_v=$(lsof -v 2>&1 | awk '/revision:/ { print $2; exit }')
lsfd_v=$(lsfd --version 2>/dev/null | awk '{ print $NF }')
lsh_v=$("$lshidden" -V 2>/dev/null | head -1 || true)
echo
echo "host: Linux $(uname -r), $(nproc) cores; lsof ${lsof_v:-?}, lsfd ${lsfd_v:-?}, ${lsh_v:-lshidden ?} ($lshidden)"
echo "load: $procs processes x $fds fds, $rings rings x $fixed fixed files ($((rings * fixed)) fixed slots); $rounds rounds"
echo
printf '%-22s %10s %10s %10s %10s %8s %13s %7s\n' tool "median ms" "min ms" "user ms" "sys ms" rows "loadgen rows" hidden
for t in "${tools[@]}"; do
    printf '%-22s %10s %10s %10s %10s %8s %13s %7s\n' "${label[$t]}" "$(ms "${med[$t]}")" "$(ms "${mn[$t]}")" \
        "$(ms "$(median "${user[$t]}")")" "$(ms "$(median "${sys[$t]}")")" "${rows[$t]}" "${lgrows[$t]}" "${hidden[$t]}"
done
echo "(user/sys: median CPU time of the tool process; rows: records in one warm-up run; hidden: uring-fixed/uring-ring rows)"
for t in "${tools[@]}"; do
    if ((fails[$t])); then echo "warning: ${label[$t]} exited non-zero in ${fails[$t]} of $rounds rounds"; fi
    if [[ -s $work/$t.err ]]; then
        echo "note: ${label[$t]} wrote to stderr, e.g.:"; sort -u "$work/$t.err" | head -3 | sed 's/^/    /'
    fi
done
echo

met=1
ratio() { # tool other target
    local t=$1 o=$2 target=$3 rmed rmin ok
    rmed=$(awk -v a="${med[$t]}" -v b="${med[$o]}" 'BEGIN { printf "%.3f", a / b }')
    rmin=$(awk -v a="${mn[$t]}" -v b="${mn[$o]}" 'BEGIN { printf "%.3f", a / b }')
    if awk -v r="$rmed" -v t="$target" 'BEGIN { exit !(r <= t) }'; then ok=met; else ok="NOT met"; met=0; fi
    printf '%-24s median %6s   min %6s   target <= %s: %s\n' "$t/$o" "$rmed" "$rmin" "$target" "$ok"
}
ratio lshidden lsof 0.2
ratio lshidden lsfd 0.5
if [[ -z ${view_missing-} ]]; then ratio lshidden procfs 2; fi
# CPU time is less sensitive than wall time to other work on the host.
for o in lsof lsfd; do
    awk -v o="$o" -v lu="$(median "${user[lshidden]}")" -v ls="$(median "${sys[lshidden]}")" \
        -v ou="$(median "${user[$o]}")" -v os="$(median "${sys[$o]}")" \
        'BEGIN { printf "lshidden/%-5s CPU (user+sys, medians) %.3f  (informational)\n", o, (lu + ls) / (ou + os) }'
done
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"

if ((strict && !met)); then exit 1; fi
exit 0
