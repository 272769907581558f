// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* deep.bpf.c: the kernel side of `lshidden --deep`.
 *
 * BPF iterators that find what /proc cannot show and write binary records
 * (deep_records.h) into the iterator's seq_file:
 *   deep_files      iter/task_file  rings in fd tables (DEEP_VIA_FD);
 *                                   /dev/fuse fds and fusectl directories
 *                                   (a connection's backing-id table);
 *                                   open FUSE passthrough files;
 *                                   fds on a --mount target  DEEP_VIA_TASK
 *   deep_vmas       iter/task_vma   rings mapped by a task      DEEP_VIA_VMA;
 *                                   mapped passthrough files DEEP_VIA_FUSE_MAP;
 *                                   mappings of a --mount target
 *   deep_tasks      iter/task       task->io_uring->registered_rings[];
 *                                   every process, seen (DEEP_VIA_TASK);
 *                                   cwd, root and exe on a --mount target
 * A ring or FUSE connection reached several ways lists its files once: the
 * first object that reaches it claims it in `claimed`.
 *
 * Files are recognised by what they are (filesystem magic, device number,
 * anon inode name), not by comparing f_op with kernel symbols: resolving
 * __ksym externs makes libbpf parse all of /proc/kallsyms, which costs more
 * than everything else the scan does.
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

#include "../../parse/deep_records.h"
#include "ref_bytes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ANON_INODE_FS_MAGIC  0x09041934UL
#define FUSE_SUPER_MAGIC     0x65735546UL
#define FUSE_CTL_SUPER_MAGIC 0x65735543UL
#define S_IFMT               0170000
#define S_IFREG              0100000
#define S_IFCHR              0020000
/* /dev/fuse is MKDEV(MISC_MAJOR, FUSE_MINOR) in the kernel's encoding. */
#define FUSE_DEV_RDEV ((10U << 20) | 229U)

/* file_ptr keeps flags in its low bits (FFS_NOWAIT, FFS_ISREG, and
 * FFS_SCM up to 6.6); struct file is 8-byte aligned on every kernel. */
#define FFS_FLAG_BITS     7UL
#define IO_RINGFD_REG_MAX 16
#define XA_CHUNK_SHIFT    6
#define XA_CHUNK_SIZE     64
/* 32-bit ids in 64-way nodes need 6 levels. */
#define XA_MAX_DEPTH 8
/* Slots looked at to find the next leaf: 64 per level is the most. */
#define XA_DESCEND_STEPS (XA_CHUNK_SIZE * XA_MAX_DEPTH)
/* Leaves per listing: 4 million ids' worth of occupied leaves. */
#define XA_MAX_LEAVES (1U << 16)

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    /* Entries are allocated as rings are met: most hosts have a handful.
     * The bucket array is not: the loader starts small and loads again
     * with room for a million when this fills (DEEP_CLAIMS_*). */
    __uint(max_entries, 1 << 20);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, u64);
    __type(value, u64);
} claimed SEC(".maps");

/* Where a walk of an IDR's xarray is: the path of internal nodes down to
 * the leaf being listed.  prefix[d] is the first index under node[d]. */
struct xa_walk {
    u64 node[XA_MAX_DEPTH];
    u64 prefix[XA_MAX_DEPTH];
    u32 shift[XA_MAX_DEPTH];
    u32 off[XA_MAX_DEPTH];
    u32 depth;
    u32 done;
    u64 from; /* first index to list */
    u64 leaf, leaf_first;
};

struct scratch {
    struct deep_owner owner;
    struct deep_trunc trunc;
    struct xa_walk walk;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Set by the loader for --mount: the superblocks (kernel dev_t) whose
 * references every task's fds, cwd, root, exe and mappings are read for. */
const volatile u32 ntarget_devs = 0;
const volatile u32 target_devs[DEEP_MAX_TARGETS] = {};

/* Set by the loader for -a: every fd of every task is written (as a
 * reference of DEEP_VIA_TASK), so that the walk need not read each fd's
 * link and stat it. */
const volatile u32 all_fds = 0;

/* Set when a task's references did not fit its seq buffer. */
u32 task_refs_cut;

/* Set by the loader to continue a listing that ran out of seq buffer: only
 * owner resume_key is listed, from slot resume_from on. */
u64 resume_key;
u32 resume_from;

/* Cleared by the loader to load the io_uring part alone when the FUSE part
 * is refused: the verifier drops code behind a false constant. */
const volatile u32 with_fuse = 1;

/* Set by deep_files when this kernel's FUSE types resolved: without it an
 * empty FUSE listing means "could not look", not "nothing there". */
u32 fuse_layout_known;

/* Set when a FUSE backing-id table was larger than one walk can cover. */
u32 fuse_walk_cut;

/* Set when `claimed` could not take another object. */
u32 claims_full;

/* The most one slot can write: its record, the path, a length per
 * component, the end marker and a truncation record after it. */
#define SLOT_WORST                                                                                 \
    (sizeof(struct deep_slot) + DEEP_PATH_BYTES + 2 * (DEEP_MAX_DEPTH + 1) +                       \
     sizeof(struct deep_trunc))

/* io_uring names its anon inode file "[io_uring]"; nothing else does. */
static __always_inline bool is_ring_file(struct file *file)
{
    char name[12] = {};
    if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != ANON_INODE_FS_MAGIC)
        return false;
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
    u64 tag;    /* the object shown, for ref_bytes' cache of paths; 0: none */
};

