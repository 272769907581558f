// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* deep.bpf.c: the kernel side of `lshidden --deep`.
 *
 * BPF iterators that find what /proc cannot show and write binary records
 * (deep_records.h) into the iterator's seq_file:
 *   deep_ring_fds   iter/task_file  rings in fd tables         DEEP_VIA_FD
 *   deep_ring_vmas  iter/task_vma   rings mapped by a task      DEEP_VIA_VMA
 *   deep_ring_regs  iter/task       task->io_uring->registered_rings[]
 *   deep_fuse       iter/task_file  /dev/fuse fds (backing id table) and
 *                                   open passthrough files
 * A ring or FUSE connection reached several ways lists its files once: the
 * first object that reaches it claims it in `claimed`.
 *
 * Paths are built here by walking d_parent and mnt_parent: bpf_d_path()
 * accepts only the iterator's own trusted file, and a fixed slot's file is
 * read from kernel memory.
 *
 * Layouts are picked by CO-RE field existence, never by version:
 *   6.13+     ctx->file_table.data.nr, ctx->file_table.data.nodes[i]->file_ptr
 *   <= 6.12   ctx->nr_user_files,      ctx->file_table.files[i].file_ptr
 * Each check is written out at every use: libbpf poisons the branch that
 * does not match, so the choice must be a load-time constant there. */
#include "kernel_types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "../deep_records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* A ring is an anon file whose f_op is io_uring_fops; that symbol is static
 * data, missing from kallsyms without CONFIG_KALLSYMS_ALL, but its release
 * handler is a text symbol.  __weak: a missing symbol reads as 0 and the
 * anon inode's name is checked instead. */
extern const void io_uring_release __ksym __weak;
extern const void fuse_dev_release __ksym __weak;
extern const void fuse_release __ksym __weak;

/* file_ptr keeps flags in its low bits (FFS_NOWAIT, FFS_ISREG, and
 * FFS_SCM up to 6.6); struct file is 8-byte aligned on every kernel. */
#define FFS_FLAG_BITS     7UL
#define IO_RINGFD_REG_MAX 16
#define XA_CHUNK_MASK     63
#define FUSE_MAX_IDS      65536

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, u64);
    __type(value, u64);
} claimed SEC(".maps");

struct name_comp {
    u16 len;
    char name[DEEP_NAME_MAX + 1];
} __attribute__((packed));

