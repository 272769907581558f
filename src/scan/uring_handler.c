#include "scan/uring_handler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/file_identity.h"
#include "parse/fdinfo_parse.h"
#include "scan/name_cache.h"
#include "util/vec.h"

/* A contended ring prints nothing (6.15+) or an empty table (5.9-6.14.7)
 * for the one read that loses the trylock.  Measured on 6.18 under a
 * register-update storm, about one read in four loses; six reads with
 * backoff make a false "busy" about a one-in-5000 event. */
enum { RING_READ_ATTEMPTS = 6 };

struct mapped_ring {
    uint64_t inode;
    unsigned dev_major, dev_minor;
};

/* Per process: the rings reachable through fds, to tell which mapped rings
 * have no fd left.  ring_inodes_unknown: some ring fd's inode could not be
 * read, so no mapped ring can be called fd-less. */
struct uring_state {
    struct {
        uint64_t *items;
        size_t len, cap;
    } ring_inodes;
    bool ring_inodes_unknown;
    struct {
        struct mapped_ring *items;
        size_t len, cap;
    } mapped;
    bool root_known;
    name_root root; /* where its names are looked up: the name cache's key */
};

static const char fdless_ring_note[] = "ring has no fd (registered and closed, or only mapped); "
                                       "its fixed files cannot be read from /proc";

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether "UserFiles: N" with no entries may be a lost trylock rather than
 * an all-empty table.  From 6.15 (and 6.14.8) the kernel prints the whole
 * io_uring section or none of it, so a printed empty table is real. */
static bool empty_table_may_be_contention(const struct kernel_release *k)
{
    return !kernel_release_at_least(k, 6, 14, 8);
}

static bool needs_retry(const struct uring_fdinfo *info, const struct kernel_release *k)
{
    if (!uring_fdinfo_maybe_contended(info))
        return false;
    if (info->has_uring_section && info->has_user_files)
        return empty_table_may_be_contention(k);
    return true;
}

/* Returns 0 with *info parsed, or a negative errno already reported. */
static int read_ring_fdinfo(struct proc_ctx *ctx, int fd, struct uring_fdinfo *info)
{
    struct read_buf *buf = &ctx->out->file_buf;
    char entry[32];
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd);

    for (int attempt = 0;; attempt++) {
        int r = read_file_at(ctx->dirfd, entry, buf, READ_CAP_TABLE);
        if (r == -ENOENT)
            return r; /* the ring was closed while we looked */
        if (r < 0)
            return proc_ctx_report(ctx, r, entry);
        struct parse_error err = {0, NULL};
        r = uring_fdinfo_parse(buf->data, buf->len, info, &err);
        if (r == -EINVAL) {
            warning_add(&ctx->out->warnings, WARN_MALFORMED, ctx->proc->pid,
                        proc_ctx_path(ctx, entry), "malformed io_uring fdinfo: line %u: %s",
                        err.line, err.reason);
            return r;
        }
        if (r < 0)
            return proc_ctx_report(ctx, r, entry);
        if (attempt + 1 == RING_READ_ATTEMPTS || !needs_retry(info, ctx->kernel))
            return 0;
        uring_fdinfo_free(info);
        sleep_ms(1u << attempt);
    }
}

static void warn_if_unreadable(struct proc_ctx *ctx, int fd, const struct uring_fdinfo *info)
{
    if (!needs_retry(info, ctx->kernel))
        return;
    char entry[32];
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd);
    if (!info->has_uring_section || !info->has_user_files)
        warning_add(&ctx->out->warnings, WARN_RING_BUSY, ctx->proc->pid, proc_ctx_path(ctx, entry),
                    "io_uring fdinfo showed no fixed-file table in %d reads (ring busy, or "
                    "kernel before 5.6); its fixed files are not listed",
                    RING_READ_ATTEMPTS);
    else
        warning_add(&ctx->out->warnings, WARN_RING_BUSY, ctx->proc->pid, proc_ctx_path(ctx, entry),
                    "ring has %u fixed-file slots but none were printed in %d reads (ring busy, "
                    "or every slot empty)",
                    info->user_files, RING_READ_ATTEMPTS);
}

static void add_ring_inode(struct uring_state *st, uint64_t inode)
{
    if (VEC_APPEND(&st->ring_inodes, inode) < 0)
        st->ring_inodes_unknown = true;
}

/* 6.14+ prints a path, which names the file only until someone renames
 * or replaces it.  A process in another mount namespace has it looked up
 * in its own root, never ours (where the same name may be another file),
 * and never through a symlink, which its owner may have planted there. */
