/* The walk over /proc, one process: cwd, root, exe, its mappings and its
 * fds, each either a normal row or handed to the handler that claims it
 * (handlers.c).  walk.c shares the processes out to a thread per CPU. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kcmp.h>

#include "core/file_identity.h"
#include "core/kernel_file.h"
#include "parse/cgroup_parse.h"
#include "parse/fdinfo_parse.h"
#include "parse/maps_parse.h"
#include "parse/proc_names.h"
#include "scan/handler.h"
#include "scan/proc_ctx.h"
#include "scan/proc_walk.h"
#include "scan/scan.h"
#include "util/vec.h"

/* Even a statx() that asks for cached attributes revalidates a network
 * filesystem's dentry at the end of a /proc magic link (NFS asks its
 * server), so files there are not stat()ed; FUSE answers from its cache.
 * Returns the network mount path lies on (warned about once), else NULL. */
static const struct mount_entry *network_mount(struct proc_ctx *ctx, const char *path)
{
    const struct mount_entry *e =
        path[0] == '/' ? mount_ns_cover(proc_ctx_names_table(ctx), path) : NULL;
    if (!e || fstype_server(e->fstype) != FS_NETWORK)
        return NULL;
    record_mark_unchecked(NULL, &ctx->out->warnings, e);
    return e;
}

/* An fd's mount and inode as fdinfo prints them (5.14+), which asks no
 * server; the device is its mount's.  The type stays unknown.  Returns
 * whether fdinfo said. */
static bool fill_from_fdinfo(struct proc_ctx *ctx, struct file_record *rec)
{
    struct read_buf *buf = &ctx->out->file_buf;
    char entry[32];
    uint64_t mnt_id, ino;
    snprintf(entry, sizeof(entry), "fdinfo/%d", rec->fd);
    if (read_file_at(ctx->dirfd, entry, buf, READ_CAP_SMALL) < 0 ||
        fdinfo_get_u64(buf->data, buf->len, "mnt_id", &mnt_id) < 0 ||
        fdinfo_get_u64(buf->data, buf->len, "ino", &ino) < 0 || mnt_id > INT32_MAX)
        return false;
    const struct mount_entry *e = mount_ns_find_id(proc_ctx_mounts(ctx), (int)mnt_id);
    rec->identity = IDENTITY_FD;
    rec->has_inode = rec->has_mount_id = true;
    rec->inode = ino;
    rec->mount_id = (int)mnt_id;
    if (e) {
        rec->has_dev = true;
        rec->dev_major = e->dev_major;
        rec->dev_minor = e->dev_minor;
    }
    proc_ctx_set_mountpoint(ctx, rec);
    return true;
}

/* Fills path, type, deleted and identity of a row whose name came from a
 * /proc link (fd, cwd, root, exe). */
static void fill_from_link(struct proc_ctx *ctx, struct file_record *rec, int dirfd,
                           const char *entry, const struct read_buf *link)
{
    struct scan_output *out = ctx->out;
    char *path = arena_strndup(&out->arena, link->data, link->len);
    size_t len = link->len;
    if (!path)
        return;
    rec->path = path;

    bool has_inode;
    uint64_t inode;
    struct pseudo_fs_identity *pseudo_fs = NULL;
    bool pseudo = pseudo_file_classify(path, &rec->type, &has_inode, &inode);
    if (pseudo) {
        rec->deleted = TRI_FALSE;
        rec->has_inode = has_inode;
        rec->inode = inode;
        pseudo_fs = rec->type == FTYPE_SOCK   ? &out->sockfs
                    : rec->type == FTYPE_FIFO ? &out->pipefs
                                              : NULL;
    }
    if (pseudo_fs && pseudo_fs->known) {
        rec->has_dev = true;
        rec->dev_major = pseudo_fs->dev_major;
        rec->dev_minor = pseudo_fs->dev_minor;
        rec->has_mount_id = pseudo_fs->has_mount_id;
        rec->mount_id = pseudo_fs->mount_id;
        rec->identity = IDENTITY_FD; /* one fd of that mount was stat()ed */
        return;
    }
    struct file_identity id;
    if (!pseudo_fs && ctx->cfg->live && ctx->cfg->want_identity && network_mount(ctx, path)) {
        if (!rec->has_fd || !fill_from_fdinfo(ctx, rec))
            rec->note = unchecked_path_note;
        rec->deleted = strip_deleted_suffix(path, &len) ? TRI_TRUE : TRI_FALSE;
    } else if (ctx->cfg->live && ctx->cfg->want_identity &&
               file_identity_at(dirfd, entry, &id) == 0) {
        if (pseudo_fs)
            *pseudo_fs = (struct pseudo_fs_identity){true, id.has_mount_id, id.dev_major,
                                                     id.dev_minor, id.mount_id};
        record_set_identity(rec, &id, IDENTITY_FD);
        /* Names on a filesystem (named FIFOs too) can be unlinked; the
         * fd's link count says so, and then the kernel's marker goes. */
        if (!pseudo) {
            rec->deleted = id.nlink == 0 ? TRI_TRUE : TRI_FALSE;
            if (id.nlink == 0)
                strip_deleted_suffix(path, &len);
        }
        proc_ctx_set_mountpoint(ctx, rec);
    } else if (rec->deleted == TRI_UNKNOWN) {
        /* Without stat the kernel's marker is the only evidence. */
        rec->deleted = strip_deleted_suffix(path, &len) ? TRI_TRUE : TRI_FALSE;
    }
}

