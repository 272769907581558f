/* Reading procfs and sysfs files and links into reusable buffers: a scan
 * reads thousands of them, so the buffers grow once and are reused.
 *
 * lshidden runs as root over trees a user may control (--proc-root,
 * --sys-root, and names on the live host), so a read takes only what
 * procfs and sysfs really serve: a regular file, opened without blocking,
 * up to a cap for its kind.  A FIFO, a device, a directory or a file past
 * its cap is an error the caller reports with the path, and the scan goes
 * on. */
#ifndef LSHIDDEN_CORE_PROCFS_IO_H
#define LSHIDDEN_CORE_PROCFS_IO_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

/* The caps, in bytes.  Each is far above what the kernel prints for a real
 * object of the kind, and bounds what a hostile tree can make us hold. */
enum {
    /* A ring with a million fixed files, each named by a path, or a FUSE
     * connection's backing_files: tens of MB. */
    READ_CAP_TABLE = 64u << 20,
    /* maps of a process with a million mappings: ~100 MB would be an
     * extreme. */
    READ_CAP_MAPS = 128u << 20,
    /* mountinfo: fs.mount-max (100000 by default) lines of a few hundred
     * bytes each. */
    READ_CAP_MOUNTINFO = 64u << 20,
    /* /proc/swaps, nfsd exports and client states: one line per object. */
    READ_CAP_LIST = 16u << 20,
    /* status, a binfmt_misc entry, a loop device's backing_file: a few KB. */
    READ_CAP_SMALL = 64u << 10,
};

/* -EMEDIUMTYPE: not a regular file (procfs and sysfs serve nothing else);
 * -EFBIG: larger than the cap.  Neither is ever an error of a real read. */
enum { READ_ERR_NOT_REGULAR = -EMEDIUMTYPE, READ_ERR_TOO_LARGE = -EFBIG };

struct read_buf {
    char *data; /* always NUL-terminated after a successful read */
    size_t len, cap;
};

/* Reads all of dirfd/path, at most cap bytes.  Returns 0 or -errno. */
int read_file_at(int dirfd, const char *path, struct read_buf *buf, size_t cap);

/* readlinkat() without a length limit (the kernel bounds link text at
 * PATH_MAX).  Returns 0 or -errno. */
int read_link_at(int dirfd, const char *path, struct read_buf *buf);

void read_buf_free(struct read_buf *buf);

/* The first line of dirfd/path, without its newline, into out (size n):
 * one read of a regular file.  Returns 0 or -errno. */
int read_line_at(int dirfd, const char *path, char *out, size_t n);

/* What a failed read means, in words: strerror(), or what the two errors
 * above stand for. */
const char *read_error_text(int err);

#endif
