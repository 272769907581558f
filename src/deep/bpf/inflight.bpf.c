// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* inflight.bpf.c: requests in flight that hold a file on a --mount target
 * after their fd was closed.  Loaded only for --mount (and --dev), apart
 * from deep.bpf.c, so the default view does not pay for it.
 *
 *   inflight_tasks  iter/task       a process's Linux AIO contexts
 *                                   (mm->ioctx_table): pending poll
 *                                   requests (DEEP_VIA_AIO); an io-wq
 *                                   worker thread's current request
 *                                   (DEEP_VIA_URING_WORKER)
 *   inflight_rings  iter/task_file  a ring fd's cancel table: poll-armed
 *                                   requests (DEEP_VIA_URING_REQ)
 *
 * Records are deep_records.h's: an owner record, then one slot per file on
 * a target.  Requests on fixed files are left out (deep.bpf.c lists the
 * fixed-file table).
 *
 * Verifier cost: each show() first collects the files its lists hold (a
 * cheap loop, nested for tables of lists), then names them in one flat
 * loop, so the path walk is verified once per program and never under two
 * levels of loops.
 *
 * The path walk (put_comp, path_step, emit_file) is a copy of deep.bpf.c's
 * emit_ref, cut down to struct file.  Layouts are picked by CO-RE field
 * existence, each check written at its use. */
#include "kernel_types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "../../parse/deep_records.h"
#include "ref_bytes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ANON_INODE_FS_MAGIC 0x09041934UL
#define PF_IO_WORKER        0x00000010U
#define REQ_F_FIXED_FILE    0x1U
/* Bounds, far above what a process has: a context table grows to
 * aio-max-nr (65536 host-wide), a ring's cancel table has at most 256
 * buckets. */
#define AIO_MAX_CONTEXTS 4096
#define AIO_MAX_REQS     65536
#define HASH_MAX_BITS    12
#define CHAIN_MAX        65536
/* Files named per show(): more are counted in requests_cut. */
#define MAX_FILES 64

