/* uring_holder: builds io_uring rings whose fixed-file tables hold files
 * that appear nowhere in /proc/PID/fd, prints a JSON manifest of what it
 * built, and keeps everything alive until stdin reaches EOF or SIGTERM.
 *
 *   uring_holder [--scenarios LIST] [--big-slots N] [--big-files N]
 *                [--contend-hold-ms N] [--contend-gap-ms N] SCRATCH_DIR
 *
 * LIST is comma-separated, from: a b c d e big contend (default "a,b,c,d").
 *   a        16-slot sparse table: awkward names, a deleted file, sockets,
 *            a pipe, an eventfd, a file opened straight into the table
 *   b        a second ring: a directory, /dev/null, a regular file, a hole;
 *            also 2 registered buffers
 *   c        a ring whose fd was registered (IORING_REGISTER_RING_FDS) and
 *            then closed; only its mmaps keep it alive
 *   d        an SQPOLL ring with fixed files
 *   e        a ring set up with IORING_SETUP_NO_MMAP | REGISTERED_FD_ONLY
 *            (Linux 6.5+): it never has an fd or a mapping, and /proc
 *            shows nothing of it; 4 slots, a file in 0, a deleted one in 2
 *   big      a sparse table of --big-slots slots (default 65536, or the
 *            hard RLIMIT_NOFILE if lower) holding --big-files files
 *            (default 3000)
 *   contend  a 16-slot ring holding 8 files whose uring_lock is held for
 *            --contend-hold-ms (default 2) out of every --contend-hold-ms +
 *            --contend-gap-ms (default 6) milliseconds, so that fdinfo
 *            reads often find it busy (and print no io_uring section)
 *
 * Files are created under SCRATCH_DIR/uring-holder/, which is removed on
 * exit.  The manifest is one line of JSON on stdout:
 *   {"pid":P,"scratch_hex":H,"rings":[RING...]}
 *   RING = {"name":"a","fd":N|null,"dev":"MAJ:MIN"|null,"inode":N|null,
 *           "sq_thread":TID|null,"table_size":N,"user_bufs":N,"files_listable":bool,
 *           "mapped":bool,"files":[FILE...]}
 *   FILE = {"slot":N,"path_hex":H,"deleted":bool,"type":"REG|DIR|CHR|SOCK|FIFO|anon",
 *           "dev":"MAJ:MIN","inode":N,"mount_id":N|null}
 * path_hex is the hex of the exact bytes lshidden should report as the path
 * (for deleted files: without the " (deleted)" suffix).  dev/inode come from
 * fstat() of the source fd before it was closed; mount_id from its fdinfo.
 * A ring's dev/inode are those of its anon inode (fstat of the ring fd).
 * "fd" is null and files_listable false for a ring that has no fd left;
 * "mapped" is false (and dev/inode null: nothing to fstat) for a ring that
 * /proc/PID/maps does not show either. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <liburing.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HELPER_NAME "uring_holder"
#include "helper_common.h"

#define MAX_RINGS     8
#define CONTEND_FILES 8

struct fixed_file {
    unsigned slot;
    char *path; /* raw bytes, NUL-terminated */
    bool deleted;
    const char *type;
    dev_t dev;
    ino_t inode;
    int mount_id; /* -1: unknown */
};

struct uring_ring {
    const char *name;
    struct io_uring ring;
    int fd;    /* -1 once closed */
    dev_t dev; /* of the ring's anon inode */
    ino_t inode;
    pid_t sq_thread; /* 0: none */
    unsigned table_size;
    unsigned user_bufs; /* registered buffers */
    bool files_listable;
    bool mapped;
    bool raw; /* set up by raw syscalls (scenario e): not a liburing ring */
    struct fixed_file *files;
    size_t nfiles, cap;
};

struct options {
    bool a, b, c, d, e, big, contend;
    unsigned big_slots, big_files, contend_hold_ms, contend_gap_ms;
    const char *scratch;
};

static struct uring_ring rings[MAX_RINGS];
static size_t nrings;
static char work_dir[PATH_MAX];

/* ---- errors ---------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: uring_holder [--scenarios a,b,c,d,e,big,contend] [--big-slots N]\n"
          "                    [--big-files N] [--contend-hold-ms N] [--contend-gap-ms N]\n"
          "                    SCRATCH_DIR\n",
          out);
}

static void usage_error(const char *msg)
{
    fprintf(stderr, "uring_holder: %s\n", msg);
    usage(stderr);
    exit(2);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- paths ----------------------------------------------------------- */

