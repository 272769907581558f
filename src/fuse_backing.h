/* FUSE: which connection each /dev/fuse fd serves, and the passthrough
 * backing files the kernel holds for a connection with no fd anywhere
 * (FUSE_DEV_IOC_BACKING_OPEN). */
#ifndef LSHIDDEN_FUSE_BACKING_H
#define LSHIDDEN_FUSE_BACKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scan.h"

/* Called for every fd that is /dev/fuse: records the server fd in
 * scan->fuse_servers and, with -a, fills the fd row (fd_row_index, or -1)
 * with the connection and its mount points. */
void fuse_scan_dev_fd(struct proc_scan *ps, int fd, ssize_t fd_row_index);

/* The connections of sys_root/fs/fuse/connections, after the scan.  When
 * the kernel lists backing files there (connections/N/backing_files, the
 * proposed UserFiles format), one hidden fuse-backing row per file, owned
 * by the connection's server; when it does not, one warning per
 * connection.  Mounts fusectl read-only first if it is missing and we may. */
void fuse_emit_backing_files(struct scan *scan);

/* --mount: one possible-holder row per connection whose backing files the
 * kernel does not list: any of them may lie on the mount. */
void fuse_add_possible_holders(struct scan *scan);

/* The server fds of connection conn found by the scan; NULL when none. */
const struct fuse_server_fd *fuse_first_server(const struct scan *scan, uint32_t conn);

/* Mount point(s) of conn in ns, comma-separated in the arena; NULL if
 * none. */
const char *fuse_conn_mountpoints(struct arena *arena, const struct mount_ns *ns, uint32_t conn);

/* sys_root/fs/fuse/connections (malloc'd).  When FUSE is in use (wanted)
 * and it is empty, mounts fusectl there read-only if live and root. */
char *fuse_connections_dir(const struct scan *scan, bool wanted);

/* The same for --deep, before the scan: wanted when FUSE filesystems are
 * mounted in our namespace.  NULL when there is no such directory. */
char *fuse_ctl_dir_for_deep(struct scan *scan);

#endif