/* Names in a ring's fdinfo are the process's: looked up in its root. */
static struct name_lookup lookup_in(struct proc_ctx *ctx)
{
    return (struct name_lookup){
        .dirfd = ctx->dirfd,
        .root = proc_ctx_same_mnt_ns(ctx) ? NULL : "root",
        .ns = proc_ctx_names_table(ctx),
    };
}

/* The root this process's names are looked up in, as the name cache
 * keys it: ours when it shares our mount namespace, else its own root
 * directory, which the processes of its namespace with the same root
 * share (one statx() of the link, from cached attributes, like a root
 * row's). */
static name_root names_root(struct proc_ctx *ctx, struct uring_state *st)
{
    const struct scan_config *cfg = ctx->cfg;
    if (st->root_known)
        return st->root;
    st->root_known = true;
    st->root = 0;
    if (cfg->live && cfg->want_identity && !proc_ctx_same_mnt_ns(ctx)) {
        struct file_identity dir;
        bool known = ctx->proc->has_mnt_ns && file_identity_at(ctx->dirfd, "root", &dir) == 0;
        st->root = name_cache_root(&ctx->out->names, ctx->proc->mnt_ns, known ? &dir : NULL);
    }
    return st->root;
}

/* Whether a lookup's result holds for every process of the root: a
 * failure in another root may be the opening of a dying process's root. */
static bool result_is_the_names(int r, name_root root)
{
    return r == 0 || r == -EAGAIN || (root == 0 && (r == -ENOENT || r == -ENOTDIR || r == -ELOOP));
}

/* file_identity_by_name() of path in the process's root, once per name
 * and root when the name has a cache entry e. */
static int lookup_name(struct proc_ctx *ctx, struct name_cache_entry *e, const char *path,
                       struct file_identity *id, const struct mount_entry **blocked)
{
    if (e && e->looked_up) {
        *id = e->id;
        *blocked = e->blocked;
        return e->result;
    }
    struct name_lookup where = lookup_in(ctx);
    int r = file_identity_by_name(&where, path, id);
    *blocked = where.blocked;
    if (e && result_is_the_names(r, e->root)) {
        e->looked_up = true;
        e->result = r;
        if (r == 0)
            e->id = *id;
        e->blocked = where.blocked;
    }
    return r;
}

static void resolve_fixed_identity(struct proc_ctx *ctx, struct file_record *rec,
                                   struct name_cache_entry *e)
{
    struct file_identity id;
    const struct mount_entry *blocked;
    int r = lookup_name(ctx, e, rec->path, &id, &blocked);
    if (r == -EAGAIN) {
        /* The mount's warning once per name: this worker gave it already. */
        bool warn = !e || !e->warned;
        if (e)
            e->warned = true;
        record_mark_unchecked(rec, &ctx->out->warnings, warn ? blocked : NULL);
    } else if (r == 0) {
        record_set_identity(rec, &id, IDENTITY_PATH);
        proc_ctx_set_mountpoint(ctx, rec);
    }
}

/* fdinfo marks an unlinked file with " (deleted)", but a live file may
 * be named so: when a file by the whole name exists (or cannot be looked
 * for), the name is kept as printed and deleted is not known. */
static bool deleted_marker_is_ambiguous(struct proc_ctx *ctx, struct uring_state *st,
                                        struct file_record *rec)
{
    static const char marker[] = " (deleted)";
    size_t len = strlen(rec->path), full_len = len + sizeof(marker) - 1;
    char *full = malloc(full_len + 1);
    if (!full)
        return false;
    memcpy(full, rec->path, len);
    memcpy(full + len, marker, sizeof(marker));
    struct name_cache_entry *e =
        name_cache_get(&ctx->out->names, &ctx->out->arena, names_root(ctx, st), full, full_len);
    const char *kept = e ? e->path : arena_strndup(&ctx->out->arena, full, full_len);
    struct file_identity id;
    const struct mount_entry *blocked;
    int r = kept ? lookup_name(ctx, e, full, &id, &blocked) : -ENOMEM;
    free(full);
    if (r != 0 && r != -EAGAIN)
        return false; /* no such name: the marker is the kernel's */
    rec->path = kept;
    if (r == 0)
        record_set_identity(rec, &id, IDENTITY_PATH);
    return true;
}

static int cmp_kernel_ring(const void *key, const void *item)
{
    uint64_t a = *(const uint64_t *)key, b = ((const struct kernel_ring *)item)->inode;
    return (a > b) - (a < b);
}

/* The kernel view's listing of the ring, or NULL: it names every slot's
 * file exactly, and looking the names up again would only cost time. */