/* Joins work_dir and name (raw bytes, may hold any byte but NUL). */
static void scratch_path(char *out, size_t size, const char *name)
{
    int n = snprintf(out, size, "%s/%s", work_dir, name);
    if (n < 0 || (size_t)n >= size)
        die("path too long", ENAMETOOLONG);
}

static void make_dir(const char *name)
{
    char path[PATH_MAX];
    scratch_path(path, sizeof(path), name);
    check_sys(mkdir(path, 0755), path);
}

static int open_new_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    check_sys(fd, path);
    check_sys((int)write(fd, "x\n", 2), "write");
    return fd;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Also an atexit handler, so a failed run leaves no files behind. */
static void remove_work_dir(void)
{
    if (work_dir[0] && nftw(work_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "uring_holder: cannot remove %s: %s\n", work_dir, strerror(errno));
    work_dir[0] = '\0';
}

/* ---- rings and their fixed files -------------------------------------- */

static struct uring_ring *new_ring(const char *name, unsigned flags)
{
    if (nrings == MAX_RINGS)
        die("too many rings", ENOSPC);
    struct uring_ring *r = &rings[nrings];
    struct io_uring_params p = {.flags = flags};
    check_uring(io_uring_queue_init_params(8, &r->ring, &p), name);
    nrings++;
    r->name = name;
    r->fd = r->ring.ring_fd;
    r->files_listable = true;
    r->mapped = true;
    struct stat st;
    check_sys(fstat(r->fd, &st), "fstat ring");
    r->dev = st.st_dev;
    r->inode = st.st_ino;
    return r;
}

static struct fixed_file *new_fixed_file(struct uring_ring *r, unsigned slot)
{
    if (r->nfiles == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->files = realloc(r->files, r->cap * sizeof(*r->files));
        if (!r->files)
            die("realloc", ENOMEM);
    }
    struct fixed_file *f = &r->files[r->nfiles++];
    memset(f, 0, sizeof(*f));
    f->slot = slot;
    f->mount_id = -1;
    return f;
}

static void set_path(struct fixed_file *f, const char *path)
{
    f->path = strdup(path);
    if (!f->path)
        die("strdup", ENOMEM);
}

static const char *type_of_mode(mode_t mode)
{
    if (S_ISREG(mode))
        return "REG";
    if (S_ISDIR(mode))
        return "DIR";
    if (S_ISCHR(mode))
        return "CHR";
    if (S_ISBLK(mode))
        return "BLK";
    if (S_ISSOCK(mode))
        return "SOCK";
    if (S_ISFIFO(mode))
        return "FIFO";
    return "anon";
}

/* Records dev/inode/type of fd; pseudo files get no mount id: lshidden
 * never stats them. */
static void record_identity(struct fixed_file *f, int fd, bool pseudo)
{
    struct stat st;
    check_sys(fstat(fd, &st), "fstat");
    f->dev = st.st_dev;
    f->inode = st.st_ino;
    if (!f->type)
        f->type = type_of_mode(st.st_mode);
    if (!pseudo)
        f->mount_id = fd_mount_id(fd);
}

static void register_slot(struct uring_ring *r, unsigned slot, int fd)
{
    int ret = io_uring_register_files_update(&r->ring, slot, &fd, 1);
    if (ret != 1)
        die("IORING_REGISTER_FILES_UPDATE", ret < 0 ? -ret : EIO);
}

/* Registers fd into slot, records it under path, closes fd. */
static struct fixed_file *add_fd(struct uring_ring *r, unsigned slot, int fd, const char *path,
                                 bool pseudo)
{
    struct fixed_file *f = new_fixed_file(r, slot);
    set_path(f, path);
    record_identity(f, fd, pseudo);
    register_slot(r, slot, fd);
    check_sys(close(fd), "close");
    return f;
}

static struct fixed_file *add_new_file(struct uring_ring *r, unsigned slot, const char *name)
{
    char path[PATH_MAX];
    scratch_path(path, sizeof(path), name);
    return add_fd(r, slot, open_new_file(path), path, false);
}

static void add_deleted_file(struct uring_ring *r, unsigned slot, const char *name)
{
    struct fixed_file *f = add_new_file(r, slot, name);
    check_sys(unlink(f->path), "unlink");
    f->deleted = true;
}

/* Pseudo files are named by the kernel: "socket:[INO]", "pipe:[INO]". */
static void add_pseudo(struct uring_ring *r, unsigned slot, int fd, const char *prefix)
{
    struct stat st;
    char path[64];
    check_sys(fstat(fd, &st), "fstat");
    snprintf(path, sizeof(path), "%s:[%lu]", prefix, (unsigned long)st.st_ino);
    add_fd(r, slot, fd, path, true);
}

static void add_socketpair_end(struct uring_ring *r, unsigned slot)
{
    int sv[2];
    check_sys(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
    add_pseudo(r, slot, sv[0], "socket");
    check_sys(close(sv[1]), "close");
}

static void add_tcp_socket(struct uring_ring *r, unsigned slot)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check_sys(fd, "socket");
    add_pseudo(r, slot, fd, "socket");
}

static void add_pipe_end(struct uring_ring *r, unsigned slot)
{
    int p[2];
    check_sys(pipe2(p, O_CLOEXEC), "pipe2");
    add_pseudo(r, slot, p[0], "pipe");
    check_sys(close(p[1]), "close");
}

static void add_eventfd(struct uring_ring *r, unsigned slot)
{
    int fd = eventfd(0, EFD_CLOEXEC);
    check_sys(fd, "eventfd");
    struct fixed_file *f = new_fixed_file(r, slot);
    f->type = "anon";
    set_path(f, "anon_inode:[eventfd]");
    record_identity(f, fd, true);
    register_slot(r, slot, fd);
    check_sys(close(fd), "close");
}

/* IORING_OP_OPENAT into a fixed slot: the file never gets an fd. */
static void add_direct_open(struct uring_ring *r, unsigned slot, const char *name)
{
    struct fixed_file *f = new_fixed_file(r, slot);
    char path[PATH_MAX];
    scratch_path(path, sizeof(path), name);
    set_path(f, path);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL, 0644, slot);
    check_uring(io_uring_submit(&r->ring), "io_uring_submit");
    struct io_uring_cqe *cqe;
    check_uring(io_uring_wait_cqe(&r->ring, &cqe), "io_uring_wait_cqe");
    check_uring(cqe->res, "openat_direct");
    io_uring_cqe_seen(&r->ring, cqe);
    /* Identity from an O_PATH fd on the same file, closed right away. */
    int fd = open(path, O_PATH | O_CLOEXEC);
    check_sys(fd, path);
    record_identity(f, fd, false);
    check_sys(close(fd), "close");
}

