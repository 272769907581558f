// SPDX-License-Identifier: GPL-2.0
/* uring_iter.bpf.c: prototype BPF iterators for `lshidden --deep`.
 *
 * Three iterators find io_uring rings; each writes binary records (deep.h)
 * into its seq_file:
 *   iter/task_file  rings in any task's fd table           (DEEP_VIA_FD)
 *   iter/task_vma   rings mapped by any task (SQ/CQ mmaps)  (DEEP_VIA_VMA)
 *   iter/task       task->io_uring->registered_rings[]      (DEEP_VIA_REGISTERED)
 * The first time a ring (io_ring_ctx) is seen, its fixed-file table is
 * listed: one DEEP_REC_SLOT per occupied slot, with a path built by walking
 * dentry->d_parent and mount->mnt_parent (bpf_d_path() needs a trusted
 * struct path; the slot's file is read with bpf_probe_read_kernel and is not
 * one, see NOTES.md).
 *
 * Layouts are chosen with CO-RE field-existence checks, never versions:
 *   6.13+   ctx->file_table.data.nr, ctx->file_table.data.nodes[i]->file_ptr
 *   <=6.12  ctx->nr_user_files,      ctx->file_table.files[i].file_ptr
 * file_ptr carries FFS_* flags in its low bits (NOWAIT 1, ISREG 2, and on
 * 6.1..6.6 SCM 4); struct file is at least 8-byte aligned, so & ~7 is right
 * for every version. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "deep.h"

char LICENSE[] SEC("license") = "GPL";

/* io_uring_fops is static data and absent from kallsyms without
 * CONFIG_KALLSYMS_ALL (not set on this 6.18, nor on Debian's 6.1), but
 * io_uring_release is a text symbol, so f_op->release identifies a ring.
 * Typeless ksym: resolved from /proc/kallsyms by libbpf; __weak so that a
 * missing symbol gives 0 and we fall back to the anon inode's name. */
extern const void io_uring_release __ksym __weak;

/* <= 6.12 flavours (io_fixed_file does not exist on 6.13+). */
struct io_fixed_file___old {
    unsigned long file_ptr;
} __attribute__((preserve_access_index));
struct io_file_table___old {
    struct io_fixed_file___old *files;
} __attribute__((preserve_access_index));
struct io_ring_ctx___old {
    struct io_file_table___old file_table;
    unsigned int nr_user_files;
} __attribute__((preserve_access_index));

#define FFS_ALL_FLAGS 7UL

/* Rings whose slots were already listed: ctx -> claim tag (see claim()). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, u64);
    __type(value, u64);
} seen SEC(".maps");

struct comp {
    u16 len;
    char name[DEEP_NAME_MAX];
} __attribute__((packed));

struct scratch {
    struct deep_ring ring;
    struct deep_slot slot;
    struct deep_trunc trunc;
    struct comp comp;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Counters for the loader: [0] slot records, [1] truncations, [2] errors */
u64 stats[4];

/* Continuation (set by the loader between runs): when resume_ctx is non-zero
 * only that ring is listed, from slot resume_from on, ignoring `seen`.  The
 * loader re-runs one iterator filtered to the task that reached the ring
 * (bpf_iter_link_info.task.pid, 6.1+) until no DEEP_REC_TRUNC comes back. */
u64 resume_ctx;
u32 resume_from;

/* Largest output one slot can need: header, <= PATH_BYTES of names, one u16
 * per component and the end marker, plus a possible trunc record. */
#define PATH_BYTES 4096
#define SLOT_WORST (sizeof(struct deep_slot) + PATH_BYTES + 2 * (DEEP_MAX_DEPTH + 1) + \
                    sizeof(struct deep_trunc))

static __always_inline bool is_uring_file(struct file *file)
{
    const struct file_operations *fop = BPF_CORE_READ(file, f_op);
    if (!fop)
        return false;
#ifndef DEEP_FORCE_NAME_CHECK /* test switch for the fallback below */
    if (&io_uring_release)
        return (u64)BPF_CORE_READ(fop, release) == (u64)&io_uring_release;
#endif
    /* Fallback: anon inode named "[io_uring]". */
    char name[12] = {};
    const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
    if (bpf_probe_read_kernel_str(name, sizeof(name), p) != 11)
        return false;
    return name[0] == '[' && name[1] == 'i' && name[2] == 'o' && name[3] == '_' &&
           name[4] == 'u' && name[5] == 'r' && name[6] == 'i' && name[7] == 'n' &&
           name[8] == 'g' && name[9] == ']';
}

