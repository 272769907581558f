/* --mount: AF_UNIX sockets bound to a path on the mount.  A bound socket
 * keeps a reference to the mount its name lives on, so umount fails with
 * EBUSY, yet no process has a file of the mount open: lsof and fuser do
 * not name it.  The sockets were read with sock_diag before privileges
 * were dropped (scan/unix_sockets.c); this finder only matches and names
 * them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mount/holder_common.h"
#include "parse/proc_names.h"
#include "util/vec.h"

/* A process with an fd on one of the target's sockets. */
struct owner {
    size_t sock; /* index in struct on_target */
    const struct process_info *proc;
    int fd; /* its first fd on the socket */
};

struct on_target {
    struct {
        const struct bound_socket **items;
        size_t len, cap;
    } socks;
    struct {
        struct owner *items;
        size_t len, cap;
    } owners;
    bool unread; /* a process's fds could not be read: an owner may be missing */
};

static bool parse_socket_link(const char *link, uint64_t *ino)
{
    static const char prefix[] = "socket:[";
    size_t n = strlen(link), p = sizeof(prefix) - 1;
    return n > p + 1 && memcmp(link, prefix, p) == 0 && link[n - 1] == ']' &&
           decimal_span_parse(link + p, n - p - 1, UINT64_MAX, ino);
}

static int add_owner(struct on_target *t, size_t sock, const struct process_info *proc, int fd)
{
    for (size_t i = 0; i < t->owners.len; i++)
        if (t->owners.items[i].sock == sock && t->owners.items[i].proc == proc)
            return 0; /* one row per process, at its first fd */
    return VEC_APPEND(&t->owners, ((struct owner){sock, proc, fd}));
}

static int match_fd(struct on_target *t, const struct process_info *proc, int dirfd,
                    const char *name)
{
    uint64_t fd, ino;
    char link[64];
    if (!decimal_name_parse(name, INT_MAX, &fd))
        return 0;
    ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
    if (n < 0)
        return 0; /* closed meanwhile */
    link[n] = '\0';
    if (!parse_socket_link(link, &ino))
        return 0;
    for (size_t i = 0; i < t->socks.len; i++)
        if (t->socks.items[i]->ino == ino)
            return add_owner(t, i, proc, (int)fd);
    return 0;
}

static int scan_fds(struct holder_scan *hs, struct on_target *t, const struct process_info *proc)
{
    char *path = holder_path(hs, hs->proc_root, "%d/fd", (int)proc->pid);
    int dfd = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dir) {
        int err = path ? -errno : -ENOMEM;
        if (dfd >= 0)
            close(dfd);
        /* The walk already warned about a process it could not read. */
        t->unread |= warning_kind_for_errno(err) != WARN_VANISHED;
        return err == -ENOMEM ? err : 0;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(dir)))
        r = match_fd(t, proc, dirfd(dir), de->d_name);
    closedir(dir);
    return r;
}

/* The owners come from the fd tables themselves, not from the scan's fd
 * rows: the filter has dropped those by now (a socket fd is on sockfs,
 * not on the target), and keeping them would need the pipeline to look
 * before it filters.  This reads fds only when a socket is on the
 * target, which is rare, and only their links. */
static int find_owners(struct holder_scan *hs, struct on_target *t)
{
    pid_t self = getpid();
    for (size_t i = 0; i < hs->processes->len; i++) {
        const struct process_info *proc = hs->processes->items[i];
        int r = proc->pid == self ? 0 : scan_fds(hs, t, proc);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The socket may hold a bind mount of the filesystem, or a copy of it in
 * another namespace, rather than the target: certain only when its name
 * lies below the mount point, or the target is its filesystem's only
 * mount here. */
static bool holds_target(const struct holder_scan *hs, const struct bound_socket *b)
{
    if (hs->target->by_device)
        return true; /* --dev: the device is the question */
    if (b->path && b->path[0] == '/' && mount_target_covers_path(hs->target, b->path))
        return true;
    const struct mount_ns *ns = hs->res->self_mounts;
    size_t mounts = 0;
    for (size_t i = 0; ns && i < ns->len; i++)
        mounts += holder_is_target_dev(hs, ns->entries[i].dev_major, ns->entries[i].dev_minor);
    return mounts == 1;
}

static struct file_record *add_row(struct holder_scan *hs, const struct bound_socket *b,
                                   const struct process_info *proc, int fd)
{
    char object[48];
    snprintf(object, sizeof(object), "unix socket:[%llu]", (unsigned long long)b->ino);
    char *path = b->path ? arena_strdup(hs->arena, b->path) : NULL;
    struct file_record *rec = holder_add(hs, SOURCE_UNIX_SOCKET, object, path);
    if (!rec)
        return NULL;
    rec->proc = proc;
    rec->has_fd = fd >= 0;
    rec->fd = fd;
    rec->type = FTYPE_SOCK;
    rec->identity = IDENTITY_KERNEL;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = b->vfs_major;
    rec->dev_minor = b->vfs_minor;
    rec->inode = b->vfs_ino;
    if (holds_target(hs, b))
        holder_set_on_target(hs, rec);
    else
        rec->possible = true;
    return rec;
}

/* No process has an fd on it.  Most likely it is in a message's
 * SCM_RIGHTS, queued on the socket it was sent to until that is read or
 * closed; an io_uring fixed file, or a process we could not read, hides
 * it as well. */
static void add_ownerless(struct holder_scan *hs, const struct bound_socket *b, bool unread)
{
    struct file_record *rec = add_row(hs, b, NULL, -1);
    if (!rec)
        return;
    rec->hidden = true;
    rec->hint = unread ? "no fd we could read holds it: in flight over SCM_RIGHTS (read or close "
                         "the socket it was sent to), an io_uring fixed file, or a process we "
                         "could not read"
                       : "no fd holds it: in flight over SCM_RIGHTS (read or close the socket "
                         "it was sent to), or an io_uring fixed file";
}

static void add_rows(struct holder_scan *hs, const struct on_target *t)
{
    for (size_t i = 0; i < t->socks.len; i++) {
        bool owned = false;
        for (size_t j = 0; j < t->owners.len; j++) {
            const struct owner *o = &t->owners.items[j];
            if (o->sock == i) {
                add_row(hs, t->socks.items[i], o->proc, o->fd);
                owned = true;
            }
        }
        if (!owned)
            add_ownerless(hs, t->socks.items[i], t->unread);
    }
}

void holders_find_unix_sockets(struct holder_scan *hs)
{
    const struct bound_sockets *all = &hs->res->bound_sockets;
    struct on_target t = {0};
    int r = 0;
    for (size_t i = 0; r == 0 && i < all->len; i++)
        if (holder_is_target_dev(hs, all->items[i].vfs_major, all->items[i].vfs_minor))
            r = VEC_APPEND(&t.socks, &all->items[i]);
    if (r == 0 && t.socks.len)
        r = find_owners(hs, &t);
    if (r == 0)
        add_rows(hs, &t);
    else
        warning_add(hs->warnings, WARN_IO, 0, NULL, "out of memory matching bound unix sockets");
    free(t.socks.items);
    free(t.owners.items);
}