static __always_inline void emit_ref_bytes(struct listing *l, int n)
{
    u32 len = write_ref_bytes(l->seq, n);
    l->budget = l->budget > len ? l->budget - len : 0;
}

static __always_inline void emit_slot(struct listing *l, u32 idx, struct file *file)
{
    emit_ref_bytes(l, ref_bytes(scalar_of((void *)l->owner_key), idx, scalar_of(file), 0, l->tag));
}

/* What the current seq object may still write: its whole output must fit
 * the seq buffer (PAGE_SIZE << 3) or read() fails with E2BIG.  seq_start
 * is seq->count when the object began. */
static __always_inline u64 seq_budget(struct seq_file *seq, u64 seq_start)
{
    u64 size = BPF_CORE_READ(seq, size);
    u64 own = BPF_CORE_READ(seq, count) - seq_start;
    return size > own ? size - own : 0;
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
    /* Built first and measured: most slots are a short record naming a
     * file already written, and a listing stops when the next one does
     * not fit, not when the largest possible one might not. */
    int n = ref_bytes(scalar_of((void *)l->owner_key), i, scalar_of(file), 0, l->tag);
    /* Compared without deriving a register from n: 6.12's verifier loses
     * n's upper bound through a linked copy (n + const) that a branch
     * refines, and then refuses the write of n bytes. */
    if (l->budget < sizeof(struct deep_trunc) ||
        l->budget - sizeof(struct deep_trunc) < (u64)(u32)n) {
        l->budget = 0;
        out_of_budget(l, i);
        return 1;
    }
    emit_ref_bytes(l, n);
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
    if (bpf_map_update_elem(&claimed, &key, &tag, BPF_NOEXIST) != 0)
        claims_full = 1; /* listed by every way it is reached: duplicates */
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

#define IORING_SETUP_SQPOLL_ (1U << 1)

/* What fdinfo prints of a ring beside its table: its SQPOLL thread and its
 * registered buffers, so that the walk need not read fdinfo (a d_path per
 * slot).  Left unset (ring_details 0) where this kernel's layout is not
 * known here; the walk then reads fdinfo. */
static __always_inline void ring_details(struct deep_owner *o, u64 ctx)
{
    o->sq_thread = -1;
    if (bpf_core_field_exists(struct io_ring_ctx, buf_table.nr))
        o->user_bufs = BPF_CORE_READ((struct io_ring_ctx *)ctx, buf_table.nr);
    else if (bpf_core_field_exists(struct io_ring_ctx___old, nr_user_bufs))
        o->user_bufs = BPF_CORE_READ((struct io_ring_ctx___old *)ctx, nr_user_bufs);
    else
        return;
    if (!bpf_core_field_exists(struct io_ring_ctx, sq_data) ||
        !bpf_core_field_exists(struct io_ring_ctx, flags))
        return;
    if (o->ring_flags & IORING_SETUP_SQPOLL_) {
        struct io_sq_data *sq = BPF_CORE_READ((struct io_ring_ctx *)ctx, sq_data);
        struct task_struct *thread = sq ? BPF_CORE_READ(sq, thread) : NULL;
        if (thread)
            o->sq_thread = BPF_CORE_READ(thread, pid);
    }
    o->ring_details = 1;
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
    ring_details(o, ctx);
    /* The loader unclaims the ring before continuing its listing, so that
     * only one of the task's ways to it lists the rest. */
    u32 start = resume_key ? resume_from : 0;
    o->lists_slots = table && n > start && claim(ctx, iter_tag << 56 | meta->seq_num);
    bpf_seq_write(seq, o, sizeof(*o));
    if (!o->lists_slots)
        return 0;

    struct listing l = {.seq = seq,
                        .s = s,
                        .owner_key = ctx,
                        .table = table,
                        .n = n,
                        .start = start,
                        .budget = seq_budget(seq, seq_start),
                        .tag = iter_tag << 56 | meta->seq_num};
    bpf_loop(n - start, ring_slot, &l, 0);
    return 0;
}

/* ---- a --mount target's references, for processes /proc hides -------- */

static __always_inline bool on_target(struct inode *inode)
{
    if (!inode)
        return false;
    u32 dev = BPF_CORE_READ(inode, i_sb, s_dev);
    for (u32 i = 0; i < DEEP_MAX_TARGETS && i < ntarget_devs; i++)
        if (target_devs[i] == dev)
            return true;
    return false;
}

/* The task's owner record: one per task, with or without references, so
 * that userspace knows the task was looked at. */
static __always_inline void task_owner(struct seq_file *seq, struct scratch *s,
                                       struct task_struct *task)
{
    owner_header(&s->owner, task, DEEP_VIA_TASK, -1, (u64)task);
    s->owner.lists_slots = 1;
    /* Its mount and network namespaces, which /proc may hide too. */
    s->owner.ino = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
    s->owner.dev = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
}

/* The task the last owner record of task_ref() was about, and who wrote it. */
u64 owner_task, owner_tag, owner_run;

/* One reference of a task (on a target, or any with all_fds): its owner
 * record, then the file.  tag: the object shown, for the cache of paths
 * (0: none). */
static __always_inline void task_ref(struct bpf_iter_meta *meta, struct task_struct *task,
                                     struct file *file, u32 idx, u64 seq_start, u64 tag)
{
    struct scratch *s = get_scratch();
    if (!s)
        return;
    struct seq_file *seq = meta->seq;
    struct listing l = {.seq = seq, .s = s, .owner_key = (u64)task, .tag = tag};
    l.budget = seq_budget(seq, seq_start);
    if (l.budget < SLOT_WORST + sizeof(struct deep_owner)) {
        task_refs_cut = 1;
        return;
    }
    /* A task's fds come one after another: one owner record serves them. */
    if (!tag || owner_task != (u64)task || !ref_written(owner_tag, owner_run, tag)) {
        task_owner(seq, s, task);
        l.budget -= sizeof(struct deep_owner);
        owner_task = (u64)task;
        owner_tag = tag;
        owner_run = ref_runs;
    }
    emit_slot(&l, idx, file);
}

struct task_path_ref {
    struct dentry *dentry;
    struct inode *inode;
    u64 file, path;
};

struct task_paths {
    struct listing *l;
    struct task_path_ref cwd, root, exe;
};

/* A loop over cwd, root and exe, so that the verifier sees emit_ref once.
 * Picked by name: a variable index into the stack is refused. */
static long task_path(u32 i, void *data)
{
    struct task_paths *tp = data;
    struct task_path_ref *r = i == 0 ? &tp->cwd : i == 1 ? &tp->root : &tp->exe;
    u32 index = i == 0 ? DEEP_REF_CWD : i == 1 ? DEEP_REF_ROOT : DEEP_REF_EXE;
    if (!r->dentry || !on_target(r->inode))
        return 0;
    if (tp->l->budget < SLOT_WORST) {
        task_refs_cut = 1;
        return 1;
    }
    emit_ref_bytes(tp->l, ref_bytes(scalar_of((void *)tp->l->owner_key), index,
                                    scalar_of((void *)r->file), scalar_of((void *)r->path), 0));
    return 0;
}

static __always_inline void path_ref(struct task_path_ref *r, struct path *p)
{
    struct dentry *d = BPF_CORE_READ(p, dentry);
    r->dentry = d;
    r->inode = d ? BPF_CORE_READ(d, d_inode) : NULL;
    r->path = (u64)p;
}

/* A thread-group leader: its owner record, which tells userspace the task
 * was seen, then its cwd, root and executable on a target.  Not inlined:
 * its stack would count in deep_tasks' frame, and 6.1 limits the frames of
 * a whole chain (deep_tasks, registered_ring, ring_slot, ref_bytes,
 * path_step) to 512 bytes. */
static __noinline int task_paths(struct bpf_iter_meta *meta, struct task_struct *task)
{
    struct scratch *s = get_scratch();
    if (!s)
        return 0;
    struct seq_file *seq = meta->seq;
    u64 seq_start = BPF_CORE_READ(seq, count);
    task_owner(seq, s, task);
    struct listing l = {.seq = seq, .s = s, .owner_key = (u64)task};
    l.budget = seq_budget(seq, seq_start);
    if (!ntarget_devs)
        return 0; /* the owner record alone says the task was seen */
    struct task_paths tp = {.l = &l};
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (fs) {
        path_ref(&tp.cwd, __builtin_preserve_access_index(&fs->pwd));
        path_ref(&tp.root, __builtin_preserve_access_index(&fs->root));
    }
    struct file *exe = BPF_CORE_READ(task, mm, exe_file);
    if (exe) {
        tp.exe.dentry = BPF_CORE_READ(exe, f_path.dentry);
        tp.exe.inode = BPF_CORE_READ(exe, f_inode);
        tp.exe.file = (u64)exe;
    }
    bpf_loop(3, task_path, &tp, 0);
    return 0;
}

/* ---- passthrough files held only by a mapping ------------------------- */

/* The FUSE file a backing file stands for (its user_path), when file is
 * one: NULL otherwise.  FMODE_BACKING is bit 25 up to 6.13 and bit 24 from
 * 6.14, and stable kernels took that renumbering at different points
 * (Debian's 6.12 has bit 24), so either bit is only a hint and the
 * backing_file layout is checked: a user path that is consistent (its
 * dentry's and its mount's superblock agree), on FUSE, over a real file
 * elsewhere. */
static __always_inline struct dentry *fuse_user_dentry(struct file *file)
{
    if (!bpf_core_field_exists(struct backing_file, user_path))
        return NULL;
    if (!(BPF_CORE_READ(file, f_mode) & (1U << 24 | 1U << 25)))
        return NULL;
    struct backing_file *bf = (void *)file;
    struct dentry *ud = BPF_CORE_READ(bf, user_path.dentry);
    struct vfsmount *um = BPF_CORE_READ(bf, user_path.mnt);
    if (!ud || !um)
        return NULL;
    struct super_block *sb = BPF_CORE_READ(ud, d_sb);
    if (!sb || sb != BPF_CORE_READ(um, mnt_sb) || BPF_CORE_READ(sb, s_magic) != FUSE_SUPER_MAGIC)
        return NULL;
    if (BPF_CORE_READ(file, f_inode, i_sb) == sb)
        return NULL;
    return ud;
}

/* A FUSE passthrough mapping holds the backing file itself (vm_file), not
 * the FUSE file: once the client closed its fd, and the server its backing
 * id, nothing else names it. */
static __always_inline void fuse_mapped_file(struct bpf_iter__task_vma *ctx,
                                             struct task_struct *task, struct file *file)
{
    if (!with_fuse || !bpf_core_field_exists(struct fuse_conn, backing_files_map) || resume_key)
        return;
    struct dentry *ud = fuse_user_dentry(file);
    if (!ud)
        return;
    struct super_block *usb = BPF_CORE_READ(ud, d_sb);
    struct scratch *s = get_scratch();
    if (!s)
        return;
    struct seq_file *seq = ctx->meta->seq;
    u64 seq_start = BPF_CORE_READ(seq, count);
    struct fuse_mount *fm = BPF_CORE_READ(usb, s_fs_info);
    owner_header(&s->owner, task, DEEP_VIA_FUSE_MAP, -1, (u64)file);
    s->owner.dev = fm ? BPF_CORE_READ(fm, fc, dev) : 0;
    s->owner.ino = BPF_CORE_READ(ud, d_inode, i_ino);
    s->owner.nslots = 1;
    /* A task maps a file in many pieces, and tasks share mappings: the
     * first to reach the file lists it. */
    s->owner.lists_slots = claim((u64)file, 4ULL << 56 | ctx->meta->seq_num);
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
    if (!s->owner.lists_slots)
        return;
    struct listing l = {
        .seq = seq, .s = s, .owner_key = (u64)file, .n = 1, .budget = seq_budget(seq, seq_start)};
    if (!out_of_budget(&l, 0))
        emit_slot(&l, 0, file); /* DEEP_OPEN_OWN */
}

SEC("iter/task_vma")
int deep_vmas(struct bpf_iter__task_vma *ctx)
{
    ref_runs++;
    struct vm_area_struct *vma = ctx->vma;
    struct task_struct *task = ctx->task;
    if (!vma || !task)
        return 0;
    struct file *file = BPF_CORE_READ(vma, vm_file);
    if (!file)
        return 0;
    if (is_ring_file(file))
        return emit_ring(ctx->meta, task, file, DEEP_VIA_VMA, -1, 2,
                         BPF_CORE_READ(ctx->meta, seq, count));
    if (ntarget_devs && !resume_key && on_target(BPF_CORE_READ(file, f_inode)))
        task_ref(ctx->meta, task, file, DEEP_REF_MAP, BPF_CORE_READ(ctx->meta, seq, count), 0);
    fuse_mapped_file(ctx, task, file);
    return 0;
}

/* Registered ring fds are per thread, and are the only trace of a ring set
 * up with NO_MMAP | REGISTERED_FD_ONLY. */
struct registered_rings {
    struct bpf_iter_meta *meta;
    struct task_struct *task;
    struct io_uring_task *tctx;
    u64 seq_start;
};

/* One registered ring index: a loop, not an unrolled body, because each
 * emit_ring copy costs the verifier as much as the rest of a program. */
static long registered_ring(u32 i, void *data)
{
    struct registered_rings *rr = data;
    struct io_uring_task *tctx = rr->tctx;
    struct file *f = NULL;
    bpf_probe_read_kernel(
        &f, sizeof(f),
        __builtin_preserve_access_index(&tctx->registered_rings[i & (IO_RINGFD_REG_MAX - 1)]));
    if (f)
        emit_ring(rr->meta, rr->task, f, DEEP_VIA_REGISTERED, (s32)i, 3, rr->seq_start);
    return 0;
}

SEC("iter/task")
int deep_tasks(struct bpf_iter__task *ctx)
{
    ref_runs++;
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    /* Once per process: threads share their cwd, root and mm (one that
     * unshared its fs is not read). */
    if (!resume_key && BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid))
        task_paths(ctx->meta, task);
    if (!bpf_core_field_exists(struct task_struct, io_uring))
        return 0;
    struct registered_rings rr = {.meta = ctx->meta, .task = task};
    rr.tctx = BPF_CORE_READ(task, io_uring);
    if (!rr.tctx)
        return 0;
    rr.seq_start = BPF_CORE_READ(ctx->meta, seq, count);
    bpf_loop(IO_RINGFD_REG_MAX, registered_ring, &rr, 0);
    return 0;
}