static const struct kernel_ring *ring_listed_by_kernel(const struct scan_config *cfg,
                                                       bool has_inode, uint64_t inode)
{
    if (!has_inode || !cfg->nrings_listed)
        return NULL;
    return bsearch(&inode, cfg->rings_listed, cfg->nrings_listed, sizeof(*cfg->rings_listed),
                   cmp_kernel_ring);
}

/* A ring of the process's own fd table that the kernel view listed with
 * its details: its fdinfo (a d_path per slot) would add nothing, and its
 * fixed files are the view's rows (deep_merge). */
static const struct kernel_ring *ring_known_whole(struct proc_ctx *ctx, const struct fd_entry *fd)
{
    const struct scan_config *cfg = ctx->cfg;
    if (!cfg->nrings_listed || ctx->tid || !cfg->live)
        return NULL;
    struct file_identity id;
    bool has_inode = fd->row && fd->row->has_inode;
    uint64_t inode = has_inode ? fd->row->inode : 0;
    if (!has_inode && file_identity_at(fd->fd_dirfd, fd->name, &id) == 0) {
        has_inode = true;
        inode = id.inode;
    }
    const struct kernel_ring *ring = ring_listed_by_kernel(cfg, has_inode, inode);
    return ring && ring->details ? ring : NULL;
}

/* e: the cache entry of rec's name, or NULL. */
static void fill_fixed_path(struct proc_ctx *ctx, struct uring_state *st, struct file_record *rec,
                            bool deleted, bool look_up, struct name_cache_entry *e)
{
    const struct scan_config *cfg = ctx->cfg;
    bool has_inode;
    uint64_t inode;
    rec->path_complete = true;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    look_up = look_up && cfg->live && cfg->want_identity;
    if (deleted && look_up && rec->path[0] == '/' && strncmp(rec->path, "/memfd:", 7) != 0 &&
        deleted_marker_is_ambiguous(ctx, st, rec)) {
        rec->deleted = TRI_UNKNOWN;
        return;
    }
    if (pseudo_file_classify(rec->path, &rec->type, &has_inode, &inode)) {
        rec->has_inode = has_inode;
        rec->inode = inode;
    } else if (strncmp(rec->path, "/memfd:", 7) == 0 && deleted) {
        rec->type = FTYPE_REG; /* memfds are shmem files that never had a name */
    } else if (!deleted && look_up) {
        resolve_fixed_identity(ctx, rec, e);
    }
}

static void emit_fixed_files(struct proc_ctx *ctx, struct uring_state *st, int fd,
                             uint64_t ring_inode, bool has_ring_inode,
                             const struct uring_fdinfo *info)
{
    const struct name_table *table = &info->table;
    bool look_up = !ring_listed_by_kernel(ctx->cfg, has_ring_inode, ring_inode);
    /* Names not looked up are only shared: our root's key needs no statx. */
    name_root root = look_up ? names_root(ctx, st) : 0;
    for (size_t i = 0; i < table->nentries; i++) {
        struct file_record *rec = proc_ctx_emit(ctx, SOURCE_URING_FIXED);
        if (!rec)
            return;
        rec->has_ring_fd = true;
        rec->ring_fd = fd;
        rec->has_ring_inode = has_ring_inode;
        rec->ring_inode = ring_inode;
        rec->has_slot = true;
        rec->slot = table->entries[i].number;
        rec->has_sq_thread = info->has_sq_thread && info->sq_thread > 0;
        rec->sq_thread = info->sq_thread;
        rec->has_user_bufs = info->has_user_bufs;
        rec->user_bufs = info->user_bufs;
        /* Rows of one name share its string. */
        const char *name = name_table_name(table, i);
        size_t len = table->entries[i].name_len;
        struct name_cache_entry *e =
            name_cache_get(&ctx->out->names, &ctx->out->arena, root, name, len);
        rec->path = e ? e->path : arena_strndup(&ctx->out->arena, name, len);
        if (!rec->path)
            return;
        if (table->format == NAME_FORMAT_PATH) {
            fill_fixed_path(ctx, st, rec, table->entries[i].deleted, look_up, e);
        } else {
            /* A bare last component: never guess its directory or fate. */
            rec->path_complete = false;
            rec->deleted = TRI_UNKNOWN;
        }
    }
}

