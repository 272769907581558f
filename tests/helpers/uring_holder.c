/* uring_holder: builds io_uring rings whose fixed-file tables hold files
 * that appear nowhere in /proc/PID/fd, prints a JSON manifest of what it
 * built, and keeps everything alive until stdin reaches EOF or SIGTERM.
 *
 *   uring_holder FACTORY[:PARAM=VALUE[,PARAM=VALUE...]]... SCRATCH_DIR
 *   uring_holder --list
 *
 * Each FACTORY argument makes one ring, in the order given, each factory
 * at most once; a PARAM not given takes its default.  The factories are in
 * the table `factories` below, each with its one-line help and parameters:
 *   sparse-table  mixed-types  registered-fd-closed  sqpoll
 *   no-mmap-registered-only  big-table:slots=N,files=N  shared-files:slots=N,files=N
 *   contended:hold-ms=N,gap-ms=N  mount-ns:pid=N
 * --list prints that table (names, parameters with their defaults, help)
 * and exits 0.  An unknown factory or parameter, a bad value or a factory
 * given twice is a usage error: exit status 2.  Example:
 *   uring_holder sparse-table big-table:slots=4096,files=100 /tmp
 *
 * Each ring's files are created under SCRATCH_DIR/uring-holder/FACTORY/;
 * SCRATCH_DIR/uring-holder is removed on exit.  The manifest is one line
 * of JSON on stdout, with the rings in the order of the arguments:
 *   {"pid":P,"scratch_hex":H,"rings":[RING...]}
 *   RING = {"name":FACTORY,"fd":N|null,"dev":"MAJ:MIN"|null,"inode":N|null,
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
#include <stdarg.h>
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

#define MAX_RINGS     9 /* at least the number of factories */
#define MAX_PARAMS    2
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
    bool raw; /* set up by raw syscalls (no-mmap-registered-only): not a liburing ring */
    struct fixed_file *files;
    size_t nfiles, cap;
};

/* The values of a factory's parameters, by their index in its table. */
struct factory_args {
    unsigned value[MAX_PARAMS];
    bool given[MAX_PARAMS];
};

struct factory_param {
    const char *name;
    unsigned defval;
    const char *help;
};

/* One kind of ring: build() makes a ring of that name (and its files, under
 * work_dir/NAME) from args, every parameter set. */
struct factory {
    const char *name;
    const char *help;
    struct factory_param params[MAX_PARAMS + 1]; /* ends with a NULL name */
    void (*build)(const char *name, const struct factory_args *args);
};

struct request {
    const struct factory *factory;
    struct factory_args args;
};

struct options {
    struct request requests[MAX_RINGS];
    size_t nrequests;
    const char *scratch;
};

static struct uring_ring rings[MAX_RINGS];
static size_t nrings;
static char work_dir[PATH_MAX];

/* ---- errors ---------------------------------------------------------- */