/* ---- FUSE passthrough (6.9+) ----------------------------------------- */

/* An xarray entry that points to a node: tagged 2, and above the small
 * internal values (retry, sibling). */
static __always_inline bool xa_is_node(u64 entry)
{
    return (entry & 3) == 2 && entry > 4096;
}

/* Descends one step of a depth-first walk of an IDR's internal nodes,
 * stopping at the next leaf node (shift 0: 64 ids).  Subtrees that end
 * below w->from are skipped, so a resumed listing does not rescan them. */
static long xa_descend(u32 i, void *data)
{
    struct xa_walk *w = *(struct xa_walk **)data; /* bpf_loop wants a stack pointer */
    u32 d = w->depth & (XA_MAX_DEPTH - 1);
    u32 off = w->off[d];
    if (off >= XA_CHUNK_SIZE) {
        if (d == 0) {
            w->done = 1;
            return 1;
        }
        w->depth = d - 1;
        return 0;
    }
    w->off[d] = off + 1;
    u32 shift = w->shift[d] & 63;
    u64 first = w->prefix[d] + ((u64)off << shift);
    if (first + (1ULL << shift) <= w->from)
        return 0;
    u64 entry = 0;
    bpf_probe_read_kernel(&entry, sizeof(entry),
                          &((struct xa_node *)w->node[d])->slots[off & (XA_CHUNK_SIZE - 1)]);
    if (!xa_is_node(entry)) /* an IDR keeps files in leaves only */
        return 0;
    struct xa_node *child = (void *)(entry - 2);
    u32 child_shift = BPF_CORE_READ(child, shift);
    if (child_shift == 0) {
        w->leaf = (u64)child;
        w->leaf_first = first;
        return 1;
    }
    if (d + 1 < XA_MAX_DEPTH) {
        d = (d + 1) & (XA_MAX_DEPTH - 1);
        w->node[d] = (u64)child;
        w->prefix[d] = first;
        w->shift[d] = child_shift;
        w->off[d] = 0;
        w->depth = d;
    }
    return 0;
}

