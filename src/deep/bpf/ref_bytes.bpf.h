/* ref_bytes.bpf.h: one reference's record and path, built by a global
 * function (verified once, whatever calls it) into a per-CPU map, and
 * written by the caller, which alone holds the trusted seq_file.  Shared
 * by the BPF objects of the kernel view (deep.bpf.c, inflight.bpf.c);
 * each compiles its own copy.  Include after kernel_types.h, the libbpf
 * headers and deep_records.h. */
#ifndef LSHIDDEN_DEEP_BPF_REF_BYTES_H
#define LSHIDDEN_DEEP_BPF_REF_BYTES_H

/* Room for one reference's bytes: its record, the path, a length per
 * component and the end marker.  The bytes are built in a map of their
 * own by a global function (ref_bytes), then written with one
 * bpf_seq_write by the caller, which alone holds the seq_file. */
#define REF_BYTES_MAX (sizeof(struct deep_slot) + DEEP_PATH_BYTES + 2 * (DEEP_MAX_DEPTH + 2))

/* A power of two, so that a length masked with REF_BUF_SIZE - 1 is in
 * bounds for every verifier: older ones do not carry a comparison's bound
 * through to bpf_seq_write's size. */
#define REF_BUF_SIZE 8192
_Static_assert(REF_BYTES_MAX + DEEP_NAME_MAX + 3 <= REF_BUF_SIZE, "ref_buf too small");

/* Where a path walk is: in the map, not on the stack, which 6.1 counts
 * across the whole chain of calls and callbacks down to path_step. */
struct path_walk {
    u64 d, m;
    u32 off, comps;
    bool cut, detached;
};

/* Files already written, by dentry, mount and inode: many references
 * share a file (a pool of files open in every process, one file in many
 * fixed slots), and walking a path costs a probe read per step.  A hit is
 * written as a short record naming the earlier one (DEEP_REC_SEEN). */
struct ref_key {
    u64 dentry, mnt, inode;
};

struct ref_seen {
    u32 path_id, pad;
    /* Who wrote it: an object's output is thrown away when it overflows
     * the seq buffer, and the object shown again with the same seq_num.
     * An entry counts only from an earlier object (a lower seq_num of the
     * same iterator, or another iterator, whose reads ran to their end), or
     * from this very run of the program. */
    u64 tag, run;
};

/* A file named by the record being built, remembered (ref_seen_map) only
 * once the record is written: one that does not fit is never read. */
struct ref_pending {
    struct ref_key key;
    struct ref_seen value;
    u32 set, pad;
};

/* Key, value and the file's path live here, not on the stack: 6.1 counts
 * the stack of the whole chain of calls down to path_step. */
struct ref_buf {
    struct path_walk walk;
    struct ref_pending pending;
    struct ref_key key;
    /* A struct path as read: its mount, then its dentry (a type of our
     * own: CO-RE relocates accesses through the kernel's types only). */
    struct {
        u64 mnt, dentry;
    } fp;
    u8 out[REF_BUF_SIZE];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct ref_buf);
} ref_map SEC(".maps");

/* Puts one name component (a u16 length, then the name) at off; returns
 * its bytes, 0 when the name is empty or cannot be read. */
static __always_inline u32 put_comp_at(struct ref_buf *b, u32 off, const unsigned char *name)
{
    if (off > REF_BYTES_MAX - DEEP_NAME_MAX - 3)
        return 0;
    long n = bpf_probe_read_kernel_str(&b->out[off + 2], DEEP_NAME_MAX + 1, name);
    if (n <= 1)
        return 0;
    u32 len = (u32)(n - 1) & 0xff;
    b->out[off] = len & 0xff;
    b->out[off + 1] = 0;
    return len + 2;
}

/* One step towards the root: at a mount's root cross to where it is
 * mounted, else put the name and go to the parent.  Ends at a mount that
 * is its own parent: the root of its namespace, or a detached tree. */
