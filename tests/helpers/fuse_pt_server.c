/* fuse_pt_server: a tiny FUSE server speaking the raw protocol on /dev/fuse
 * (no libfuse: Debian 12's libfuse 3.14 has no passthrough).  It mounts a
 * flat read-only filesystem mirroring the regular files of BACKING_DIR and
 * answers OPEN with FOPEN_PASSTHROUGH, so the kernel reads the backing files
 * itself through files registered with FUSE_DEV_IOC_BACKING_OPEN.  Those
 * files are held by the FUSE connection, in no process's fd table.
 *
 *   fuse_pt_server [--preregister] [--no-passthrough] [--clone] [--linger]
 *                  [--close-after-open] [--watch-stdin] [--verbose]
 *                  MOUNTPOINT BACKING_DIR
 *
 *   --preregister    register a backing id for every file at startup and keep
 *                    it until exit (ids exist with no client: the kernel then
 *                    holds the backing files with no fd anywhere); without it
 *                    a file's id is registered at its first OPEN and closed
 *                    when its last RELEASE arrives
 *   --no-passthrough do not negotiate passthrough; serve READ from userspace
 *   --clone          clone the /dev/fuse fd once (FUSE_DEV_IOC_CLONE) and
 *                    serve requests arriving on either fd
 *   --close-after-open
 *                    close a file's backing id when a client flushes it (at
 *                    its close(); the id must live until the kernel has
 *                    attached it to the open file): from then on a mapping
 *                    of the file is all that holds the backing file
 *   --linger         when the filesystem is unmounted, keep the /dev/fuse fds
 *                    (and so the connection and its backing ids) until
 *                    SIGTERM/SIGINT instead of exiting
 *   --watch-stdin    also stop (as on SIGTERM) when stdin reaches EOF
 *   --verbose        log every request and backing id change on stderr
 *
 * Once mounted and initialised it prints one line of JSON on stdout:
 *   {"pid":P,"dev_fd":N,"clone_fd":N|null,"connection":N,"mountpoint":"...",
 *    "backing_dir":"...","passthrough":bool,"proto_minor":N,"max_stack_depth":N,
 *    "backing":[{"name":"...","path":"...","fuse_inode":N,"backing_id":N|null,
 *                "dev":"MAJ:MIN","inode":N}...]}
 * connection is the "fuse_connection:" value of /proc/self/fdinfo/DEV_FD
 * (6.16+), else the mount's device number from mountinfo.  backing_id is null
 * unless --preregister.  dev/inode come from fstat() of the backing file.
 *
 * It serves until the filesystem is unmounted (read() on /dev/fuse fails with
 * ENODEV) or SIGTERM/SIGINT arrives; on a signal it closes its backing ids,
 * detaches the mount (umount2 MNT_DETACH) and exits 0.  On exit it prints
 *   fuse_pt_server: stats {"requests":N,"read":N,"open":N,...}
 * on stderr ("read" is the number of READ requests that reached it: 0 when
 * passthrough works).  Errors exit 1 (after unmounting), usage errors 2. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- protocol 7.40 bits missing from Debian 12's <linux/fuse.h> (7.38) --
 * Own names, so that a newer header defining the real ones does not clash. */
#define FPT_PROTO_MINOR       40
#define FPT_INIT2_PASSTHROUGH (1u << 5)  /* FUSE_PASSTHROUGH (1ULL << 37), in flags2 */
#define FPT_FOPEN_PASSTHROUGH (1u << 7)  /* FOPEN_PASSTHROUGH */
#define FPT_MAX_STACK_DEPTH   1          /* backing files on a non-stacked fs */
#define FPT_FUSE_INIT_EXT     (1u << 30) /* FUSE_INIT_EXT (7.36): flags2 is valid */

/* struct fuse_backing_map (7.40) */
struct fpt_backing_map {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};
#define FPT_DEV_IOC_BACKING_OPEN  _IOW(229, 1, struct fpt_backing_map)
#define FPT_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

/* struct fuse_init_out as of 7.40: unused[0] became max_stack_depth. */
struct fpt_init_out {
    uint32_t major, minor, max_readahead, flags;
    uint16_t max_background, congestion_threshold;
    uint32_t max_write, time_gran;
    uint16_t max_pages, map_alignment;
    uint32_t flags2, max_stack_depth;
    uint32_t unused[6];
};

/* struct fuse_open_out as of 7.40: padding became backing_id. */
struct fpt_open_out {
    uint64_t fh;
    uint32_t open_flags;
    int32_t backing_id;
};

