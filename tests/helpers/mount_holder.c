/* mount_holder: keeps one reference to a file or directory on a mount, of a
 * kind chosen on the command line, prints a JSON manifest of it, and holds
 * it until stdin reaches EOF or SIGTERM.  Used by tests/live/
 * test_mount_holders.py to build holders that Python cannot make easily.
 *
 *   mount_holder MODE PATH [SCRATCH_DIR]
 *   mount_holder --list
 *
 * MODE is one of the table `modes` below (--list prints it, with each
 * mode's help, and exits 0; an unknown MODE exits 2):
 *   fd            open PATH (created if missing) and keep the fd
 *   cwd           chdir to PATH (a directory)
 *   mmap          map PATH (created if missing) shared, close the fd
 *   mmap-deleted  create PATH, map it shared, close the fd, unlink PATH
 *   uring-fixed   create PATH, register it in slot 0 of a 4-slot sparse
 *                 fixed-file table of a new io_uring ring, close its fd; the
 *                 ring keeps its own fd
 *   uring-ring    as uring-fixed, then close the ring fd too (without
 *                 registering it): only the ring's mmaps keep the ring, and
 *                 so the file, alive
 *   aio-poll      make PATH a FIFO (if missing), open it, submit a Linux AIO
 *                 IOCB_CMD_POLL for POLLIN on it (never ready: nobody
 *                 writes), close the fd: only the request holds the file
 *   uring-poll    as aio-poll, with an io_uring IORING_OP_POLL_ADD: the
 *                 request sits in the ring's cancel table
 *   uring-read    as uring-poll, with an IORING_OP_READ: it finds nothing to
 *                 read, and waits armed for poll (async poll) in the same
 *                 table
 *   uring-worker  make PATH a FIFO, splice into it from an empty pipe with
 *                 io_uring (splice always runs in an io-wq worker, which
 *                 blocks reading the pipe), close the FIFO's fd: only the
 *                 worker's request holds the file
 * SCRATCH_DIR is ignored (HelperProcess passes one).
 *
 * The manifest is one line of JSON on stdout:
 *   {"pid":P,"mode":"fd","path_hex":H,"type":"REG|DIR","dev":"MAJ:MIN",
 *    "inode":N,"mount_id":N,"fd":N|null,"ring_fd":N|null,"ring_inode":N|null,
 *    "slot":N|null,"map_start":"HEX"|null}
 * path_hex is the hex of realpath(PATH) (taken before any unlink); dev,
 * inode and mount_id describe the held file, from fstat() and the fdinfo
 * "mnt_id:" line of an fd on it.  ring_inode is the ring's anon inode. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HELPER_NAME "mount_holder"
#include "helper_common.h"

struct held {
    const char *mode;
    char path[PATH_MAX];
    const char *type;
    dev_t dev;
    ino_t inode;
    int mount_id;
    int fd;      /* -1: none */
    int ring_fd; /* -1: none */
    ino_t ring_inode;
    bool has_ring;
    void *map;
    size_t map_len;
};

static struct io_uring ring;

static void usage_error(const char *msg)
{
    fprintf(stderr,
            "mount_holder: %s\n"
            "usage: mount_holder MODE PATH [SCRATCH_DIR]\n"
            "       mount_holder --list\n",
            msg);
    exit(2);
}

static void record_identity(struct held *h, int fd)
{
    struct stat st;
    check_sys(fstat(fd, &st), "fstat");
    h->dev = st.st_dev;
    h->inode = st.st_ino;
    h->type = S_ISDIR(st.st_mode)    ? "DIR"
              : S_ISREG(st.st_mode)  ? "REG"
              : S_ISFIFO(st.st_mode) ? "FIFO"
                                     : "other";
    h->mount_id = fd_mount_id(fd);
    if (h->mount_id < 0)
        die("no mnt_id in fdinfo", EIO);
}

/* Creates (or opens) PATH read-write with one page of data; on a
 * read-only filesystem (fuse_pt_server's mirror) opens it as it is.
 * Stores its resolved name in h->path. */
static int open_file(struct held *h, const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EROFS) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } else if (fd >= 0) {
        check_sys(ftruncate(fd, sysconf(_SC_PAGESIZE)), "ftruncate");
        check_sys((int)pwrite(fd, "held\n", 5, 0), "pwrite");
    }
    check_sys(fd, path);
    if (!realpath(path, h->path))
        die("realpath", errno);
    record_identity(h, fd);
    return fd;
}

static void hold_fd(struct held *h, const char *path)
{
    h->fd = open_file(h, path);
}