struct loop_ctx {
    struct seq_file *seq;
    struct scratch *s;
    u64 ctx;
    void *table;
    u32 n;
    u32 start;
    u32 stopped;
    u64 budget; /* bytes this object may still write */
};

/* Write one component; returns bytes written or 0. */
static __always_inline u32 put_comp(struct loop_ctx *lc, const unsigned char *name)
{
    struct comp *c = &lc->s->comp;
    long n = bpf_probe_read_kernel_str(c->name, sizeof(c->name), name);
    if (n <= 0 || n > DEEP_NAME_MAX)
        n = 1;
    u32 len = (u32)(n - 1) & 0xff;
    c->len = len;
    bpf_seq_write(lc->seq, c, len + 2);
    return len + 2;
}

struct walk_ctx {
    struct loop_ctx *lc;
    struct dentry *d;
    struct mount *m;
    u32 bytes;
    u32 trunc;
    u32 comps;
};

/* One step up: cross to the parent mount at a mount root, else emit
 * d_name and go to d_parent.  Stops at the root of the mount tree (the
 * namespace root for attached mounts; the detached mount's root otherwise). */
static long walk_cb(u32 i, void *data)
{
    struct walk_ctx *w = data;
    struct dentry *d = w->d;
    struct mount *m = w->m;
    struct dentry *root = BPF_CORE_READ(m, mnt.mnt_root);
    struct dentry *up = BPF_CORE_READ(d, d_parent);
    if (d == root || d == up) {
        struct mount *mp = BPF_CORE_READ(m, mnt_parent);
        if (!mp || mp == m)
            return 1;
        w->d = BPF_CORE_READ(m, mnt_mountpoint);
        w->m = mp;
        return 0;
    }
    if (w->bytes + DEEP_NAME_MAX + 2 > PATH_BYTES || w->comps >= DEEP_MAX_DEPTH) {
        w->trunc = 1;
        return 1;
    }
    w->bytes += put_comp(w->lc, BPF_CORE_READ(d, d_name.name));
    w->comps++;
    w->d = up;
    return 0;
}

static __always_inline void emit_slot(struct loop_ctx *lc, u32 idx, struct file *file)
{
    struct scratch *s = lc->s;
    struct deep_slot *r = &s->slot;
    struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
    struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
    struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
    struct inode *inode = BPF_CORE_READ(file, f_inode);

    r->kind = DEEP_REC_SLOT;
    r->len = 0; /* variable: components up to the 0xffff end marker */
    r->ctx = lc->ctx;
    r->slot = idx;
    r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
    r->ino = BPF_CORE_READ(inode, i_ino);
    r->mode = BPF_CORE_READ(inode, i_mode);
    r->mnt_id = vm ? BPF_CORE_READ(m, mnt_id) : -1;
    r->magic = BPF_CORE_READ(inode, i_sb, s_magic);
    r->flags = 0;
    r->ncomp = 0;
    const struct dentry_operations *dop = BPF_CORE_READ(d, d_op);
    if (dop && BPF_CORE_READ(dop, d_dname))
        r->flags |= DEEP_SLOT_DNAME;
    struct dentry *parent = BPF_CORE_READ(d, d_parent);
    if (!BPF_CORE_READ(d, d_hash.pprev) && parent != d)
        r->flags |= DEEP_SLOT_DELETED;
    bpf_seq_write(lc->seq, r, sizeof(*r));
    u64 used = sizeof(*r);

    if (r->flags & DEEP_SLOT_DNAME) {
        /* socket:[N], pipe:[N], anon_inode:NAME: userspace formats them
         * from s_magic, i_ino and this leaf name. */
        used += put_comp(lc, BPF_CORE_READ(d, d_name.name));
    } else {
        struct walk_ctx w = {.lc = lc, .d = d, .m = m};
        /* Nested bpf_loop: a plain bounded loop here is unrolled by the
         * verifier once per outer path and blows the 1M-insn limit. */
        bpf_loop(DEEP_MAX_DEPTH * 2, walk_cb, &w, 0);
        if (w.trunc)
            r->flags |= DEEP_SLOT_TRUNC_PATH;
        used += w.bytes;
    }
    u16 end = (r->flags & DEEP_SLOT_TRUNC_PATH) ? 0xfffe : 0xffff;
    bpf_seq_write(lc->seq, &end, sizeof(end));
    used += 2;
    lc->budget = lc->budget > used ? lc->budget - used : 0;
    __sync_fetch_and_add(&stats[0], 1);
}

