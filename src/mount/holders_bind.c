/* --mount: other mounts of the same filesystem in our namespace (a bind
 * mount of it, or of a directory in it, elsewhere).  umount of the target
 * succeeds, but the filesystem and its device stay in use there. */
#include "mount/holder_common.h"

/* Mounts below the target are its submounts, listed as such. */
void holders_find_binds(struct holder_scan *hs)
{
    const struct mount_ns *ns = hs->res->self_mounts;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (e->id != hs->target->mount_id && holder_is_target_dev(hs, e->dev_major, e->dev_minor) &&
            !holder_mount_below_target(hs, ns, e)) {
            struct file_record *rec = holder_add_mount(hs, SOURCE_BIND, e);
            if (rec)
                rec->effect = EFFECT_KEEPS_ALIVE;
        }
    }
}
