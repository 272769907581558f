/* FUSE connections as the scan sees them: the server fds (/dev/fuse) of
 * each connection, and the --fuse rows with their columns. */
#ifndef LSHIDDEN_CORE_FUSE_CONN_H
#define LSHIDDEN_CORE_FUSE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/columns.h"
#include "core/record.h"

/* A /dev/fuse fd: the server side of a FUSE connection. */
struct fuse_server_fd {
    const struct process_info *proc;
    int fd;
    bool has_conn; /* fdinfo "fuse_connection:" (6.16+), or inferred */
    bool inferred; /* from the mount's type, not from the kernel */
    uint32_t conn;
};

struct fuse_server_list {
    struct fuse_server_fd *items;
    size_t len, cap;
};

/* The first server fd of conn (by pid, then fd, once sorted); NULL when no
 * process serves it. */
const struct fuse_server_fd *fuse_server_list_first(const struct fuse_server_list *list,
                                                    uint32_t conn);
void fuse_server_list_sort(struct fuse_server_list *list);

/* One row of --fuse. */
struct fuse_connection {
    uint32_t conn;
    const char *mountpoints; /* comma-separated; NULL when none */
    const char *fstype;
    const char *server_pids; /* "12,34", distinct and ascending; NULL when none */
    bool has_waiting, has_backing;
    uint64_t waiting;
    uint64_t backing;
};

struct fuse_connection_list {
    struct fuse_connection *items;
    size_t len, cap;
};

enum fuse_column_id {
    FCOL_CONNECTION,
    FCOL_MOUNTPOINT,
    FCOL_FSTYPE,
    FCOL_SERVER_PIDS,
    FCOL_WAITING,
    FCOL_BACKING_FILES,
    FCOL_COUNT
};

extern const struct column_set fuse_conn_columns;

#endif