static long slot_cb(u32 i, void *data)
{
    struct loop_ctx *lc = data;
    i += lc->start;
    if (i >= lc->n)
        return 1;
    unsigned long fp = 0;
    if (bpf_core_field_exists(struct io_file_table, data)) {
        /* 6.13+: struct io_rsrc_node **nodes */
        struct io_rsrc_node *node = NULL;
        bpf_probe_read_kernel(&node, sizeof(node), (struct io_rsrc_node **)lc->table + i);
        if (!node)
            return 0;
        fp = BPF_CORE_READ(node, file_ptr);
    } else if (bpf_core_field_exists(struct io_ring_ctx___old, nr_user_files)) {
        struct io_fixed_file___old *slot =
            (void *)lc->table + (u64)i * bpf_core_type_size(struct io_fixed_file___old);
        fp = BPF_CORE_READ(slot, file_ptr);
    } else {
        return 1;
    }
    struct file *file = (struct file *)(fp & ~FFS_ALL_FLAGS);
    if (!file)
        return 0;
    if (lc->budget < SLOT_WORST) {
        struct deep_trunc *t = &lc->s->trunc;
        t->kind = DEEP_REC_TRUNC;
        t->len = sizeof(*t);
        t->ctx = lc->ctx;
        t->next_slot = i;
        bpf_seq_write(lc->seq, t, sizeof(*t));
        __sync_fetch_and_add(&stats[1], 1);
        lc->stopped = 1;
        return 1;
    }
    emit_slot(lc, i, file);
    return 0;
}

/* A ring's slots are listed by the first object that reaches it.  If that
 * object's output overflows the seq buffer, bpf_iter shows the same object
 * again (same seq_num) in the next read(): the claim must then still hold,
 * hence the tag = iterator << 56 | seq_num rather than a plain "seen" bit. */
static __always_inline bool claim(u64 ctx, u64 tag)
{
    u64 *v = bpf_map_lookup_elem(&seen, &ctx);
    if (v)
        return *v == tag;
    bpf_map_update_elem(&seen, &ctx, &tag, BPF_NOEXIST);
    return true;
}

static __always_inline int emit_ring(struct bpf_iter_meta *meta, struct task_struct *task,
                                     struct file *file, u32 via, s32 fd, u64 vm_start,
                                     u64 iter_tag, u64 count0)
{
    u32 zero = 0;
    struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
    if (!s)
        return 0;
    struct seq_file *seq = meta->seq;
    u64 ctx = (u64)BPF_CORE_READ(file, private_data);
    if (!ctx)
        return 0;
    struct deep_ring *r = &s->ring;
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    void *table = NULL;
    u32 n = 0, layout = 0;

    if (bpf_core_field_exists(struct io_file_table, data)) {
        struct io_ring_ctx *c = (void *)ctx;
        n = BPF_CORE_READ(c, file_table.data.nr);
        table = BPF_CORE_READ(c, file_table.data.nodes);
        layout = DEEP_LAYOUT_RSRC_NODES;
    } else if (bpf_core_field_exists(struct io_ring_ctx___old, nr_user_files)) {
        struct io_ring_ctx___old *c = (void *)ctx;
        n = BPF_CORE_READ(c, nr_user_files);
        table = BPF_CORE_READ(c, file_table.files);
        layout = DEEP_LAYOUT_FIXED_FILES;
    }
    r->kind = DEEP_REC_RING;
    r->len = sizeof(*r);
    r->via = via;
    r->pid = BPF_CORE_READ(task, tgid);
    r->tid = BPF_CORE_READ(task, pid);
    r->fd = fd;
    r->ctx = ctx;
    r->ring_ino = BPF_CORE_READ(inode, i_ino);
    r->ring_dev = BPF_CORE_READ(inode, i_sb, s_dev);
    r->nslots = n;
    r->ring_flags = BPF_CORE_READ((struct io_ring_ctx *)ctx, flags);
    r->layout = layout;
    u32 start = 0;
    if (resume_ctx) {
        if (ctx != resume_ctx)
            return 0;
        start = resume_from;
        r->first_seen = table && n > start;
    } else {
        r->first_seen = (table && n) ? claim(ctx, iter_tag << 56 | meta->seq_num) : 0;
    }
    r->pad = 0;
    r->vm_start = vm_start;
    BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
    bpf_seq_write(seq, r, sizeof(*r));
    if (!r->first_seen)
        return 0;

    struct loop_ctx lc = {
        .seq = seq,
        .s = s,
        .ctx = ctx,
        .table = table,
        .n = n,
        .start = start,
    };
    /* This object's output must fit the seq buffer (32 KiB, PAGE_SIZE << 3)
     * on its own, or read() fails with E2BIG: budget = size - what this
     * object already wrote. */
    u64 size = BPF_CORE_READ(seq, size);
    u64 own = BPF_CORE_READ(seq, count) - count0;
    lc.budget = size > own ? size - own : 0;
    /* bpf_loop (5.17+): up to 1<<23 iterations, verified once. */
    bpf_loop(n - start, slot_cb, &lc, 0);
    return 0;
}