struct scratch {
    struct deep_owner owner;
    u64 files[MAX_FILES];
    u32 nfiles;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Set by the loader: the superblocks (kernel dev_t) of the targets. */
const volatile u32 ntarget_devs = 0;
const volatile u32 target_devs[DEEP_MAX_TARGETS] = {};

/* Set when this kernel's types resolved: without it an empty listing
 * means "could not look", not "nothing there". */
u32 aio_layout_known;
u32 uring_layout_known;
/* Set when files held by requests were left out: more than MAX_FILES in
 * one show(), or more than its seq buffer holds. */
u32 requests_cut;

#define SLOT_WORST (sizeof(struct deep_slot) + DEEP_PATH_BYTES + 2 * (DEEP_MAX_DEPTH + 1))

static __always_inline struct scratch *get_scratch(void)
{
    u32 zero = 0;
    return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline bool on_target(struct file *file)
{
    if (!file)
        return false;
    u32 dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
    for (u32 i = 0; i < DEEP_MAX_TARGETS && i < ntarget_devs; i++)
        if (target_devs[i] == dev)
            return true;
    return false;
}

/* Keeps a file to name later; false once the list is full. */
static __always_inline bool collect(struct scratch *s, struct file *file)
{
    u32 n = s->nfiles, at = n;
    if (n >= MAX_FILES) {
        requests_cut = 1;
        return false;
    }
    barrier_var(at);
    s->files[at & (MAX_FILES - 1)] = (u64)file;
    s->nfiles = n + 1;
    return true;
}

/* ---- naming the files: owner record, then a slot and path each ------- */

struct naming {
    struct seq_file *seq;
    struct scratch *s;
    u64 key;
    u64 budget; /* bytes this seq object may still write */
};

static long name_file(u32 i, void *data)
{
    struct naming *nm = data;
    struct scratch *s = nm->s;
    if (i >= MAX_FILES || nm->budget < SLOT_WORST) {
        requests_cut = 1;
        return 1;
    }
    u32 at = i;
    barrier_var(at); /* keeps the mask, which the check above would drop */
    /* Files on a target are on a real filesystem, named by their path. */
    u64 file = s->files[at & (MAX_FILES - 1)];
    u32 len = write_ref_bytes(nm->seq, ref_bytes(scalar_of((void *)nm->key), i, file, 0, 0));
    nm->budget = nm->budget > len ? nm->budget - len : 0;
    return 0;
}

/* The owner record and the files collected for it. */
static __always_inline void name_files(struct seq_file *seq, struct scratch *s,
                                       struct task_struct *task, u32 via, s32 fd, u64 key, u64 ino)
{
    if (!s->nfiles)
        return;
    u64 size = BPF_CORE_READ(seq, size), used = BPF_CORE_READ(seq, count);
    struct naming nm = {.seq = seq, .s = s, .key = key, .budget = size > used ? size - used : 0};
    if (nm.budget < sizeof(struct deep_owner) + SLOT_WORST) {
        requests_cut = 1;
        return;
    }
    struct deep_owner *o = &s->owner;
    __builtin_memset(o, 0, sizeof(*o));
    o->kind = DEEP_REC_OWNER;
    o->len = sizeof(*o);
    o->via = via;
    o->pid = BPF_CORE_READ(task, tgid);
    o->tid = BPF_CORE_READ(task, pid);
    o->fd = fd;
    o->owner_key = key;
    o->ino = ino;
    o->nslots = s->nfiles;
    o->lists_slots = 1;
    BPF_CORE_READ_STR_INTO(&o->comm, task, comm);
    bpf_seq_write(seq, o, sizeof(*o));
    nm.budget -= sizeof(*o);
    bpf_loop(s->nfiles, name_file, &nm, 0);
}

/* ---- Linux AIO ------------------------------------------------------- */

struct aio_walk {
    struct scratch *s;
    struct list_head *node, *head;
};

static long aio_request(u32 i, void *data)
{
    struct aio_walk *w = data;
    struct list_head *node = w->node;
    if (!node || node == w->head)
        return 1;
    struct aio_kiocb *req = (void *)node - bpf_core_field_offset(struct aio_kiocb, ki_list);
    struct file *file = BPF_CORE_READ(req, ki_filp);
    if (on_target(file) && !collect(w->s, file))
        return 1;
    w->node = BPF_CORE_READ(node, next);
    return 0;
}

struct aio_contexts {
    struct scratch *s;
    struct kioctx_table *table;
    u32 nr;
};

static long aio_context(u32 i, void *data)
{
    struct aio_contexts *c = data;
    struct kioctx *ctx = NULL;
    if (i >= c->nr)
        return 1;
    bpf_probe_read_kernel(&ctx, sizeof(ctx),
                          (void *)c->table + bpf_core_field_offset(struct kioctx_table, table) +
                              (u64)i * sizeof(ctx));
    if (!ctx)
        return 0;
    struct aio_walk w = {.s = c->s,
                         .head = (void *)ctx + bpf_core_field_offset(struct kioctx, active_reqs)};
    w.node = BPF_CORE_READ(ctx, active_reqs.next);
    bpf_loop(AIO_MAX_REQS, aio_request, &w, 0);
    return 0;
}

/* A process's pending AIO poll requests, from all its contexts.  Returns
 * the owner key (its mm), or 0. */
static __always_inline u64 aio_requests(struct task_struct *task, struct scratch *s)
{
    if (!bpf_core_field_exists(struct mm_struct___inflight, ioctx_table))
        return 0; /* CONFIG_AIO=n */
    aio_layout_known = 1;
    struct mm_struct___inflight *mm = (void *)BPF_CORE_READ(task, mm);
    struct kioctx_table *table = mm ? BPF_CORE_READ(mm, ioctx_table) : NULL;
    if (!table)
        return 0;
    struct aio_contexts c = {.s = s, .table = table};
    c.nr = BPF_CORE_READ(table, nr);
    bpf_loop(c.nr < AIO_MAX_CONTEXTS ? c.nr : AIO_MAX_CONTEXTS, aio_context, &c, 0);
    return (u64)mm;
}

/* ---- io_uring -------------------------------------------------------- */

static __always_inline struct file *request_file(struct io_kiocb *req)
{
    struct file *file = BPF_CORE_READ(req, file);
    if (BPF_CORE_READ(req, flags) & REQ_F_FIXED_FILE)
        return NULL;
    return on_target(file) ? file : NULL;
}

/* An io-wq worker thread running a request: the request holds its file
 * for as long as the worker runs it.  Returns the owner key (the worker). */
static __always_inline u64 worker_request(struct task_struct *task, struct scratch *s)
{
    if (!bpf_core_field_exists(struct task_struct___inflight, worker_private))
        return 0;
    struct task_struct___inflight *t = (void *)task;
    struct io_worker *worker = BPF_CORE_READ(t, worker_private);
    /* Other io threads (SQPOLL) have no io_worker: it must point back. */
    if (!worker || BPF_CORE_READ(worker, task) != task)
        return 0;
    struct io_wq_work *work = BPF_CORE_READ(worker, cur_work);
    if (!work)
        return 0;
    struct file *file = request_file((void *)work - bpf_core_field_offset(struct io_kiocb, work));
    if (file)
        collect(s, file);
    return (u64)worker;
}

SEC("iter/task")
int inflight_tasks(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    struct scratch *s = get_scratch();
    if (!task || !s)
        return 0;
    /* A kernel without io_uring has no requests to miss. */
    if (!bpf_core_type_exists(struct io_ring_ctx) ||
        (bpf_core_field_exists(struct task_struct___inflight, worker_private) &&
         bpf_core_field_exists(struct io_ring_ctx___inflight, cancel_table)))
        uring_layout_known = 1;
    s->nfiles = 0;
    u32 via = DEEP_VIA_AIO;
    u64 key = 0;
    if (BPF_CORE_READ((struct task_struct___inflight *)task, flags) & PF_IO_WORKER) {
        via = DEEP_VIA_URING_WORKER;
        key = worker_request(task, s);
    } else if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid)) {
        key = aio_requests(task, s);
    }
    name_files(ctx->meta->seq, s, task, via, -1, key, 0);
    return 0;
}