static void make_sparse_table(struct uring_ring *r, unsigned size)
{
    check_uring(io_uring_register_files_sparse(&r->ring, size), "register_files_sparse");
    r->table_size = size;
}

/* Registers n one-page buffers (fdinfo "UserBufs:"); they stay mapped
 * until exit. */
static void register_buffers(struct uring_ring *r, unsigned n)
{
    struct iovec iov[8];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > 8)
        die("too many buffers", EINVAL);
    for (unsigned i = 0; i < n; i++) {
        iov[i].iov_base =
            mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (iov[i].iov_base == MAP_FAILED)
            die("mmap", errno);
        iov[i].iov_len = page;
    }
    check_uring(io_uring_register_buffers(&r->ring, iov, n), "io_uring_register_buffers");
    r->user_bufs = n;
}

/* ---- scenarios -------------------------------------------------------- */

static void build_ring_a(void)
{
    struct uring_ring *r = new_ring("a", 0);
    make_sparse_table(r, 16);
    make_dir("a");
    make_dir("a/sub dir");
    add_new_file(r, 0, "a/sub dir/with space");
    add_new_file(r, 1, "a/with\ttab");
    add_new_file(r, 2, "a/with\nnewline");
    add_new_file(r, 3, "a/with\\backslash");
    add_new_file(r, 4,
                 "a/with\x1b"
                 "esc");
    add_new_file(r, 5,
                 "a/with\xff"
                 "byte");
    add_deleted_file(r, 6, "a/deleted file");
    /* slot 7: hole */
    add_socketpair_end(r, 8);
    add_tcp_socket(r, 9);
    /* slot 10: hole */
    add_pipe_end(r, 11);
    add_eventfd(r, 12);
    add_direct_open(r, 13, "a/opened direct");
    add_new_file(r, 14, "a/a_name_much_longer_than_the_inline_dentry_name_0123456789");
    /* slot 15: hole */
}

