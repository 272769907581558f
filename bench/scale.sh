#!/usr/bin/env bash
# Scale benchmark: lshidden on a host with thousands of processes and a
# million io_uring fixed files, at two sizes (half, then full), so that
# linearity shows.
#
# For each size it starts bench/loadgen (PROCS processes x FDS fds, RINGS
# rings x FIXED fixed files), runs every mode ROUNDS times and prints the
# median wall time, CPU time, peak RSS, rows and the cost per row; then,
# per mode, the per-row cost at full size over that at half size (about 1
# when time is linear) and the peak RSS at full size against the issue's
# bound (400 MiB).  It raises RLIMIT_NOFILE, and fs.nr_open, fs.file-max
# and kernel.pid_max where they are too low, and restores the sysctls on
# exit.  Root only.  This is a benchmark, not a test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

procs=5000 fds=20 rings=50 fixed=20000 rounds=1
lshidden=
outdir="$repo/build/bench"
strict=0
rss_bound_mib=400 linear_bound=1.25

usage() {
    cat <<EOF
usage: bench/scale.sh [options]
  -n, --procs N      load processes at full size (default $procs)
  -m, --fds M        fds held by each load process (default $fds)
  -r, --rings R      io_uring rings (default $rings)
  -f, --fixed F      fixed files per ring at full size (default $fixed: 1 M in all)
  -R, --rounds K     runs of each mode at each size; medians (default $rounds)
  -b, --lshidden P   lshidden binary (default build/lshidden, built with cmake if missing)
  -o, --outdir D     where loadgen is compiled (default build/bench)
      --strict       exit 1 if a mode goes over $rss_bound_mib MiB or its CPU time per
                     row grows more than ${linear_bound}x from half to full size
  -h, --help
The half size halves PROCS and FIXED.  A quick check: -n 500 -f 2000.
EOF
}

num() { [[ $2 =~ ^[0-9]+$ ]] || { echo "scale.sh: $1 needs a number, got '$2'" >&2; exit 2; }; }
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
        *) echo "scale.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
((rounds >= 1 && procs >= 2)) || { echo "scale.sh: need at least 1 round and 2 processes" >&2; exit 2; }
((EUID == 0)) || { echo "scale.sh: run as root (it raises limits and sees every process)" >&2; exit 2; }
[[ -e /usr/include/liburing.h ]] || { echo "scale.sh: missing liburing.h (Debian package: liburing-dev)" >&2; exit 2; }

if [[ -z $lshidden ]]; then
    lshidden="$repo/build/lshidden"
    if [[ ! -x $lshidden ]]; then
        echo "scale.sh: building lshidden with cmake" >&2
        cmake -S "$repo" -B "$repo/build" >&2
        cmake --build "$repo/build" --target lshidden >&2
    fi
fi
[[ -x $lshidden ]] || { echo "scale.sh: $lshidden is not an executable" >&2; exit 2; }
mkdir -p "$outdir"
loadgen="$outdir/loadgen"
if [[ ! -x $loadgen || $here/loadgen.c -nt $loadgen ]]; then
    cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "$here/loadgen.c" -o "$loadgen" -luring
fi

# ------------------------------------------------------------ limits
declare -A sysctl_saved
work=$(mktemp -d "${TMPDIR:-/tmp}/lshidden-scale.XXXXXX")
lg_pid=
# shellcheck disable=SC2317  # invoked through trap
stop_load() {
    if [[ -n $lg_pid ]] && kill -0 "$lg_pid" 2>/dev/null; then
        kill -TERM "$lg_pid" 2>/dev/null || true
        wait "$lg_pid" 2>/dev/null || true
    fi
    lg_pid=
}
# shellcheck disable=SC2317
cleanup() {
    local rc=$? key
    trap - EXIT INT TERM
    stop_load
    for key in "${!sysctl_saved[@]}"; do
        sysctl -qw "$key=${sysctl_saved[$key]}" || echo "scale.sh: could not restore $key" >&2
    done
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# at_least KEY MIN: raise a sysctl to MIN, remembering the old value.
at_least() {
    local key=$1 min=$2 cur
    cur=$(sysctl -n "$key")
    if ((cur < min)); then
        sysctl_saved[$key]=$cur
        sysctl -qw "$key=$min"
        echo "scale.sh: raised $key from $cur to $min (restored on exit)" >&2
    fi
}
# The kernel caps a fixed-file table at RLIMIT_NOFILE, which is capped at
# fs.nr_open; every fixed file is an open file for fs.file-max.
nofile=$((fixed + fds + 1024))
at_least fs.nr_open "$nofile"
at_least fs.file-max $((2 * (procs * (fds + 8) + rings * fixed) + 65536))
running=(/proc/[0-9]*)
at_least kernel.pid_max $((${#running[@]} + 2 * procs + 4096))
if (($(ulimit -Hn) < nofile)); then ulimit -Hn "$nofile"; fi
if (($(ulimit -Sn) < nofile)); then ulimit -Sn "$nofile"; fi

# ------------------------------------------------------------ measuring
modes=(def all json nd_all nd_json)
declare -A label=([def]="lshidden" [all]="lshidden -a" [json]="lshidden -a -J"
    [nd_all]="lshidden -a --no-deep" [nd_json]="lshidden -a -J --no-deep")
command_of() {
    case $1 in
        def)     cmd=("$lshidden") ;;
        all)     cmd=("$lshidden" -a) ;;
        json)    cmd=("$lshidden" -a -J) ;;
        nd_all)  cmd=("$lshidden" -a --no-deep) ;;
        nd_json) cmd=("$lshidden" -a -J --no-deep) ;;
    esac
}
# Rows of an output on stdin: JSON rows are one a line, tables have a header.
count_rows() {
    case $1 in
        json|nd_json) grep -c '^    {' || true ;;
        *) awk 'END { print (NR > 0 ? NR - 1 : 0) }' ;;
    esac
}