static struct file_record *scan_link_source(struct proc_ctx *ctx, const char *entry,
                                            enum file_source source)
{
    struct read_buf *link = &ctx->out->link_buf;
    int r = read_link_at(ctx->dirfd, entry, link);
    if (r == -ENOENT && source == SOURCE_EXE)
        return NULL; /* kernel threads have no executable */
    if (r < 0) {
        proc_ctx_report(ctx, r, entry);
        return NULL;
    }
    struct file_record *rec = proc_ctx_emit(ctx, source);
    if (rec)
        fill_from_link(ctx, rec, ctx->dirfd, entry, link);
    return rec;
}

/* A thread's own cwd or root: one that exited meanwhile is no warning. */
static void scan_thread_link(struct proc_ctx *ctx, const char *entry, enum file_source source)
{
    struct read_buf *link = &ctx->out->link_buf;
    if (read_link_at(ctx->dirfd, entry, link) < 0)
        return;
    struct file_record *rec = proc_ctx_emit(ctx, source);
    if (rec)
        fill_from_link(ctx, rec, ctx->dirfd, entry, link);
}

static void scan_fd(struct proc_ctx *ctx, void **states, int fd_dirfd, const char *name, int fd)
{
    struct read_buf *link = &ctx->out->link_buf;
    int r = read_link_at(fd_dirfd, name, link);
    if (r == -ENOENT)
        return; /* closed while we looked */
    if (r < 0) {
        proc_ctx_report(ctx, r, "fd");
        ctx->fds_incomplete = true;
        return;
    }
    struct file_record *rec = NULL;
    if (ctx->cfg->all && (rec = proc_ctx_emit(ctx, SOURCE_FD))) {
        rec->has_fd = true;
        rec->fd = fd;
        fill_from_link(ctx, rec, fd_dirfd, name, link);
    }
    size_t index;
    const struct file_handler *h = file_handler_for_fd(link->data, &index);
    if (h) {
        struct fd_entry entry = {fd, fd_dirfd, name, link->data, rec};
        h->on_fd(ctx, states[index], &entry);
    }
}

