/* --mount: fsopen() fds whose context created (or found) the target's
 * superblock with FSCONFIG_CMD_CREATE and was never mounted: the context
 * holds the superblock, so the filesystem lives on after umount.  /proc
 * shows only "anon_inode:[fscontext]"; the kernel view says which
 * superblock, and without it every such fd is a possible holder. */
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"

static void add_context(struct holder_scan *hs, const struct file_record *fd, bool possible)
{
    char object[64];
    snprintf(object, sizeof(object), "fs_context fd %d", fd->fd);
    struct file_record *rec = holder_add(hs, SOURCE_FS_CONTEXT, object, fd->path);
    if (!rec)
        return;
    rec->proc = fd->proc;
    rec->has_fd = true;
    rec->fd = fd->fd;
    rec->type = FTYPE_ANON;
    rec->effect = EFFECT_KEEPS_ALIVE;
    rec->possible = possible;
    if (!possible) {
        rec->has_dev = true;
        rec->dev_major = fd->context_sb_major;
        rec->dev_minor = fd->context_sb_minor;
    }
    char hint[96];
    snprintf(hint, sizeof(hint), "close fd %d of %d, or kill %d", fd->fd, (int)fd->proc->pid,
             (int)fd->proc->pid);
    rec->hint = arena_strdup(hs->arena, hint);
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