struct leaf_listing {
    struct listing *l;
    struct xa_node *node;
    u64 first, from;
    u32 base;
    bool stop; /* the seq buffer budget ran out */
};

static long leaf_slot(u32 i, void *data)
{
    struct leaf_listing *ll = data;
    u64 index = ll->first + i;
    if (index < ll->from)
        return 0;
    u64 entry = 0;
    bpf_probe_read_kernel(&entry, sizeof(entry), &ll->node->slots[i & (XA_CHUNK_SIZE - 1)]);
    if (!entry || (entry & 3)) /* retry, sibling and value entries are not files */
        return 0;
    struct file *file = BPF_CORE_READ((struct fuse_backing *)entry, file);
    u32 id = (u32)index + ll->base;
    if (!file)
        return 0;
    if (out_of_budget(ll->l, id)) {
        ll->stop = true;
        return 1;
    }
    emit_slot(ll->l, id, file);
    return 0;
}

struct xa_rounds {
    struct listing *l;
    struct xa_walk *w;
    u32 base;
    bool stop;
};

/* One leaf per round: find it, then list its 64 slots. */
static long xa_round(u32 i, void *data)
{
    struct xa_rounds *r = data;
    struct xa_walk *w = r->w;
    if (!w->leaf) {
        if (w->done)
            return 1;
        bpf_loop(XA_DESCEND_STEPS, xa_descend, &w, 0);
        if (!w->leaf)
            return w->done ? 1 : 0;
    }
    struct leaf_listing ll = {.l = r->l,
                              .node = (void *)w->leaf,
                              .first = w->leaf_first,
                              .from = w->from,
                              .base = r->base};
    w->leaf = 0;
    bpf_loop(XA_CHUNK_SIZE, leaf_slot, &ll, 0);
    r->stop = ll.stop;
    return ll.stop;
}