/* The fds of dir ("fd", or "task/TID/fd" for a thread's own table). */
static void scan_fds_in(struct proc_ctx *ctx, void **states, const char *dir_name)
{
    int fd_dirfd = openat(ctx->dirfd, dir_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd_dirfd >= 0 ? fdopendir(fd_dirfd) : NULL;
    if (!dir && ctx->tid && (errno == ENOENT || errno == ESRCH))
        return; /* the thread exited, not the process */
    if (!dir) {
        proc_ctx_report(ctx, -errno, "fd");
        if (fd_dirfd >= 0)
            close(fd_dirfd);
        ctx->fds_incomplete = true;
        return;
    }
    struct dirent *de;
    uint64_t fd;
    while (!ctx->fds_incomplete && (de = readdir(dir)))
        if (decimal_name_parse(de->d_name, INT32_MAX, &fd))
            scan_fd(ctx, states, fd_dirfd, de->d_name, (int)fd);
    closedir(dir);
}

static int cmp_fd_table(const void *key, const void *item)
{
    pid_t a = *(const pid_t *)key, b = ((const struct kernel_fd_table *)item)->pid;
    return (a > b) - (a < b);
}

static const struct kernel_fd_table *kernel_fds_of(const struct scan_config *cfg, pid_t pid)
{
    if (!cfg->nfd_tables)
        return NULL;
    return bsearch(&pid, cfg->fd_tables, cfg->nfd_tables, sizeof(*cfg->fd_tables), cmp_fd_table);
}

static struct file_record *emit_kernel_fd(struct proc_ctx *ctx, const struct deep_file *f)
{
    struct file_record *rec = proc_ctx_emit(ctx, SOURCE_FD);
    if (rec) {
        rec->has_fd = true;
        rec->fd = (int)f->index;
        record_set_kernel_file(rec, f);
        proc_ctx_set_mountpoint(ctx, rec);
    }
    return rec;
}

/* The fds as the kernel view read them: a row each with no syscall, where
 * /proc costs a readlink and a statx per fd.  A name it could not give
 * whole (cut short, under a detached mount, a pseudo file whose format is
 * not known) is read from /proc.  A handler gets the kernel's row, with
 * the fd directory opened once for what it reads there (fdinfo). */
static void scan_kernel_fds(struct proc_ctx *ctx, void **states, const struct kernel_fd_table *t)
{
    int fd_dirfd = -1;
    char name[16];
    for (size_t i = 0; i < t->nfiles && !ctx->fds_incomplete; i++) {
        const struct deep_file *f = &t->files[i];
        if (f->index > INT32_MAX)
            continue; /* cwd, root, exe: read from /proc */
        size_t index;
        const struct file_handler *h =
            f->path_complete && !f->deleted ? file_handler_for_fd(f->path, &index) : NULL;
        if (f->path_complete && !h) {
            if (!emit_kernel_fd(ctx, f))
                break;
            continue;
        }
        if (fd_dirfd < 0)
            fd_dirfd = openat(ctx->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_dirfd < 0) {
            proc_ctx_report(ctx, -errno, "fd");
            ctx->fds_incomplete = true;
            break;
        }
        snprintf(name, sizeof(name), "%u", f->index);
        if (!h) {
            scan_fd(ctx, states, fd_dirfd, name, (int)f->index);
            continue;
        }
        struct fd_entry entry = {(int)f->index, fd_dirfd, name, f->path, emit_kernel_fd(ctx, f)};
        h->on_fd(ctx, states[index], &entry);
    }
    if (fd_dirfd >= 0)
        close(fd_dirfd);
}

static void scan_fds(struct proc_ctx *ctx, void **states)
{
    const struct kernel_fd_table *t = kernel_fds_of(ctx->cfg, ctx->proc->pid);
    if (t)
        scan_kernel_fds(ctx, states, t);
    else
        scan_fds_in(ctx, states, "fd");
}

/* Whether two tasks share one table of the kind (kcmp(2) KCMP_FILES or
 * KCMP_FS); an error (a task gone, a kernel without kcmp) counts as
 * sharing. */
static bool same_table(pid_t a, pid_t b, int kind)
{
    long r = syscall(SYS_kcmp, a, b, kind, 0, 0);
    return r != 1 && r != 2;
}

struct tid_list {
    pid_t *items;
    size_t len, cap;
};

/* Whether tid's table of the kind is new: not its leader's, and not one
 * an earlier thread in seen already showed (then tid is added to seen). */
static bool new_table(pid_t pid, pid_t tid, int kind, struct tid_list *seen)
{
    if (same_table(pid, tid, kind))
        return false;
    for (size_t i = 0; i < seen->len; i++)
        if (same_table(seen->items[i], tid, kind))
            return false;
    return VEC_APPEND(seen, tid) == 0;
}

/* Threads whose fd table, or cwd and root, are not their leader's
 * (unshare(CLONE_FILES) or unshare(CLONE_FS), or a leader that exited
 * while they run): /proc/PID shows only the leader's, so each other table
 * is read once, from one of its threads, and its rows carry that tid. */
static void scan_thread_tables(struct proc_ctx *ctx, void **states)
{
    int task_fd = openat(ctx->dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = task_fd >= 0 ? fdopendir(task_fd) : NULL;
    if (!dir) {
        if (task_fd >= 0)
            close(task_fd);
        return; /* the process is gone, or a fixture tree without task/ */
    }
    struct tid_list fd_tables = {0}, fs_tables = {0};
    struct dirent *de;
    uint64_t tid;
    pid_t pid = ctx->proc->pid;
    char name[48];
    while ((de = readdir(dir))) {
        if (!decimal_name_parse(de->d_name, INT32_MAX, &tid) || (pid_t)tid == pid)
            continue;
        ctx->tid = (pid_t)tid;
        if (new_table(pid, (pid_t)tid, KCMP_FILES, &fd_tables)) {
            snprintf(name, sizeof(name), "task/%d/fd", (int)tid);
            scan_fds_in(ctx, states, name);
        }
        if (new_table(pid, (pid_t)tid, KCMP_FS, &fs_tables)) {
            snprintf(name, sizeof(name), "task/%d/cwd", (int)tid);
            scan_thread_link(ctx, name, SOURCE_CWD);
            snprintf(name, sizeof(name), "task/%d/root", (int)tid);
            scan_thread_link(ctx, name, SOURCE_ROOT);
        }
        ctx->tid = 0;
    }
    free(fd_tables.items);
    free(fs_tables.items);
    closedir(dir);
}

/* Distinct mapped files of one process, so each is listed once like lsof
 * and lsfd do, however many mappings it has. */
struct mapped_file {
    unsigned dev_major, dev_minor;
    uint64_t inode;
};

struct mapped_set {
    struct mapped_file *items;
    size_t len, cap;
};

static bool mapped_set_insert(struct mapped_set *set, unsigned maj, unsigned min, uint64_t ino)
{
    for (size_t i = 0; i < set->len; i++)
        if (set->items[i].inode == ino && set->items[i].dev_major == maj &&
            set->items[i].dev_minor == min)
            return false;
    return VEC_APPEND(set, ((struct mapped_file){maj, min, ino})) == 0;
}

/* Identity of a mapping through map_files/ (needs CAP_SYS_ADMIN), else
 * through its path when that still names the same dev and inode. */
static enum identity_origin mapping_identity(struct proc_ctx *ctx, const struct map_entry *m,
                                             const char *path, struct file_identity *id)
{
    char entry[64];
    struct name_lookup where = {.ns = proc_ctx_names_table(ctx)};
    snprintf(entry, sizeof(entry), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
    if (network_mount(ctx, path))
        return IDENTITY_NONE; /* map_files/ is a magic link too */
    if (file_identity_at(ctx->dirfd, entry, id) == 0)
        return IDENTITY_FD;
    if (!proc_ctx_same_mnt_ns(ctx))
        return IDENTITY_NONE;
    int r = file_identity_by_name(&where, path, id);
    if (r == -EAGAIN)
        record_mark_unchecked(NULL, &ctx->out->warnings, where.blocked);
    if (r < 0)
        return IDENTITY_NONE;
    bool same =
        id->inode == m->inode && id->dev_major == m->dev_major && id->dev_minor == m->dev_minor;
    return same ? IDENTITY_PATH : IDENTITY_NONE;
}

static void emit_mapping(struct proc_ctx *ctx, const struct map_entry *m)
{
    char *path = arena_alloc(&ctx->out->arena, m->path_len + 1);
    struct file_record *rec = proc_ctx_emit(ctx, SOURCE_MMAP);
    if (!path || !rec)
        return;
    size_t len = maps_decode_path(m->path, m->path_len, path);
    bool marked = strip_deleted_suffix(path, &len);
    rec->path = path;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = m->dev_major;
    rec->dev_minor = m->dev_minor;
    rec->inode = m->inode;
    rec->deleted = marked ? TRI_TRUE : TRI_FALSE;
    rec->identity = IDENTITY_FD; /* dev and inode of the mapping itself */

    struct file_identity id;
    enum identity_origin origin = IDENTITY_NONE;
    if (ctx->cfg->live && ctx->cfg->want_identity)
        origin = mapping_identity(ctx, m, path, &id);
    if (origin != IDENTITY_NONE) {
        rec->identity = origin;
        rec->type = id.type;
        rec->has_mount_id = id.has_mount_id;
        rec->mount_id = id.mount_id;
        rec->deleted = id.nlink == 0 ? TRI_TRUE : TRI_FALSE;
    }
    proc_ctx_set_mountpoint(ctx, rec);
}

/* Whether a mapping becomes a normal mmap row of its own. */
static bool mapping_is_listed(const struct scan_config *cfg, const struct map_entry *m,
                              const char *exe_path)
{
    if (!cfg->all || m->inode == 0 || m->path_len == 0 || m->path[0] == '[')
        return false;
    if (cfg->only_dev &&
        (m->dev_major != cfg->only_dev_major || m->dev_minor != cfg->only_dev_minor))
        return false;
    return !(exe_path && m->path_len == strlen(exe_path) &&
             !memcmp(m->path, exe_path, m->path_len));
}

static void scan_maps(struct proc_ctx *ctx, void **states, const struct file_record *exe)
{
    struct read_buf *buf = &ctx->out->file_buf;
    int r = read_file_at(ctx->dirfd, "maps", buf, READ_CAP_MAPS);
    if (r < 0) {
        proc_ctx_report(ctx, r, "maps");
        return;
    }
    struct mapped_set seen = {0};
    if (exe && exe->has_dev && exe->has_inode)
        mapped_set_insert(&seen, exe->dev_major, exe->dev_minor, exe->inode);
    /* Without stat() the exe row has no identity: its path has to do. */
    const char *exe_path = exe && !exe->has_inode ? exe->path : NULL;

    /* file_buf must not be reused until the walk ends: emit_mapping and
     * the handlers' on_mapping use only link_buf and the arena. */
    const char *cursor = buf->data, *end = cursor + buf->len;
    struct map_entry m;
    unsigned lineno = 0;
    size_t index;
    while ((r = maps_next(&cursor, end, &m)) > 0) {
        lineno++;
        if (map_entry_is_aio(&m))
            ctx->proc->aio_contexts++;
        const struct file_handler *h = file_handler_for_mapping(&m, &index);
        if (h)
            h->on_mapping(ctx, states[index], &m);
        else if (mapping_is_listed(ctx->cfg, &m, exe_path) &&
                 mapped_set_insert(&seen, m.dev_major, m.dev_minor, m.inode))
            emit_mapping(ctx, &m);
    }
    if (r < 0)
        warning_add(&ctx->out->warnings, WARN_MALFORMED, ctx->proc->pid, proc_ctx_path(ctx, "maps"),
                    "malformed maps line %u", lineno + 1);
    free(seen.items);
}

/* The process's mount namespace, which every later stage asks about. */
static void read_mnt_ns(struct proc_ctx *ctx)
{
    struct process_info *proc = ctx->proc;
    int r = read_link_at(ctx->dirfd, "ns/mnt", &ctx->out->link_buf);
    if (r == 0 && mnt_ns_link_parse(ctx->out->link_buf.data, &proc->mnt_ns) == 0)
        proc->has_mnt_ns = true;
    else
        proc->mnt_ns_error = r < 0 ? r : -EINVAL;
}

/* Its systemd unit and container.  A cgroup file that is not there (a
 * fixture tree without one, a kernel without cgroups) leaves both
 * unknown; one that cannot be read is told, like every other file. */
static void read_cgroup(struct proc_ctx *ctx)
{
    struct process_info *proc = ctx->proc;
    struct read_buf *buf = &ctx->out->file_buf;
    struct cgroup_owner owner;
    int r = read_file_at(ctx->dirfd, "cgroup", buf, READ_CAP_SMALL);
    if (r < 0) {
        if (r != -ENOENT)
            proc_ctx_report(ctx, r, "cgroup");
        return;
    }
    cgroup_file_parse(buf->data, buf->len, &owner);
    if (owner.unit[0])
        proc->unit = arena_strdup(&ctx->out->arena, owner.unit);
    if (owner.container[0])
        proc->container = arena_strdup(&ctx->out->arena, owner.container);
}

int proc_scan_open(struct proc_ctx *ctx, int proc_fd)
{
    char name[16];
    snprintf(name, sizeof(name), "%d", (int)ctx->proc->pid);
    ctx->dirfd = openat(proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ctx->dirfd < 0)
        return proc_ctx_report(ctx, -errno, "");
    return 0;
}

void proc_scan_early(struct proc_ctx *ctx, void **states)
{
    const struct scan_config *cfg = ctx->cfg;
    read_mnt_ns(ctx);
    if (cfg->want_owner)
        read_cgroup(ctx); /* one more file per process: only when shown */
    for (size_t i = 0; i < file_handler_count; i++)
        memset(states[i], 0, file_handlers[i]->state_size);
    struct file_record *exe = NULL;
    if (cfg->all) {
        scan_link_source(ctx, "cwd", SOURCE_CWD);
        scan_link_source(ctx, "root", SOURCE_ROOT);
        exe = scan_link_source(ctx, "exe", SOURCE_EXE);
    }
    scan_maps(ctx, states, exe);
}

void proc_scan_late(struct proc_ctx *ctx, void **states)
{
    scan_fds(ctx, states);
    if (ctx->cfg->all && ctx->cfg->live)
        scan_thread_tables(ctx, states);
    for (size_t i = 0; i < file_handler_count; i++)
        if (file_handlers[i]->finish)
            file_handlers[i]->finish(ctx, states[i]);
}

/* A warning about proc_root/what, a file every stage reads. */
static void warn_about(struct scan_result *res, const struct scan_config *cfg, const char *what,
                       enum warning_kind kind, const char *reason)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", cfg->proc_root, what);
    warning_add(&res->warnings, kind, 0, path, "%s", reason);
}

static void warn_unreadable(struct scan_result *res, const struct scan_config *cfg,
                            const char *what, int err)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    warn_about(res, cfg, what, kind == WARN_PERMISSION ? kind : WARN_IO, read_error_text(err));
}

int scan_result_init(struct scan_result *res, const struct scan_config *cfg)
{
    char path[4096], line[128];
    memset(res, 0, sizeof(*res));
    record_list_init(&res->records, &res->arena);
    fusectl_init(&res->fusectl);
    int proc_fd = open(cfg->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc_fd < 0)
        return -errno;
    int r = read_line_at(proc_fd, "sys/kernel/osrelease", line, sizeof(line));
    if (r == 0)
        res->kernel = kernel_release_parse(line);
    if (r == 0 && !res->kernel.known)
        warn_about(res, cfg, "sys/kernel/osrelease", WARN_MALFORMED, "not a kernel release");
    else if (r < 0 && r != -ENOENT)
        warn_unreadable(res, cfg, "sys/kernel/osrelease", r);
    struct read_buf link = {0};
    if (read_link_at(proc_fd, "self/ns/mnt", &link) == 0 &&
        mnt_ns_link_parse(link.data, &res->self_mnt_ns) < 0)
        res->self_mnt_ns = 0;
    read_buf_free(&link);
    close(proc_fd);
    int err = 0;
    snprintf(path, sizeof(path), "%s/self/mountinfo", cfg->proc_root);
    res->self_mounts = mount_cache_get(&res->mounts, res->self_mnt_ns, path, &err);
    if (!res->self_mounts && err != -ENOENT)
        warn_unreadable(res, cfg, "self/mountinfo", err);
    return 0;
}

void scan_result_free(struct scan_result *res)
{
    process_list_free(&res->processes);
    record_list_free(&res->records);
    warning_list_free(&res->warnings);
    mount_cache_free(&res->mounts);
    free(res->fuse_servers.items);
    free(res->fuse_unlisted.items);
    fusectl_free(&res->fusectl);
    bound_sockets_free(&res->bound_sockets);
    free(res->orphan_ns.items);
    uprobes_free(&res->uprobes);
    arena_free(&res->arena);
}