struct scratch {
    struct deep_owner owner;
    struct deep_slot slot;
    struct deep_trunc trunc;
    struct name_comp comp;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Set by the loader to continue a listing that ran out of seq buffer: only
 * owner resume_key is listed, from slot resume_from on. */
u64 resume_key;
u32 resume_from;

/* Set by deep_fuse when this kernel's FUSE types resolved: without it an
 * empty FUSE listing means "could not look", not "nothing there". */
u32 fuse_layout_known;

/* The most one slot can write: its record, the path, a length per
 * component, the end marker and a truncation record after it. */
#define SLOT_WORST                                                                                 \
    (sizeof(struct deep_slot) + DEEP_PATH_BYTES + 2 * (DEEP_MAX_DEPTH + 1) +                       \
     sizeof(struct deep_trunc))

static __always_inline bool is_ring_file(struct file *file)
{
    const struct file_operations *fop = BPF_CORE_READ(file, f_op);
    if (!fop)
        return false;
    if (&io_uring_release)
        return (u64)BPF_CORE_READ(fop, release) == (u64)&io_uring_release;
    char name[12] = {};
    const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
    if (bpf_probe_read_kernel_str(name, sizeof(name), p) != 11)
        return false;
    return name[0] == '[' && name[1] == 'i' && name[2] == 'o' && name[3] == '_' && name[4] == 'u' &&
           name[5] == 'r' && name[6] == 'i' && name[7] == 'n' && name[8] == 'g' && name[9] == ']';
}

struct listing {
    struct seq_file *seq;
    struct scratch *s;
    u64 owner_key;
    void *table;
    u32 n, start;
    u64 budget; /* bytes this seq object may still write */
};

static __always_inline u32 put_comp(struct listing *l, const unsigned char *name)
{
    struct name_comp *c = &l->s->comp;
    long n = bpf_probe_read_kernel_str(c->name, sizeof(c->name), name);
    if (n <= 0)
        n = 1;
    u32 len = (u32)(n - 1) & 0xff;
    c->len = len;
    bpf_seq_write(l->seq, c, len + 2);
    return len + 2;
}

struct path_walk {
    struct listing *l;
    struct dentry *d;
    struct mount *m;
    u32 bytes, comps;
    bool cut, detached;
};

/* One step towards the root: at a mount's root cross to where it is
 * mounted, else emit the name and go to the parent.  Ends at a mount that
 * is its own parent: the root of its namespace, or a detached tree. */
static long path_step(u32 i, void *data)
{
    struct path_walk *w = data;
    struct dentry *d = w->d;
    struct mount *m = w->m;
    struct dentry *up = BPF_CORE_READ(d, d_parent);
    if (d == BPF_CORE_READ(m, mnt.mnt_root) || d == up) {
        struct mount *parent = BPF_CORE_READ(m, mnt_parent);
        if (!parent || parent == m) {
            if (bpf_core_field_exists(struct mount, mnt_ns))
                w->detached = BPF_CORE_READ(m, mnt_ns) == NULL;
            return 1;
        }
        w->d = BPF_CORE_READ(m, mnt_mountpoint);
        w->m = parent;
        return 0;
    }
    if (w->bytes + DEEP_NAME_MAX + 3 > DEEP_PATH_BYTES || w->comps >= DEEP_MAX_DEPTH) {
        w->cut = true;
        return 1;
    }
    w->bytes += put_comp(w->l, BPF_CORE_READ(d, d_name.name));
    w->comps++;
    w->d = up;
    return 0;
}

static __always_inline void emit_slot(struct listing *l, u32 idx, struct file *file)
{
    struct deep_slot *r = &l->s->slot;
    struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
    struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
    struct mount *m = (void *)vm - bpf_core_field_offset(struct mount, mnt);
    struct inode *inode = BPF_CORE_READ(file, f_inode);

    r->kind = DEEP_REC_SLOT;
    r->len = sizeof(*r);
    r->owner_key = l->owner_key;
    r->file = (u64)file;
    r->slot = idx;
    r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
    r->ino = BPF_CORE_READ(inode, i_ino);
    r->magic = BPF_CORE_READ(inode, i_sb, s_magic);
    r->mode = BPF_CORE_READ(inode, i_mode);
    r->mnt_id = vm ? BPF_CORE_READ(m, mnt_id) : -1;
    r->flags = 0;
    r->pad = 0;
    const struct dentry_operations *dop = BPF_CORE_READ(d, d_op);
    if (dop && BPF_CORE_READ(dop, d_dname))
        r->flags |= DEEP_SLOT_DNAME;
    if (!BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d)
        r->flags |= DEEP_SLOT_DELETED;

    bpf_seq_write(l->seq, r, sizeof(*r));
    u32 used = sizeof(*r);
    u16 end = DEEP_PATH_END;
    if (r->flags & DEEP_SLOT_DNAME) {
        /* socket:[N], pipe:[N], anon_inode:NAME: userspace builds them
         * from s_magic, i_ino and this name. */
        used += put_comp(l, BPF_CORE_READ(d, d_name.name));
    } else {
        struct path_walk w = {.l = l, .d = d, .m = m};
        /* A nested bpf_loop: a bounded loop here would be unrolled by the
         * verifier for every path through the slot loop. */
        bpf_loop(DEEP_MAX_DEPTH * 2, path_step, &w, 0);
        used += w.bytes;
        end = w.cut ? DEEP_PATH_CUT : w.detached ? DEEP_PATH_DETACHED : DEEP_PATH_END;
    }
    bpf_seq_write(l->seq, &end, sizeof(end));
    used += sizeof(end);
    l->budget = l->budget > used ? l->budget - used : 0;
}

static __always_inline bool out_of_budget(struct listing *l, u32 next)
{
    if (l->budget >= SLOT_WORST)
        return false;
    struct deep_trunc *t = &l->s->trunc;
    t->kind = DEEP_REC_TRUNC;
    t->len = sizeof(*t);
    t->owner_key = l->owner_key;
    t->next_slot = next;
    t->pad = 0;
    bpf_seq_write(l->seq, t, sizeof(*t));
    return true;
}

static long ring_slot(u32 i, void *data)
{
    struct listing *l = data;
    i += l->start;
    if (i >= l->n)
        return 1;
    unsigned long fp = 0;
    if (bpf_core_field_exists(struct io_file_table, data)) {
        struct io_rsrc_node *node = NULL;
        bpf_probe_read_kernel(&node, sizeof(node), (struct io_rsrc_node **)l->table + i);
        if (!node)
            return 0;
        fp = BPF_CORE_READ(node, file_ptr);
    } else if (bpf_core_field_exists(struct io_ring_ctx___old, nr_user_files)) {
        struct io_fixed_file___old *slot =
            (void *)l->table + (u64)i * bpf_core_type_size(struct io_fixed_file___old);
        fp = BPF_CORE_READ(slot, file_ptr);
    } else {
        return 1;
    }
    struct file *file = (struct file *)(fp & ~FFS_FLAG_BITS);
    if (!file)
        return 0;
    if (out_of_budget(l, i))
        return 1;
    emit_slot(l, i, file);
    return 0;
}

/* The first seq object to reach an owner lists its slots.  When that
 * object overflows the seq buffer, bpf_iter shows it again with the same
 * seq_num, so the claim is a tag of (iterator, seq_num), not a bit. */
static __always_inline bool claim(u64 key, u64 tag)
{
    u64 *v = bpf_map_lookup_elem(&claimed, &key);
    if (v)
        return *v == tag;
    bpf_map_update_elem(&claimed, &key, &tag, BPF_NOEXIST);
    return true;
}

static __always_inline struct scratch *get_scratch(void)
{
    u32 zero = 0;
    return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline void owner_header(struct deep_owner *o, struct task_struct *task, u32 via,
                                         s32 fd, u64 key)
{
    __builtin_memset(o, 0, sizeof(*o));
    o->kind = DEEP_REC_OWNER;
    o->len = sizeof(*o);
    o->via = via;
    o->pid = BPF_CORE_READ(task, tgid);
    o->tid = BPF_CORE_READ(task, pid);
    o->fd = fd;
    o->owner_key = key;
    BPF_CORE_READ_STR_INTO(&o->comm, task, comm);
}

/* seq_start: seq->count when this seq object began, for its budget. */
static __always_inline int emit_ring(struct bpf_iter_meta *meta, struct task_struct *task,
                                     struct file *file, u32 via, s32 fd, u64 iter_tag,
                                     u64 seq_start)
{
    struct scratch *s = get_scratch();
    if (!s)
        return 0;
    struct seq_file *seq = meta->seq;
    u64 ctx = (u64)BPF_CORE_READ(file, private_data);
    if (!ctx)
        return 0;
    if (resume_key && ctx != resume_key)
        return 0;
    struct deep_owner *o = &s->owner;
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    void *table = NULL;
    u32 n = 0, layout = DEEP_LAYOUT_NONE;

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
    owner_header(o, task, via, fd, ctx);
    o->ino = BPF_CORE_READ(inode, i_ino);
    o->dev = BPF_CORE_READ(inode, i_sb, s_dev);
    o->nslots = n;
    if (bpf_core_field_exists(struct io_ring_ctx, flags))
        o->ring_flags = BPF_CORE_READ((struct io_ring_ctx *)ctx, flags);
    o->layout = layout;
    u32 start = resume_key ? resume_from : 0;
    if (resume_key)
        o->lists_slots = table && n > start;
    else
        o->lists_slots = table && n && claim(ctx, iter_tag << 56 | meta->seq_num);
    bpf_seq_write(seq, o, sizeof(*o));
    if (!o->lists_slots)
        return 0;

    struct listing l = {
        .seq = seq, .s = s, .owner_key = ctx, .table = table, .n = n, .start = start};
    /* One seq object's output must fit the seq buffer (PAGE_SIZE << 3)
     * or read() fails with E2BIG. */
    u64 size = BPF_CORE_READ(seq, size);
    u64 own = BPF_CORE_READ(seq, count) - seq_start;
    l.budget = size > own ? size - own : 0;
    bpf_loop(n - start, ring_slot, &l, 0);
    return 0;
}

SEC("iter/task_file")
int deep_ring_fds(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task || !is_ring_file(file))
        return 0;
    return emit_ring(ctx->meta, task, file, DEEP_VIA_FD, ctx->fd, 1,
                     BPF_CORE_READ(ctx->meta, seq, count));
}

SEC("iter/task_vma")
int deep_ring_vmas(struct bpf_iter__task_vma *ctx)
{
    struct vm_area_struct *vma = ctx->vma;
    struct task_struct *task = ctx->task;
    if (!vma || !task)
        return 0;
    struct file *file = BPF_CORE_READ(vma, vm_file);
    if (!file || !is_ring_file(file))
        return 0;
    return emit_ring(ctx->meta, task, file, DEEP_VIA_VMA, -1, 2,
                     BPF_CORE_READ(ctx->meta, seq, count));
}

/* Registered ring fds are per thread, and are the only trace of a ring set
 * up with NO_MMAP | REGISTERED_FD_ONLY. */
SEC("iter/task")
int deep_ring_regs(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    if (!task || !bpf_core_field_exists(struct task_struct, io_uring))
        return 0;
    struct io_uring_task *tctx = BPF_CORE_READ(task, io_uring);
    if (!tctx)
        return 0;
    u64 seq_start = BPF_CORE_READ(ctx->meta, seq, count);
    for (int i = 0; i < IO_RINGFD_REG_MAX; i++) {
        struct file *f = NULL;
        bpf_probe_read_kernel(&f, sizeof(f),
                              __builtin_preserve_access_index(&tctx->registered_rings[i]));
        if (f)
            emit_ring(ctx->meta, task, f, DEEP_VIA_REGISTERED, i, 3, seq_start);
    }
    return 0;
}

/* ---- FUSE passthrough (6.9+) ----------------------------------------- */

/* xa_load(): internal node pointers are tagged 2 and above 4096. */
static __always_inline void *xa_lookup(void *head, u64 index)
{
    u64 e = (u64)head;
    if (!((e & 3) == 2 && e > 4096))
        return index == 0 ? head : NULL;
    for (int level = 0; level < 11; level++) {
        struct xa_node *node = (void *)(e - 2);
        u32 shift = BPF_CORE_READ(node, shift);
        if (level == 0 && shift < 64 && (index >> shift) > XA_CHUNK_MASK)
            return NULL;
        u32 off = (index >> (shift & 63)) & XA_CHUNK_MASK;
        e = 0;
        bpf_probe_read_kernel(&e, sizeof(e), &node->slots[off]);
        if (!e)
            return NULL;
        if ((e & 3) == 2 && e > 4096 && shift > 0)
            continue;
        if ((e & 3) == 2)
            return NULL; /* retry, zero or sibling entry */
        return (void *)e;
    }
    return NULL;
}

struct id_walk {
    struct listing *l;
    void *head;
    u32 base;
};

static long backing_id_step(u32 i, void *data)
{
    struct id_walk *iw = data;
    u32 id = iw->l->start + i + 1; /* ids are allocated from 1 */
    struct fuse_backing *fb = xa_lookup(iw->head, id - iw->base);
    if (!fb)
        return 0;
    struct file *file = BPF_CORE_READ(fb, file);
    if (!file)
        return 0;
    if (out_of_budget(iw->l, id - 1))
        return 1;
    emit_slot(iw->l, id, file);
    return 0;
}

static __always_inline void fuse_conn_ids(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                          struct scratch *s, struct file *file, u64 seq_start)
{
    struct fuse_dev *fud = BPF_CORE_READ(file, private_data);
    if ((u64)fud < 4096) /* not attached to a connection yet */
        return;
    struct fuse_conn *fc = BPF_CORE_READ(fud, fc);
    if (!fc || (resume_key && (u64)fc != resume_key))
        return;
    struct seq_file *seq = ctx->meta->seq;
    u32 next = BPF_CORE_READ(fc, backing_files_map.idr_next);
    u32 n = next < FUSE_MAX_IDS ? next : FUSE_MAX_IDS;
    u32 start = resume_key ? resume_from : 0;
    owner_header(&s->owner, task, DEEP_VIA_FUSE_DEV, ctx->fd, (u64)fc);
    s->owner.dev = BPF_CORE_READ(fc, dev);
    s->owner.nslots = n;
    if (resume_key)
        s->owner.lists_slots = n > start;
    else
        s->owner.lists_slots = claim((u64)fc, 4ULL << 56 | ctx->meta->seq_num);
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
    if (!s->owner.lists_slots)
        return;
    struct listing l = {.seq = seq, .s = s, .owner_key = (u64)fc, .n = n, .start = start};
    u64 size = BPF_CORE_READ(seq, size);
    u64 own = BPF_CORE_READ(seq, count) - seq_start;
    l.budget = size > own ? size - own : 0;
    struct id_walk iw = {
        .l = &l,
        .head = BPF_CORE_READ(fc, backing_files_map.idr_rt.xa_head),
        .base = BPF_CORE_READ(fc, backing_files_map.idr_base),
    };
    bpf_loop(n > start ? n - start : 0, backing_id_step, &iw, 0);
}

static __always_inline void fuse_open_file(struct bpf_iter__task_file *ctx,
                                           struct task_struct *task, struct scratch *s,
                                           struct file *file, u64 seq_start)
{
    struct fuse_file *ff = BPF_CORE_READ(file, private_data);
    if (!ff || resume_key)
        return;
    struct file *pt = BPF_CORE_READ(ff, passthrough);
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    struct fuse_inode *fi = (void *)inode - bpf_core_field_offset(struct fuse_inode, inode);
    struct fuse_backing *fb = BPF_CORE_READ(fi, fb);
    struct file *inode_file = fb ? BPF_CORE_READ(fb, file) : NULL;
    if (!pt && !inode_file)
        return;
    struct seq_file *seq = ctx->meta->seq;
    owner_header(&s->owner, task, DEEP_VIA_FUSE_FILE, ctx->fd, (u64)ff);
    s->owner.dev = BPF_CORE_READ(ff, fm, fc, dev);
    s->owner.ino = BPF_CORE_READ(inode, i_ino);
    s->owner.nslots = 2;
    s->owner.lists_slots = 1;
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
    struct listing l = {.seq = seq, .s = s, .owner_key = (u64)ff, .n = 2};
    u64 size = BPF_CORE_READ(seq, size);
    u64 own = BPF_CORE_READ(seq, count) - seq_start;
    l.budget = size > own ? size - own : 0;
    if (pt && !out_of_budget(&l, 0))
        emit_slot(&l, 0, pt);
    if (inode_file && !out_of_budget(&l, 1))
        emit_slot(&l, 1, inode_file);
}

SEC("iter/task_file")
int deep_fuse(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    if (!bpf_core_field_exists(struct fuse_conn, backing_files_map))
        return 0; /* no passthrough before 6.9, or no BTF for the fuse module */
    fuse_layout_known = 1;
    u64 release = (u64)BPF_CORE_READ(file, f_op, release);
    if (!release)
        return 0;
    struct scratch *s = get_scratch();
    if (!s)
        return 0;
    u64 seq_start = BPF_CORE_READ(ctx->meta, seq, count);
    if (&fuse_dev_release && release == (u64)&fuse_dev_release)
        fuse_conn_ids(ctx, task, s, file, seq_start);
    else if (&fuse_release && release == (u64)&fuse_release &&
             bpf_core_field_exists(struct fuse_file, passthrough))
        fuse_open_file(ctx, task, s, file, seq_start);
    return 0;
}
