/* --mount: overlayfs mounts whose layers (lowerdir, upperdir, workdir,
 * datadir) lie on the target.  overlayfs keeps private clones of its
 * layers' mounts: umount of the target succeeds, but the filesystem and
 * its device stay in use until the overlay is unmounted. */
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"
#include "parse/overlay_options.h"

static void add_layers(struct holder_scan *hs, const struct mount_entry *e,
                       const struct overlay_layers *layers)
{
    for (size_t i = 0; i < layers->len; i++) {
        const struct overlay_layer *layer = &layers->items[i];
        /* A relative name was relative to the mounter's directory, which
         * is not known here. */
        if (layer->path[0] != '/')
            continue;
        char object[512];
        snprintf(object, sizeof(object), "%s (%s)", e->target, overlay_role_name(layer->role));
        char *path = arena_strdup(hs->arena, layer->path);
        struct file_record *rec =
            path ? holder_add_by_path(hs, SOURCE_OVERLAY, object, path, TRI_FALSE, true) : NULL;
        if (rec) {
            rec->effect = EFFECT_KEEPS_ALIVE;
            rec->hint = holder_umount_hint(hs, e->target);
        }
    }
}

void holders_find_overlays(struct holder_scan *hs)
{
    const struct mount_ns *ns = hs->res->self_mounts;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (!e->fstype || strcmp(e->fstype, "overlay") != 0 || e->id == hs->target->mount_id)
            continue;
        struct overlay_layers layers = {0};
        if (overlay_layers_parse(e->fs_options, &layers) == 0)
            add_layers(hs, e, &layers);
        overlay_layers_free(&layers);
    }
}
