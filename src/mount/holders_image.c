/* --mount: filesystems mounted straight from an image file on the mount
 * (erofs backed by a file, 6.12+, with no loop device in between): the
 * mount holds the image open, so umount of the target fails. */
#include <string.h>

#include "mount/holder_common.h"

/* Live, a stat() tells a regular file on the target; in a fixture tree
 * only the name is known, and anything under /dev is a device node. */
static void add_image(struct holder_scan *hs, const struct mount_entry *e)
{
    struct file_identity id;
    bool known = hs->live;
    if (known &&
        (holder_stat_path(hs, e->source, false, &id) != STAT_ON_TARGET || id.type != FTYPE_REG))
        return;
    if (!known && strncmp(e->source, "/dev/", 5) == 0)
        return;
    char object[512];
    snprintf(object, sizeof(object), "%s mounted at %s", e->fstype ? e->fstype : "?", e->target);
    char *path = arena_strdup(hs->arena, e->source);
    struct file_record *rec = path ? holder_add(hs, SOURCE_IMAGE, object, path) : NULL;
    if (!rec)
        return;
    rec->possible = !known;
    if (known) {
        record_set_identity(rec, &id, IDENTITY_PATH);
        holder_set_on_target(hs, rec);
        rec->deleted = TRI_FALSE;
    }
    rec->hint = holder_umount_hint(hs, e->target);
}

/* Block devices (a loop device, a partition) are named by a device node:
 * only a regular file on the target is an image the mount holds. */
void holders_find_images(struct holder_scan *hs)
{
    const struct mount_ns *ns = hs->res->self_mounts;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (e->id != hs->target->mount_id && e->source && e->source[0] == '/' &&
            (hs->target->by_device || mount_target_covers_path(hs->target, e->source)))
            add_image(hs, e);
    }
}
