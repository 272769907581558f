#include "deep/deep_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file_identity.h"
#include "core/kernel_file.h"
#include "util/vec.h"

static const char registered_only_note[] =
    "ring has no fd and no mapping; found through the task's registered ring fds";
static const char mapped_note[] =
    "ring has no fd, only mappings; its fixed files are listed by the kernel view";

struct vec_pids {
    pid_t *items;
    size_t len, cap;
};

/* What the merge looks rows up by: processes by pid, and the /proc scan's
 * uring-fixed rows by (pid, ring fd, slot). */
struct merge_state {
    struct scan_result *res;
    const struct deep_result *kernel;
    const struct deep_merge_options *opts;
    struct process_info **procs; /* sorted by pid */
    size_t nprocs;
    struct file_record **fixed_rows; /* sorted by (pid, ring_fd, slot) */
    size_t nfixed;
    /* The /proc scan's uring-ring rows by (pid, ring inode, seq), and the
     * ones the merge added, which are few (one per fd-less ring). */
    struct file_record **ring_rows;
    size_t nrings;
    struct {
        struct file_record **items;
        size_t len, cap;
    } added_rings;
    /* FUSE backing rows by (connection, backing id, seq). */
    struct file_record **backing_rows;
    size_t nbacking;
    /* fd rows of the processes themselves (not of a thread's own table)
     * by (pid, fd, seq); made on first use. */
    struct file_record **fd_rows;
    size_t nfds;
    bool fd_rows_made;
    bool layout_warned;
};

static int cmp_proc(const void *a, const void *b)
{
    pid_t x = (*(struct process_info *const *)a)->pid, y = (*(struct process_info *const *)b)->pid;
    return (x > y) - (x < y);
}

static const struct process_info *find_process(const struct merge_state *m, pid_t pid)
{
    struct process_info key = {.pid = pid}, *keyp = &key;
    struct process_info **hit = bsearch(&keyp, m->procs, m->nprocs, sizeof(*m->procs), cmp_proc);
    return hit ? *hit : NULL;
}

static int fixed_key_cmp(pid_t pa, int fa, uint32_t sa, pid_t pb, int fb, uint32_t sb)
{
    if (pa != pb)
        return pa < pb ? -1 : 1;
    if (fa != fb)
        return fa < fb ? -1 : 1;
    return (sa > sb) - (sa < sb);
}

static int cmp_fixed_row(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    return fixed_key_cmp(x->proc->pid, x->ring_fd, x->slot, y->proc->pid, y->ring_fd, y->slot);
}

static int cmp_u64(uint64_t x, uint64_t y)
{
    return (x > y) - (x < y);
}

static int cmp_seq(const struct file_record *x, const struct file_record *y)
{
    return cmp_u64(x->seq, y->seq);
}

static pid_t row_pid(const struct file_record *rec)
{
    return rec->proc ? rec->proc->pid : 0;
}

static int cmp_ring_row(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    int c = cmp_u64((uint64_t)(int64_t)row_pid(x), (uint64_t)(int64_t)row_pid(y));
    if (!c)
        c = cmp_u64(x->ring_inode, y->ring_inode);
    return c ? c : cmp_seq(x, y);
}

static int cmp_backing_row(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    int c = cmp_u64(x->fuse_conn, y->fuse_conn);
    if (!c)
        c = cmp_u64(x->backing_id, y->backing_id);
    return c ? c : cmp_seq(x, y);
}

static int cmp_fd_row(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    int c = cmp_u64((uint64_t)(int64_t)row_pid(x), (uint64_t)(int64_t)row_pid(y));
    if (!c)
        c = cmp_u64((uint64_t)(int64_t)x->fd, (uint64_t)(int64_t)y->fd);
    return c ? c : cmp_seq(x, y);
}

