/* --mount: references the kernel holds for a process in transit, which
 * /proc can only guess at:
 *  - files sent with SCM_RIGHTS and not received: fdinfo's "scm_fds: N"
 *    counts them without naming them (the kernel view names the files:
 *    source in-flight rows from deep_merge, matched by mount id);
 *  - Linux AIO poll requests, which keep their file after its fd is
 *    closed: /proc shows only the context's "/[aio]" mapping (the kernel
 *    view names the files, as in-flight rows from deep_merge_requests).
 *    io_uring requests on closed fds leave no trace in /proc at all;
 *  - a thread blocked in a system call on an fd that another thread has
 *    closed since: the call keeps its own reference to the file, and
 *    /proc/PID/task/TID/syscall names only the fd number.  A number
 *    reused by a newer fd cannot be told apart, and is not reported.
 * Both are possible holders of any mount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mount/holder_common.h"
#include "parse/proc_names.h"

/* ---- files in flight ----------------------------------------------------- */

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

static void find_unreceived(struct holder_scan *hs)
{
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *fd = hs->all_rows->items[i];
        unsigned long n;
        if (fd->source != SOURCE_FD || !fd->proc || !fd->path || fd->has_tid ||
            strncmp(fd->path, "socket:[", 8) != 0 || !(n = unreceived(hs, fd)))
            continue;
        char object[96];
        snprintf(object, sizeof(object), "%lu file%s sent to socket fd %d, not received", n,
                 n == 1 ? "" : "s", fd->fd);
        struct file_record *rec = holder_add_fd(hs, SOURCE_IN_FLIGHT, object, fd, "read or close");
        if (!rec)
            return;
        rec->type = FTYPE_SOCK;
        rec->possible = true;
    }
}

static void find_aio_contexts(struct holder_scan *hs)
{
    for (size_t i = 0; i < hs->processes->len; i++) {
        const struct process_info *proc = hs->processes->items[i];
        unsigned n = proc->aio_contexts;
        if (!n)
            continue;
        char object[96];
        snprintf(object, sizeof(object), "%u Linux AIO context%s: a poll request may hold a file",
                 n, n == 1 ? "" : "s");
        struct file_record *rec = holder_add(hs, SOURCE_IN_FLIGHT, object, NULL);
        if (!rec)
            return;
        rec->proc = proc;
        rec->possible = true;
    }
}

void holders_find_inflight(struct holder_scan *hs)
{
    if (!hs->kernel_view && hs->live)
        find_unreceived(hs);
    if (!hs->aio_view)
        find_aio_contexts(hs);
}

/* ---- system calls on closed fds ------------------------------------------- */

/* The calls that block on a file given by fd, and which of their first two
 * arguments is it (sendfile reads from the second). */
static int fd_argument(long nr)
{
    static const long first[] = {
        SYS_read,
        SYS_write,
        SYS_pread64,
        SYS_pwrite64,
        SYS_readv,
        SYS_writev,
        SYS_ioctl,
        SYS_fsync,
        SYS_fdatasync,
        SYS_flock,
        SYS_fcntl,
        SYS_ftruncate,
        SYS_fallocate,
        SYS_preadv,
        SYS_pwritev,
        SYS_sync_file_range,
        SYS_copy_file_range,
        SYS_splice,
    };
    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
        if (first[i] == nr)
            return 0;
    return nr == SYS_sendfile ? 1 : -1;
}

static const char *syscall_name(long nr)
{
    return nr == SYS_read    ? "read"
           : nr == SYS_write ? "write"
           : nr == SYS_ioctl ? "ioctl"
                             : "a system call";
}

static void check_thread(struct holder_scan *hs, const struct process_info *proc, int task_dir,
                         int tid)
{
    char path[64];
    struct read_buf buf = {0};
    long nr;
    uint64_t a0, a1, pc;
    snprintf(path, sizeof(path), "%d/syscall", tid);
    if (read_file_at(task_dir, path, &buf, READ_CAP_SMALL) < 0 || !buf.data ||
        task_syscall_parse(buf.data, buf.len, &nr, &a0, &a1, &pc) < 0 || pc == 0) {
        read_buf_free(&buf);
        return;
    }
    read_buf_free(&buf);
    int which = fd_argument(nr);
    uint64_t fd = which == 0 ? a0 : a1;
    if (which < 0 || fd > 0x7fffffff)
        return;
    snprintf(path, sizeof(path), "%d/fd/%d", tid, (int)fd);
    if (faccessat(task_dir, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
        return; /* still open (or unknown): an fd row says what it is */
    char object[96];
    snprintf(object, sizeof(object), "thread %d blocked in %s on fd %d, closed since", tid,
             syscall_name(nr), (int)fd);
    struct file_record *rec = holder_add(hs, SOURCE_SYSCALL, object, NULL);
    if (!rec)
        return;
    rec->proc = proc;
    rec->has_tid = true;
    rec->tid = tid;
    rec->has_fd = true;
    rec->fd = (int)fd;
    rec->possible = true;
}

void holders_find_blocked_syscalls(struct holder_scan *hs)
{
    for (size_t i = 0; hs->live && i < hs->processes->len; i++) {
        const struct process_info *proc = hs->processes->items[i];
        if (proc->pid == getpid())
            continue;
        char *dir = holder_path(hs, hs->proc_root, "%d/task", (int)proc->pid);
        int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
            if (fd >= 0)
                close(fd);
            continue; /* gone, or denied: the walk warned already */
        }
        struct dirent *de;
        uint64_t tid;
        while ((de = readdir(d)))
            if (decimal_name_parse(de->d_name, INT32_MAX, &tid))
                check_thread(hs, proc, dirfd(d), (int)tid);
        closedir(d);
    }
}
