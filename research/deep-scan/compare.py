#!/usr/bin/env python3
"""compare.py MANIFEST DEEP_JSONL: check deep_loader output against the
uring_holder manifest (ring by anon-inode dev+inode; per slot: path bytes,
deleted flag, type, dev, inode, mount_id).  Exit 1 on any mismatch."""
import json, sys

man = json.load(open(sys.argv[1]))
rings, slots = {}, {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if "nslots" in o:
        rings[o["ring_ino"]] = o
    else:
        slots[(o["ring_ino"], o["slot"])] = o
bad = 0
for r in man["rings"]:
    got = rings.get(r["inode"])
    if not got:
        print(f"ring {r['name']}: MISSING (inode {r['inode']})"); bad += 1; continue
    ok_ring = got["ring_dev"] == r["dev"] and got["nslots"] == r["table_size"]
    print(f"ring {r['name']}: found via {got['reached']} dev {got['ring_dev']} "
          f"table {got['nslots']} {'ok' if ok_ring else 'MISMATCH'}")
    bad += not ok_ring
    want_slots = set()
    for f in r["files"]:
        want_slots.add(f["slot"])
        g = slots.get((r["inode"], f["slot"]))
        if not g:
            print(f"  slot {f['slot']}: MISSING"); bad += 1; continue
        diffs = [k for k in ("path_hex", "deleted", "type", "dev", "inode", "mount_id")
                 if f[k] is not None and g[k] != f[k]]
        path = bytes.fromhex(f["path_hex"])
        print(f"  slot {f['slot']:3}: {'ok' if not diffs else 'MISMATCH ' + str(diffs)} "
              f"{f['type']} {g['dev']} {g['inode']} mnt {g['mount_id']} {path!r}")
        bad += bool(diffs)
    extra = [s for (ino, s) in slots if ino == r["inode"] and s not in want_slots]
    if extra:
        print(f"  extra slots {extra}"); bad += 1
print("RESULT:", "all match" if not bad else f"{bad} mismatches")
sys.exit(1 if bad else 0)