static void build_ring_b(void)
{
    struct uring_ring *r = new_ring("b", 0);
    make_sparse_table(r, 4);
    make_dir("b");
    make_dir("b/dir");
    char path[PATH_MAX];
    scratch_path(path, sizeof(path), "b/dir");
    int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check_sys(dirfd, path);
    add_fd(r, 0, dirfd, path, false);
    /* slot 1: hole */
    int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    check_sys(nullfd, "/dev/null");
    add_fd(r, 2, nullfd, "/dev/null", false);
    add_new_file(r, 3, "b/file");
    register_buffers(r, 2);
}

/* The ring fd is registered in the task's ring table and then closed: the
 * ring lives on through its mmaps (and that registration). */
static void build_ring_c(void)
{
    struct uring_ring *r = new_ring("c", 0);
    make_sparse_table(r, 2);
    make_dir("c");
    add_new_file(r, 0, "c/file");
    int ret = io_uring_register_ring_fd(&r->ring);
    if (ret != 1)
        die("io_uring_register_ring_fd", ret < 0 ? -ret : EIO);
    check_sys(close(r->ring.ring_fd), "close ring fd");
    r->ring.ring_fd = -1; /* keeps io_uring_queue_exit from closing it again */
    r->fd = -1;
    r->files_listable = false;
}

/* TID of this process's thread whose comm is want, or 0. */
static pid_t find_thread_by_comm(const char *want)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        die("/proc/self/task", errno);
    pid_t found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
        FILE *fp = fopen(path, "re");
        if (!fp)
            continue;
        if (fgets(comm, sizeof(comm), fp) && strcmp(comm, want) == 0)
            found = (pid_t)atoi(de->d_name);
        fclose(fp);
    }
    closedir(dir);
    return found;
}

/* The SQPOLL thread names itself iou-sqp-PID once it first runs, so give
 * it a moment. */
static pid_t find_sq_thread(void)
{
    char want[32];
    snprintf(want, sizeof(want), "iou-sqp-%d\n", (int)getpid());
    for (int tries = 0; tries < 500; tries++) {
        pid_t tid = find_thread_by_comm(want);
        if (tid)
            return tid;
        sleep_ms(10);
    }
    die("no iou-sqp thread", ESRCH);
    return 0;
}

static void build_ring_d(void)
{
    struct uring_ring *r = new_ring("d", IORING_SETUP_SQPOLL);
    r->sq_thread = find_sq_thread();
    make_sparse_table(r, 4);
    make_dir("d");
    add_new_file(r, 1, "d/sqpoll file");
    add_new_file(r, 3, "d/second");
}

/* liburing 2.3 and Debian 12's uapi headers predate these (6.5). */
#define HOLDER_SETUP_NO_MMAP            (1U << 14)
#define HOLDER_SETUP_REGISTERED_FD_ONLY (1U << 15)
#define HOLDER_USE_REGISTERED_RING      (1U << 31)

/* NO_MMAP: the rings live in memory we provide, one page each for the SQ
 * and CQ rings and for the SQEs (a 4-entry ring fits easily).  With
 * REGISTERED_FD_ONLY io_uring_setup returns a registered ring index, not
 * an fd: the ring is reachable only through task->io_uring. */
static void build_ring_e(void)
{
    struct uring_ring *r = &rings[nrings];
    if (nrings == MAX_RINGS)
        die("too many rings", ENOSPC);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *ring_mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *sqe_mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ring_mem == MAP_FAILED || sqe_mem == MAP_FAILED)
        die("mmap", errno);
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = HOLDER_SETUP_NO_MMAP | HOLDER_SETUP_REGISTERED_FD_ONLY;
    p.sq_off.resv2 = (uint64_t)(uintptr_t)sqe_mem;  /* sq_off.user_addr in 6.5+ */
    p.cq_off.resv2 = (uint64_t)(uintptr_t)ring_mem; /* cq_off.user_addr */
    int index = (int)syscall(__NR_io_uring_setup, 4, &p);
    check_sys(index, "io_uring_setup(NO_MMAP | REGISTERED_FD_ONLY) (needs Linux 6.5+)");
    nrings++;
    r->name = "e";
    r->fd = -1;
    r->raw = true;
    r->table_size = 4;
    make_dir("e");
    int fds[4] = {-1, -1, -1, -1};
    const char *names[2] = {"e/kept", "e/deleted file"};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX];
        scratch_path(path, sizeof(path), names[i]);
        int fd = open_new_file(path);
        struct fixed_file *f = new_fixed_file(r, (unsigned)(2 * i));
        set_path(f, path);
        record_identity(f, fd, false);
        fds[2 * i] = fd;
    }
    int ret = (int)syscall(__NR_io_uring_register, index,
                           IORING_REGISTER_FILES | HOLDER_USE_REGISTERED_RING, fds, 4);
    check_sys(ret, "io_uring_register(FILES) on the registered ring");
    check_sys(unlink(r->files[1].path), "unlink");
    r->files[1].deleted = true;
    check_sys(close(fds[0]), "close");
    check_sys(close(fds[2]), "close");
}