static long path_step(u32 i, void *data)
{
    struct ref_buf *b = *(struct ref_buf **)data; /* bpf_loop wants a stack pointer */
    struct path_walk *w = &b->walk;
    struct dentry *d = (void *)w->d;
    struct mount *m = (void *)w->m;
    struct dentry *up = BPF_CORE_READ(d, d_parent);
    if (d == BPF_CORE_READ(m, mnt.mnt_root) || d == up) {
        struct mount *parent = BPF_CORE_READ(m, mnt_parent);
        if (!parent || parent == m) {
            if (bpf_core_field_exists(struct mount, mnt_ns))
                w->detached = BPF_CORE_READ(m, mnt_ns) == NULL;
            return 1;
        }
        w->d = (u64)BPF_CORE_READ(m, mnt_mountpoint);
        w->m = (u64)parent;
        return 0;
    }
    if (w->off + DEEP_NAME_MAX + 3 > sizeof(struct deep_slot) + DEEP_PATH_BYTES ||
        w->comps >= DEEP_MAX_DEPTH) {
        w->cut = true;
        return 1;
    }
    u32 written = put_comp_at(b, w->off, BPF_CORE_READ(d, d_name.name));
    if (!written) { /* a name that vanished under us: say the path is cut */
        w->cut = true;
        return 1;
    }
    w->off += written;
    w->comps++;
    w->d = (u64)up;
    return 0;
}

/* Room for the distinct files of a busy host; once it is full, the rest
 * are written whole (right, only slower).  Not more: creating a hash map
 * initialises its whole bucket array, 4 ms for 64k entries. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1 << 13);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct ref_key);
    __type(value, struct ref_seen);
} ref_seen_map SEC(".maps");

/* Bumped by each program run (one object shown), and by each file named. */
u64 ref_runs;
u32 ref_path_ids;

/* Whether what the object tag wrote in program run `run` reached the
 * reader, as seen from the object now shown (now_tag). */
static __always_inline bool ref_written(u64 tag, u64 run, u64 now_tag)
{
    return run == ref_runs || (tag >> 56) != (now_tag >> 56) || tag < now_tag;
}

/* Writes the short record of a file written before; returns its length,
 * or 0 when there is none to use.  tag 0: no cache. */
static __always_inline u32 ref_from_seen(struct ref_buf *b, u64 owner_key, u32 idx, u64 key,
                                         u64 tag)
{
    if (!tag)
        return 0;
    struct ref_seen *v = bpf_map_lookup_elem(&ref_seen_map, &b->key);
    if (!v)
        return 0;
    if (!ref_written(v->tag, v->run, tag))
        return 0;
    struct deep_seen *r = (void *)b->out;
    r->kind = DEEP_REC_SEEN;
    r->len = sizeof(*r);
    r->owner_key = owner_key;
    r->file = key;
    r->slot = idx;
    r->path_id = v->path_id;
    return sizeof(*r);
}

static __always_inline void ref_name(struct ref_buf *b, struct deep_slot *r, u64 tag)
{
    if (!tag || (r->flags & DEEP_SLOT_DNAME))
        return; /* a pseudo file's name is one read: not worth an entry */
    r->path_id = ++ref_path_ids;
    b->pending.key = b->key;
    b->pending.value = (struct ref_seen){.path_id = r->path_id, .tag = tag};
    b->pending.set = 1;
}

/* After the record of b->pending was written. */
static __always_inline void ref_remember(struct ref_buf *b)
{
    if (!b->pending.set)
        return;
    b->pending.set = 0;
    b->pending.value.run = ref_runs;
    /* Full: not remembered. */
    bpf_map_update_elem(&ref_seen_map, &b->pending.key, &b->pending.value, BPF_ANY);
}

/* Builds in ref_map the bytes of one reference: file (a struct file), or
 * when file is 0, path (a struct path: a cwd or root; its key is then the
 * dentry).  tag: the object shown ((iterator << 56) | seq_num), for the
 * cache of paths; 0 for none.  Returns their length, 0 when there is
 * nothing to write.
 * Global, so the verifier checks it once: inlined, every caller's copy
 * (ring slots, FUSE ids, task references, files in flight) was verified
 * anew, and loading took 0.4 s instead of 60 ms. */