/* Lists a connection's backing ids, from id `from` on. */
static __always_inline void list_backing_ids(struct listing *l, struct fuse_conn *fc, u32 from)
{
    u64 head = (u64)BPF_CORE_READ(fc, backing_files_map.idr_rt.xa_head);
    struct xa_walk *w = &l->s->walk;
    u32 base = BPF_CORE_READ(fc, backing_files_map.idr_base);
    /* Ids start at 1, so the head is a node whenever there is any. */
    if (!xa_is_node(head))
        return;
    __builtin_memset(w, 0, sizeof(*w));
    w->from = from > base ? from - base : 0;
    struct xa_node *top = (void *)(head - 2);
    u32 shift = BPF_CORE_READ(top, shift);
    if (shift == 0) {
        w->leaf = (u64)top;
        w->done = 1;
    } else {
        w->node[0] = (u64)top;
        w->shift[0] = shift;
    }
    struct xa_rounds r = {.l = l, .w = w, .base = base};
    bpf_loop(XA_MAX_LEAVES, xa_round, &r, 0);
    if (!r.stop && (w->leaf || !w->done))
        fuse_walk_cut = 1;
}

/* task: ctx->task, checked once; read again it would be "maybe NULL". */
static __always_inline void fuse_conn_ids(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                          struct scratch *s, struct fuse_conn *fc, u32 via,
                                          u64 seq_start)
{
    if ((u64)fc < 4096 || (resume_key && (u64)fc != resume_key))
        return;
    struct seq_file *seq = ctx->meta->seq;
    owner_header(&s->owner, task, via, ctx->fd, (u64)fc);
    s->owner.dev = BPF_CORE_READ(fc, dev);
    s->owner.lists_slots = claim((u64)fc, 1ULL << 56 | ctx->meta->seq_num);
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
    if (!s->owner.lists_slots)
        return;
    struct listing l = {
        .seq = seq, .s = s, .owner_key = (u64)fc, .budget = seq_budget(seq, seq_start)};
    list_backing_ids(&l, fc, resume_key ? resume_from : 0);
}

