/* --mount: other mounts of the same filesystem in our namespace (a bind
 * mount of it, or of a directory in it, elsewhere).  umount of the target
 * succeeds, but the filesystem and its device stay in use there. */
#include <stdlib.h>

#include "mount/holder_common.h"

static bool below(const struct mount_ns *ns, const struct mount_entry *e, int ancestor)
{
    for (size_t steps = 0; e && steps <= ns->len; steps++) {
        if (e->parent_id == ancestor)
            return true;
        if (e->parent_id == e->id)
            return false;
        e = mount_ns_find_id(ns, e->parent_id);
    }
    return false;
}

static void add_bind(struct holder_scan *hs, const struct mount_entry *e)
{
    char *path = arena_strdup(hs->arena, e->target);
    struct file_record *rec = path ? holder_add(hs, SOURCE_BIND, path, path) : NULL;
    if (!rec)
        return;
    rec->effect = EFFECT_KEEPS_ALIVE;
    rec->possible = false;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = e->id;
    rec->dev_major = e->dev_major;
    rec->dev_minor = e->dev_minor;
    rec->mountpoint = path;
}

/* Mounts below the target are its submounts, listed as such. */
void holders_find_binds(struct holder_scan *hs)
{
    const struct mount_ns *ns = hs->res->self_mounts;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (e->id != hs->target->mount_id && holder_is_target_dev(hs, e->dev_major, e->dev_minor) &&
            !below(ns, e, hs->target->mount_id))
            add_bind(hs, e);
    }
}