_Static_assert(sizeof(struct fpt_backing_map) == 16, "fuse_backing_map is 16 bytes");
_Static_assert(sizeof(struct fpt_init_out) == 64, "fuse_init_out is 64 bytes");
_Static_assert(sizeof(struct fpt_open_out) == 16, "fuse_open_out is 16 bytes");

#define ROOT_NODEID  1
#define FIRST_NODEID 2
#define MAX_WRITE    (128 * 1024)
#define REQ_BUF_SIZE (MAX_WRITE + 64 * 1024)
#define READ_MAX     (128 * 1024)
#define ATTR_VALID_S 1
#define MAX_OPCODE   64

struct backing_file {
    char *name;
    char *path;      /* backing_dir/name */
    uint64_t nodeid; /* FUSE inode number */
    dev_t dev;
    ino_t inode;
    int backing_id; /* 0: none registered */
    unsigned open_count;
};

struct fuse_conn {
    int dev_fd;
    int clone_fd;        /* -1 without --clone */
    unsigned connection; /* fuse_connection: value */
    uint32_t kernel_minor;
    bool initialized;
    bool passthrough; /* negotiated */
};

struct options {
    bool preregister, passthrough, clone, linger, close_after_open, watch_stdin, verbose;
    const char *mountpoint, *backing_dir;
};

struct stats {
    unsigned long requests, on_clone_fd, enosys, passthrough_opens;
    unsigned long backing_opens, backing_closes;
    unsigned long op[MAX_OPCODE];
};

enum stop_reason { STOP_NONE, STOP_INIT_DONE, STOP_SIGNAL, STOP_UNMOUNTED, STOP_STDIN };

static struct options opt = {.passthrough = true};
static struct fuse_conn conn = {.dev_fd = -1, .clone_fd = -1};
static struct backing_file *files;
static size_t nfiles;
static struct stats stats;
static char mountpoint[PATH_MAX];
static char backing_dir[PATH_MAX];
static bool mounted;
static volatile sig_atomic_t got_signal;
static _Alignas(8) unsigned char req_buf[REQ_BUF_SIZE];
static _Alignas(8) unsigned char reply_buf[READ_MAX + 4096];

/* ---- errors and logging --------------------------------------------- */

static void detach_mount(void)
{
    if (mounted && umount2(mountpoint, MNT_DETACH) < 0)
        fprintf(stderr, "fuse_pt_server: umount2(%s): %s\n", mountpoint, strerror(errno));
    mounted = false;
}

static void die(const char *what, int err)
{
    if (err)
        fprintf(stderr, "fuse_pt_server: %s: %s\n", what, strerror(err));
    else
        fprintf(stderr, "fuse_pt_server: %s\n", what);
    detach_mount();
    exit(1);
}