/* A sparse table needs RLIMIT_NOFILE >= its size.  Raising the hard
 * limit needs CAP_SYS_RESOURCE, which containers often lack. */
static void raise_nofile(rlim_t want)
{
    struct rlimit rl;
    check_sys(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = want;
    if (rl.rlim_max < want)
        rl.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        fprintf(stderr, "uring_holder: a table of %lu slots needs RLIMIT_NOFILE >= %lu: %s\n",
                (unsigned long)want, (unsigned long)want, strerror(errno));
        exit(1);
    }
}

/* Default --big-slots: 65536, or the hard RLIMIT_NOFILE if lower. */
static unsigned default_big_slots(void)
{
    struct rlimit rl;
    check_sys(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
    return rl.rlim_max < 65536 ? (unsigned)rl.rlim_max : 65536;
}

/* Files spread evenly over the table; the last one in its last slot. */
static void build_big_ring(unsigned slots, unsigned files)
{
    if (files > slots || files == 0)
        usage_error("--big-files must be between 1 and --big-slots");
    raise_nofile(slots);
    struct uring_ring *r = new_ring("big", 0);
    make_sparse_table(r, slots);
    make_dir("big");
    unsigned step = files > 1 ? (slots - 1) / (files - 1) : 1;
    for (unsigned i = 0; i < files; i++) {
        char name[64];
        snprintf(name, sizeof(name), "big/f%07u", i);
        add_new_file(r, i + 1 == files ? slots - 1 : i * step, name);
    }
}

/* Lock contention.  The locker thread calls IORING_REGISTER_FILES_UPDATE
 * (every entry IORING_REGISTER_FILES_SKIP: nothing changes) with its fd
 * array on a userfaultfd-watched page.  The kernel faults on that page while
 * holding the ring's uring_lock, and the resolver thread lets the fault
 * through only after hold_ms.  So the lock is held hold_ms out of every
 * hold_ms + gap_ms of wall-clock time whatever the CPU load, and fdinfo
 * reads in that window print no io_uring section at all. */
struct contention {
    struct uring_ring *ring;
    int uffd;
    int *fds;       /* the watched page */
    int *skip_page; /* what the resolver copies into it */
    size_t page_size;
    unsigned hold_ms, gap_ms;
    pthread_t locker, resolver;
    atomic_bool stop_locker, stop_resolver;
    bool running;
};

static struct contention contention;

static void *locker_main(void *arg)
{
    struct contention *c = arg;
    while (!atomic_load(&c->stop_locker)) {
        /* Drop the page so that the kernel's next read of it faults. */
        if (madvise(c->fds, c->page_size, MADV_DONTNEED) < 0)
            die("madvise", errno);
        int ret = io_uring_register_files_update(&c->ring->ring, 0, c->fds, c->ring->table_size);
        if (ret < 0)
            die("locker: IORING_REGISTER_FILES_UPDATE", -ret);
        sleep_ms(c->gap_ms);
    }
    return NULL;
}

/* Waits for one page fault (up to 20 ms); returns whether there was one. */
static bool wait_for_fault(struct contention *c)
{
    struct pollfd pfd = {.fd = c->uffd, .events = POLLIN};
    if (poll(&pfd, 1, 20) <= 0)
        return false;
    struct uffd_msg msg;
    ssize_t n = read(c->uffd, &msg, sizeof(msg));
    if (n < 0 && errno == EAGAIN)
        return false;
    if (n != (ssize_t)sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
        die("userfaultfd read", n < 0 ? errno : EIO);
    return true;
}

static void *resolver_main(void *arg)
{
    struct contention *c = arg;
    while (!atomic_load(&c->stop_resolver)) {
        if (!wait_for_fault(c))
            continue;
        if (!atomic_load(&c->stop_locker))
            sleep_ms(c->hold_ms); /* the kernel holds uring_lock meanwhile */
        struct uffdio_copy copy = {
            .dst = (unsigned long)c->fds, .src = (unsigned long)c->skip_page, .len = c->page_size};
        if (ioctl(c->uffd, UFFDIO_COPY, &copy) < 0 && errno != EEXIST)
            die("UFFDIO_COPY", errno);
    }
    return NULL;
}

static void *map_page(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap", errno);
    return p;
}

static void watch_page(struct contention *c)
{
    c->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (c->uffd < 0)
        die("userfaultfd (needed for --scenarios contend)", errno);
    struct uffdio_api api = {.api = UFFD_API};
    if (ioctl(c->uffd, UFFDIO_API, &api) < 0)
        die("UFFDIO_API", errno);
    struct uffdio_register reg = {
        .range = {.start = (unsigned long)c->fds, .len = c->page_size},
        .mode = UFFDIO_REGISTER_MODE_MISSING,
    };
    if (ioctl(c->uffd, UFFDIO_REGISTER, &reg) < 0)
        die("UFFDIO_REGISTER", errno);
}

static void start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* signals go to the main thread */
    int err = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        die("pthread_create", err);
}

static void start_contention(struct uring_ring *r, unsigned hold_ms, unsigned gap_ms)
{
    struct contention *c = &contention;
    c->ring = r;
    c->hold_ms = hold_ms;
    c->gap_ms = gap_ms;
    c->page_size = (size_t)sysconf(_SC_PAGESIZE);
    c->fds = map_page(c->page_size);
    c->skip_page = map_page(c->page_size);
    for (size_t i = 0; i < c->page_size / sizeof(int); i++)
        c->skip_page[i] = IORING_REGISTER_FILES_SKIP;
    watch_page(c);
    start_thread(&c->resolver, resolver_main, c);
    start_thread(&c->locker, locker_main, c);
    c->running = true;
}

static void stop_contention(void)
{
    struct contention *c = &contention;
    if (!c->running)
        return;
    atomic_store(&c->stop_locker, true);
    pthread_join(c->locker, NULL);
    atomic_store(&c->stop_resolver, true);
    pthread_join(c->resolver, NULL);
    close(c->uffd);
    munmap(c->fds, c->page_size);
    munmap(c->skip_page, c->page_size);
    c->running = false;
}

static void build_contended_ring(unsigned hold_ms, unsigned gap_ms)
{
    struct uring_ring *r = new_ring("contend", 0);
    make_sparse_table(r, 2 * CONTEND_FILES);
    make_dir("contend");
    for (unsigned i = 0; i < CONTEND_FILES; i++) {
        char name[64];
        snprintf(name, sizeof(name), "contend/file %u", i);
        add_new_file(r, 2 * i, name);
    }
    start_contention(r, hold_ms, gap_ms);
}

/* ---- manifest --------------------------------------------------------- */

static void print_hex(const char *bytes, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++)
        printf("%02x", (unsigned char)bytes[i]);
    putchar('"');
}