SEC("iter/task_file")
int deep_task_file(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    if (!is_uring_file(file))
        return 0;
    return emit_ring(ctx->meta, task, file, DEEP_VIA_FD, ctx->fd, 0, 1,
                     BPF_CORE_READ(ctx->meta, seq, count));
}

SEC("iter/task_vma")
int deep_task_vma(struct bpf_iter__task_vma *ctx)
{
    struct vm_area_struct *vma = ctx->vma;
    struct task_struct *task = ctx->task;
    if (!vma || !task)
        return 0;
    struct file *file = BPF_CORE_READ(vma, vm_file);
    if (!file || !is_uring_file(file))
        return 0;
    return emit_ring(ctx->meta, task, file, DEEP_VIA_VMA, -1, BPF_CORE_READ(vma, vm_start), 2,
                     BPF_CORE_READ(ctx->meta, seq, count));
}

#define IO_RINGFD_REG_MAX 16

SEC("iter/task")
int deep_task(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    struct io_uring_task *tctx = BPF_CORE_READ(task, io_uring);
    if (!tctx)
        return 0;
    /* One seq object per task: up to 16 rings share one budget. */
    u64 count0 = BPF_CORE_READ(ctx->meta, seq, count);
    for (int i = 0; i < IO_RINGFD_REG_MAX; i++) {
        struct file *f = NULL;
        bpf_probe_read_kernel(&f, sizeof(f), __builtin_preserve_access_index(&tctx->registered_rings[i]));
        if (!f)
            continue;
        emit_ring(ctx->meta, task, f, DEEP_VIA_REGISTERED, i, 0, 3, count0);
    }
    return 0;
}

/* ---- FUSE (6.9+ passthrough) ------------------------------------------ */

extern const void fuse_dev_release __ksym __weak;
extern const void fuse_release __ksym __weak;

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_MASK 63
#define FUSE_MAX_IDS 65536 /* prototype bound on backing ids scanned */

struct idr_ctx {
    struct loop_ctx *lc;
    void *head;    /* fc->backing_files_map.idr_rt.xa_head */
    u32 base;      /* idr_base */
};

/* xa_load(): descend from xa_head; internal node pointers are tagged 2
 * (xa_is_node: (p & 3) == 2 && p > 4096). */
static __always_inline void *xa_lookup(void *head, u64 index)
{
    u64 e = (u64)head;
    if (!((e & 3) == 2 && e > 4096))
        return index == 0 ? head : NULL; /* empty or single entry at 0 */
    for (int lvl = 0; lvl < 11; lvl++) {
        struct xa_node *node = (void *)(e - 2);
        u32 shift = BPF_CORE_READ(node, shift);
        if (lvl == 0 && shift < 64 && (index >> shift) > XA_CHUNK_MASK)
            return NULL; /* beyond this tree */
        u32 off = (index >> (shift & 63)) & XA_CHUNK_MASK;
        e = 0;
        bpf_probe_read_kernel(&e, sizeof(e), &node->slots[off]);
        if (!e)
            return NULL;
        if ((e & 3) == 2 && e > 4096 && shift > 0)
            continue; /* child node */
        if ((e & 3) == 2)
            return NULL; /* retry/zero/sibling entries: skip in the prototype */
        return (void *)e;
    }
    return NULL;
}

static long idr_cb(u32 i, void *data)
{
    struct idr_ctx *ic = data;
    u32 id = i + 1; /* fuse: idr_alloc_cyclic(map, fb, 1, 0, ...) */
    struct fuse_backing *fb = xa_lookup(ic->head, id - ic->base);
    if (!fb)
        return 0;
    struct file *file = BPF_CORE_READ(fb, file);
    if (!file)
        return 0;
    if (ic->lc->budget < SLOT_WORST) {
        ic->lc->stopped = 1; /* prototype: no continuation for FUSE yet */
        __sync_fetch_and_add(&stats[1], 1);
        return 1;
    }
    emit_slot(ic->lc, id, file);
    return 0;
}

