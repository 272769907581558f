#include "core/procfs_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vec.h"

static int buf_reserve(struct read_buf *buf, size_t need)
{
    return vec_reserve((void **)&buf->data, &buf->cap, need, 1, 4096);
}

/* Opens dirfd/path for reading, without blocking on a FIFO or device, and
 * only if it is a regular file.  Returns the fd or -errno. */
/* cap: procfs and sysfs report a size of 0 (or a page), so a file that
 * says it is larger than the cap is refused before a byte is read. */
static int open_regular(int dirfd, const char *path, size_t cap)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return -errno;
    int err = fstat(fd, &st) < 0           ? -errno
              : !S_ISREG(st.st_mode)       ? READ_ERR_NOT_REGULAR
              : (uint64_t)st.st_size > cap ? READ_ERR_TOO_LARGE
                                           : 0;
    if (err < 0) {
        close(fd);
        return err;
    }
    return fd;
}

int read_file_at(int dirfd, const char *path, struct read_buf *buf, size_t cap)
{
    int fd = open_regular(dirfd, path, cap);
    if (fd < 0)
        return fd;
    buf->len = 0;
    for (;;) {
        /* seq_file hands out at most a page or so per read(); keep room
         * for at least 4 KiB and the terminating NUL. */
        size_t want = buf->len + 4096 + 1;
        if (buf->len > cap || buf_reserve(buf, want) < 0) {
            close(fd);
            return buf->len > cap ? READ_ERR_TOO_LARGE : -ENOMEM;
        }
        size_t room = buf->cap - buf->len - 1;
        if (room > cap + 1 - buf->len)
            room = cap + 1 - buf->len; /* one byte past the cap tells it */
        ssize_t n = read(fd, buf->data + buf->len, room);
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
    return buf->len > cap ? READ_ERR_TOO_LARGE : 0;
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
    int fd = open_regular(dirfd, path, SIZE_MAX);
    if (fd < 0)
        return fd;
    ssize_t got = read(fd, out, n - 1);
    int err = got < 0 ? -errno : 0;
    close(fd);
    if (err)
        return err;
    out[got] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

const char *read_error_text(int err)
{
    if (err == READ_ERR_NOT_REGULAR)
        return "not a regular file";
    if (err == READ_ERR_TOO_LARGE)
        return "larger than lshidden reads for such a file";
    return strerror(-err);
}
