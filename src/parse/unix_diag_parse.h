/* The reply to a NETLINK_SOCK_DIAG dump of AF_UNIX sockets (struct
 * unix_diag_msg and its attributes UNIX_DIAG_VFS and UNIX_DIAG_NAME), one
 * recv() buffer at a time, and the "net:[N]" link that names the network
 * namespace it was read in.  Pure: bytes in, values out, no I/O, so the
 * unit test and the fuzzer drive it directly; the buffer need not be
 * aligned. */
#ifndef LSHIDDEN_PARSE_UNIX_DIAG_PARSE_H
#define LSHIDDEN_PARSE_UNIX_DIAG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A socket bound to a path: only those have a UNIX_DIAG_VFS attribute,
 * and only those keep a mount busy. */
struct unix_diag_sock {
    uint64_t ino; /* the socket's own inode: socket:[ino] */
    unsigned vfs_major, vfs_minor;
    uint64_t vfs_ino; /* the bound file's inode */
    /* The name it was bound to, without the kernel's trailing NUL: a span
     * of the buffer (no terminator), or NULL/0 when the reply had none. */
    const char *name;
    size_t name_len;
};

struct unix_diag_cursor {
    const unsigned char *buf;
    size_t len, off;
};

enum unix_diag_step {
    UNIX_DIAG_END = 0,    /* this buffer is used up; the dump goes on */
    UNIX_DIAG_SOCKET = 1, /* *out is a socket bound to a path */
    UNIX_DIAG_DONE = 2,   /* NLMSG_DONE: the dump is complete */
};

void unix_diag_cursor_init(struct unix_diag_cursor *cur, const void *buf, size_t len);
/* The next bound socket of the buffer, skipping unbound and abstract ones.
 * Returns an enum unix_diag_step, -EINVAL on a malformed message (the
 * cursor then stays at the end), -EAGAIN when the kernel says the dump was
 * interrupted (start it again), or the -errno of an NLMSG_ERROR. */
int unix_diag_next(struct unix_diag_cursor *cur, struct unix_diag_sock *out);

/* The kernel's encoding of a superblock's dev_t (s_dev): major << 20 |
 * minor, not the one glibc's major() expects. */
unsigned unix_diag_dev_major(uint32_t dev);
unsigned unix_diag_dev_minor(uint32_t dev);

/* The target of a /proc/PID/ns/net link, "net:[N]".  Returns 0 or
 * -EINVAL. */
int net_ns_link_parse(const char *link, uint64_t *inode);

#endif
