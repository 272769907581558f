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
        e = mount_ns_cover(self, real);
    free(real);
    if (err == 0)
        err = e ? copy_entry(t, e) : -ENOENT;
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
    return mount_point_covers(t->mountpoint, path);
}
