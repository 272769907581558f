/* Reading procfs files and links into reusable buffers: a scan reads
 * thousands of them, so the buffers grow once and are reused. */
#ifndef LSHIDDEN_CORE_PROCFS_IO_H
#define LSHIDDEN_CORE_PROCFS_IO_H

#include <stddef.h>
#include <sys/types.h>

struct read_buf {
    char *data; /* always NUL-terminated after a successful read */
    size_t len, cap;
};

/* Reads all of dirfd/path, however large (fdinfo of a big ring runs to
 * megabytes).  Returns 0 or -errno. */
int read_file_at(int dirfd, const char *path, struct read_buf *buf);

/* readlinkat() without a length limit.  Returns 0 or -errno. */
int read_link_at(int dirfd, const char *path, struct read_buf *buf);

void read_buf_free(struct read_buf *buf);

/* The first line of dirfd/path, without its newline, into out (size n).
 * Returns 0 or -errno. */
int read_line_at(int dirfd, const char *path, char *out, size_t n);

#endif