/* A client's open file on FUSE: its own backing file (opened by the kernel
 * for this open) and its inode's, both held with no fd. */
struct open_file_listing {
    struct listing *l;
    struct file *files[2]; /* ff->passthrough, fuse_inode->fb->file */
};

/* A loop of two, so that the verifier sees emit_slot once. */
static long open_file_slot(u32 i, void *data)
{
    struct open_file_listing *ol = data;
    struct file *file = ol->files[i & 1];
    if (!file)
        return 0;
    if (out_of_budget(ol->l, i))
        return 1;
    emit_slot(ol->l, i & 1, file);
    return 0;
}

static __always_inline void fuse_open_file(struct bpf_iter__task_file *ctx,
                                           struct task_struct *task, struct scratch *s,
                                           struct file *file, u64 seq_start)
{
    struct fuse_file *ff = BPF_CORE_READ(file, private_data);
    if ((u64)ff < 4096 || resume_key)
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
    struct listing l = {
        .seq = seq, .s = s, .owner_key = (u64)ff, .n = 2, .budget = seq_budget(seq, seq_start)};
    struct open_file_listing ol = {.l = &l, .files = {pt, inode_file}};
    bpf_loop(2, open_file_slot, &ol, 0);
}

static __always_inline void fuse_file(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                      struct file *file, struct inode *inode, unsigned long magic,
                                      u64 seq_start)
{
    if (!with_fuse || !bpf_core_field_exists(struct fuse_conn, backing_files_map))
        return; /* no passthrough before 6.9, or no BTF for the fuse module */
    fuse_layout_known = 1;
    u32 mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
    struct scratch *s = get_scratch();
    if (!s)
        return;
    if (mode == S_IFCHR && BPF_CORE_READ(inode, i_rdev) == FUSE_DEV_RDEV) {
        /* private_data is NULL, or a small marker, until the fd is mounted. */
        struct fuse_dev *fud = BPF_CORE_READ(file, private_data);
        if ((u64)fud >= 4096)
            fuse_conn_ids(ctx, task, s, BPF_CORE_READ(fud, fc), DEEP_VIA_FUSE_DEV, seq_start);
    } else if (magic == FUSE_CTL_SUPER_MAGIC &&
               (u32)(bpf_get_current_pid_tgid() >> 32) == (u32)BPF_CORE_READ(task, tgid)) {
        /* lshidden's own fd on /sys/fs/fuse/connections/N: every inode
         * there points at its connection. */
        fuse_conn_ids(ctx, task, s, BPF_CORE_READ(inode, i_private), DEEP_VIA_FUSE_CTL, seq_start);
    } else if (magic == FUSE_SUPER_MAGIC && mode == S_IFREG &&
               bpf_core_field_exists(struct fuse_file, passthrough)) {
        fuse_open_file(ctx, task, s, file, seq_start);
    }
}

