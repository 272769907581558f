#include "mount/mount_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static bool covers(const char *target, const char *path)
{
    size_t len = strlen(target);
    if (len == 1 && target[0] == '/')
        return path[0] == '/';
    return strncmp(path, target, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* Mounts stacked on one point: the one mounted last is on top, and
 * mountinfo lists it after the one it covers. */
static const struct mount_entry *longest_cover(const struct mount_ns *self, const char *path)
{
    const struct mount_entry *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < self->len; i++) {
        const struct mount_entry *e = &self->entries[i];
        size_t len = e->target ? strlen(e->target) : 0;
        if (e->target && covers(e->target, path) &&
            (!best || len > best_len || (len == best_len && e->order > best->order))) {
            best = e;
            best_len = len;
        }
    }
    return best;
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
    /* Without STATX_MNT_ID (before 5.8) fall back to the path, resolved. */
    char *real = live ? realpath(path, NULL) : strdup(path);
    if (!real)
        return -errno;
    const struct mount_entry *e = NULL;
    struct statx stx;
    int err = 0;
    if (live && statx(AT_FDCWD, real, 0, STATX_MNT_ID, &stx) < 0)
        err = -errno;
    else if (live && (stx.stx_mask & STATX_MNT_ID))
        e = mount_ns_find_id(self, (int)stx.stx_mnt_id);
    else
        e = longest_cover(self, real);
    free(real);
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
    t->mountpoint = t->root = t->fstype = t->source = NULL;
}

bool mount_target_covers_path(const struct mount_target *t, const char *path)
{
    return covers(t->mountpoint, path);
}
