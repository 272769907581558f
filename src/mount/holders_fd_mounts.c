/* --mount: fds that hold the filesystem with no mount in any table:
 *  - detached mounts (open_tree(OPEN_TREE_CLONE) or fsmount() fds never
 *    attached): umount of the target succeeds, the filesystem lives on
 *    through the fd;
 *  - fsopen() contexts that created (or found) the target's superblock
 *    with FSCONFIG_CMD_CREATE and were never mounted: the context holds
 *    the superblock.  /proc shows only "anon_inode:[fscontext]"; the
 *    kernel view says which superblock, and without it every such fd is a
 *    possible holder. */
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"

/* ---- detached mounts ---------------------------------------------------- */

/* Whether mount id is in the table of the process's own namespace, or in
 * ours.  A table that cannot be read counts as having it: an fd on
 * another namespace's mount is not a detached one. */
static bool mount_is_attached(struct holder_scan *hs, const struct file_record *rec)
{
    if (mount_ns_find_id(hs->res->self_mounts, rec->mount_id) ||
        mount_cache_find_id(&hs->res->mounts, rec->mount_id))
        return true;
    const struct process_info *proc = rec->proc;
    if (!proc->has_mnt_ns || proc->mnt_ns == hs->res->self_mnt_ns)
        return !proc->has_mnt_ns;
    char *file = holder_path(hs, hs->proc_root, "%d/mountinfo", (int)proc->pid);
    int err = 0;
    struct mount_ns *ns = file ? mount_cache_get(&hs->res->mounts, proc->mnt_ns, file, &err) : NULL;
    return !ns || ns->len == 0 || mount_ns_find_id(ns, rec->mount_id);
}

static void add_detached(struct holder_scan *hs, const struct file_record *fd)
{
    char object[64];
    snprintf(object, sizeof(object), "detached mount %d", fd->mount_id);
    struct file_record *rec = holder_add_fd(hs, SOURCE_DETACHED_MOUNT, object, fd, "close");
    if (!rec)
        return;
    rec->effect = EFFECT_KEEPS_ALIVE;
    rec->possible = false;
    rec->type = fd->type;
    rec->identity = fd->identity;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = fd->mount_id;
    rec->dev_major = fd->dev_major;
    rec->dev_minor = fd->dev_minor;
    rec->has_inode = fd->has_inode;
    rec->inode = fd->inode;
}

/* fds on the target's filesystem whose mount (from statx of the fd) is in
 * no table; the mount filter left them out, since they are not on the
 * target mount itself. */
void holders_find_detached(struct holder_scan *hs)
{
    if (hs->target->by_device)
        return; /* --dev: every fd on the device is a holder already */
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *rec = hs->all_rows->items[i];
        if (rec->source == SOURCE_FD && rec->proc && rec->has_mount_id && rec->has_dev &&
            rec->mount_id != hs->target->mount_id &&
            holder_is_target_dev(hs, rec->dev_major, rec->dev_minor) && !mount_is_attached(hs, rec))
            add_detached(hs, rec);
    }
}

/* ---- fs_context fds ------------------------------------------------------ */

static void add_context(struct holder_scan *hs, const struct file_record *fd, bool possible)
{
    char object[64];
    snprintf(object, sizeof(object), "fs_context fd %d", fd->fd);
    struct file_record *rec = holder_add_fd(hs, SOURCE_FS_CONTEXT, object, fd, "close");
    if (!rec)
        return;
    rec->type = FTYPE_ANON;
    rec->effect = EFFECT_KEEPS_ALIVE;
    rec->possible = possible;
    if (!possible) {
        rec->has_dev = true;
        rec->dev_major = fd->context_sb_major;
        rec->dev_minor = fd->context_sb_minor;
    }
}

void holders_find_fs_contexts(struct holder_scan *hs)
{
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *fd = hs->all_rows->items[i];
        if (fd->source != SOURCE_FD || !fd->proc || !fd->path ||
            strcmp(fd->path, "anon_inode:[fscontext]") != 0)
            continue;
        if (!fd->has_context_sb)
            add_context(hs, fd, true);
        else if (holder_is_target_dev(hs, fd->context_sb_major, fd->context_sb_minor))
            add_context(hs, fd, false);
    }
}