static void print_file(const struct fixed_file *f)
{
    printf("{\"slot\":%u,\"path_hex\":", f->slot);
    print_hex(f->path, strlen(f->path));
    printf(",\"deleted\":%s,\"type\":\"%s\",\"dev\":\"%u:%u\",\"inode\":%lu,\"mount_id\":",
           f->deleted ? "true" : "false", f->type, major(f->dev), minor(f->dev),
           (unsigned long)f->inode);
    if (f->mount_id < 0)
        printf("null}");
    else
        printf("%d}", f->mount_id);
}

static void print_ring(const struct uring_ring *r)
{
    printf("{\"name\":\"%s\",\"fd\":", r->name);
    r->fd < 0 ? printf("null") : printf("%d", r->fd);
    if (r->mapped)
        printf(",\"dev\":\"%u:%u\",\"inode\":%lu", major(r->dev), minor(r->dev),
               (unsigned long)r->inode);
    else
        printf(",\"dev\":null,\"inode\":null");
    printf(",\"sq_thread\":");
    r->sq_thread ? printf("%d", (int)r->sq_thread) : printf("null");
    printf(",\"table_size\":%u,\"user_bufs\":%u,\"files_listable\":%s,\"mapped\":%s,\"files\":[",
           r->table_size, r->user_bufs, r->files_listable ? "true" : "false",
           r->mapped ? "true" : "false");
    for (size_t i = 0; i < r->nfiles; i++) {
        if (i)
            putchar(',');
        print_file(&r->files[i]);
    }
    printf("]}");
}