/* perf_event names its anon inode file "[perf_event]". */
static __always_inline bool is_perf_file(struct file *file)
{
    char name[14] = {};
    const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
    if (bpf_probe_read_kernel_str(name, sizeof(name), p) != 13)
        return false;
    return name[0] == '[' && name[1] == 'p' && name[2] == 'e' && name[3] == 'r' && name[4] == 'f' &&
           name[5] == '_' && name[6] == 'e' && name[7] == 'v' && name[8] == 'e' && name[9] == 'n' &&
           name[10] == 't' && name[11] == ']';
}

/* The PMU of a perf_event fd: a uprobe made with perf_event_open on the
 * uprobe PMU holds its file, and /proc cannot tell it from any other
 * perf event. */
static __always_inline void perf_fd(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                    struct file *file)
{
    struct scratch *s = get_scratch();
    struct perf_event *event = BPF_CORE_READ(file, private_data);
    if (!s || !event)
        return;
    owner_header(&s->owner, task, DEEP_VIA_PERF, ctx->fd, (u64)event);
    s->owner.nslots = BPF_CORE_READ(event, attr.type);
    bpf_seq_write(ctx->meta->seq, &s->owner, sizeof(s->owner));
}

/* fsopen() names its anon inode file "[fscontext]". */
static __always_inline bool is_fscontext_file(struct file *file)
{
    char name[13] = {};
    const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
    if (bpf_probe_read_kernel_str(name, sizeof(name), p) != 12)
        return false;
    return name[0] == '[' && name[1] == 'f' && name[2] == 's' && name[3] == 'c' && name[4] == 'o' &&
           name[5] == 'n' && name[6] == 't' && name[7] == 'e' && name[8] == 'x' && name[9] == 't' &&
           name[10] == ']';
}

/* An fs_context past FSCONFIG_CMD_CREATE holds its superblock, mounted or
 * not: which one /proc cannot tell. */
static __always_inline void fscontext_fd(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                         struct file *file)
{
    struct scratch *s = get_scratch();
    struct fs_context *fc = BPF_CORE_READ(file, private_data);
    if (!s || !fc)
        return;
    owner_header(&s->owner, task, DEEP_VIA_FSCONTEXT, ctx->fd, (u64)fc);
    struct dentry *root = BPF_CORE_READ(fc, root);
    s->owner.dev = root ? BPF_CORE_READ(root, d_sb, s_dev) : 0;
    bpf_seq_write(ctx->meta->seq, &s->owner, sizeof(s->owner));
}

#define SOCKFS_MAGIC 0x534F434BUL
#define AF_UNIX_     1
#define SCM_MAX_FD_  253
/* skbs looked at per receive queue: a queue longer than this is cut. */
#define INFLIGHT_SKBS 1024

struct inflight_files {
    struct listing *l;
    struct scm_fp_list *fpl;
    u32 base; /* files of earlier skbs */
};

static long inflight_file(u32 i, void *data)
{
    struct inflight_files *f = data;
    struct file *file = NULL;
    if (i >= SCM_MAX_FD_)
        return 1;
    bpf_probe_read_kernel(&file, sizeof(file), &f->fpl->fp[i]);
    if (!file || !on_target(BPF_CORE_READ(file, f_inode)))
        return 0;
    if (f->l->budget < SLOT_WORST) {
        task_refs_cut = 1;
        return 1;
    }
    emit_slot(f->l, f->base + i, file);
    return 0;
}

