#include "uring_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdinfo_parse.h"
#include "file_identity.h"

/* A contended ring prints nothing (6.15+) or an empty table (5.9-6.14.7)
 * for the one read that loses the trylock.  Measured on 6.18 under a
 * register-update storm, about one read in four loses; six reads with
 * backoff make a false "busy" about a one-in-5000 event. */
enum { RING_READ_ATTEMPTS = 6 };

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
    if (!k->known)
        return true;
    if (k->major != 6)
        return k->major < 6;
    return k->minor < 14 || (k->minor == 14 && k->patch < 8);
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
static int read_ring_fdinfo(struct proc_scan *ps, int fd, struct uring_fdinfo *info)
{
    struct scan *scan = ps->scan;
    char entry[32];
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd);

    for (int attempt = 0;; attempt++) {
        int r = read_file_at(ps->dirfd, entry, &scan->file_buf);
        if (r == -ENOENT)
            return r; /* the ring was closed while we looked */
        if (r < 0)
            return proc_scan_report(ps, r, entry);
        struct parse_error err = {0, NULL};
        r = uring_fdinfo_parse(scan->file_buf.data, scan->file_buf.len, info, &err);
        if (r == -EINVAL) {
            warning_add(&scan->warnings, WARN_MALFORMED, ps->proc->pid, proc_scan_path(ps, entry),
                        "malformed io_uring fdinfo: line %u: %s", err.line, err.reason);
            return r;
        }
        if (r < 0)
            return proc_scan_report(ps, r, entry);
        if (attempt + 1 == RING_READ_ATTEMPTS || !needs_retry(info, &scan->kernel))
            return 0;
        uring_fdinfo_free(info);
        sleep_ms(1u << attempt);
    }
}

static void warn_if_unreadable(struct proc_scan *ps, int fd, const struct uring_fdinfo *info)
{
    if (!needs_retry(info, &ps->scan->kernel))
        return;
    char entry[32];
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd);
    if (!info->has_uring_section || !info->has_user_files)
        warning_add(&ps->scan->warnings, WARN_RING_BUSY, ps->proc->pid, proc_scan_path(ps, entry),
                    "io_uring fdinfo showed no fixed-file table in %d reads (ring busy, or "
                    "kernel before 5.6); its fixed files are not listed",
                    RING_READ_ATTEMPTS);
    else
        warning_add(&ps->scan->warnings, WARN_RING_BUSY, ps->proc->pid, proc_scan_path(ps, entry),
                    "ring has %u fixed-file slots but none were printed in %d reads (ring busy, "
                    "or every slot empty)",
                    info->user_files, RING_READ_ATTEMPTS);
}

static void proc_scan_add_ring_inode(struct proc_scan *ps, uint64_t inode)
{
    if (ps->nring_inodes == ps->ring_inodes_cap) {
        size_t cap = ps->ring_inodes_cap ? ps->ring_inodes_cap * 2 : 8;
        uint64_t *items = realloc(ps->ring_inodes, cap * sizeof(*items));
        if (!items) {
            ps->ring_inodes_unknown = true;
            return;
        }
        ps->ring_inodes = items;
        ps->ring_inodes_cap = cap;
    }
    ps->ring_inodes[ps->nring_inodes++] = inode;
}

/* 6.14+ prints paths relative to *our* root when the file's mount is
 * reachable from it, else relative to the root of the mount namespace that
 * owns the mount.  For a process in another namespace both readings are
 * tried; if they name different files, the identity stays unknown. */
static void resolve_fixed_identity(struct proc_scan *ps, struct file_record *rec)
{
    struct file_identity ours, theirs;
    bool have_ours = file_identity_at(AT_FDCWD, rec->path, &ours) == 0;
    bool have_theirs = false;
    if (!proc_scan_same_mnt_ns(ps)) {
        char *via_root = malloc(strlen(rec->path) + 5);
        if (via_root) {
            sprintf(via_root, "root%s", rec->path);
            have_theirs = file_identity_at(ps->dirfd, via_root, &theirs) == 0;
            free(via_root);
        }
    }
    if (have_ours && have_theirs &&
        (ours.inode != theirs.inode || ours.dev_major != theirs.dev_major ||
         ours.dev_minor != theirs.dev_minor))
        return;
    if (have_ours || have_theirs) {
        record_set_identity(rec, have_ours ? &ours : &theirs);
        proc_scan_set_mountpoint(ps, rec);
    }
}

static void fill_fixed_path(struct proc_scan *ps, struct file_record *rec, bool deleted)
{
    const struct scan_options *opts = &ps->scan->opts;
    bool has_inode;
    uint64_t inode;
    rec->path_complete = true;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (pseudo_file_classify(rec->path, &rec->type, &has_inode, &inode)) {
        rec->has_inode = has_inode;
        rec->inode = inode;
    } else if (strncmp(rec->path, "/memfd:", 7) == 0 && deleted) {
        rec->type = FTYPE_REG; /* memfds are shmem files that never had a name */
    } else if (!deleted && opts->live && opts->want_identity) {
        resolve_fixed_identity(ps, rec);
    }
}