/* The first row of a sorted index not before key (key's seq 0). */
static size_t lower_bound(struct file_record *const *rows, size_t n, const struct file_record *key,
                          int (*cmp)(const void *, const void *))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(&rows[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool is_ring_row(const struct file_record *rec)
{
    return rec->source == SOURCE_URING_RING && rec->proc;
}

static bool is_backing_row(const struct file_record *rec)
{
    return rec->source == SOURCE_FUSE_BACKING && rec->has_fuse_conn && rec->has_backing_id;
}

/* The rows the merge looks up, from the /proc scan: sorted arrays, so a
 * kernel view of a million files is not a million scans of every row. */
static int index_rows(struct merge_state *m)
{
    const struct record_list *records = &m->res->records;
    const struct process_list *set = &m->res->processes;
    m->procs = malloc((set->len + 1) * sizeof(*m->procs));
    size_t nfixed = 0, nrings = 0, nbacking = 0;
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        nfixed += rec->source == SOURCE_URING_FIXED;
        nrings += is_ring_row(rec);
        nbacking += is_backing_row(rec);
    }
    m->fixed_rows = malloc((nfixed + 1) * sizeof(*m->fixed_rows));
    m->ring_rows = malloc((nrings + 1) * sizeof(*m->ring_rows));
    m->backing_rows = malloc((nbacking + 1) * sizeof(*m->backing_rows));
    if (!m->procs || !m->fixed_rows || !m->ring_rows || !m->backing_rows)
        return -1;
    if (set->len)
        memcpy(m->procs, set->items, set->len * sizeof(*m->procs));
    m->nprocs = set->len;
    qsort(m->procs, m->nprocs, sizeof(*m->procs), cmp_proc);
    for (size_t i = 0; i < records->len; i++) {
        struct file_record *rec = records->items[i];
        if (rec->source == SOURCE_URING_FIXED && rec->proc && rec->has_ring_fd && rec->has_slot)
            m->fixed_rows[m->nfixed++] = rec;
        if (is_ring_row(rec))
            m->ring_rows[m->nrings++] = rec;
        if (is_backing_row(rec))
            m->backing_rows[m->nbacking++] = rec;
    }
    qsort(m->fixed_rows, m->nfixed, sizeof(*m->fixed_rows), cmp_fixed_row);
    qsort(m->ring_rows, m->nrings, sizeof(*m->ring_rows), cmp_ring_row);
    qsort(m->backing_rows, m->nbacking, sizeof(*m->backing_rows), cmp_backing_row);
    return 0;
}

static void merge_state_free(struct merge_state *m)
{
    free(m->procs);
    free(m->fixed_rows);
    free(m->ring_rows);
    free(m->added_rings.items);
    free(m->backing_rows);
    free(m->fd_rows);
}

static struct file_record *find_fixed_row(const struct merge_state *m, pid_t pid, int fd,
                                          uint32_t slot)
{
    size_t lo = 0, hi = m->nfixed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct file_record *rec = m->fixed_rows[mid];
        int c = fixed_key_cmp(rec->proc->pid, rec->ring_fd, rec->slot, pid, fd, slot);
        if (c == 0)
            return rec;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const struct mount_entry *find_mount(const struct merge_state *m, int mount_id)
{
    const struct mount_entry *e = mount_ns_find_id(m->res->self_mounts, mount_id);
    return e ? e : mount_cache_find_id(&m->res->mounts, mount_id);
}

/* The kernel's own view of the file replaces whatever /proc implied. */
static void apply_file(const struct merge_state *m, struct file_record *rec,
                       const struct deep_file *f)
{
    /* The kernel's walk stops at 48 components or 4 KB, and under a lazily
     * unmounted tree: a complete name from /proc is never replaced by a
     * shorter one, only the identity is. */
    bool keep_path =
        rec->path && rec->path_complete && !f->path_complete && f->path_len < strlen(rec->path);
    const char *proc_path = rec->path;
    /* Borrowed, not copied: a million fixed files would be a million
     * copies, and the kernel view lives as long as the rows. */
    record_set_kernel_file(rec, f);
    if (keep_path) {
        rec->path = proc_path;
        rec->path_complete = true;
    }
    rec->mountpoint = NULL;
    if (m->opts->want_mountpoint && f->has_mount_id) {
        const struct mount_entry *e = find_mount(m, f->mount_id);
        rec->mountpoint = e ? e->target : NULL;
    }
}

static void ring_fields(struct file_record *rec, const struct deep_object *ring)
{
    rec->has_ring_inode = true;
    rec->ring_inode = ring->inode;
    if (ring->ring_details) {
        rec->has_sq_thread = ring->sq_thread > 0;
        rec->sq_thread = ring->sq_thread;
        rec->has_user_bufs = true;
        rec->user_bufs = ring->user_bufs;
    }
}

/* The /proc rows of one ring fd, made exact; slots /proc missed (a busy
 * ring, a slot filled since) are added. */
static void merge_ring_fd(struct merge_state *m, const struct deep_object *ring,
                          const struct process_info *proc, int fd)
{
    for (size_t i = 0; i < ring->nfiles; i++) {
        const struct deep_file *f = &ring->files[i];
        struct file_record *rec = find_fixed_row(m, proc->pid, fd, f->index);
        /* A thread with a file table of its own (unshare(CLONE_FILES)) can
         * hold another ring at the same fd number as its leader. */
        if (rec && rec->has_ring_inode && rec->ring_inode != ring->inode)
            rec = NULL;
        if (!rec) {
            rec = record_list_add(&m->res->records, proc, SOURCE_URING_FIXED);
            if (!rec)
                return;
            ring_fields(rec, ring);
            rec->has_ring_fd = rec->has_slot = true;
            rec->ring_fd = fd;
            rec->slot = f->index;
        }
        apply_file(m, rec, f);
    }
}

/* The first row in list order: the /proc scan's rows come before the
 * merge's. */
static struct file_record *find_fdless_ring_row(struct merge_state *m, pid_t pid, uint64_t inode)
{
    struct process_info proc = {.pid = pid};
    struct file_record key = {.proc = &proc, .ring_inode = inode};
    size_t i = lower_bound(m->ring_rows, m->nrings, &key, cmp_ring_row);
    if (i < m->nrings && row_pid(m->ring_rows[i]) == pid && m->ring_rows[i]->ring_inode == inode)
        return m->ring_rows[i];
    for (size_t j = 0; j < m->added_rings.len; j++) {
        struct file_record *rec = m->added_rings.items[j];
        if (row_pid(rec) == pid && rec->ring_inode == inode)
            return rec;
    }
    return NULL;
}

static bool reaches_by(const struct deep_object *ring, pid_t pid, enum deep_via via)
{
    for (size_t i = 0; i < ring->nreaches; i++)
        if (ring->reaches[i].via == via && ring->reaches[i].pid == pid)
            return true;
    return false;
}

/* A ring this process reaches without an fd: its mapping row (or a new row
 * when /proc showed none: no mapping, or maps unreadable) and one row per
 * fixed file. */
static void merge_fdless_ring(struct merge_state *m, const struct deep_object *ring,
                              const struct process_info *proc)
{
    struct file_record *row = find_fdless_ring_row(m, proc->pid, ring->inode);
    bool mapped = reaches_by(ring, proc->pid, DEEP_VIA_VMA);
    if (!row) {
        row = record_list_add(&m->res->records, proc, SOURCE_URING_RING);
        if (!row || VEC_APPEND(&m->added_rings, row) < 0)
            return;
        ring_fields(row, ring);
        row->type = FTYPE_ANON;
        row->path = "anon_inode:[io_uring]";
        row->path_complete = true;
        row->deleted = TRI_FALSE;
        row->has_inode = row->has_dev = true;
        row->identity = IDENTITY_KERNEL;
        row->inode = ring->inode;
        row->dev_major = ring->dev_major;
        row->dev_minor = ring->dev_minor;
    }
    ring_fields(row, ring); /* a mapped ring's row from /proc learns its details */
    row->note = mapped ? mapped_note : registered_only_note;
    row->method = METHOD_BPF;
    for (size_t i = 0; i < ring->nfiles; i++) {
        struct file_record *rec = record_list_add(&m->res->records, proc, SOURCE_URING_FIXED);
        if (!rec)
            return;
        ring_fields(rec, ring);
        rec->has_slot = true;
        rec->slot = ring->files[i].index;
        apply_file(m, rec, &ring->files[i]);
    }
}

static bool seen_before(const struct deep_object *ring, size_t upto, pid_t pid)
{
    for (size_t i = 0; i < upto; i++)
        if (ring->reaches[i].pid == pid)
            return true;
    return false;
}

static void merge_ring(struct merge_state *m, const struct deep_object *ring)
{
    if (ring->layout == DEEP_LAYOUT_NONE) {
        if (m->layout_warned)
            return;
        m->layout_warned = true;
        warning_add(&m->res->warnings, WARN_DEEP, 0, NULL,
                    "kernel view: this kernel's io_uring layout is not supported; fixed files come "
                    "from /proc only");
        return;
    }
    bool warned = false;
    for (size_t i = 0; i < ring->nreaches; i++) {
        const struct deep_reach *reach = &ring->reaches[i];
        const struct process_info *proc = find_process(m, reach->pid);
        if (!proc)
            continue; /* not selected (-p), or started after the /proc scan */
        /* Told once, for the first process shown: -p leaves out the rest. */
        if (ring->truncated && !warned)
            warning_add(&m->res->warnings, WARN_DEEP, proc->pid, NULL,
                        "kernel view: ring inode %llu changed while it was listed; some of its %u "
                        "slots may be missing",
                        (unsigned long long)ring->inode, ring->nslots);
        warned = true;
        if (reach->via == DEEP_VIA_FD)
            merge_ring_fd(m, ring, proc, reach->fd);
        else if (!reaches_by(ring, reach->pid, DEEP_VIA_FD) && !seen_before(ring, i, reach->pid))
            merge_fdless_ring(m, ring, proc);
    }
}

/* The server that answers for a connection: the lowest pid with a
 * /dev/fuse fd on it among the selected processes; NULL when there is none
 * (it died, leaving its mount and backing files behind). */
static const struct process_info *fuse_server(const struct merge_state *m, uint32_t conn)
{
    const struct process_info *best = NULL;
    const struct deep_result *r = m->kernel;
    for (size_t i = 0; i < r->len; i++) {
        const struct deep_object *o = &r->items[i];
        if (o->kind != DEEP_OBJ_FUSE_CONN || o->fuse_conn != conn)
            continue;
        for (size_t j = 0; j < o->nreaches; j++) {
            if (o->reaches[j].via != DEEP_VIA_FUSE_DEV)
                continue; /* lshidden's own fusectl fds */
            const struct process_info *p = find_process(m, o->reaches[j].pid);
            if (p && (!best || p->pid < best->pid))
                best = p;
        }
    }
    return best;
}

/* Only the /proc scan's rows can match: a connection is one object, and
 * its backing ids are unique, so no id comes twice to the merge. */
static struct file_record *find_backing_row(struct merge_state *m, uint32_t conn, uint32_t id)
{
    struct file_record key = {.fuse_conn = conn, .backing_id = id};
    size_t i = lower_bound(m->backing_rows, m->nbacking, &key, cmp_backing_row);
    if (i < m->nbacking && m->backing_rows[i]->fuse_conn == conn &&
        m->backing_rows[i]->backing_id == id)
        return m->backing_rows[i];
    return NULL;
}

static struct file_record *add_backing_row(struct merge_state *m, const struct process_info *server,
                                           uint32_t conn)
{
    struct file_record *rec = record_list_add(&m->res->records, server, SOURCE_FUSE_BACKING);
    if (!rec)
        return NULL;
    rec->has_fuse_conn = true;
    rec->fuse_conn = conn;
    rec->fuse_mount = mount_ns_fuse_mountpoints(m->res->self_mounts, conn, &m->res->arena);
    return rec;
}

static void merge_fuse_conn(struct merge_state *m, const struct deep_object *conn)
{
    const struct process_info *server = fuse_server(m, conn->fuse_conn);
    /* With -p, only the connections those processes serve. */
    if (!server && m->opts->selected_pids)
        return;
    if (conn->truncated)
        warning_add(&m->res->warnings, WARN_DEEP, server ? server->pid : 0, NULL,
                    "kernel view: FUSE connection %u changed while it was listed; some backing "
                    "files may be missing",
                    conn->fuse_conn);
    for (size_t i = 0; i < conn->nfiles; i++) {
        const struct deep_file *f = &conn->files[i];
        struct file_record *rec = find_backing_row(m, conn->fuse_conn, f->index);
        if (!rec && !(rec = add_backing_row(m, server, conn->fuse_conn)))
            return;
        rec->has_backing_id = true;
        rec->backing_id = f->index;
        apply_file(m, rec, f);
    }
}

/* Whether an inode's backing file is already a row: the file of a backing
 * id, or the same inode's file listed for an earlier open file. */
static bool backing_file_listed(const struct merge_state *m, uint64_t file_key, size_t before)
{
    const struct deep_result *r = m->kernel;
    for (size_t i = 0; i < r->len; i++) {
        const struct deep_object *o = &r->items[i];
        bool earlier_open = o->kind == DEEP_OBJ_FUSE_OPEN && i < before;
        if (o->kind != DEEP_OBJ_FUSE_CONN && !earlier_open)
            continue;
        for (size_t j = 0; j < o->nfiles; j++)
            if (o->files[j].file_key == file_key &&
                (!earlier_open || o->files[j].index == DEEP_OPEN_INODE))
                return true;
    }
    return false;
}

/* An open passthrough file holds two backing files: its own (opened by the
 * kernel for this open) and its inode's, which is usually a backing id's
 * file and then already a row. */
/* Whether another object lists the file: a mapping's file is a backing
 * id's, or the one an open passthrough file of the same client holds. */
static bool file_listed_elsewhere(const struct merge_state *m, uint64_t file_key, size_t self)
{
    const struct deep_result *r = m->kernel;
    for (size_t i = 0; i < r->len; i++) {
        const struct deep_object *o = &r->items[i];
        if (i == self || (o->kind != DEEP_OBJ_FUSE_CONN && o->kind != DEEP_OBJ_FUSE_OPEN))
            continue;
        if (o->kind == DEEP_OBJ_FUSE_OPEN && o->reaches[0].via == DEEP_VIA_FUSE_MAP)
            continue;
        for (size_t j = 0; j < o->nfiles; j++)
            if (o->files[j].file_key == file_key)
                return true;
    }
    return false;
}

/* A passthrough file a client only maps: the mapping holds the backing
 * file itself. */
static void merge_fuse_map(struct merge_state *m, const struct deep_object *map, size_t index)
{
    const struct process_info *server = fuse_server(m, map->fuse_conn);
    const struct deep_reach *client = &map->reaches[0];
    if (!server && m->opts->selected_pids && !find_process(m, client->pid))
        return;
    for (size_t i = 0; i < map->nfiles; i++) {
        const struct deep_file *f = &map->files[i];
        if (file_listed_elsewhere(m, f->file_key, index))
            continue;
        struct file_record *rec = add_backing_row(m, server, map->fuse_conn);
        char note[160];
        if (!rec)
            return;
        snprintf(note, sizeof(note),
                 "backing file of a passthrough file mapped by PID %d, held by that mapping "
                 "alone",
                 (int)client->pid);
        rec->note = arena_strdup(&m->res->arena, note);
        snprintf(note, sizeof(note), "kill %d (it maps the file)", (int)client->pid);
        rec->hint = arena_strdup(&m->res->arena, note);
        apply_file(m, rec, f);
    }
}

static void merge_fuse_open(struct merge_state *m, const struct deep_object *open, size_t index)
{
    const struct process_info *server = fuse_server(m, open->fuse_conn);
    const struct deep_reach *client = &open->reaches[0];
    if (client->via == DEEP_VIA_FUSE_MAP) {
        merge_fuse_map(m, open, index);
        return;
    }
    /* With -p, the files the kernel holds for a selected client's open
     * files belong to it as much as to the server. */
    if (!server && m->opts->selected_pids && !find_process(m, client->pid))
        return;
    for (size_t i = 0; i < open->nfiles; i++) {
        const struct deep_file *f = &open->files[i];
        if (f->index == DEEP_OPEN_INODE && backing_file_listed(m, f->file_key, index))
            continue;
        struct file_record *rec = add_backing_row(m, server, open->fuse_conn);
        char note[160];
        if (!rec)
            return;
        if (f->index == DEEP_OPEN_OWN)
            snprintf(note, sizeof(note),
                     "backing file of the passthrough file open at fd %d of PID %d", client->fd,
                     (int)client->pid);
        else
            snprintf(note, sizeof(note),
                     "backing file of a FUSE inode open at fd %d of PID %d; its backing id is "
                     "closed",
                     client->fd, (int)client->pid);
        rec->note = arena_strdup(&m->res->arena, note);
        rec->hint = fd_release_hint(&m->res->arena, "close", client->fd, client->pid);
        apply_file(m, rec, f);
    }
}

/* The connection --deep saw behind fd of pid, if that fd is /dev/fuse. */
static bool deep_fuse_dev_conn(const struct deep_result *kernel, pid_t pid, int fd, uint32_t *conn)
{
    for (size_t i = 0; i < kernel->len; i++) {
        const struct deep_object *o = &kernel->items[i];
        for (size_t j = 0; o->kind == DEEP_OBJ_FUSE_CONN && j < o->nreaches; j++) {
            const struct deep_reach *r = &o->reaches[j];
            if (r->via == DEEP_VIA_FUSE_DEV && r->pid == pid && r->fd == fd) {
                *conn = o->fuse_conn;
                return true;
            }
        }
    }
    return false;
}

void deep_merge_fuse_servers(struct scan_result *res, const struct deep_result *kernel)
{
    for (size_t i = 0; i < res->fuse_servers.len; i++) {
        struct fuse_server_fd *s = &res->fuse_servers.items[i];
        uint32_t conn;
        if (!deep_fuse_dev_conn(kernel, s->proc->pid, s->fd, &conn))
            continue;
        bool was_guess = !s->has_conn || s->inferred;
        s->has_conn = true;
        s->inferred = false;
        s->conn = conn;
        /* The -a row of that fd: the kernel confirmed it, and a guess
         * there is now a fact. */
        for (size_t k = 0; k < res->records.len; k++) {
            struct file_record *rec = res->records.items[k];
            if (rec->source != SOURCE_FD || rec->proc != s->proc || rec->fd != s->fd)
                continue;
            rec->method = METHOD_BPF;
            if (!was_guess)
                continue;
            rec->has_fuse_conn = true;
            rec->fuse_conn = conn;
            rec->fuse_mount = mount_ns_fuse_mountpoints(res->self_mounts, conn, &res->arena);
            rec->note = NULL;
        }
    }
}

void deep_forget_listed_fuse(struct scan_result *res, const struct deep_scan *ds)
{
    size_t kept = 0;
    for (size_t i = 0; i < res->fuse_unlisted.len; i++)
        if (!deep_scan_listed_fuse_conn(ds, res->fuse_unlisted.items[i].conn))
            res->fuse_unlisted.items[kept++] = res->fuse_unlisted.items[i];
    res->fuse_unlisted.len = kept;
}

static const char unchecked_note[] =
    "ring has no fd, and the kernel's tables showed no such ring: made after their pass, so "
    "its files are not checked";

/* A ring with no fd that /proc shows but the kernel's tables did not: it
 * appeared after their pass (the BPF pass sees every ring there is). */
static void mark_unchecked_rings(struct merge_state *m, bool layout_known)
{
    for (size_t i = 0; layout_known && i < m->res->records.len; i++) {
        struct file_record *rec = m->res->records.items[i];
        if (rec->source == SOURCE_URING_RING && rec->method != METHOD_BPF) {
            rec->unchecked = true;
            rec->note = unchecked_note;
        }
    }
}

static bool unchecked_mount(const struct warning *w, void *arg)
{
    (void)arg;
    return warning_is_unchecked_mount(w);
}

/* The warnings that a mount's files have no identity, once the kernel
 * named every such file. */
static void forget_unchecked_mounts(struct scan_result *res)
{
    for (size_t i = 0; i < res->records.len; i++)
        if (res->records.items[i]->note == unchecked_path_note)
            return;
    warning_list_drop_if(&res->warnings, unchecked_mount, NULL);
}

/* The fd row of a perf_event fd learns its PMU (the uprobe finder tells a
 * uprobe from any other perf event by it), and that of an fsopen() fd the
 * superblock it holds. */
static bool is_process_fd_row(const struct file_record *rec)
{
    return rec->source == SOURCE_FD && rec->proc && rec->has_fd && !rec->has_tid;
}

static int index_fd_rows(struct merge_state *m)
{
    const struct record_list *records = &m->res->records;
    m->fd_rows_made = true;
    size_t n = 0;
    for (size_t i = 0; i < records->len; i++)
        n += is_process_fd_row(records->items[i]);
    if (!(m->fd_rows = malloc((n + 1) * sizeof(*m->fd_rows))))
        return -1;
    for (size_t i = 0; i < records->len; i++)
        if (is_process_fd_row(records->items[i]))
            m->fd_rows[m->nfds++] = records->items[i];
    qsort(m->fd_rows, m->nfds, sizeof(*m->fd_rows), cmp_fd_row);
    return 0;
}

/* The fd row of a perf_event fd learns its PMU (the uprobe finder tells a
 * uprobe from any other perf event by it), and that of an fsopen() fd the
 * superblock it holds. */
static void merge_fd_detail(struct merge_state *m, const struct deep_object *o)
{
    if (!m->fd_rows_made && index_fd_rows(m) < 0)
        return;
    for (size_t r = 0; r < o->nreaches; r++) {
        const struct deep_reach *reach = &o->reaches[r];
        struct process_info proc = {.pid = reach->pid};
        struct file_record key = {.proc = &proc, .fd = reach->fd};
        for (size_t i = lower_bound(m->fd_rows, m->nfds, &key, cmp_fd_row);
             i < m->nfds && row_pid(m->fd_rows[i]) == reach->pid && m->fd_rows[i]->fd == reach->fd;
             i++) {
            struct file_record *rec = m->fd_rows[i];
            if (o->kind == DEEP_OBJ_PERF) {
                rec->has_perf_type = true;
                rec->perf_type = o->nslots;
            } else {
                rec->has_context_sb = true;
                rec->context_sb_major = o->dev_major;
                rec->context_sb_minor = o->dev_minor;
            }
        }
    }
}

/* Files sent to a socket with SCM_RIGHTS and not received: rows of the
 * receiving socket's process (the first that has it), held by the kernel. */
static void merge_inflight(struct merge_state *m, const struct deep_object *sock)
{
    const struct process_info *proc = NULL;
    const struct deep_reach *reach = NULL;
    for (size_t r = 0; !proc && r < sock->nreaches; r++)
        if ((proc = find_process(m, sock->reaches[r].pid)))
            reach = &sock->reaches[r];
    for (size_t i = 0; proc && i < sock->nfiles; i++) {
        struct file_record *rec = record_list_add(&m->res->records, proc, SOURCE_IN_FLIGHT);
        char text[160];
        if (!rec)
            return;
        snprintf(text, sizeof(text),
                 "sent with SCM_RIGHTS to the socket at fd %d, not received yet", reach->fd);
        rec->note = arena_strdup(&m->res->arena, text);
        rec->hint = fd_release_hint(&m->res->arena, "read or close", reach->fd, proc->pid);
        apply_file(m, rec, &sock->files[i]);
    }
}

/* The process already has the file open by an fd: its fd row names it,
 * and what releases the fd releases the request. */
static bool open_by_fd(const struct merge_state *m, const struct process_info *proc,
                       const struct deep_file *f)
{
    for (size_t i = 0; i < m->res->records.len; i++) {
        const struct file_record *rec = m->res->records.items[i];
        if (rec->proc == proc && rec->source == SOURCE_FD && !rec->has_tid && rec->has_dev &&
            rec->has_inode && rec->inode == f->inode && rec->dev_major == f->dev_major &&
            rec->dev_minor == f->dev_minor)
            return true;
    }
    return false;
}

static bool file_listed_before(const struct deep_object *o, size_t upto, uint64_t file_key)
{
    for (size_t i = 0; i < upto; i++)
        if (o->files[i].file_key == file_key)
            return true;
    return false;
}

static const char *request_note(struct merge_state *m, const struct deep_object *o,
                                const struct deep_reach *reach)
{
    char text[160];
    if (o->kind == DEEP_OBJ_AIO)
        snprintf(text, sizeof(text), "held by a pending Linux AIO poll request");
    else if (reach->via == DEEP_VIA_URING_WORKER)
        snprintf(text, sizeof(text),
                 "held by an io_uring request that io-wq worker thread %d is running",
                 (int)reach->tid);
    else
        snprintf(text, sizeof(text), "held by an io_uring request armed for poll on ring fd %d",
                 reach->fd);
    return arena_strdup(&m->res->arena, text);
}

/* Requests in flight (Linux AIO poll, io_uring on plain fds) whose files
 * are on a --mount target: rows of the process that made the request. */
static void merge_request(struct merge_state *m, const struct deep_object *o)
{
    const struct process_info *proc = NULL;
    const struct deep_reach *reach = NULL;
    for (size_t r = 0; !proc && r < o->nreaches; r++)
        if ((proc = find_process(m, o->reaches[r].pid)))
            reach = &o->reaches[r];
    for (size_t i = 0; proc && i < o->nfiles; i++) {
        const struct deep_file *f = &o->files[i];
        if (file_listed_before(o, i, f->file_key) || open_by_fd(m, proc, f))
            continue;
        struct file_record *rec = record_list_add(&m->res->records, proc, SOURCE_IN_FLIGHT);
        if (!rec)
            return;
        rec->note = request_note(m, o, reach);
        if (reach->via == DEEP_VIA_URING_WORKER) {
            rec->has_tid = true;
            rec->tid = reach->tid;
        } else if (reach->via == DEEP_VIA_URING_REQ) {
            rec->has_ring_fd = true;
            rec->ring_fd = reach->fd;
            ring_fields(rec, o);
        }
        apply_file(m, rec, f);
    }
}

void deep_merge_requests(struct scan_result *res, const struct deep_result *requests,
                         const struct deep_merge_options *opts)
{
    struct merge_state m = {.res = res, .kernel = requests, .opts = opts};
    if (index_rows(&m) < 0) {
        warning_add(&res->warnings, WARN_DEEP, 0, NULL, "kernel view: out of memory merging");
    } else {
        for (size_t i = 0; i < requests->len; i++) {
            const struct deep_object *o = &requests->items[i];
            if (o->kind == DEEP_OBJ_AIO || o->kind == DEEP_OBJ_URING_REQ)
                merge_request(&m, o);
        }
    }
    merge_state_free(&m);
}

static enum file_source ref_source(uint32_t index)
{
    switch (index) {
    case DEEP_REF_CWD: return SOURCE_CWD;
    case DEEP_REF_ROOT: return SOURCE_ROOT;
    case DEEP_REF_EXE: return SOURCE_EXE;
    case DEEP_REF_MAP: return SOURCE_MMAP;
    default: return SOURCE_FD;
    }
}

/* What /proc could not read of a process: the warnings the kernel view's
 * reading of its references answers. */
static bool unseen_of(const struct warning *w, pid_t pid)
{
    return w->pid == pid &&
           (w->kind == WARN_PERMISSION || w->kind == WARN_IO || w->kind == WARN_MALFORMED);
}

static bool process_unseen(const struct scan_result *res, pid_t pid)
{
    for (size_t i = 0; i < res->warnings.len; i++)
        if (unseen_of(&res->warnings.items[i], pid))
            return true;
    return false;
}

static bool ref_listed_before(const struct deep_object *task, size_t upto, uint64_t file_key,
                              uint32_t index)
{
    for (size_t i = 0; i < upto; i++)
        if (task->files[i].file_key == file_key && task->files[i].index == index)
            return true;
    return false;
}

/* thread: the reference is of a thread's own fd table, which /proc (or an
 * earlier thread sharing that table) may have listed with any of its
 * threads' tids. */
static bool proc_row_exists(const struct merge_state *m, const struct process_info *proc,
                            enum file_source source, const struct deep_file *f, bool thread)
{
    const struct record_list *records = &m->res->records;
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        if (rec->proc != proc || rec->source != source || rec->has_tid != thread)
            continue;
        if (source == SOURCE_FD && rec->fd != (int)f->index)
            continue;
        if (thread && (!rec->has_inode || rec->inode != f->inode))
            continue;
        if (source == SOURCE_MMAP && (!rec->has_inode || rec->inode != f->inode))
            continue;
        return true;
    }
    return false;
}

/* A process /proc could not read: its references on the --mount targets,
 * as the kernel has them, become its rows (a file mapped in many pieces
 * once). */
static void merge_task_refs(struct merge_state *m, const struct deep_object *task)
{
    const struct deep_reach *reach = &task->reaches[0];
    struct process_info key = {.pid = reach->pid}, *keyp = &key;
    struct process_info **hit = bsearch(&keyp, m->procs, m->nprocs, sizeof(*m->procs), cmp_proc);
    struct process_info *proc = hit ? *hit : NULL;
    if (proc && !proc->has_mnt_ns && task->inode) {
        /* The holder stage asks every process's namespace. */
        proc->has_mnt_ns = true;
        proc->mnt_ns = task->inode;
        proc->mnt_ns_error = 0;
    }
    if (proc && reach->tid == reach->pid && task->net_ns)
        proc->net_ns = task->net_ns;
    /* A thread the iterator showed apart from its leader has an fd table
     * of its own, which /proc/PID/fd does not show. */
    bool thread = reach->tid != reach->pid;
    if (!proc || (!thread && !process_unseen(m->res, proc->pid)))
        return;
    for (size_t i = 0; i < task->nfiles; i++) {
        const struct deep_file *f = &task->files[i];
        if (ref_listed_before(task, i, f->file_key, f->index))
            continue;
        enum file_source source = ref_source(f->index);
        if (proc_row_exists(m, proc, source, f, thread))
            continue; /* what /proc could read of it */
        struct file_record *rec = record_list_add(&m->res->records, proc, source);
        if (!rec)
            return;
        if (source == SOURCE_FD) {
            rec->has_fd = true;
            rec->fd = (int)f->index;
        }
        if (thread) {
            rec->has_tid = true;
            rec->tid = reach->tid;
        }
        apply_file(m, rec, f);
    }
}

static bool seen_by_kernel(const struct warning *w, void *arg)
{
    const struct vec_pids *seen = arg;
    for (size_t i = 0; i < seen->len; i++)
        if (unseen_of(w, seen->items[i]))
            return true;
    return false;
}

/* Every task the kernel's iterators showed.  What /proc could not read of
 * it is answered by them: its hidden files are in the kernel's tables, and
 * with --mount its references on the targets become its rows.  A process
 * they did not show either (some hosts hide one from both) keeps its
 * warning, which says so, since it is why an answer is only "possibly". */
static void merge_tasks(struct merge_state *m)
{
    const struct deep_merge_options *opts = m->opts;
    if (!opts->task_refs && !opts->hidden_only)
        return;
    struct vec_pids seen = {0};
    for (size_t i = 0; i < m->kernel->len; i++) {
        const struct deep_object *o = &m->kernel->items[i];
        if (o->kind != DEEP_OBJ_TASK || !o->nreaches)
            continue;
        if (opts->task_refs)
            merge_task_refs(m, o);
        if (VEC_APPEND(&seen, o->reaches[0].pid) < 0)
            break;
    }
    warning_list_drop_if(&m->res->warnings, seen_by_kernel, &seen);
    free(seen.items);
    struct warning_list *list = &m->res->warnings;
    for (size_t i = 0; i < list->len; i++) {
        struct warning *w = &list->items[i];
        char *reason = NULL;
        if (w->pid <= 0 || !unseen_of(w, w->pid) ||
            asprintf(&reason, "%s; the kernel view does not show this process either", w->reason) <
                0)
            continue;
        free(w->reason);
        w->reason = reason;
    }
}

void deep_merge(struct scan_result *res, struct deep_result *kernel,
                const struct deep_merge_options *opts)
{
    struct merge_state m = {.res = res, .kernel = kernel, .opts = opts};
    if (index_rows(&m) < 0) {
        warning_add(&res->warnings, WARN_DEEP, 0, NULL, "kernel view: out of memory merging");
    } else {
        for (size_t i = 0; i < kernel->len; i++) {
            struct deep_object *o = &kernel->items[i];
            if (o->kind == DEEP_OBJ_RING) {
                merge_ring(&m, o);
                /* Its rows hold what they need: the paths are the
                 * result's strings. */
                deep_object_free_files(o);
            } else if (o->kind == DEEP_OBJ_FUSE_CONN)
                merge_fuse_conn(&m, o);
            else if (o->kind == DEEP_OBJ_FUSE_OPEN)
                merge_fuse_open(&m, o, i);
            else if (o->kind == DEEP_OBJ_PERF || o->kind == DEEP_OBJ_FSCONTEXT)
                merge_fd_detail(&m, o);
            else if (o->kind == DEEP_OBJ_INFLIGHT)
                merge_inflight(&m, o);
        }
        merge_tasks(&m);
        mark_unchecked_rings(&m, !m.layout_warned);
        forget_unchecked_mounts(res);
    }
    merge_state_free(&m);
}