static __always_inline void fuse_owner(struct scratch *s, struct bpf_iter__task_file *ctx,
                                       struct task_struct *task, u32 via, u64 key, u32 conn,
                                       u32 n)
{
    struct deep_ring *r = &s->ring;
    __builtin_memset(r, 0, sizeof(*r));
    r->kind = DEEP_REC_RING;
    r->len = sizeof(*r);
    r->via = via;
    r->pid = BPF_CORE_READ(task, tgid);
    r->tid = BPF_CORE_READ(task, pid);
    r->fd = ctx->fd;
    r->ctx = key;
    r->ring_dev = conn;
    r->nslots = n;
    BPF_CORE_READ_STR_INTO(&r->comm, task, comm);
}

SEC("iter/task_file")
int deep_fuse(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    const struct file_operations *fop = BPF_CORE_READ(file, f_op);
    u64 rel = (u64)BPF_CORE_READ(fop, release);
    if (!rel)
        return 0;
    u32 zero = 0;
    struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
    if (!s)
        return 0;
    struct seq_file *seq = ctx->meta->seq;
    u64 count0 = BPF_CORE_READ(seq, count);
    struct loop_ctx lc = {.seq = seq, .s = s};

    if (&fuse_dev_release && rel == (u64)&fuse_dev_release) {
        if (!bpf_core_field_exists(struct fuse_conn, backing_files_map))
            return 0; /* < 6.9: no passthrough */
        struct fuse_dev *fud = BPF_CORE_READ(file, private_data);
        if ((u64)fud < 4096)
            return 0; /* not attached yet (or a sentinel value) */
        struct fuse_conn *fc = BPF_CORE_READ(fud, fc);
        if (!fc)
            return 0;
        u32 next = BPF_CORE_READ(fc, backing_files_map.idr_next);
        u32 n = next < FUSE_MAX_IDS ? next : FUSE_MAX_IDS;
        fuse_owner(s, ctx, task, DEEP_VIA_FUSE_DEV, (u64)fc, BPF_CORE_READ(fc, dev), n);
        s->ring.first_seen = claim((u64)fc, 4ULL << 56 | ctx->meta->seq_num);
        bpf_seq_write(seq, &s->ring, sizeof(s->ring));
        if (!s->ring.first_seen)
            return 0;
        struct idr_ctx ic = {
            .lc = &lc,
            .head = BPF_CORE_READ(fc, backing_files_map.idr_rt.xa_head),
            .base = BPF_CORE_READ(fc, backing_files_map.idr_base),
        };
        lc.ctx = (u64)fc;
        lc.budget = BPF_CORE_READ(seq, size) - (BPF_CORE_READ(seq, count) - count0);
        /* ids 1..idr_next-1 (idr_next: the cyclic allocator's cursor; a
         * wrapped cursor would hide higher ids: the real code walks the tree) */
        bpf_loop(n, idr_cb, &ic, 0);
        return 0;
    }
    if (&fuse_release && rel == (u64)&fuse_release) {
        if (!bpf_core_field_exists(struct fuse_file, passthrough))
            return 0;
        struct fuse_file *ff = BPF_CORE_READ(file, private_data);
        if (!ff)
            return 0;
        struct file *pt = BPF_CORE_READ(ff, passthrough);
        struct inode *inode = BPF_CORE_READ(file, f_inode);
        struct fuse_inode *fi = (void *)inode - bpf_core_field_offset(struct fuse_inode, inode);
        struct fuse_backing *fb = BPF_CORE_READ(fi, fb);
        struct file *ifile = fb ? BPF_CORE_READ(fb, file) : NULL;
        if (!pt && !ifile)
            return 0;
        fuse_owner(s, ctx, task, DEEP_VIA_FUSE_FILE, (u64)ff, BPF_CORE_READ(ff, fm, fc, dev), 2);
        s->ring.ring_ino = BPF_CORE_READ(inode, i_ino);
        s->ring.first_seen = 1;
        bpf_seq_write(seq, &s->ring, sizeof(s->ring));
        lc.ctx = (u64)ff;
        lc.budget = BPF_CORE_READ(seq, size) - (BPF_CORE_READ(seq, count) - count0);
        if (pt && lc.budget >= SLOT_WORST)
            emit_slot(&lc, 0, pt);
        if (ifile && lc.budget >= SLOT_WORST)
            emit_slot(&lc, 1, ifile);
    }
    return 0;
}