__noinline int ref_bytes(u64 owner_key, u32 idx, u64 file, u64 path, u64 tag)
{
    u32 zero = 0;
    struct ref_buf *b = bpf_map_lookup_elem(&ref_map, &zero);
    if (!b)
        return 0;
    b->pending.set = 0;
    struct inode *inode;
    u64 key;
    if (file) {
        struct file *f = (void *)file;
        bpf_core_read(&b->fp, sizeof(b->fp), &f->f_path);
        inode = BPF_CORE_READ(f, f_inode);
        key = file;
    } else {
        bpf_probe_read_kernel(&b->fp, sizeof(b->fp), (void *)path);
        struct dentry *pd = (void *)b->fp.dentry;
        inode = pd ? BPF_CORE_READ(pd, d_inode) : NULL;
        key = b->fp.dentry;
    }
    struct dentry *d = (void *)b->fp.dentry;
    struct vfsmount *vm = (void *)b->fp.mnt;
    if (!d || !inode)
        return 0;
    struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
    b->key = (struct ref_key){(u64)d, (u64)vm, (u64)inode};
    u32 seen = ref_from_seen(b, owner_key, idx, key, tag);
    if (seen)
        return seen;
    struct deep_slot *r = (void *)b->out;
    r->kind = DEEP_REC_SLOT;
    r->len = sizeof(*r);
    r->owner_key = owner_key;
    r->file = key;
    r->slot = idx;
    r->path_id = 0;
    r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
    r->ino = BPF_CORE_READ(inode, i_ino);
    r->magic = BPF_CORE_READ(inode, i_sb, s_magic);
    r->mode = BPF_CORE_READ(inode, i_mode);
    r->mnt_id = vm ? BPF_CORE_READ(m, mnt_id) : -1;
    r->flags = 0;
    const struct dentry_operations *dop = BPF_CORE_READ(d, d_op);
    if (dop && BPF_CORE_READ(dop, d_dname))
        r->flags |= DEEP_SLOT_DNAME;
    if (!BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d)
        r->flags |= DEEP_SLOT_DELETED;
    u32 off = sizeof(*r);
    u16 end = DEEP_PATH_END;
    if (r->flags & DEEP_SLOT_DNAME) {
        u32 written = put_comp_at(b, off, BPF_CORE_READ(d, d_name.name));
        if (!written) { /* sockets and pipes have empty names */
            b->out[off] = 0;
            b->out[off + 1] = 0;
            written = 2;
        }
        off += written;
    } else {
        struct path_walk *w = &b->walk;
        *w = (struct path_walk){.d = (u64)d, .m = (u64)m, .off = off};
        bpf_loop(DEEP_MAX_DEPTH * 2, path_step, &b, 0);
        off = w->off;
        end = w->cut ? DEEP_PATH_CUT : w->detached ? DEEP_PATH_DETACHED : DEEP_PATH_END;
    }
    if (off > REF_BYTES_MAX - 2)
        return 0;
    b->out[off] = end & 0xff;
    b->out[off + 1] = end >> 8;
    ref_name(b, r, tag);
    return off + 2;
}

/* A global function takes scalars only, and the iterator's own task and
 * file are typed pointers: read through memory, they are plain numbers. */
static __always_inline u64 scalar_of(const void *p)
{
    u64 v = 0;
    bpf_probe_read_kernel(&v, sizeof(v), &p);
    return v;
}

/* Writes the n bytes ref_bytes() built; returns how many it wrote. */
static __always_inline u32 write_ref_bytes(struct seq_file *seq, int n)
{
    u32 zero = 0;
    struct ref_buf *b = bpf_map_lookup_elem(&ref_map, &zero);
    /* A global function's result is any scalar to the verifier: the mask
     * makes its bound one the verifier can follow. */
    u64 len = (u64)n & (REF_BUF_SIZE - 1);
    if (!b || len == 0 || len > REF_BYTES_MAX)
        return 0;
    if (bpf_seq_write(seq, b->out, len) == 0)
        ref_remember(b);
    return (u32)len;
}

#endif
