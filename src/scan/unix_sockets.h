/* AF_UNIX sockets bound to a path, read with sock_diag (NETLINK_SOCK_DIAG,
 * UDIAG_SHOW_VFS | UDIAG_SHOW_NAME) once in every network namespace a
 * process is in.  Collected before the holder stage gives up the
 * privileges that entering another namespace needs. */
#ifndef LSHIDDEN_SCAN_UNIX_SOCKETS_H
#define LSHIDDEN_SCAN_UNIX_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/process_list.h"
#include "core/warnings.h"

struct bound_socket {
    uint64_t ino;                  /* the socket's own inode: socket:[ino] */
    unsigned vfs_major, vfs_minor; /* the bound file's filesystem */
    uint64_t vfs_ino;              /* the bound file's inode */
    char *path;                    /* the name it was bound to (malloc'd), or NULL */
    uint64_t net_ns;               /* the network namespace's inode, 0 if unknown */
};

struct bound_sockets {
    struct bound_socket *items;
    size_t len, cap;
    bool complete; /* every namespace was read */
};

/* Fills out from the network namespaces of procs (proc_root/PID/ns/net:
 * the live /proc), each but ours entered in a thread of its own; reports
 * what it could not read as warnings.  Entering another user namespace's
 * network namespace needs CAP_SYS_ADMIN there: without it only ours is
 * read, and one warning names the rest.  Which process holds a socket is
 * not said here (sock_diag does not know); the --mount finder looks for
 * it among the fds of the few sockets on its target.  Returns 0 or
 * -ENOMEM. */
int bound_sockets_collect(struct bound_sockets *out, const char *proc_root,
                          const struct process_list *procs, struct warning_list *warnings);
void bound_sockets_free(struct bound_sockets *list);

#endif