static void usage(FILE *out)
{
    fputs("usage: uring_holder FACTORY[:PARAM=VALUE[,PARAM=VALUE...]]... SCRATCH_DIR\n"
          "       uring_holder --list\n",
          out);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("uring_holder: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
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

/* work_dir/RING/name, RING being the ring's (its factory's) name; name
 * holds raw bytes, any but NUL, and "" is the ring's directory itself. */
static void ring_path(char *out, size_t size, const struct uring_ring *r, const char *name)
{
    int n = snprintf(out, size, "%s/%s%s%s", work_dir, r->name, *name ? "/" : "", name);
    if (n < 0 || (size_t)n >= size)
        die("path too long", ENAMETOOLONG);
}

static void make_dir(const struct uring_ring *r, const char *name)
{
    char path[PATH_MAX];
    ring_path(path, sizeof(path), r, name);
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
    ring_path(path, sizeof(path), r, name);
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
    ring_path(path, sizeof(path), r, name);
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

/* ---- factories -------------------------------------------------------- */

/* 16 slots: names with every byte that needs escaping, a deleted file,
 * sockets, a pipe, an eventfd, a file opened straight into its slot, a name
 * longer than a dentry's inline name, and holes. */
static void build_sparse_table(const char *name, const struct factory_args *args)
{
    (void)args;
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, 16);
    make_dir(r, "");
    make_dir(r, "sub dir");
    add_new_file(r, 0, "sub dir/with space");
    add_new_file(r, 1, "with\ttab");
    add_new_file(r, 2, "with\nnewline");
    add_new_file(r, 3, "with\\backslash");
    add_new_file(r, 4,
                 "with\x1b"
                 "esc");
    add_new_file(r, 5,
                 "with\xff"
                 "byte");
    add_deleted_file(r, 6, "deleted file");
    /* slot 7: hole */
    add_socketpair_end(r, 8);
    add_tcp_socket(r, 9);
    /* slot 10: hole */
    add_pipe_end(r, 11);
    add_eventfd(r, 12);
    add_direct_open(r, 13, "opened direct");
    add_new_file(r, 14, "a_name_much_longer_than_the_inline_dentry_name_0123456789");
    /* slot 15: hole */
}

/* 4 slots of other types: a directory, a hole, /dev/null, a regular file;
 * and 2 registered buffers. */
static void build_mixed_types(const char *name, const struct factory_args *args)
{
    (void)args;
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, 4);
    make_dir(r, "");
    make_dir(r, "dir");
    char path[PATH_MAX];
    ring_path(path, sizeof(path), r, "dir");
    int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check_sys(dirfd, path);
    add_fd(r, 0, dirfd, path, false);
    /* slot 1: hole */
    int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    check_sys(nullfd, "/dev/null");
    add_fd(r, 2, nullfd, "/dev/null", false);
    add_new_file(r, 3, "file");
    register_buffers(r, 2);
}

/* The ring fd is registered in the task's ring table
 * (IORING_REGISTER_RING_FDS) and then closed: the ring lives on through
 * its mmaps (and that registration); /proc lists no fixed files of it. */
static void build_registered_fd_closed(const char *name, const struct factory_args *args)
{
    (void)args;
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, 2);
    make_dir(r, "");
    add_new_file(r, 0, "file");
    int ret = io_uring_register_ring_fd(&r->ring);
    if (ret != 1)
        die("io_uring_register_ring_fd", ret < 0 ? -ret : EIO);
    check_sys(close(r->ring.ring_fd), "close ring fd");
    r->ring.ring_fd = -1; /* keeps io_uring_queue_exit from closing it again */
    r->fd = -1;
    r->files_listable = false;
}

enum { MOUNT_NS_PID };

/* Slot 0 holds the mount namespace of process pid, its fd closed: once
 * that process is gone, the ring alone keeps the namespace, which no
 * mount table and no fd in /proc names. */
