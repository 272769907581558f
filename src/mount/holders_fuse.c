/* --mount: FUSE connections whose backing files this kernel does not
 * list; any of them may hold a file on the mount. */
#include <stdio.h>

#include "mount/holder_common.h"

static const char unlisted_note[] =
    "this kernel does not list FUSE passthrough backing files: the connection may hold files on "
    "this mount";

void holders_find_fuse(struct holder_scan *hs)
{
    struct scan_result *res = hs->res;
    for (size_t i = 0; i < res->fuse_unlisted.len; i++) {
        uint32_t conn = res->fuse_unlisted.items[i].conn;
        const struct fuse_server_fd *server = fuse_server_list_first(&res->fuse_servers, conn);
        struct file_record *rec =
            record_list_add(hs->records, server ? server->proc : NULL, SOURCE_FUSE_BACKING);
        char object[48];
        snprintf(object, sizeof(object), "FUSE connection %u", conn);
        if (!rec)
            return;
        rec->possible = true;
        rec->effect = EFFECT_BLOCKS_UMOUNT;
        rec->has_fuse_conn = true;
        rec->fuse_conn = conn;
        rec->fuse_mount = mount_ns_fuse_mountpoints(res->self_mounts, conn, hs->arena);
        rec->object = arena_strdup(hs->arena, object);
        rec->note = unlisted_note;
    }
}