static void set_ring_fields(struct file_record *row, int fd, bool has_inode, uint64_t inode,
                            const struct uring_fdinfo *info)
{
    row->has_ring_fd = true;
    row->ring_fd = fd;
    row->has_ring_inode = has_inode;
    row->ring_inode = inode;
    row->has_sq_thread = info->has_sq_thread && info->sq_thread > 0;
    row->sq_thread = info->sq_thread;
    row->has_user_bufs = info->has_user_bufs;
    row->user_bufs = info->user_bufs;
}

/* Reads the ring's fdinfo (retrying while the ring is contended), emits
 * one uring-fixed row per occupied slot, and records the ring's inode;
 * or, when the kernel view listed the ring whole, records its inode and
 * details alone. */
static void uring_on_fd(struct proc_ctx *ctx, void *state, const struct fd_entry *fd)
{
    struct uring_state *st = state;
    struct uring_fdinfo info;
    ctx->proc->has_ring = true;
    const struct kernel_ring *known = ring_known_whole(ctx, fd);
    if (known) {
        add_ring_inode(st, known->inode);
        if (fd->row) {
            struct uring_fdinfo details = {.has_sq_thread = true,
                                           .sq_thread = known->sq_thread,
                                           .has_user_bufs = true,
                                           .user_bufs = known->user_bufs};
            set_ring_fields(fd->row, fd->fd, true, known->inode, &details);
        }
        return;
    }
    if (read_ring_fdinfo(ctx, fd->fd, &info) < 0) {
        st->ring_inodes_unknown = true;
        return;
    }

    /* fdinfo has "ino:" since 5.14; before that, stat the fd. */
    bool has_inode = info.has_ino;
    uint64_t inode = info.ino;
    struct file_identity id;
    if (!has_inode && ctx->cfg->live && file_identity_at(fd->fd_dirfd, fd->name, &id) == 0) {
        has_inode = true;
        inode = id.inode;
    }
    if (has_inode)
        add_ring_inode(st, inode);
    else
        st->ring_inodes_unknown = true;

    if (fd->row)
        set_ring_fields(fd->row, fd->fd, has_inode, inode, &info);
    warn_if_unreadable(ctx, fd->fd, &info);
    emit_fixed_files(ctx, st, fd->fd, inode, has_inode, &info);
    uring_fdinfo_free(&info);
}

static void uring_on_mapping(struct proc_ctx *ctx, void *state, const struct map_entry *m)
{
    struct uring_state *st = state;
    ctx->proc->has_ring = true;
    for (size_t i = 0; i < st->mapped.len; i++)
        if (st->mapped.items[i].inode == m->inode)
            return;
    struct mapped_ring ring = {m->inode, m->dev_major, m->dev_minor};
    VEC_APPEND(&st->mapped, ring);
}

static bool has_ring_inode(const struct uring_state *st, uint64_t inode)
{
    for (size_t i = 0; i < st->ring_inodes.len; i++)
        if (st->ring_inodes.items[i] == inode)
            return true;
    return false;
}

static void emit_fdless_ring(struct proc_ctx *ctx, const struct mapped_ring *ring)
{
    struct file_record *rec = proc_ctx_emit(ctx, SOURCE_URING_RING);
    if (!rec)
        return;
    rec->type = FTYPE_ANON;
    rec->path = "anon_inode:[io_uring]";
    rec->deleted = TRI_FALSE;
    rec->has_ring_inode = rec->has_inode = true;
    rec->ring_inode = rec->inode = ring->inode;
    rec->has_dev = true;
    rec->identity = IDENTITY_FD; /* the ring's own mapping */
    rec->dev_major = ring->dev_major;
    rec->dev_minor = ring->dev_minor;
    rec->note = fdless_ring_note;
}

/* One uring-ring row for each mapped ring whose inode no ring fd has. */
static void uring_finish(struct proc_ctx *ctx, void *state)
{
    struct uring_state *st = state;
    /* Kernels before ~5.16 give every ring the same anon inode, and an
     * unreadable fd table hides which rings have fds: in both cases a
     * mapped ring cannot be shown to be fd-less. */
    bool unknown = st->ring_inodes_unknown || ctx->fds_incomplete;
    for (size_t i = 0; !unknown && i < st->mapped.len; i++)
        if (!has_ring_inode(st, st->mapped.items[i].inode))
            emit_fdless_ring(ctx, &st->mapped.items[i]);
    free(st->ring_inodes.items);
    free(st->mapped.items);
}

const struct file_handler uring_handler = {
    .name = "io_uring",
    .fd_link = "anon_inode:[io_uring]",
    .claims_mapping = map_entry_is_uring,
    .state_size = sizeof(struct uring_state),
    .on_fd = uring_on_fd,
    .on_mapping = uring_on_mapping,
    .finish = uring_finish,
};
