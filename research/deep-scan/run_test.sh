#!/bin/bash
# run_test.sh: end-to-end check of the deep-scan prototype (root, 6.18).
#   ./run_test.sh [SCENARIOS]      default a,b,c,d (also try big,c)
# Starts uring_holder, nommap_ring and fuse_pt_server (+ a client holding a
# passthrough file open), runs deep_loader, compares with the manifests,
# and stops everything it started (by pid) and removes its scratch dir.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
HELPERS=${HELPERS:-$HERE/../build/tests/helpers}
SCEN=${1:-a,b,c,d}
T=$(mktemp -d /tmp/deep-test.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    mountpoint -q "$T/mnt" && umount -l "$T/mnt"
    rm -rf "$T"
}
trap cleanup EXIT
mkfifo "$T/in"
sleep 100000 > "$T/in" & pids+=($!)   # holds the helpers' stdin open
mkdir -p "$T/scratch" "$T/nm" "$T/fb" "$T/mnt"
"$HELPERS/uring_holder" --scenarios "$SCEN" "$T/scratch" < "$T/in" > "$T/uring.json" & pids+=($!)
"$HERE/nommap_ring" "$T/nm" < "$T/in" > "$T/nommap.json" & pids+=($!)
echo one > "$T/fb/one"; echo two > "$T/fb/two"
"$HELPERS/fuse_pt_server" --preregister --watch-stdin "$T/mnt" "$T/fb" < "$T/in" > "$T/fuse.json" & pids+=($!)
for _ in $(seq 50); do [ -s "$T/uring.json" ] && [ -s "$T/nommap.json" ] && [ -s "$T/fuse.json" ] && break; sleep 0.2; done
(exec 3< "$T/mnt/one"; exec sleep 100000) & pids+=($!)
sleep 0.3
/usr/bin/time -f "deep_loader: %e s elapsed, %M KiB max RSS" "$HERE/deep_loader" > "$T/deep.jsonl" || exit 1
rc=0
python3 "$HERE/compare.py" "$T/uring.json" "$T/deep.jsonl" || rc=1
python3 - "$T/nommap.json" "$T/fuse.json" "$T/deep.jsonl" <<'PY' || rc=1
import json, sys
nm, fu = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lines = [json.loads(l) for l in open(sys.argv[3])]
owners = [l for l in lines if "nslots" in l]
slots = [l for l in lines if "nslots" not in l]
bad = 0
# NO_MMAP | REGISTERED_FD_ONLY ring: reached only through registered_rings
nmr = [o for o in owners if o["flags"] & 0xc000 and any(r.startswith(f"reg:{nm['pid']}/") for r in o["reached"])]
if len(nmr) != 1 or any(not r.startswith("reg:") for r in nmr[0]["reached"]):
    print("nommap ring: NOT FOUND or reachable otherwise", nmr); bad += 1
else:
    got = {s["slot"]: s for s in slots if s["ring_ino"] == nmr[0]["ring_ino"]}
    for f in nm["files"]:
        g = got.get(f["slot"])
        ok = g and bytes.fromhex(g["path_hex"]).decode() == f["path"] and g["inode"] == f["inode"] \
             and g["dev"] == f["dev"] and g["deleted"] == f["deleted"]
        print(f"nommap ring slot {f['slot']}: {'ok' if ok else 'MISMATCH'} {f['path']} {f['dev']} {f['inode']}")
        bad += not ok
# FUSE backing ids: the loader prints them as "slots" of the connection owner
conn = [o for o in owners if f"fusedev:{fu['pid']}:{fu['dev_fd']}" in o["reached"]]
if len(conn) != 1:
    print("fuse connection: NOT FOUND"); bad += 1
else:
    # FUSE owners have ring_ino 0 in the JSON; match backing ids by inode
    ids = {(s["dev"], s["inode"]) for s in slots}
    for b in fu["backing"]:
        ok = (b["dev"], b["inode"]) in ids
        print(f"fuse backing id {b['backing_id']}: {'ok' if ok else 'MISSING'} {b['path']} {b['dev']} {b['inode']}")
        bad += not ok
print("EXTRA RESULT:", "all match" if not bad else f"{bad} problems")
sys.exit(1 if bad else 0)
PY
exit $rc