static void emit_fixed_files(struct proc_scan *ps, int fd, uint64_t ring_inode, bool has_ring_inode,
                             const struct uring_fdinfo *info)
{
    const struct fixed_table *table = &info->table;
    for (size_t i = 0; i < table->nfiles; i++) {
        struct file_record *rec = proc_scan_emit(ps, SOURCE_URING_FIXED);
        if (!rec)
            return;
        rec->hidden = true;
        rec->has_ring_fd = true;
        rec->ring_fd = fd;
        rec->has_ring_inode = has_ring_inode;
        rec->ring_inode = ring_inode;
        rec->has_slot = true;
        rec->slot = table->files[i].slot;
        rec->has_sq_thread = info->has_sq_thread && info->sq_thread > 0;
        rec->sq_thread = info->sq_thread;
        rec->has_user_bufs = info->has_user_bufs;
        rec->user_bufs = info->user_bufs;
        rec->path =
            arena_strndup(&ps->scan->arena, fixed_file_name(table, i), table->files[i].name_len);
        if (!rec->path)
            return;
        if (table->format == FIXED_FORMAT_PATH) {
            fill_fixed_path(ps, rec, table->files[i].deleted);
        } else {
            /* A bare last component: never guess its directory or fate. */
            rec->path_complete = false;
            rec->deleted = TRI_UNKNOWN;
        }
    }
}

void uring_scan_ring_fd(struct proc_scan *ps, int fd_dirfd, int fd, ssize_t fd_row_index)
{
    struct scan *scan = ps->scan;
    struct uring_fdinfo info;
    if (read_ring_fdinfo(ps, fd, &info) < 0) {
        ps->ring_inodes_unknown = true;
        return;
    }

    /* fdinfo has "ino:" since 5.14; before that, stat the fd. */
    bool has_inode = info.has_ino;
    uint64_t inode = info.ino;
    struct file_identity id;
    char name[16];
    snprintf(name, sizeof(name), "%d", fd);
    if (!has_inode && scan->opts.live && file_identity_at(fd_dirfd, name, &id) == 0) {
        has_inode = true;
        inode = id.inode;
    }
    if (has_inode)
        proc_scan_add_ring_inode(ps, inode);
    else
        ps->ring_inodes_unknown = true;

    if (fd_row_index >= 0) {
        struct file_record *row = &scan->records.items[fd_row_index];
        row->has_ring_fd = true;
        row->ring_fd = fd;
        row->has_ring_inode = has_inode;
        row->ring_inode = inode;
        row->has_sq_thread = info.has_sq_thread && info.sq_thread > 0;
        row->sq_thread = info.sq_thread;
        row->has_user_bufs = info.has_user_bufs;
        row->user_bufs = info.user_bufs;
    }
    warn_if_unreadable(ps, fd, &info);
    emit_fixed_files(ps, fd, inode, has_inode, &info);
    uring_fdinfo_free(&info);
}

void uring_mapped_rings_add(struct uring_mapped_rings *rings, const struct map_entry *m)
{
    for (size_t i = 0; i < rings->len; i++)
        if (rings->items[i].inode == m->inode)
            return;
    if (rings->len == rings->cap) {
        size_t cap = rings->cap ? rings->cap * 2 : 4;
        struct uring_mapped_ring *items = realloc(rings->items, cap * sizeof(*items));
        if (!items)
            return;
        rings->items = items;
        rings->cap = cap;
    }
    rings->items[rings->len++] = (struct uring_mapped_ring){m->inode, m->dev_major, m->dev_minor};
}

static bool proc_scan_has_ring_inode(const struct proc_scan *ps, uint64_t inode)
{
    for (size_t i = 0; i < ps->nring_inodes; i++)
        if (ps->ring_inodes[i] == inode)
            return true;
    return false;
}

void uring_emit_fdless_rings(struct proc_scan *ps, const struct uring_mapped_rings *rings)
{
    /* Kernels before ~5.16 give every ring the same anon inode, and an
     * unreadable fd table hides which rings have fds: in both cases a
     * mapped ring cannot be shown to be fd-less. */
    if (ps->ring_inodes_unknown)
        return;
    for (size_t i = 0; i < rings->len; i++) {
        const struct uring_mapped_ring *ring = &rings->items[i];
        if (proc_scan_has_ring_inode(ps, ring->inode))
            continue;
        struct file_record *rec = proc_scan_emit(ps, SOURCE_URING_RING);
        if (!rec)
            return;
        rec->hidden = true;
        rec->type = FTYPE_ANON;
        rec->path = "anon_inode:[io_uring]";
        rec->deleted = TRI_FALSE;
        rec->has_ring_inode = rec->has_inode = true;
        rec->ring_inode = rec->inode = ring->inode;
        rec->has_dev = true;
        rec->dev_major = ring->dev_major;
        rec->dev_minor = ring->dev_minor;
        rec->note = fdless_ring_note;
    }
}