start_load() { # procs fixed
    "$loadgen" -n "$1" -m "$fds" -r "$rings" -f "$2" -d "$work" -S \
        </dev/null >"$work/loadgen.out" 2>"$work/loadgen.err" &
    lg_pid=$!
    echo "starting load: $1 processes x $fds fds, $rings rings x $2 fixed files ..." >&2
    local deadline=$((SECONDS + 300 + $1 / 10 + rings * $2 / 5000))
    until grep -q '^ready' "$work/loadgen.out" 2>/dev/null; do
        if ! kill -0 "$lg_pid" 2>/dev/null || ((SECONDS > deadline)); then
            echo "scale.sh: loadgen did not get ready:" >&2
            cat "$work/loadgen.err" >&2
            exit 1
        fi
        sleep 0.2
    done
}

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n |
    awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A t_med cpu_med rss_med nrows
measure_size() { # tag
    local tag=$1 m r w u s st k walls cpus rsss
    for m in "${modes[@]}"; do
        command_of "$m"
        walls='' cpus='' rsss=''
        for ((r = 0; r < rounds; r++)); do
            if ((r == 0)); then
                nrows[$tag.$m]=$({ "$loadgen" -T "$work/time" -- "${cmd[@]}" 2>>"$work/$m.err" || true; } |
                    count_rows "$m")
            else
                "$loadgen" -T "$work/time" -- "${cmd[@]}" >/dev/null 2>>"$work/$m.err" || true
            fi
            read -r w u s st k <"$work/time"
            if ((st > 1)); then echo "scale.sh: warning: ${label[$m]} exited $st" >&2; fi
            walls+="$w " cpus+="$((u + s)) " rsss+="${k:-0} "
        done
        t_med[$tag.$m]=$(median "$walls") cpu_med[$tag.$m]=$(median "$cpus") rss_med[$tag.$m]=$(median "$rsss")
    done
}

half_procs=$((procs / 2)) half_fixed=$((fixed / 2))
start_load "$half_procs" "$half_fixed"
measure_size half
stop_load
start_load "$procs" "$fixed"
measure_size full
stop_load

# ------------------------------------------------------------ report
echo
echo "host: Linux $(uname -r), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$lshidden" -V 2>/dev/null | head -1)"
echo "half: $half_procs processes x $fds fds, $rings rings x $half_fixed fixed files ($((rings * half_fixed)) slots)"
echo "full: $procs processes x $fds fds, $rings rings x $fixed fixed files ($((rings * fixed)) slots); $rounds round(s)"
echo
printf '%-25s %-5s %10s %10s %9s %9s %10s\n' mode size "wall s" "cpu s" "RSS MiB" rows "ns/row"
for m in "${modes[@]}"; do
    for tag in half full; do
        awk -v l="${label[$m]}" -v tag="$tag" -v w="${t_med[$tag.$m]}" -v c="${cpu_med[$tag.$m]}" \
            -v k="${rss_med[$tag.$m]}" -v n="${nrows[$tag.$m]}" 'BEGIN {
            printf "%-25s %-5s %10.2f %10.2f %9.1f %9d %10s\n", l, tag, w / 1e9, c / 1e9, k / 1024, n,
                (n > 0 ? sprintf("%.0f", w / n) : "n/a") }'
    done
done
echo "(medians; RSS: peak resident set from wait4(); ns/row: wall time over rows printed)"
echo

met=1
printf '%-25s %11s %11s %16s %13s\n' mode "wall row x" "cpu row x" "marginal ns/row" "full RSS"
for m in "${modes[@]}"; do
    line=$(awk -v th="${t_med[half.$m]}" -v tf="${t_med[full.$m]}" -v ch="${cpu_med[half.$m]}" \
        -v cf="${cpu_med[full.$m]}" -v nh="${nrows[half.$m]}" -v nf="${nrows[full.$m]}" \
        -v k="${rss_med[full.$m]}" -v lb="$linear_bound" -v rb="$rss_bound_mib" 'BEGIN {
        ok = nh > 0 && nf > 0 && ch > 0
        x = ok ? (tf / nf) / (th / nh) : -1
        cx = ok ? (cf / nf) / (ch / nh) : -1
        marg = (nf > nh) ? sprintf("%.0f", (tf - th) / (nf - nh)) : "n/a"
        met = (ok && cx <= lb && k / 1024 <= rb) ? "met" : "NOT met"
        printf "%11s %11s %16s %9.1f MiB  %s", (ok ? sprintf("%.2f", x) : "n/a"),
            (ok ? sprintf("%.2f", cx) : "n/a"), marg, k / 1024, met }')
    printf '%-25s %s\n' "${label[$m]}" "$line"
    [[ $line == *"NOT met" ]] && met=0
done
echo "(row x: cost per row at full size over half size, by wall and by CPU time; the target,"
echo " on CPU time as the less noisy, is <= $linear_bound; marginal: extra wall ns per extra row;"
echo " full RSS target <= $rss_bound_mib MiB)"
for m in "${modes[@]}"; do
    if [[ -s $work/$m.err ]]; then
        echo "note: ${label[$m]} wrote to stderr, e.g.:"; sort -u "$work/$m.err" | head -2 | sed 's/^/    /'
    fi
done
if ((strict && !met)); then exit 1; fi
exit 0