static void print_manifest(void)
{
    printf("{\"pid\":%d,\"scratch_hex\":", (int)getpid());
    print_hex(work_dir, strlen(work_dir));
    printf(",\"rings\":[");
    for (size_t i = 0; i < nrings; i++) {
        if (i)
            putchar(',');
        print_ring(&rings[i]);
    }
    printf("]}\n");
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the manifest", errno ? errno : EIO);
}

/* ---- waiting and cleanup --------------------------------------------- */

static void teardown(void)
{
    stop_contention();
    for (size_t i = nrings; i-- > 0;) {
        struct uring_ring *r = &rings[i];
        if (!r->raw) /* a raw ring goes away with the task */
            io_uring_queue_exit(&r->ring);
        for (size_t j = 0; j < r->nfiles; j++)
            free(r->files[j].path);
        free(r->files);
    }
    remove_work_dir();
}

/* ---- options ---------------------------------------------------------- */

static unsigned parse_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v == 0 || v > (1u << 20))
        usage_error(what);
    return (unsigned)v;
}

static void parse_scenarios(char *list, struct options *o)
{
    o->a = o->b = o->c = o->d = o->e = false;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (!strcmp(tok, "a"))
            o->a = true;
        else if (!strcmp(tok, "b"))
            o->b = true;
        else if (!strcmp(tok, "c"))
            o->c = true;
        else if (!strcmp(tok, "d"))
            o->d = true;
        else if (!strcmp(tok, "e"))
            o->e = true;
        else if (!strcmp(tok, "big"))
            o->big = true;
        else if (!strcmp(tok, "contend"))
            o->contend = true;
        else
            usage_error("unknown scenario (want a,b,c,d,e,big,contend)");
    }
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"scenarios", required_argument, NULL, 's'},
        {"big-slots", required_argument, NULL, 'S'},
        {"big-files", required_argument, NULL, 'F'},
        {"contend-hold-ms", required_argument, NULL, 'H'},
        {"contend-gap-ms", required_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.a = true,
                          .b = true,
                          .c = true,
                          .d = true,
                          .big_slots = default_big_slots(),
                          .big_files = 3000,
                          .contend_hold_ms = 2,
                          .contend_gap_ms = 6};
    int c;
    while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        if (c == 's')
            parse_scenarios(optarg, o);
        else if (c == 'S')
            o->big_slots = parse_count(optarg, "bad --big-slots");
        else if (c == 'F')
            o->big_files = parse_count(optarg, "bad --big-files");
        else if (c == 'H')
            o->contend_hold_ms = parse_count(optarg, "bad --contend-hold-ms");
        else if (c == 'G')
            o->contend_gap_ms = parse_count(optarg, "bad --contend-gap-ms");
        else if (c == 'h') {
            usage(stdout);
            exit(0);
        } else
            usage_error("bad option");
    }
    if (optind != argc - 1)
        usage_error("expected exactly one SCRATCH_DIR");
    o->scratch = argv[optind];
}

/* work_dir = realpath(SCRATCH_DIR)/uring-holder: the kernel prints
 * resolved paths, so the manifest must hold them too. */
static void make_work_dir(const char *scratch)
{
    char real[PATH_MAX];
    if (!realpath(scratch, real))
        die(scratch, errno);
    int n = snprintf(work_dir, sizeof(work_dir), "%s/uring-holder", real);
    if (n < 0 || (size_t)n >= sizeof(work_dir))
        die(scratch, ENAMETOOLONG);
    if (mkdir(work_dir, 0755) < 0) {
        int err = errno;
        work_dir[0] = '\0'; /* not ours: never remove it */
        die("mkdir uring-holder", err);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    install_signal_handlers();
    make_work_dir(o.scratch);
    atexit(remove_work_dir);
    if (o.a)
        build_ring_a();
    if (o.b)
        build_ring_b();
    if (o.c)
        build_ring_c();
    if (o.d)
        build_ring_d();
    if (o.e)
        build_ring_e();
    if (o.big)
        build_big_ring(o.big_slots, o.big_files);
    if (o.contend)
        build_contended_ring(o.contend_hold_ms, o.contend_gap_ms);
    print_manifest();
    wait_for_eof_or_signal();
    teardown();
    return 0;
}