static void hold_cwd(struct held *h, const char *path)
{
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    check_sys(fd, path);
    if (!realpath(path, h->path))
        die("realpath", errno);
    record_identity(h, fd);
    check_sys(fchdir(fd), "fchdir");
    check_sys(close(fd), "close");
}

static void hold_mmap(struct held *h, const char *path)
{
    int fd = open_file(h, path);
    h->map_len = (size_t)sysconf(_SC_PAGESIZE);
    h->map = mmap(NULL, h->map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (h->map == MAP_FAILED)
        die("mmap", errno);
    check_sys(close(fd), "close");
}

static void hold_mmap_deleted(struct held *h, const char *path)
{
    int fd = open_file(h, path);
    h->map_len = (size_t)sysconf(_SC_PAGESIZE);
    h->map = mmap(NULL, h->map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (h->map == MAP_FAILED)
        die("mmap", errno);
    check_sys(close(fd), "close");
    check_sys(unlink(h->path), "unlink");
}

static void start_ring(struct held *h)
{
    check_uring(io_uring_queue_init(8, &ring, 0), "io_uring_queue_init");
    h->has_ring = true;
    h->ring_fd = ring.ring_fd;
    struct stat st;
    check_sys(fstat(ring.ring_fd, &st), "fstat ring");
    h->ring_inode = st.st_ino;
}

static void hold_uring_fixed(struct held *h, const char *path)
{
    start_ring(h);
    check_uring(io_uring_register_files_sparse(&ring, 4), "io_uring_register_files_sparse");
    int fd = open_file(h, path);
    int ret = io_uring_register_files_update(&ring, 0, &fd, 1);
    if (ret != 1)
        die("IORING_REGISTER_FILES_UPDATE", ret < 0 ? -ret : EIO);
    check_sys(close(fd), "close");
}

static void hold_uring_ring(struct held *h, const char *path)
{
    hold_uring_fixed(h, path);
    check_sys(close(ring.ring_fd), "close ring fd");
    ring.ring_fd = -1; /* io_uring_queue_exit must not close it again */
    h->ring_fd = -1;
}

/* A FIFO at PATH (made if missing) that nothing ever writes to, opened
 * so that the open does not wait for a writer: read-only and non-blocking
 * (AIO poll takes one wait queue only, and a read-write FIFO has two), or
 * read-write. */
static int open_fifo(struct held *h, const char *path, int flags)
{
    if (mkfifo(path, 0600) < 0 && errno != EEXIST)
        die(path, errno);
    int fd = open(path, flags | O_CLOEXEC);
    check_sys(fd, path);
    if (!realpath(path, h->path))
        die("realpath", errno);
    record_identity(h, fd);
    return fd;
}

/* The request must still be pending: a completion means the kernel let
 * the file go, and the holder this mode promises is not there. */
static void expect_no_completion(void)
{
    struct io_uring_cqe *cqe;
    usleep(100 * 1000);
    if (io_uring_peek_cqe(&ring, &cqe) == 0)
        die("the request completed", cqe->res < 0 ? -cqe->res : EIO);
}

static void hold_aio_poll(struct held *h, const char *path)
{
    int fd = open_fifo(h, path, O_RDONLY | O_NONBLOCK);
    aio_context_t ctx = 0;
    check_sys((int)syscall(SYS_io_setup, 8, &ctx), "io_setup");
    struct iocb cb = {.aio_lio_opcode = IOCB_CMD_POLL, .aio_fildes = (__u32)fd, .aio_buf = POLLIN};
    struct iocb *list[1] = {&cb};
    if (syscall(SYS_io_submit, ctx, 1, list) != 1)
        die("io_submit IOCB_CMD_POLL", errno);
    struct io_event ev;
    struct timespec zero = {0, 0};
    if (syscall(SYS_io_getevents, ctx, 0, 1, &ev, &zero) != 0)
        die("the AIO poll completed", EIO);
    check_sys(close(fd), "close");
}

static void hold_uring_poll(struct held *h, const char *path)
{
    int fd = open_fifo(h, path, O_RDWR);
    start_ring(h);
    io_uring_prep_poll_add(io_uring_get_sqe(&ring), fd, POLLIN);
    if (io_uring_submit(&ring) != 1)
        die("io_uring_submit POLL_ADD", EIO);
    expect_no_completion();
    check_sys(close(fd), "close");
}

static void hold_uring_read(struct held *h, const char *path)
{
    static char buf[64];
    int fd = open_fifo(h, path, O_RDWR);
    start_ring(h);
    io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
    if (io_uring_submit(&ring) != 1)
        die("io_uring_submit READ", EIO);
    expect_no_completion();
    check_sys(close(fd), "close");
}

static void hold_uring_worker(struct held *h, const char *path)
{
    int fd = open_fifo(h, path, O_RDWR);
    int empty[2];
    check_sys(pipe2(empty, O_CLOEXEC), "pipe2"); /* both ends stay open: no EOF */
    start_ring(h);
    io_uring_prep_splice(io_uring_get_sqe(&ring), empty[0], -1, fd, -1, 4096, 0);
    if (io_uring_submit(&ring) != 1)
        die("io_uring_submit SPLICE", EIO);
    expect_no_completion(); /* the worker has the file by now */
    check_sys(close(fd), "close");
}

struct mode {
    const char *name;
    const char *help;
    void (*hold)(struct held *h, const char *path);
};

static const struct mode modes[] = {
    {"fd", "open PATH (created if missing) and keep the fd", hold_fd},
    {"cwd", "chdir to PATH (a directory)", hold_cwd},
    {"mmap", "map PATH (created if missing) shared, close the fd", hold_mmap},
    {"mmap-deleted", "create PATH, map it shared, close the fd, unlink PATH", hold_mmap_deleted},
    {"uring-fixed", "create PATH, register it in slot 0 of a ring's fixed files, close its fd",
     hold_uring_fixed},
    {"uring-ring", "as uring-fixed, then close the ring fd too: only its mmaps keep it",
     hold_uring_ring},
    {"aio-poll", "make PATH a FIFO, AIO-poll it (never ready), close the fd", hold_aio_poll},
    {"uring-poll", "make PATH a FIFO, io_uring POLL_ADD on it (never ready), close the fd",
     hold_uring_poll},
    {"uring-read", "make PATH a FIFO, io_uring READ of it (waits for data), close the fd",
     hold_uring_read},
    {"uring-worker", "make PATH a FIFO, splice into it from an empty pipe, close the fd",
     hold_uring_worker},
};

#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void list_modes(void)
{
    for (size_t i = 0; i < NMODES; i++)
        printf("%-14s %s\n", modes[i].name, modes[i].help);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the list", errno ? errno : EIO);
}

static const struct mode *find_mode(const char *name)
{
    for (size_t i = 0; i < NMODES; i++)
        if (!strcmp(modes[i].name, name))
            return &modes[i];
    usage_error("unknown MODE (mount_holder --list shows them)");
    return NULL;
}

static void print_hex(const char *bytes)
{
    putchar('"');
    for (const char *p = bytes; *p; p++)
        printf("%02x", (unsigned char)*p);
    putchar('"');
}

static void print_int_or_null(const char *key, bool known, long long value)
{
    if (known)
        printf(",\"%s\":%lld", key, value);
    else
        printf(",\"%s\":null", key);
}

static void print_manifest(const struct held *h)
{
    printf("{\"pid\":%d,\"mode\":\"%s\",\"path_hex\":", (int)getpid(), h->mode);
    print_hex(h->path);
    printf(",\"type\":\"%s\",\"dev\":\"%u:%u\",\"inode\":%llu,\"mount_id\":%d", h->type,
           major(h->dev), minor(h->dev), (unsigned long long)h->inode, h->mount_id);
    print_int_or_null("fd", h->fd >= 0, h->fd);
    print_int_or_null("ring_fd", h->ring_fd >= 0, h->ring_fd);
    print_int_or_null("ring_inode", h->has_ring, (long long)h->ring_inode);
    print_int_or_null("slot", h->has_ring, 0);
    if (h->map)
        printf(",\"map_start\":\"%lx\"}\n", (unsigned long)h->map);
    else
        printf(",\"map_start\":null}\n");
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the manifest", errno ? errno : EIO);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        list_modes();
        return 0;
    }
    if (argc < 3 || argc > 4)
        usage_error("expected MODE PATH [SCRATCH_DIR]");
    const struct mode *mode = find_mode(argv[1]);
    struct held h = {.mode = mode->name, .fd = -1, .ring_fd = -1};
    install_signal_handlers();
    mode->hold(&h, argv[2]);
    print_manifest(&h);
    wait_for_eof_or_signal();
    if (h.map)
        munmap(h.map, h.map_len);
    if (h.has_ring)
        io_uring_queue_exit(&ring);
    if (h.fd >= 0)
        close(h.fd);
    return 0;
}
