/* The mount that --mount asks about: PATH resolved like findmnt -T. */
#ifndef LSHIDDEN_MOUNT_MOUNT_TARGET_H
#define LSHIDDEN_MOUNT_MOUNT_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/mount_table.h"

struct mount_target {
    const char *query; /* PATH as given */
    int mount_id;      /* in our mount namespace */
    unsigned dev_major, dev_minor;
    char *mountpoint; /* decoded, in our namespace */
    char *root;       /* root of the mount within its filesystem */
    char *fstype, *source;
    uint64_t mnt_ns; /* our mount namespace's inode, 0 if unknown */
    /* The peer group of the mount it sits on (0: none): copies elsewhere
     * whose parent receives from it make an umount here fail too. */
    unsigned parent_shared;
    /* Live: the part of PATH below stalled_at was not looked up, since
     * that directory is on a mount whose server may not answer; its mount
     * is then the longest mount point covering PATH.  NULL otherwise. */
    char *stalled_at;
    /* --dev: a filesystem by its device, mounted anywhere or nowhere (after
     * a lazy umount): mount_id is -1 and mountpoint is the device as given. */
    bool by_device;
};

/* Finds PATH's mount in our table (self).  live: PATH is resolved on this
 * system one name at a time, never asking a FUSE or network server (see
 * stalled_at), and statx names its mount; otherwise, in a fixture tree,
 * the longest mount point covering PATH wins.  Returns 0, or -errno (e.g.
 * -ENOENT for a path that does not exist) for the caller to report with
 * the path. */
int mount_target_resolve(struct mount_target *target, const char *path, const struct mount_ns *self,
                         uint64_t self_mnt_ns, bool live);
/* --dev DEVICE: a block device node, or MAJ:MIN.  Returns 0 or -errno
 * (-ENOTBLK for a path that is not a block device). */
int mount_target_resolve_device(struct mount_target *target, const char *device,
                                uint64_t self_mnt_ns);
void mount_target_free(struct mount_target *target);

/* Whether path (decoded, absolute in our namespace) lies on the target's
 * mount point or below it. */
bool mount_target_covers_path(const struct mount_target *target, const char *path);

#endif
