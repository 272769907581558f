#include "scan/fuse_dev_handler.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse/fdinfo_parse.h"
#include "util/vec.h"

static const char inferred_note[] =
    "FUSE connection inferred from the mount's type: this kernel's /dev/fuse fdinfo has no "
    "fuse_connection (Linux 6.16+)";

/* Before 6.16 the kernel does not say which connection a /dev/fuse fd
 * serves.  The best remaining evidence: exactly one FUSE mount whose type
 * names the server ("fuse.sshfs" for sshfs). */
static bool infer_conn(const struct mount_ns *ns, const char *command, uint32_t *conn)
{
    const struct mount_entry *found = NULL;
    size_t clen = command ? strlen(command) : 0;
    for (size_t i = 0; clen && ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        uint32_t c;
        if (!mount_entry_fuse_conn(e, &c) || strncmp(e->fstype, "fuse.", 5) != 0 ||
            strcmp(e->fstype + 5, command) != 0)
            continue;
        if (found)
            return false;
        found = e;
    }
    if (!found || found->dev_major != 0)
        return false;
    *conn = found->dev_minor;
    return true;
}

static void fuse_dev_on_fd(struct proc_ctx *ctx, void *state, const struct fd_entry *fd)
{
    (void)state;
    struct read_buf *buf = &ctx->out->file_buf;
    struct fuse_server_fd server = {.proc = ctx->proc, .fd = fd->fd};
    char entry[32];
    uint64_t conn;
    snprintf(entry, sizeof(entry), "fdinfo/%d", fd->fd);
    int r = read_file_at(ctx->dirfd, entry, buf, READ_CAP_SMALL);
    if (r < 0) {
        if (r != -ENOENT)
            proc_ctx_report(ctx, r, entry);
        return;
    }
    if (fdinfo_get_u64(buf->data, buf->len, "fuse_connection", &conn) == 0 && conn <= UINT32_MAX) {
        server.has_conn = true;
        server.conn = (uint32_t)conn;
    } else if (infer_conn(proc_ctx_mounts(ctx), ctx->proc->command, &server.conn)) {
        server.has_conn = server.inferred = true;
    }
    VEC_APPEND(&ctx->out->fuse_servers, server);

    struct file_record *row = fd->row;
    if (!row || !server.has_conn)
        return;
    row->has_fuse_conn = true;
    row->fuse_conn = server.conn;
    row->fuse_mount =
        mount_ns_fuse_mountpoints(proc_ctx_mounts(ctx), server.conn, &ctx->out->arena);
    if (server.inferred)
        row->note = inferred_note;
}

const struct file_handler fuse_dev_handler = {
    .name = "fuse-dev",
    .fd_link = "/dev/fuse",
    .on_fd = fuse_dev_on_fd,
};
