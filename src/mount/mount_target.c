#include "mount/mount_target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int copy_entry(struct mount_target *t, const struct mount_entry *e)
{
    t->mount_id = e->id;
    t->dev_major = e->dev_major;
    t->dev_minor = e->dev_minor;
    t->mountpoint = strdup(e->target);
    t->root = strdup(e->root ? e->root : "/");
    t->fstype = e->fstype ? strdup(e->fstype) : NULL;
    t->source = e->source ? strdup(e->source) : NULL;
    return t->mountpoint && t->root ? 0 : -ENOMEM;
}

/* realpath() as a walk that cannot hang: the name being looked up, the
 * names still to go, and the directory reached so far (fd and path). */
struct walk {
    const struct mount_ns *self;
    char todo[PATH_MAX], done[PATH_MAX];
    int fd;
    int links; /* symlinks followed, at most MAXSYMLINKS like the kernel */
};

static int cached_statx(int fd, unsigned mask, struct statx *stx)
{
    int flags = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC;
    return statx(fd, "", flags, mask, stx) < 0 ? -errno : 0;
}

/* Whether a lookup in the walk's directory may wait for a server. */
static bool walk_may_wait(const struct walk *w)
{
    struct statx stx;
    if (cached_statx(w->fd, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
        return false; /* before 5.8: no mount id, the walk has to risk it */
    const struct mount_entry *e = mount_ns_find_id(w->self, (int)stx.stx_mnt_id);
    return e && fstype_server(e->fstype) != FS_LOCAL;
}

static int walk_chdir(struct walk *w, int fd)
{
    if (fd < 0)
        return -errno;
    close(w->fd);
    w->fd = fd;
    return 0;
}

/* A symlink's target goes in front of the names still to go. */
static int walk_symlink(struct walk *w, int fd)
{
    char target[PATH_MAX], rest[PATH_MAX];
    ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
    close(fd);
    if (n < 0)
        return -errno;
    target[n] = '\0';
    if (++w->links > 40)
        return -ELOOP;
    snprintf(rest, sizeof(rest), "%s", w->todo);
    if ((size_t)snprintf(w->todo, sizeof(w->todo), "%s/%s", target, rest) >= sizeof(w->todo))
        return -ENAMETOOLONG;
    if (target[0] == '/') {
        w->done[0] = '\0';
        return walk_chdir(w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    return 0;
}

static int walk_step(struct walk *w, const char *name)
{
    if (strcmp(name, ".") == 0)
        return 0;
    if (strcmp(name, "..") == 0) {
        char *slash = strrchr(w->done, '/');
        if (slash)
            *slash = '\0';
        return walk_chdir(w, openat(w->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    int fd = openat(w->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct statx stx;
    if (fd < 0 || cached_statx(fd, STATX_TYPE, &stx) < 0) {
        int err = -errno;
        if (fd >= 0)
            close(fd);
        return err;
    }
    if (S_ISLNK(stx.stx_mode))
        return walk_symlink(w, fd);
    size_t len = strlen(w->done);
    if (len + strlen(name) + 2 > sizeof(w->done)) {
        close(fd);
        return -ENAMETOOLONG;
    }
    snprintf(w->done + len, sizeof(w->done) - len, "/%s", name);
    return walk_chdir(w, fd);
}

/* Takes the next name off todo into name; false when none is left. */
static bool walk_next(struct walk *w, char *name, size_t size)
{
    char *p = w->todo;
    while (*p == '/')
        p++;
    if (!*p)
        return false;
    size_t len = strcspn(p, "/");
    snprintf(name, size, "%.*s", (int)len, p);
    memmove(w->todo, p + len, strlen(p + len) + 1);
    return true;
}

/* Walks path; returns 0 with w->fd the file it names, or stops early
 * (1) where the next lookup may wait for a server, with w->done the
 * directory reached and w->todo the rest. */
static int walk_path(struct walk *w, const char *path)
{
    char name[NAME_MAX + 1];
    if ((size_t)snprintf(w->todo, sizeof(w->todo), "%s", path) >= sizeof(w->todo))
        return -ENAMETOOLONG;
    w->done[0] = '\0';
    if (path[0] != '/' && !getcwd(w->done, sizeof(w->done)))
        return -errno;
    if (strcmp(w->done, "/") == 0)
        w->done[0] = '\0'; /* names are appended as "/NAME" */
    w->fd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w->fd < 0)
        return -errno;
    for (;;) {
        /* Even ".." asks FUSE: the directory's permission is checked. */
        char *rest = w->todo + strspn(w->todo, "/");
        size_t n = strcspn(rest, "/");
        if (n > NAME_MAX)
            return -ENAMETOOLONG;
        if (n && walk_may_wait(w))
            return 1;
        if (!walk_next(w, name, sizeof(name)))
            return 0;
        int r = walk_step(w, name);
        if (r < 0)
            return r;
    }
}

/* "/a/./b/../c//" becomes "/a/c", by the text alone. */
static void normalize_lexically(char *path)
{
    char *out = path, *in = path;
    while (*in) {
        in += strspn(in, "/");
        size_t n = strcspn(in, "/");
        if (n == 2 && in[0] == '.' && in[1] == '.') {
            while (out > path && *--out != '/')
                ;
        } else if (n && !(n == 1 && in[0] == '.')) {
            *out++ = '/';
            memmove(out, in, n);
            out += n;
        }
        in += n;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

/* The mount of the live path, and where its walk stopped, if it did. */
static int live_mount(struct mount_target *t, const char *path, const struct mount_ns *self,
                      const struct mount_entry **e)
{
    struct walk *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->self = self;
    w->fd = -1;
    int r = walk_path(w, path);
    struct statx stx;
    if (r == 0 && (r = cached_statx(w->fd, STATX_MNT_ID, &stx)) == 0)
        *e = (stx.stx_mask & STATX_MNT_ID) ? mount_ns_find_id(self, (int)stx.stx_mnt_id) : NULL;
    /* Before 5.8 (no mount id), or stopped short: the mount by name. */
    if ((r == 0 && !(stx.stx_mask & STATX_MNT_ID)) || r == 1) {
        char full[PATH_MAX * 2];
        snprintf(full, sizeof(full), "%s/%s", w->done, w->todo);
        normalize_lexically(full);
        *e = mount_ns_cover(self, full);
    }
    if (r == 1 && !(t->stalled_at = strdup(w->done[0] ? w->done : "/")))
        r = -ENOMEM;
    if (w->fd >= 0)
        close(w->fd);
    free(w);
    return r < 0 ? r : 0;
}

static void note_parent(struct mount_target *t, const struct mount_ns *self,
                        const struct mount_entry *e)
{
    const struct mount_entry *parent = mount_ns_find_id(self, e->parent_id);
    t->parent_shared = parent && parent != e ? parent->shared : 0;
}

int mount_target_resolve(struct mount_target *t, const char *path, const struct mount_ns *self,
                         uint64_t self_mnt_ns, bool live)
{
    memset(t, 0, sizeof(*t));
    t->query = path;
    t->mnt_ns = self_mnt_ns;
    if (!self)
        return -ENOENT;
    const struct mount_entry *e = NULL;
    int err = live ? live_mount(t, path, self, &e) : 0;
    if (!live)
        e = mount_ns_cover(self, path);
    if (err == 0)
        err = e ? copy_entry(t, e) : -ENOENT;
    if (err == 0)
        note_parent(t, self, e);
    if (err < 0)
        mount_target_free(t);
    return err;
}

void mount_target_free(struct mount_target *t)
{
    free(t->mountpoint);
    free(t->root);
    free(t->fstype);
    free(t->source);
    free(t->stalled_at);
    t->mountpoint = t->root = t->fstype = t->source = t->stalled_at = NULL;
}

bool mount_target_covers_path(const struct mount_target *t, const char *path)
{
    return !t->by_device && mount_point_covers(t->mountpoint, path);
}

/* "MAJ:MIN" in decimal. */
static bool parse_dev_numbers(const char *s, unsigned *major, unsigned *minor)
{
    char *end;
    errno = 0;
    unsigned long ma = strtoul(s, &end, 10);
    if (end == s || *end != ':' || errno || ma > 0xfff)
        return false;
    const char *m = end + 1;
    unsigned long mi = strtoul(m, &end, 10);
    if (end == m || *end || errno || mi > 0xfffff)
        return false;
    *major = (unsigned)ma;
    *minor = (unsigned)mi;
    return true;
}

int mount_target_resolve_device(struct mount_target *t, const char *device, uint64_t self_mnt_ns)
{
    memset(t, 0, sizeof(*t));
    t->query = device;
    t->by_device = true;
    t->mount_id = -1;
    t->mnt_ns = self_mnt_ns;
    if (!parse_dev_numbers(device, &t->dev_major, &t->dev_minor)) {
        struct stat st;
        if (stat(device, &st) < 0)
            return -errno;
        if (!S_ISBLK(st.st_mode))
            return -ENOTBLK;
        t->dev_major = major(st.st_rdev);
        t->dev_minor = minor(st.st_rdev);
    }
    t->mountpoint = strdup(device);
    return t->mountpoint ? 0 : -ENOMEM;
}