static void die_path(const char *what, const char *path, int err)
{
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof(msg), "%s %s", what, path);
    die(msg, err);
}

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vlog(const char *fmt, ...)
{
    va_list ap;
    if (!opt.verbose)
        return;
    va_start(ap, fmt);
    fputs("fuse_pt_server: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *out)
{
    fputs("usage: fuse_pt_server [--preregister] [--no-passthrough] [--clone] [--linger]\n"
          "                      [--close-after-open] [--watch-stdin] [--verbose]\n"
          "                      MOUNTPOINT BACKING_DIR\n",
          out);
}

static void usage_error(const char *msg)
{
    fprintf(stderr, "fuse_pt_server: %s\n", msg);
    usage(stderr);
    exit(2);
}

/* ---- options ---------------------------------------------------------- */

static void parse_options(int argc, char **argv)
{
    static const struct option longopts[] = {{"preregister", no_argument, NULL, 'p'},
                                             {"no-passthrough", no_argument, NULL, 'n'},
                                             {"clone", no_argument, NULL, 'c'},
                                             {"linger", no_argument, NULL, 'l'},
                                             {"watch-stdin", no_argument, NULL, 's'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"close-after-open", no_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': opt.preregister = true; break;
        case 'n': opt.passthrough = false; break;
        case 'c': opt.clone = true; break;
        case 'l': opt.linger = true; break;
        case 'o': opt.close_after_open = true; break;
        case 's': opt.watch_stdin = true; break;
        case 'v': opt.verbose = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (argc - optind != 2)
        usage_error("expected MOUNTPOINT and BACKING_DIR");
    if (opt.preregister && !opt.passthrough)
        usage_error("--preregister needs passthrough (drop --no-passthrough)");
    if (opt.close_after_open && (opt.preregister || !opt.passthrough))
        usage_error("--close-after-open needs passthrough, without --preregister");
    opt.mountpoint = argv[optind];
    opt.backing_dir = argv[optind + 1];
}

/* ---- backing files ---------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    const struct backing_file *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static char *join_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        die("malloc", ENOMEM);
    snprintf(path, len, "%s/%s", dir, name);
    return path;
}

/* Opens a backing file for reading and fstat()s it; -1 (errno set) if it is
 * not there or not a regular file. */
static int open_backing(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Adds name if it is a regular file (symlinks and the like are skipped). */
static void add_backing_file(const char *name, size_t *cap)
{
    struct stat st;
    char *path = join_path(backing_dir, name);
    int fd = open_backing(path, &st);
    if (fd < 0) {
        free(path);
        return;
    }
    close(fd);
    if (nfiles == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        files = realloc(files, *cap * sizeof(*files));
        if (!files)
            die("realloc", ENOMEM);
    }
    files[nfiles++] = (struct backing_file){
        .name = strdup(name), .path = path, .dev = st.st_dev, .inode = st.st_ino};
}

static void scan_backing_dir(void)
{
    size_t cap = 0;
    struct dirent *de;
    DIR *dir = opendir(backing_dir);
    if (!dir)
        die_path("cannot open backing directory", backing_dir, errno);
    while ((de = readdir(dir)) != NULL) {
        if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN)
            add_backing_file(de->d_name, &cap);
    }
    closedir(dir);
    if (nfiles > 1) /* an empty directory leaves files NULL: no qsort(NULL) */
        qsort(files, nfiles, sizeof(*files), compare_names);
    for (size_t i = 0; i < nfiles; i++)
        files[i].nodeid = FIRST_NODEID + i;
}

static struct backing_file *file_by_nodeid(uint64_t nodeid)
{
    if (nodeid < FIRST_NODEID || nodeid - FIRST_NODEID >= nfiles)
        return NULL;
    return &files[nodeid - FIRST_NODEID];
}

static struct backing_file *file_by_name(const char *name)
{
    for (size_t i = 0; i < nfiles; i++) {
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    }
    return NULL;
}

/* Opens bf, registers it with the connection and closes the fd again: from
 * then on only the kernel holds the file.  Returns 0 or an errno. */
static int backing_register(struct backing_file *bf)
{
    struct stat st;
    struct fpt_backing_map map = {0};
    int id, err;
    map.fd = open_backing(bf->path, &st);
    if (map.fd < 0)
        return errno;
    id = ioctl(conn.dev_fd, FPT_DEV_IOC_BACKING_OPEN, &map);
    err = errno;
    close(map.fd);
    if (id < 0)
        return err;
    if (id == 0)
        return EIO;
    bf->backing_id = id;
    bf->dev = st.st_dev;
    bf->inode = st.st_ino;
    stats.backing_opens++;
    vlog("registered backing id %d for %s", id, bf->path);
    return 0;
}

static void backing_unregister(struct backing_file *bf)
{
    uint32_t id = (uint32_t)bf->backing_id;
    if (bf->backing_id <= 0)
        return;
    if (ioctl(conn.dev_fd, FPT_DEV_IOC_BACKING_CLOSE, &id) < 0)
        vlog("closing backing id %u of %s: %s", id, bf->name, strerror(errno));
    else
        stats.backing_closes++;
    vlog("closed backing id %u of %s", id, bf->name);
    bf->backing_id = 0;
}

static void preregister_all(void)
{
    for (size_t i = 0; i < nfiles; i++) {
        int err = backing_register(&files[i]);
        if (err)
            die_path("FUSE_DEV_IOC_BACKING_OPEN failed for", files[i].path, err);
    }
}

static void unregister_all(void)
{
    for (size_t i = 0; i < nfiles; i++)
        backing_unregister(&files[i]);
}

/* ---- replies ---------------------------------------------------------- */

static void reply(int fd, uint64_t unique, int err, const void *data, size_t len)
{
    struct fuse_out_header oh = {
        .len = (uint32_t)(sizeof(oh) + (err ? 0 : len)), .error = -err, .unique = unique};
    struct iovec iov[2] = {{&oh, sizeof(oh)}, {(void *)data, len}};
    if (writev(fd, iov, err || !len ? 1 : 2) >= 0)
        return;
    /* ENOENT: the request was interrupted; ENODEV: the connection is gone. */
    if (errno != ENOENT && errno != ENODEV)
        die("writing a reply to /dev/fuse", errno);
    vlog("reply to %llu dropped: %s", (unsigned long long)unique, strerror(errno));
}

static void reply_err(int fd, uint64_t unique, int err)
{
    reply(fd, unique, err, NULL, 0);
}

/* ---- attributes ------------------------------------------------------- */

static void root_attr(struct fuse_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = ROOT_NODEID;
    a->mode = S_IFDIR | 0555;
    a->nlink = 2;
    a->blksize = 4096;
}

static int file_attr(const struct backing_file *bf, struct fuse_attr *a)
{
    struct stat st;
    if (stat(bf->path, &st) < 0)
        return errno;
    memset(a, 0, sizeof(*a));
    a->ino = bf->nodeid;
    a->size = (uint64_t)st.st_size;
    a->blocks = (uint64_t)st.st_blocks;
    a->atime = (uint64_t)st.st_atim.tv_sec;
    a->mtime = (uint64_t)st.st_mtim.tv_sec;
    a->ctime = (uint64_t)st.st_ctim.tv_sec;
    a->atimensec = (uint32_t)st.st_atim.tv_nsec;
    a->mtimensec = (uint32_t)st.st_mtim.tv_nsec;
    a->ctimensec = (uint32_t)st.st_ctim.tv_nsec;
    a->mode = S_IFREG | (st.st_mode & 0555);
    a->nlink = 1;
    a->uid = st.st_uid;
    a->gid = st.st_gid;
    a->blksize = 4096;
    return 0;
}

static int node_attr(uint64_t nodeid, struct fuse_attr *a)
{
    struct backing_file *bf;
    if (nodeid == ROOT_NODEID) {
        root_attr(a);
        return 0;
    }
    bf = file_by_nodeid(nodeid);
    return bf ? file_attr(bf, a) : ENOENT;
}

/* ---- operations ------------------------------------------------------- */

static void op_init(int fd, const struct fuse_in_header *h, const void *arg)
{
    const struct fuse_init_in *in = arg;
    struct fpt_init_out out = {0};
    uint32_t flags2 = (in->flags & FPT_FUSE_INIT_EXT) ? in->flags2 : 0;
    conn.kernel_minor = in->minor;
    out.major = FUSE_KERNEL_VERSION;
    out.minor = FPT_PROTO_MINOR;
    out.max_readahead = in->max_readahead;
    out.flags = in->flags & FPT_FUSE_INIT_EXT; /* and never FUSE_WRITEBACK_CACHE */
    out.max_background = 16;
    out.congestion_threshold = 12;
    out.max_write = MAX_WRITE;
    out.time_gran = 1;
    if (opt.passthrough && in->minor >= FPT_PROTO_MINOR && (flags2 & FPT_INIT2_PASSTHROUGH)) {
        out.flags2 = FPT_INIT2_PASSTHROUGH;
        out.max_stack_depth = FPT_MAX_STACK_DEPTH;
        conn.passthrough = true;
    }
    vlog("INIT: kernel %u.%u flags=0x%x flags2=0x%x; reply 7.%u flags=0x%x flags2=0x%x", in->major,
         in->minor, in->flags, in->flags2, out.minor, out.flags, out.flags2);
    if (in->major != FUSE_KERNEL_VERSION)
        die("kernel speaks an unsupported FUSE major version", 0);
    reply(fd, h->unique, 0, &out, sizeof(out));
    conn.initialized = true;
}

static void op_lookup(int fd, const struct fuse_in_header *h, const char *name)
{
    struct fuse_entry_out out = {0};
    struct backing_file *bf = h->nodeid == ROOT_NODEID ? file_by_name(name) : NULL;
    int err = bf ? file_attr(bf, &out.attr) : ENOENT;
    if (err) {
        reply_err(fd, h->unique, err);
        return;
    }
    out.nodeid = bf->nodeid;
    out.generation = 1;
    out.entry_valid = ATTR_VALID_S;
    out.attr_valid = ATTR_VALID_S;
    reply(fd, h->unique, 0, &out, sizeof(out));
}

static void op_getattr(int fd, const struct fuse_in_header *h)
{
    struct fuse_attr_out out = {0};
    int err = node_attr(h->nodeid, &out.attr);
    out.attr_valid = ATTR_VALID_S;
    reply(fd, h->unique, err, &out, sizeof(out));
}

/* Passthrough open: the file's backing id (registered now if need be). */
static int open_passthrough(struct backing_file *bf, struct fpt_open_out *out)
{
    int err = bf->backing_id ? 0 : backing_register(bf);
    if (err)
        return err;
    bf->open_count++;
    out->open_flags = FPT_FOPEN_PASSTHROUGH;
    out->backing_id = bf->backing_id;
    stats.passthrough_opens++;
    return 0;
}

static void op_open(int fd, const struct fuse_in_header *h, const void *arg)
{
    const struct fuse_open_in *in = arg;
    struct fpt_open_out out = {0};
    struct backing_file *bf = file_by_nodeid(h->nodeid);
    int err = 0;
    if (!bf)
        err = h->nodeid == ROOT_NODEID ? EISDIR : ENOENT;
    else if ((in->flags & O_ACCMODE) != O_RDONLY)
        err = EROFS;
    else if (conn.passthrough)
        err = open_passthrough(bf, &out);
    else
        bf->open_count++;
    out.fh = h->nodeid;
    reply(fd, h->unique, err, &out, sizeof(out));
}

/* A client's close(): by now the kernel holds the backing file for the
 * open file itself. */
static void op_flush(int fd, const struct fuse_in_header *h)
{
    struct backing_file *bf = file_by_nodeid(h->nodeid);
    if (bf && opt.close_after_open)
        backing_unregister(bf);
    reply_err(fd, h->unique, 0);
}

static void op_release(int fd, const struct fuse_in_header *h)
{
    struct backing_file *bf = file_by_nodeid(h->nodeid);
    if (bf && bf->open_count > 0 && --bf->open_count == 0 && !opt.preregister)
        backing_unregister(bf);
    reply_err(fd, h->unique, 0);
}

static void op_read(int fd, const struct fuse_in_header *h, const void *arg)
{
    const struct fuse_read_in *in = arg;
    struct backing_file *bf = file_by_nodeid(h->nodeid);
    size_t size = in->size < READ_MAX ? in->size : READ_MAX;
    ssize_t n = -1;
    int err = EBADF;
    int bfd = bf ? open(bf->path, O_RDONLY | O_CLOEXEC) : -1;
    if (bf && bfd < 0)
        err = errno;
    if (bfd >= 0) {
        n = pread(bfd, reply_buf, size, (off_t)in->offset);
        err = errno;
        close(bfd);
    }
    if (n < 0)
        reply_err(fd, h->unique, err);
    else
        reply(fd, h->unique, 0, reply_buf, (size_t)n);
}

static void op_opendir(int fd, const struct fuse_in_header *h)
{
    struct fuse_open_out out = {0};
    int err = h->nodeid == ROOT_NODEID ? 0 : ENOTDIR;
    reply(fd, h->unique, err, &out, sizeof(out));
}

/* Appends one dirent at *pos if it fits; false when the buffer is full. */
static bool add_dirent(size_t *pos, size_t size, uint64_t ino, uint64_t off, const char *name,
                       uint32_t type)
{
    size_t namelen = strlen(name);
    size_t reclen = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
    struct fuse_dirent *de = (struct fuse_dirent *)(reply_buf + *pos);
    if (*pos + reclen > size)
        return false;
    memset(de, 0, reclen);
    de->ino = ino;
    de->off = off;
    de->namelen = (uint32_t)namelen;
    de->type = type;
    memcpy(de->name, name, namelen);
    *pos += reclen;
    return true;
}

/* Directory offsets: 0 ".", 1 "..", 2 + i files[i]; d_off is the next one. */
static void op_readdir(int fd, const struct fuse_in_header *h, const void *arg)
{
    const struct fuse_read_in *in = arg;
    size_t size = in->size < sizeof(reply_buf) ? in->size : sizeof(reply_buf);
    size_t pos = 0;
    if (h->nodeid != ROOT_NODEID) {
        reply_err(fd, h->unique, ENOTDIR);
        return;
    }
    for (uint64_t i = in->offset; i < nfiles + 2; i++) {
        const char *name = i == 0 ? "." : i == 1 ? ".." : files[i - 2].name;
        uint64_t ino = i < 2 ? ROOT_NODEID : files[i - 2].nodeid;
        if (!add_dirent(&pos, size, ino, i + 1, name, i < 2 ? DT_DIR : DT_REG))
            break;
    }
    reply(fd, h->unique, 0, reply_buf, pos);
}

static void op_statfs(int fd, const struct fuse_in_header *h)
{
    struct fuse_statfs_out out = {0};
    out.st.bsize = 4096;
    out.st.frsize = 4096;
    out.st.namelen = NAME_MAX;
    out.st.files = nfiles + 1;
    reply(fd, h->unique, 0, &out, sizeof(out));
}

static const char *opcode_name(uint32_t op)
{
    switch (op) {
    case FUSE_LOOKUP: return "LOOKUP";
    case FUSE_FORGET: return "FORGET";
    case FUSE_GETATTR: return "GETATTR";
    case FUSE_OPEN: return "OPEN";
    case FUSE_READ: return "READ";
    case FUSE_STATFS: return "STATFS";
    case FUSE_RELEASE: return "RELEASE";
    case FUSE_FLUSH: return "FLUSH";
    case FUSE_INIT: return "INIT";
    case FUSE_OPENDIR: return "OPENDIR";
    case FUSE_READDIR: return "READDIR";
    case FUSE_RELEASEDIR: return "RELEASEDIR";
    case FUSE_INTERRUPT: return "INTERRUPT";
    case FUSE_DESTROY: return "DESTROY";
    case FUSE_BATCH_FORGET: return "BATCH_FORGET";
    default: return "other";
    }
}

/* Dispatches one request; arg is its argument block (NUL-terminated for
 * LOOKUP: the kernel sends the name with its NUL). */
static void handle_request(int fd, const struct fuse_in_header *h, const void *arg)
{
    switch (h->opcode) {
    case FUSE_INIT: op_init(fd, h, arg); break;
    case FUSE_LOOKUP: op_lookup(fd, h, arg); break;
    case FUSE_GETATTR: op_getattr(fd, h); break;
    case FUSE_OPEN: op_open(fd, h, arg); break;
    case FUSE_READ: op_read(fd, h, arg); break;
    case FUSE_RELEASE: op_release(fd, h); break;
    case FUSE_FLUSH: op_flush(fd, h); break;
    case FUSE_OPENDIR: op_opendir(fd, h); break;
    case FUSE_READDIR: op_readdir(fd, h, arg); break;
    case FUSE_RELEASEDIR: reply_err(fd, h->unique, 0); break;
    case FUSE_STATFS: op_statfs(fd, h); break;
    case FUSE_DESTROY: reply_err(fd, h->unique, 0); break;
    case FUSE_FORGET: /* no reply to these */
    case FUSE_BATCH_FORGET:
    case FUSE_NOTIFY_REPLY: break;
    default: stats.enosys++; reply_err(fd, h->unique, ENOSYS);
    }
}

/* ---- the request loop ------------------------------------------------- */

static void on_signal(int sig)
{
    got_signal = sig;
}

/* Blocks SIGTERM/SIGINT except inside ppoll(), so none is ever lost. */
static void setup_signals(sigset_t *wait_mask)
{
    struct sigaction sa = {0};
    sigset_t block;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
}

/* Reads and handles at most one request from fd.  Returns STOP_UNMOUNTED
 * when the connection is gone, STOP_NONE otherwise. */
static enum stop_reason serve_one(int fd)
{
    const struct fuse_in_header *h = (const void *)req_buf;
    ssize_t n = read(fd, req_buf, sizeof(req_buf));
    if (n < 0) {
        if (errno == ENODEV)
            return STOP_UNMOUNTED;
        if (errno == EAGAIN || errno == EINTR || errno == ENOENT)
            return STOP_NONE;
        die("reading /dev/fuse", errno);
    }
    if ((size_t)n < sizeof(*h) || h->len != (size_t)n)
        die("short or malformed request from /dev/fuse", 0);
    req_buf[n < (ssize_t)sizeof(req_buf) ? n : n - 1] = '\0';
    stats.requests++;
    stats.on_clone_fd += fd == conn.clone_fd;
    if (h->opcode < MAX_OPCODE)
        stats.op[h->opcode]++;
    vlog("fd %d: %s (%u) unique=%llu nodeid=%llu pid=%u", fd, opcode_name(h->opcode), h->opcode,
         (unsigned long long)h->unique, (unsigned long long)h->nodeid, h->pid);
    handle_request(fd, h, req_buf + sizeof(*h));
    return STOP_NONE;
}

static bool stdin_at_eof(void)
{
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    return n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
}

/* Fills pfd (dev fd, clone fd, stdin as configured); returns the count.
 * Both /dev/fuse fds share one request queue, so the one served first gets
 * most requests: their order alternates to give the clone its share. */
static nfds_t poll_set(struct pollfd *pfd, bool with_dev)
{
    static unsigned turn;
    nfds_t n = 0;
    if (with_dev) {
        bool clone_first = conn.clone_fd >= 0 && turn++ % 2;
        pfd[n++] =
            (struct pollfd){.fd = clone_first ? conn.clone_fd : conn.dev_fd, .events = POLLIN};
        if (conn.clone_fd >= 0)
            pfd[n++] =
                (struct pollfd){.fd = clone_first ? conn.dev_fd : conn.clone_fd, .events = POLLIN};
    }
    if (opt.watch_stdin)
        pfd[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    return n;
}

/* Serves requests until the connection goes away, a signal arrives, stdin
 * ends (--watch-stdin), or (until_init) the INIT request has been answered. */
static enum stop_reason serve(const sigset_t *wait_mask, bool until_init)
{
    struct pollfd pfd[3];
    for (;;) {
        nfds_t n = poll_set(pfd, true);
        if (until_init && conn.initialized)
            return STOP_INIT_DONE;
        if (ppoll(pfd, n, NULL, wait_mask) < 0 && errno != EINTR)
            die("ppoll", errno);
        if (got_signal)
            return STOP_SIGNAL;
        for (nfds_t i = 0; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            if (pfd[i].fd == STDIN_FILENO) {
                if (stdin_at_eof())
                    return STOP_STDIN;
            } else if (serve_one(pfd[i].fd) == STOP_UNMOUNTED) {
                return STOP_UNMOUNTED;
            }
        }
    }
}

/* --linger: holds the fds until a signal or the end of stdin. */
static enum stop_reason linger(const sigset_t *wait_mask)
{
    struct pollfd pfd[1];
    vlog("filesystem unmounted; lingering with /dev/fuse fd %d", conn.dev_fd);
    for (;;) {
        nfds_t n = poll_set(pfd, false);
        if (ppoll(pfd, n, NULL, wait_mask) < 0 && errno != EINTR)
            die("ppoll", errno);
        if (got_signal)
            return STOP_SIGNAL;
        if (n && pfd[0].revents && stdin_at_eof())
            return STOP_STDIN;
    }
}

/* ---- setup ------------------------------------------------------------ */

static void resolve_paths(void)
{
    struct stat st;
    if (!realpath(opt.mountpoint, mountpoint))
        die_path("cannot resolve mount point", opt.mountpoint, errno);
    if (!realpath(opt.backing_dir, backing_dir))
        die_path("cannot resolve backing directory", opt.backing_dir, errno);
    if (stat(mountpoint, &st) < 0 || !S_ISDIR(st.st_mode))
        die_path("bad mount point", mountpoint, ENOTDIR);
    if (chdir("/") < 0) /* hold no reference to either tree */
        die("chdir /", errno);
}

static void mount_fuse(void)
{
    char opts[256];
    conn.dev_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (conn.dev_fd < 0)
        die("cannot open /dev/fuse", errno);
    snprintf(opts, sizeof(opts),
             "fd=%d,rootmode=40000,user_id=%u,group_id=%u,allow_other,default_permissions",
             conn.dev_fd, (unsigned)getuid(), (unsigned)getgid());
    if (mount("ptserver", mountpoint, "fuse.ptserver", MS_NOSUID | MS_NODEV | MS_RDONLY, opts) < 0)
        die_path("cannot mount FUSE on", mountpoint, errno);
    mounted = true;
    vlog("mounted %s with %s", mountpoint, opts);
}

static void clone_dev_fd(void)
{
    uint32_t old_fd = (uint32_t)conn.dev_fd;
    conn.clone_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (conn.clone_fd < 0)
        die("cannot open /dev/fuse for the clone", errno);
    if (ioctl(conn.clone_fd, FUSE_DEV_IOC_CLONE, &old_fd) < 0)
        die("FUSE_DEV_IOC_CLONE", errno);
    vlog("cloned /dev/fuse fd %d as fd %d", conn.dev_fd, conn.clone_fd);
}

/* "fuse_connection:" from /proc/self/fdinfo/FD (6.16+); -1 if absent. */
static long fdinfo_connection(int fd)
{
    char path[64], line[256];
    long value = -1;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    f = fopen(path, "re");
    if (!f)
        return -1;
    while (value < 0 && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "fuse_connection:", 16) == 0)
            value = strtol(line + 16, NULL, 10);
    }
    fclose(f);
    return value;
}

/* Escapes path the way mountinfo does (space, tab, newline, backslash). */
static void mangle_path(const char *path, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 5 < size; p++) {
        if (strchr(" \t\n\\", *p))
            o += (size_t)snprintf(out + o, size - o, "\\%03o", (unsigned char)*p);
        else
            out[o++] = *p;
    }
    out[o] = '\0';
}

/* The kernel dev_t (MAJOR << 20 | MINOR) of the last mount on mountpoint,
 * from /proc/self/mountinfo (no FUSE request involved); -1 if not found. */
static long mountinfo_connection(void)
{
    char want[3 * PATH_MAX], mnt[3 * PATH_MAX], line[4 * PATH_MAX];
    unsigned maj, min;
    long value = -1;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -1;
    mangle_path(mountpoint, want, sizeof(want));
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%*d %*d %u:%u %*s %s", &maj, &min, mnt) == 3 && !strcmp(mnt, want))
            value = (long)((maj << 20) | min);
    }
    fclose(f);
    return value;
}

static void find_connection(void)
{
    long value = fdinfo_connection(conn.dev_fd);
    if (value < 0)
        value = mountinfo_connection();
    if (value < 0)
        die("cannot tell the FUSE connection number", 0);
    conn.connection = (unsigned)value;
}

/* ---- manifest and stats ----------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void print_backing_file(FILE *out, const struct backing_file *bf)
{
    fputs("{\"name\":", out);
    json_string(out, bf->name);
    fputs(",\"path\":", out);
    json_string(out, bf->path);
    fprintf(out, ",\"fuse_inode\":%llu,\"backing_id\":", (unsigned long long)bf->nodeid);
    if (bf->backing_id > 0)
        fprintf(out, "%d", bf->backing_id);
    else
        fputs("null", out);
    fprintf(out, ",\"dev\":\"%u:%u\",\"inode\":%llu}", major(bf->dev), minor(bf->dev),
            (unsigned long long)bf->inode);
}

static void print_manifest(void)
{
    FILE *out = stdout;
    fprintf(out, "{\"pid\":%d,\"dev_fd\":%d,\"clone_fd\":", (int)getpid(), conn.dev_fd);
    if (conn.clone_fd >= 0)
        fprintf(out, "%d", conn.clone_fd);
    else
        fputs("null", out);
    fprintf(out, ",\"connection\":%u,\"mountpoint\":", conn.connection);
    json_string(out, mountpoint);
    fputs(",\"backing_dir\":", out);
    json_string(out, backing_dir);
    fprintf(out, ",\"passthrough\":%s,\"proto_minor\":%u,\"max_stack_depth\":%d,\"backing\":[",
            conn.passthrough ? "true" : "false", FPT_PROTO_MINOR,
            conn.passthrough ? FPT_MAX_STACK_DEPTH : 0);
    for (size_t i = 0; i < nfiles; i++) {
        if (i)
            fputc(',', out);
        print_backing_file(out, &files[i]);
    }
    fputs("]}\n", out);
    fflush(out);
}

static void print_stats(void)
{
    fprintf(stderr,
            "fuse_pt_server: stats {\"requests\":%lu,\"on_clone_fd\":%lu,\"init\":%lu,"
            "\"lookup\":%lu,\"getattr\":%lu,\"open\":%lu,\"read\":%lu,\"release\":%lu,"
            "\"readdir\":%lu,\"statfs\":%lu,\"enosys\":%lu,\"passthrough_opens\":%lu,"
            "\"backing_opens\":%lu,\"backing_closes\":%lu}\n",
            stats.requests, stats.on_clone_fd, stats.op[FUSE_INIT], stats.op[FUSE_LOOKUP],
            stats.op[FUSE_GETATTR], stats.op[FUSE_OPEN], stats.op[FUSE_READ],
            stats.op[FUSE_RELEASE], stats.op[FUSE_READDIR], stats.op[FUSE_STATFS], stats.enosys,
            stats.passthrough_opens, stats.backing_opens, stats.backing_closes);
}

/* ---- main ------------------------------------------------------------- */

/* Mounts and answers INIT; returns STOP_INIT_DONE, or why it stopped. */
static enum stop_reason start(const sigset_t *wait_mask)
{
    enum stop_reason why;
    mount_fuse();
    if (opt.clone)
        clone_dev_fd();
    why = serve(wait_mask, true);
    if (why == STOP_UNMOUNTED)
        die("the filesystem went away before INIT was answered", 0);
    if (why != STOP_INIT_DONE)
        return why;
    if (opt.passthrough && !conn.passthrough)
        die("the kernel did not offer FUSE passthrough (protocol 7.40, "
            "CONFIG_FUSE_PASSTHROUGH); try --no-passthrough",
            0);
    if (opt.preregister)
        preregister_all();
    find_connection();
    return STOP_INIT_DONE;
}

static void finish(enum stop_reason why, const sigset_t *wait_mask)
{
    if (why == STOP_UNMOUNTED) {
        mounted = false;
        if (opt.linger)
            why = linger(wait_mask);
    }
    vlog("stopping: %s", why == STOP_SIGNAL      ? "signal"
                         : why == STOP_UNMOUNTED ? "filesystem unmounted"
                                                 : "end of stdin");
    unregister_all();
    detach_mount();
    if (conn.clone_fd >= 0)
        close(conn.clone_fd);
    close(conn.dev_fd);
    print_stats();
}

int main(int argc, char **argv)
{
    sigset_t wait_mask;
    enum stop_reason why;
    parse_options(argc, argv);
    setup_signals(&wait_mask);
    resolve_paths();
    scan_backing_dir();
    why = start(&wait_mask);
    if (why == STOP_INIT_DONE) {
        print_manifest();
        why = serve(&wait_mask, false);
    }
    finish(why, &wait_mask);
    return 0;
}
