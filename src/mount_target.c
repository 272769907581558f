#include "mount_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libmount/libmount.h>

#include "procfs_io.h"

static int copy_fs(struct mount_target *t, struct libmnt_fs *fs)
{
    dev_t dev = mnt_fs_get_devno(fs);
    const char *fstype = mnt_fs_get_fstype(fs), *source = mnt_fs_get_source(fs);
    const char *root = mnt_fs_get_root(fs);
    t->mount_id = mnt_fs_get_id(fs);
    t->dev_major = major(dev);
    t->dev_minor = minor(dev);
    t->mountpoint = strdup(mnt_fs_get_target(fs));
    t->root = strdup(root ? root : "/");
    t->fstype = fstype ? strdup(fstype) : NULL;
    t->source = source ? strdup(source) : NULL;
    return t->mountpoint && t->root ? 0 : -ENOMEM;
}

/* Live: statx() names the mount that PATH resolves through, exactly as
 * findmnt -T does.  A fixture tree has no real paths, so there the longest
 * mount point that covers PATH wins (the last one, when stacked). */
static struct libmnt_fs *find_fs(struct libmnt_table *tb, const char *path, bool live, int *err)
{
    struct libmnt_iter *iter = mnt_new_iter(MNT_ITER_FORWARD);
    struct libmnt_fs *fs, *best = NULL;
    size_t best_len = 0;
    struct statx stx;
    int id = -1;
    if (!iter) {
        *err = -ENOMEM;
        return NULL;
    }
    if (live) {
        if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0) {
            *err = -errno;
            mnt_free_iter(iter);
            return NULL;
        }
        if (stx.stx_mask & STATX_MNT_ID)
            id = (int)stx.stx_mnt_id;
    }
    while (mnt_table_next_fs(tb, iter, &fs) == 0) {
        const char *target = mnt_fs_get_target(fs);
        size_t len = target ? strlen(target) : 0;
        if (id >= 0) {
            if (mnt_fs_get_id(fs) == id)
                best = fs;
            continue;
        }
        bool covers = len == 1 ||
                      (strncmp(path, target, len) == 0 && (path[len] == '\0' || path[len] == '/'));
        if (target && covers && len >= best_len) {
            best = fs;
            best_len = len;
        }
    }
    mnt_free_iter(iter);
    if (!best)
        *err = -ENOENT;
    return best;
}

int mount_target_resolve(struct mount_target *t, const char *path, const char *proc_root, bool live)
{
    char file[4096];
    memset(t, 0, sizeof(*t));
    t->query = path;

    /* Without STATX_MNT_ID (before 5.8) fall back to the path, resolved. */
    char *real = live ? realpath(path, NULL) : strdup(path);
    if (!real)
        return -errno;
    snprintf(file, sizeof(file), "%s/self/mountinfo", proc_root);
    struct libmnt_table *tb = mnt_new_table_from_file(file);
    int err = 0;
    struct libmnt_fs *fs = tb ? find_fs(tb, real, live, &err) : NULL;
    if (!tb)
        err = -errno ? -errno : -EIO;
    if (fs)
        err = copy_fs(t, fs);
    mnt_unref_table(tb);
    free(real);

    struct read_buf link = {0};
    snprintf(file, sizeof(file), "%s/self/ns/mnt", proc_root);
    unsigned long long ino;
    if (err == 0 && read_link_at(AT_FDCWD, file, &link) == 0 &&
        sscanf(link.data, "mnt:[%llu]", &ino) == 1)
        t->mnt_ns = ino;
    read_buf_free(&link);
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
    size_t len = strlen(t->mountpoint);
    if (len == 1 && t->mountpoint[0] == '/')
        return path[0] == '/';
    return strncmp(path, t->mountpoint, len) == 0 && (path[len] == '\0' || path[len] == '/');
}