struct inflight_walk {
    struct listing *l;
    struct sk_buff *skb, *head;
    u32 files;
};

static long inflight_skb(u32 i, void *data)
{
    struct inflight_walk *w = data;
    struct sk_buff *skb = w->skb;
    if (!skb || skb == w->head)
        return 1;
    struct unix_skb_parms *cb = (void *)skb + bpf_core_field_offset(struct sk_buff, cb);
    struct scm_fp_list *fpl = BPF_CORE_READ(cb, fp);
    if (fpl) {
        u32 count = (u32)BPF_CORE_READ(fpl, count);
        struct inflight_files f = {.l = w->l, .fpl = fpl, .base = w->files};
        bpf_loop(count < SCM_MAX_FD_ ? count : SCM_MAX_FD_, inflight_file, &f, 0);
        w->files += count;
    }
    w->skb = BPF_CORE_READ(skb, next);
    return 0;
}

/* An AF_UNIX socket's unread messages: the files they carry are held by
 * the kernel, in no fd table, until they are received. */
static __always_inline void inflight_fd(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                        struct file *file, u64 seq_start)
{
    struct socket *sock = BPF_CORE_READ(file, private_data);
    struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
    if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX_ ||
        !BPF_CORE_READ(sk, sk_receive_queue.qlen))
        return;
    struct scratch *s = get_scratch();
    if (!s)
        return;
    struct seq_file *seq = ctx->meta->seq;
    owner_header(&s->owner, task, DEEP_VIA_INFLIGHT, ctx->fd, (u64)sk);
    s->owner.lists_slots = claim((u64)sk, 5ULL << 56 | ctx->meta->seq_num);
    bpf_seq_write(seq, &s->owner, sizeof(s->owner));
    if (!s->owner.lists_slots)
        return;
    struct listing l = {.seq = seq, .s = s, .owner_key = (u64)sk};
    l.budget = seq_budget(seq, seq_start);
    struct inflight_walk w = {
        .l = &l, .head = (void *)sk + bpf_core_field_offset(struct sock, sk_receive_queue)};
    w.skb = BPF_CORE_READ(sk, sk_receive_queue.next);
    bpf_loop(INFLIGHT_SKBS, inflight_skb, &w, 0);
}

/* all_fds: an fd on a file already written, of the task the last owner
 * record was about, is a short record; read with plain loads from the
 * iterator's own file, where ref_bytes() takes a probe read per field.
 * Returns whether it wrote it. */
static __always_inline bool seen_fd(struct bpf_iter__task_file *ctx, struct task_struct *task,
                                    struct file *file, struct inode *inode, u64 tag)
{
    u32 zero = 0;
    struct ref_buf *b = bpf_map_lookup_elem(&ref_map, &zero);
    if (!b || owner_task != (u64)task || !ref_written(owner_tag, owner_run, tag))
        return false;
    b->pending.set = 0;
    b->key.dentry = (u64)file->f_path.dentry;
    b->key.mnt = (u64)file->f_path.mnt;
    b->key.inode = (u64)inode;
    u32 n = ref_from_seen(b, (u64)task, ctx->fd, (u64)file, tag);
    return n && write_ref_bytes(ctx->meta->seq, n);
}

SEC("iter/task_file")
int deep_files(struct bpf_iter__task_file *ctx)
{
    ref_runs++;
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task)
        return 0;
    struct inode *inode = file->f_inode;
    if (!inode)
        return 0;
    u64 seq_start = ctx->meta->seq->count;
    u64 tag = 1ULL << 56 | ctx->meta->seq_num;
    if (!resume_key && all_fds) {
        if (!seen_fd(ctx, task, file, inode, tag))
            task_ref(ctx->meta, task, file, ctx->fd, seq_start, tag);
    } else if (!resume_key && ntarget_devs && on_target(inode)) {
        task_ref(ctx->meta, task, file, ctx->fd, seq_start, tag);
    }
    unsigned long magic = inode->i_sb->s_magic;
    if (magic == SOCKFS_MAGIC) {
        if (ntarget_devs && !resume_key)
            inflight_fd(ctx, task, file, seq_start);
        return 0;
    }
    if (magic == ANON_INODE_FS_MAGIC) {
        if (is_ring_file(file))
            emit_ring(ctx->meta, task, file, DEEP_VIA_FD, ctx->fd, 1, seq_start);
        else if (ntarget_devs && !resume_key && is_perf_file(file))
            perf_fd(ctx, task, file);
        else if (ntarget_devs && !resume_key && is_fscontext_file(file))
            fscontext_fd(ctx, task, file);
        return 0;
    }
    fuse_file(ctx, task, file, inode, magic, seq_start);
    return 0;
}