struct chain_walk {
    struct scratch *s;
    struct hlist_node *node;
};

static long chain_request(u32 i, void *data)
{
    struct chain_walk *w = data;
    struct hlist_node *node = w->node;
    if (!node)
        return 1;
    struct file *file =
        request_file((void *)node - bpf_core_field_offset(struct io_kiocb, hash_node));
    if (file && !collect(w->s, file))
        return 1;
    w->node = BPF_CORE_READ(node, next);
    return 0;
}

struct bucket_walk {
    struct scratch *s;
    void *hbs;
    u32 n;
};

static long hash_bucket(u32 i, void *data)
{
    struct bucket_walk *b = data;
    if (i >= b->n)
        return 1;
    struct io_hash_bucket *hb = b->hbs + (u64)i * bpf_core_type_size(struct io_hash_bucket);
    struct chain_walk w = {.s = b->s};
    w.node = BPF_CORE_READ(hb, list.first);
    bpf_loop(CHAIN_MAX, chain_request, &w, 0);
    return 0;
}

struct ring_tables {
    struct scratch *s;
    struct io_hash_table *table[2];
};

/* The cancel table, and on older kernels the locked one beside it: a loop of
 * two, so that the verifier sees the bucket walk once. */
static long ring_table(u32 i, void *data)
{
    struct ring_tables *rt = data;
    struct io_hash_table *t = rt->table[i & 1];
    if (!t)
        return 0;
    struct bucket_walk b = {.s = rt->s};
    b.hbs = BPF_CORE_READ(t, hbs);
    u32 bits = BPF_CORE_READ(t, hash_bits);
    if (!b.hbs || bits > HASH_MAX_BITS)
        return 0;
    b.n = 1U << bits;
    bpf_loop(b.n, hash_bucket, &b, 0);
    return 0;
}

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

SEC("iter/task_file")
int inflight_rings(struct bpf_iter__task_file *ctx)
{
    struct file *file = ctx->file;
    struct task_struct *task = ctx->task;
    if (!file || !task || !is_ring_file(file))
        return 0;
    if (!bpf_core_field_exists(struct io_ring_ctx___inflight, cancel_table))
        return 0;
    struct io_ring_ctx___inflight *ring = BPF_CORE_READ(file, private_data);
    struct scratch *s = get_scratch();
    if (!ring || !s)
        return 0;
    s->nfiles = 0;
    struct ring_tables rt = {.s = s, .table = {&ring->cancel_table, NULL}};
    if (bpf_core_field_exists(struct io_ring_ctx___locked, cancel_table_locked))
        rt.table[1] = &((struct io_ring_ctx___locked *)ring)->cancel_table_locked;
    bpf_loop(2, ring_table, &rt, 0);
    /* Keyed by the table, not the ring: deep.bpf.c's ring object is the
     * ring's own address. */
    name_files(ctx->meta->seq, s, task, DEEP_VIA_URING_REQ, ctx->fd, (u64)rt.table[0],
               BPF_CORE_READ(file, f_inode, i_ino));
    return 0;
}
