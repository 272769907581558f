#include "core/procfs_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/vec.h"

static int buf_reserve(struct read_buf *buf, size_t need)
{
    return vec_reserve((void **)&buf->data, &buf->cap, need, 1, 4096);
}

int read_file_at(int dirfd, const char *path, struct read_buf *buf)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    buf->len = 0;
    for (;;) {
        /* seq_file hands out at most a page or so per read(); keep room
         * for at least 4 KiB and the terminating NUL. */
        if (buf_reserve(buf, buf->len + 4096 + 1) < 0) {
            close(fd);
            return -ENOMEM;
        }
        ssize_t n = read(fd, buf->data + buf->len, buf->cap - buf->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = -errno;
            close(fd);
            return err;
        }
        if (n == 0)
            break;
        buf->len += (size_t)n;
    }
    close(fd);
    buf->data[buf->len] = '\0';
    return 0;
}

int read_link_at(int dirfd, const char *path, struct read_buf *buf)
{
    if (buf_reserve(buf, 256) < 0)
        return -ENOMEM;
    for (;;) {
        ssize_t n = readlinkat(dirfd, path, buf->data, buf->cap);
        if (n < 0)
            return -errno;
        if ((size_t)n < buf->cap) {
            buf->data[n] = '\0';
            buf->len = (size_t)n;
            return 0;
        }
        if (buf_reserve(buf, buf->cap * 2) < 0)
            return -ENOMEM;
    }
}

void read_buf_free(struct read_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

int read_line_at(int dirfd, const char *path, char *out, size_t n)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t got = read(fd, out, n - 1);
    int err = got < 0 ? -errno : 0;
    close(fd);
    if (err)
        return err;
    out[got] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return 0;
}
