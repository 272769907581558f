/* --mount without the kernel view: AF_UNIX sockets with files sent to
 * them and not received.  fdinfo's "scm_fds: N" counts them but does not
 * say which files they are: the receiving process is a possible holder.
 * (The kernel view names the files themselves: source in-flight rows from
 * deep_merge, matched by mount id.) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount/holder_common.h"

static unsigned long unreceived(struct holder_scan *hs, const struct file_record *fd)
{
    char *file = holder_path(hs, hs->proc_root, "%d/fdinfo/%d", (int)fd->proc->pid, fd->fd);
    struct read_buf buf = {0};
    unsigned long n = 0;
    if (file && read_file_at(AT_FDCWD, file, &buf, READ_CAP_SMALL) == 0 && buf.data) {
        const char *p = strstr(buf.data, "\nscm_fds:\t");
        if (!p)
            p = strstr(buf.data, "\nscm_fds: ");
        if (p)
            n = strtoul(p + 9, NULL, 10);
    }
    read_buf_free(&buf);
    return n;
}

void holders_find_inflight(struct holder_scan *hs)
{
    if (hs->kernel_view || !hs->live)
        return;
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *fd = hs->all_rows->items[i];
        unsigned long n;
        if (fd->source != SOURCE_FD || !fd->proc || !fd->path || fd->has_tid ||
            strncmp(fd->path, "socket:[", 8) != 0 || !(n = unreceived(hs, fd)))
            continue;
        char object[96], hint[96];
        snprintf(object, sizeof(object), "%lu file%s sent to socket fd %d, not received", n,
                 n == 1 ? "" : "s", fd->fd);
        struct file_record *rec = holder_add(hs, SOURCE_IN_FLIGHT, object, fd->path);
        if (!rec)
            return;
        rec->proc = fd->proc;
        rec->has_fd = true;
        rec->fd = fd->fd;
        rec->type = FTYPE_SOCK;
        rec->possible = true;
        snprintf(hint, sizeof(hint), "read or close fd %d of %d, or kill %d", fd->fd,
                 (int)fd->proc->pid, (int)fd->proc->pid);
        rec->hint = arena_strdup(hs->arena, hint);
    }
}