static void build_mount_ns(const char *name, const struct factory_args *args)
{
    char path[64];
    if (args->value[MOUNT_NS_PID] == 0)
        usage_error("mount-ns needs pid=N");
    snprintf(path, sizeof(path), "/proc/%u/ns/mnt", args->value[MOUNT_NS_PID]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    check_sys(fd, path);
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, 2);
    add_pseudo(r, 0, fd, "mnt");
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

/* An SQPOLL ring (the manifest names its iou-sqp thread), 2 files in 4
 * slots. */
static void build_sqpoll(const char *name, const struct factory_args *args)
{
    (void)args;
    struct uring_ring *r = new_ring(name, IORING_SETUP_SQPOLL);
    r->sq_thread = find_sq_thread();
    make_sparse_table(r, 4);
    make_dir(r, "");
    add_new_file(r, 1, "sqpoll file");
    add_new_file(r, 3, "second");
}

/* liburing 2.3 and Debian 12's uapi headers predate these (6.5). */
#define HOLDER_SETUP_NO_MMAP            (1U << 14)
#define HOLDER_SETUP_REGISTERED_FD_ONLY (1U << 15)
#define HOLDER_USE_REGISTERED_RING      (1U << 31)

/* IORING_SETUP_NO_MMAP | REGISTERED_FD_ONLY (Linux 6.5+; older kernels
 * refuse the flags): the ring never has an fd or a mapping, and /proc
 * shows nothing of it; 4 slots, a file in 0, a deleted one in 2.
 * NO_MMAP: the rings live in memory we provide, one page each for the SQ
 * and CQ rings and for the SQEs (a 4-entry ring fits easily).  With
 * REGISTERED_FD_ONLY io_uring_setup returns a registered ring index, not
 * an fd: the ring is reachable only through task->io_uring. */
static void build_no_mmap_registered_only(const char *name, const struct factory_args *args)
{
    (void)args;
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
    r->name = name;
    r->fd = -1;
    r->raw = true;
    r->table_size = 4;
    make_dir(r, "");
    int fds[4] = {-1, -1, -1, -1};
    const char *names[2] = {"kept", "deleted file"};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX];
        ring_path(path, sizeof(path), r, names[i]);
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

/* The hard RLIMIT_NOFILE, or want if that is higher. */
static unsigned at_most_hard_nofile(unsigned want)
{
    struct rlimit rl;
    check_sys(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
    return rl.rlim_max < want ? (unsigned)rl.rlim_max : want;
}

enum { BIG_SLOTS, BIG_FILES };

/* A sparse table of slots= slots (when not given: 65536, or the hard
 * RLIMIT_NOFILE if lower) holding files= files, spread evenly over the
 * table, the last one in its last slot. */
static void build_big_table(const char *name, const struct factory_args *args)
{
    unsigned slots = args->value[BIG_SLOTS], files = args->value[BIG_FILES];
    if (!args->given[BIG_SLOTS])
        slots = at_most_hard_nofile(slots);
    if (files > slots)
        usage_error("%s: files=%u is more than slots=%u", name, files, slots);
    raise_nofile(slots);
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, slots);
    make_dir(r, "");
    unsigned step = files > 1 ? (slots - 1) / (files - 1) : 1;
    for (unsigned i = 0; i < files; i++) {
        char file[64];
        snprintf(file, sizeof(file), "f%07u", i);
        add_new_file(r, i + 1 == files ? slots - 1 : i * step, file);
    }
}

enum { SHARED_SLOTS, SHARED_FILES };

/* slots= slots holding files= files in turn (slot i the file i % files),
 * each slot an open of its own: many slots, few names. */
static void build_shared_files(const char *name, const struct factory_args *args)
{
    unsigned slots = args->value[SHARED_SLOTS], files = args->value[SHARED_FILES];
    if (files == 0 || files > slots)
        usage_error("%s: files=%u must be 1 to slots=%u", name, files, slots);
    raise_nofile(slots);
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, slots);
    make_dir(r, "");
    for (unsigned i = 0; i < slots; i++) {
        char file[64], path[PATH_MAX];
        snprintf(file, sizeof(file), "shared %u", i % files);
        if (i < files) {
            add_new_file(r, i, file);
            continue;
        }
        ring_path(path, sizeof(path), r, file);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        check_sys(fd, path);
        add_fd(r, i, fd, path, false);
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
        die("userfaultfd (needed by the contended factory)", errno);
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

enum { CONTEND_HOLD_MS, CONTEND_GAP_MS };

/* A 16-slot ring holding 8 files whose uring_lock is held hold-ms out of
 * every hold-ms + gap-ms milliseconds, so that fdinfo reads often find it
 * busy (and print no io_uring section). */
static void build_contended(const char *name, const struct factory_args *args)
{
    struct uring_ring *r = new_ring(name, 0);
    make_sparse_table(r, 2 * CONTEND_FILES);
    make_dir(r, "");
    for (unsigned i = 0; i < CONTEND_FILES; i++) {
        char file[64];
        snprintf(file, sizeof(file), "file %u", i);
        add_new_file(r, 2 * i, file);
    }
    start_contention(r, args->value[CONTEND_HOLD_MS], args->value[CONTEND_GAP_MS]);
}

/* ---- the factory table ------------------------------------------------- */

static const struct factory factories[] = {
    {"sparse-table",
     "16-slot sparse table: awkward names, a deleted file, sockets, a pipe, an eventfd, "
     "a direct open",
     {{NULL, 0, NULL}},
     build_sparse_table},
    {"mixed-types",
     "4 slots: a directory, a hole, /dev/null, a regular file; 2 registered buffers",
     {{NULL, 0, NULL}},
     build_mixed_types},
    {"registered-fd-closed",
     "ring fd registered (IORING_REGISTER_RING_FDS) and closed: only its mmaps keep it",
     {{NULL, 0, NULL}},
     build_registered_fd_closed},
    {"sqpoll",
     "IORING_SETUP_SQPOLL ring (its iou-sqp thread in the manifest), 2 files in 4 slots",
     {{NULL, 0, NULL}},
     build_sqpoll},
    {"no-mmap-registered-only",
     "IORING_SETUP_NO_MMAP|REGISTERED_FD_ONLY (Linux 6.5+): no fd, no mapping, 2 files",
     {{NULL, 0, NULL}},
     build_no_mmap_registered_only},
    {"big-table",
     "a big sparse table, its files spread evenly, the last in its last slot",
     {[BIG_SLOTS] = {"slots", 65536, "table size (not given: at most the hard RLIMIT_NOFILE)"},
      [BIG_FILES] = {"files", 3000, "files in the table (at most slots)"},
      [2] = {NULL, 0, NULL}},
     build_big_table},
    {"shared-files",
     "slots= slots holding files= files in turn, each slot an open of its own",
     {[SHARED_SLOTS] = {"slots", 2000, "table size"},
      [SHARED_FILES] = {"files", 4, "files in the table (at most slots)"},
      [2] = {NULL, 0, NULL}},
     build_shared_files},
    {"contended",
     "16 slots, 8 files; uring_lock held hold-ms out of every hold-ms + gap-ms",
     {[CONTEND_HOLD_MS] = {"hold-ms", 2, "milliseconds the lock is held each time"},
      [CONTEND_GAP_MS] = {"gap-ms", 6, "milliseconds between two holds"},
      [2] = {NULL, 0, NULL}},
     build_contended},
    {"mount-ns",
     "2 slots: the mount namespace of process pid (/proc/PID/ns/mnt) in slot 0, its fd closed",
     {[MOUNT_NS_PID] = {"pid", 0, "the process whose mount namespace is registered (required)"},
      [1] = {NULL, 0, NULL}},
     build_mount_ns},
};

#define NFACTORIES (sizeof(factories) / sizeof(factories[0]))

_Static_assert(NFACTORIES <= MAX_RINGS, "MAX_RINGS must allow every factory once");

static void list_factories(void)
{
    for (size_t i = 0; i < NFACTORIES; i++) {
        const struct factory *f = &factories[i];
        printf("%-24s %s\n", f->name, f->help);
        for (const struct factory_param *p = f->params; p->name; p++) {
            char spec[64];
            snprintf(spec, sizeof(spec), "%s=%u", p->name, p->defval);
            printf("  %-22s %s\n", spec, p->help);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the list", errno ? errno : EIO);
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

#define MAX_COUNT (1u << 20)

/* A count in 1..MAX_COUNT, or false. */
static bool parse_count(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > MAX_COUNT)
        return false;
    *out = (unsigned)v;
    return true;
}

static const struct factory *find_factory(const char *name, size_t len)
{
    for (size_t i = 0; i < NFACTORIES; i++)
        if (strlen(factories[i].name) == len && !strncmp(factories[i].name, name, len))
            return &factories[i];
    return NULL;
}

/* Sets one PARAM=VALUE of a request; spec is NUL-terminated. */
static void parse_param(struct request *req, const char *spec)
{
    const struct factory *f = req->factory;
    const char *eq = strchr(spec, '=');
    if (!eq)
        usage_error("%s: \"%s\" is not PARAM=VALUE", f->name, spec);
    size_t len = (size_t)(eq - spec);
    for (size_t i = 0; f->params[i].name; i++) {
        if (strlen(f->params[i].name) != len || strncmp(f->params[i].name, spec, len))
            continue;
        if (req->args.given[i])
            usage_error("%s: %s given twice", f->name, f->params[i].name);
        if (!parse_count(eq + 1, &req->args.value[i]))
            usage_error("%s: bad %s \"%s\" (want 1 to %u)", f->name, f->params[i].name, eq + 1,
                        MAX_COUNT);
        req->args.given[i] = true;
        return;
    }
    usage_error("%s has no parameter \"%.*s\" (uring_holder --list shows them)", f->name, (int)len,
                spec);
}

/* FACTORY[:PARAM=VALUE[,PARAM=VALUE...]] */
static void parse_request(struct options *o, char *arg)
{
    char *colon = strchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    const struct factory *f = find_factory(arg, len);
    if (!f)
        usage_error("no factory \"%.*s\" (uring_holder --list shows them)", (int)len, arg);
    for (size_t i = 0; i < o->nrequests; i++)
        if (o->requests[i].factory == f)
            usage_error("%s given twice", f->name);
    struct request *req = &o->requests[o->nrequests++];
    req->factory = f;
    for (size_t i = 0; f->params[i].name; i++)
        req->args.value[i] = f->params[i].defval;
    if (!colon)
        return;
    char *spec = colon + 1;
    for (;;) {
        char *comma = strchr(spec, ',');
        if (comma)
            *comma = '\0';
        parse_param(req, spec);
        if (!comma)
            break;
        spec = comma + 1;
    }
}

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){0};
    int c;
    while ((c = getopt_long(argc, argv, "+lh", longopts, NULL)) != -1) {
        if (c == 'l') {
            list_factories();
            exit(0);
        } else if (c == 'h') {
            usage(stdout);
            exit(0);
        } else {
            usage_error("bad option");
        }
    }
    if (optind >= argc - 1)
        usage_error("expected FACTORY... SCRATCH_DIR");
    for (int i = optind; i < argc - 1; i++)
        parse_request(o, argv[i]);
    o->scratch = argv[argc - 1];
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
    for (size_t i = 0; i < o.nrequests; i++)
        o.requests[i].factory->build(o.requests[i].factory->name, &o.requests[i].args);
    print_manifest();
    wait_for_eof_or_signal();
    teardown();
    return 0;
}
