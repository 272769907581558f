/*
 * loadgen - build a "loaded host" for the lshidden benchmark.
 *
 *   loadgen [-n PROCS] [-m FDS] [-r RINGS] [-f FIXED] [-k POOL] [-d DIR] [-S]
 *
 * Forks PROCS children (default 300).  Each child opens FDS descriptors
 * (default 40): regular files from a pool of POOL files in a scratch
 * directory, pipes, AF_UNIX socket pairs and loopback UDP/TCP sockets.
 * RINGS io_uring instances (default 20) are spread over the children; each
 * ring registers FIXED files (default 300: pool files, pipes, sockets) and
 * the source descriptors are closed afterwards, so those files are only
 * reachable through the ring's fixed-file table.
 *
 * When everything is set up the parent prints one line starting with
 * "ready" on stdout.  It then waits for SIGTERM/SIGINT/SIGHUP or EOF on
 * stdin (-S: signals only), lets every child exit, and removes the scratch
 * directory.  Children also exit on their own when the parent dies.
 *
 *   loadgen -T FILE -- CMD [ARGS...]
 *
 * Timing helper for bench.sh: runs CMD (stdio inherited) and writes
 * "wall_ns user_ns sys_ns exit_status maxrss_kib" to FILE, the wall time
 * taken with CLOCK_MONOTONIC, the CPU times and the peak resident set size
 * from wait4().  Exits with CMD's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64 /* fixed files registered per io_uring_register_files_update */

struct config {
    long procs, fds, rings, fixed, pool;
    const char *dir;
    int signals_only;
};

static char scratch[PATH_MAX - 64]; /* leaves room for "/fNNNNN" in a PATH_MAX buffer */
static int scratch_made;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "loadgen[%ld]: ", (long)getpid());
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: loadgen [-n PROCS] [-m FDS] [-r RINGS] [-f FIXED] [-k POOL] [-d DIR] [-S]\n"
               "       loadgen -T FILE -- CMD [ARGS...]\n"
               "  -n PROCS  child processes (default 300)\n"
               "  -m FDS    descriptors held by each child (default 40)\n"
               "  -r RINGS  io_uring rings, spread over the children (default 20)\n"
               "  -f FIXED  fixed files registered in each ring (default 300)\n"
               "  -k POOL   regular files in the scratch directory (default 256)\n"
               "  -d DIR    parent of the scratch directory (default $TMPDIR or /tmp)\n"
               "  -S        wait for a signal only; ignore stdin\n"
               "  -T FILE   timing helper: run CMD, write wall/user/sys ns, status and peak RSS\n"
               "            (KiB) to FILE\n");
}

static long parse_num(const char *s, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        die("bad %s '%s' (expected %ld..%ld)", what, s, min, max);
    return v;
}

/* ---------------------------------------------------------------- timing */

static int64_t ns_of(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
static int64_t ns_of_tv(struct timeval t)
{
    return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_usec * 1000;
}

static int time_command(const char *out, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    int status;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "loadgen -T: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            die("wait4: %s", strerror(errno));
    clock_gettime(CLOCK_MONOTONIC, &t1);

    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(out, "w");
    if (!f)
        die("%s: %s", out, strerror(errno));
    fprintf(f, "%lld %lld %lld %d %ld\n", (long long)(ns_of(t1) - ns_of(t0)),
            (long long)ns_of_tv(ru.ru_utime), (long long)ns_of_tv(ru.ru_stime), code, ru.ru_maxrss);
    if (fclose(f) != 0)
        die("%s: %s", out, strerror(errno));
    return code;
}

/* ---------------------------------------------------------------- load */

static void pool_path(char *buf, size_t len, long i)
{
    if ((size_t)snprintf(buf, len, "%s/f%05ld", scratch, i) >= len)
        die("path too long");
}

static int open_pool(const struct config *c, long i)
{
    char p[PATH_MAX];
    pool_path(p, sizeof p, i % c->pool);
    int fd = open(p, (i & 1) ? O_RDWR : O_RDONLY);
    if (fd < 0)
        die("open %s: %s", p, strerror(errno));
    return fd;
}

static int inet_socket(int type)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind 127.0.0.1:0: %s", strerror(errno));
    if (type == SOCK_STREAM && listen(fd, 4) < 0)
        die("listen: %s", strerror(errno));
    return fd;
}

/*
 * The per-process descriptor mix, by slot i % 20:
 *   0-4, 10-14  regular file from the pool      (50%)
 *   5-6, 15-16  both ends of a pipe             (20%)
 *   7-8, 17-18  both ends of an AF_UNIX pair    (20%)
 *   9           loopback UDP socket             ( 5%)
 *   19          loopback TCP listener           ( 5%)
 * A pair that does not fit in the remaining count becomes a regular file.
 */
static void open_payload(const struct config *c, long child)
{
    long base = child * c->fds;
    for (long i = 0; i < c->fds;) {
        int k = (int)(i % 20) % 10, two[2];
        int last = (i + 1 == c->fds);
        if ((k == 5 || k == 7) && !last) {
            if (k == 5 ? pipe(two) : socketpair(AF_UNIX, SOCK_STREAM, 0, two))
                die("%s: %s", k == 5 ? "pipe" : "socketpair", strerror(errno));
            i += 2;
        } else if (k == 9) {
            inet_socket(i % 20 == 9 ? SOCK_DGRAM : SOCK_STREAM);
            i++;
        } else {
            open_pool(c, base + i);
            i++;
        }
    }
}

/* Source descriptor for fixed slot s: 60% pool files, 20% pipe ends, 20% unix sockets.
 * *extra receives the other end of a pair (or -1), to be closed by the caller. */
static int fixed_source(const struct config *c, long ring, long s, int *extra)
{
    int two[2];
    *extra = -1;
    switch (s % 5) {
    case 3:
        if (pipe(two))
            die("pipe: %s", strerror(errno));
        *extra = two[1];
        return two[0];
    case 4:
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, two))
            die("socketpair: %s", strerror(errno));
        *extra = two[1];
        return two[0];
    default: return open_pool(c, ring * c->fixed + s);
    }
}

static void setup_ring(const struct config *c, struct io_uring *ring, long r)
{
    int ret = io_uring_queue_init(4, ring, 0);
    if (ret < 0)
        die("io_uring_queue_init: %s", strerror(-ret));
    if (c->fixed == 0)
        return;

    int fds[BATCH], extra[BATCH];
    ret = io_uring_register_files_sparse(ring, (unsigned)c->fixed);
    if (ret == 0) {
        for (long off = 0; off < c->fixed; off += BATCH) {
            long n = c->fixed - off < BATCH ? c->fixed - off : BATCH;
            for (long j = 0; j < n; j++)
                fds[j] = fixed_source(c, r, off + j, &extra[j]);
            ret = io_uring_register_files_update(ring, (unsigned)off, fds, (unsigned)n);
            if (ret != n)
                die("io_uring_register_files_update: %s", ret < 0 ? strerror(-ret) : "short");
            for (long j = 0; j < n; j++) {
                close(fds[j]);
                if (extra[j] >= 0)
                    close(extra[j]);
            }
        }
        return;
    }
    if (ret != -EINVAL)
        die("io_uring_register_files_sparse(%ld): %s", c->fixed, strerror(-ret));

    /* Kernels before 5.19: register everything in one go. */
    int *all = calloc((size_t)c->fixed * 2, sizeof *all);
    if (!all)
        die("out of memory");
    for (long s = 0; s < c->fixed; s++)
        all[s] = fixed_source(c, r, s, &all[c->fixed + s]);
    ret = io_uring_register_files(ring, all, (unsigned)c->fixed);
    if (ret < 0)
        die("io_uring_register_files(%ld): %s", c->fixed, strerror(-ret));
    for (long s = 0; s < c->fixed * 2; s++)
        if (all[s] >= 0)
            close(all[s]);
    free(all);
}

static void child_main(const struct config *c, long idx, int ready_w, int hold_r, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Do not keep the caller's stdin/stdout pipes open. */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2)
            close(null);
    }

    /* Rings whose index maps to this child: ring r lives in child r*N/R. */
    long nr = 0;
    for (long r = 0; r < c->rings; r++)
        if (r * c->procs / c->rings == idx)
            nr++;
    struct io_uring *rings = nr ? calloc((size_t)nr, sizeof *rings) : NULL;
    if (nr && !rings)
        die("out of memory");
    long k = 0;
    for (long r = 0; r < c->rings; r++)
        if (r * c->procs / c->rings == idx)
            setup_ring(c, &rings[k++], r);

    open_payload(c, idx);

    if (write(ready_w, "R", 1) != 1)
        _exit(1);
    close(ready_w);

    char b;
    while (read(hold_r, &b, 1) < 0 && errno == EINTR)
        ;
    _exit(0); /* rings and fds go away with the process */
}

static void remove_scratch(const struct config *c)
{
    if (!scratch_made)
        return;
    char p[PATH_MAX];
    for (long i = 0; i < c->pool; i++) {
        pool_path(p, sizeof p, i);
        unlink(p);
    }
    if (rmdir(scratch) < 0)
        fprintf(stderr, "loadgen: rmdir %s: %s\n", scratch, strerror(errno));
    scratch_made = 0;
}

static void raise_nofile(const struct config *c)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            die("setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)rl.rlim_max,
                strerror(errno));
    }
    /* Worst case per child: stdio + 2 pipes + payload + all its rings + one batch of sources. */
    long ring_per_child = (c->rings + c->procs - 1) / c->procs;
    unsigned long long need =
        16 + (unsigned long long)c->fds + (unsigned long long)ring_per_child + 2 * BATCH;
    if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
        die("RLIMIT_NOFILE %llu is too low for -m %ld (need about %llu)",
            (unsigned long long)rl.rlim_cur, c->fds, need);
    /* The kernel refuses to register more fixed files than RLIMIT_NOFILE. */
    if (rl.rlim_cur != RLIM_INFINITY && (unsigned long long)c->fixed > rl.rlim_cur)
        die("-f %ld exceeds RLIMIT_NOFILE %llu (the kernel limit for a fixed-file table)", c->fixed,
            (unsigned long long)rl.rlim_cur);
}

static void make_scratch(const struct config *c)
{
    const char *base = c->dir ? c->dir : getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if ((size_t)snprintf(scratch, sizeof scratch, "%s/lshidden-loadgen.XXXXXX", base) >=
        sizeof scratch)
        die("scratch path too long");
    if (!mkdtemp(scratch))
        die("mkdtemp %s: %s", scratch, strerror(errno));
    scratch_made = 1;
    char p[PATH_MAX], data[512];
    for (long i = 0; i < c->pool; i++) {
        pool_path(p, sizeof p, i);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            remove_scratch(c);
            die("create %s: %s", p, strerror(e));
        }
        int n = snprintf(data, sizeof data, "lshidden loadgen pool file %ld\n", i);
        if (write(fd, data, (size_t)n) != n) {
            int e = errno;
            close(fd);
            remove_scratch(c);
            die("write %s: %s", p, strerror(e));
        }
        close(fd);
    }
}

static int run_load(const struct config *c)
{
    raise_nofile(c);

    /* Block the stop signals; they are read through a signalfd. Children unblock them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd: %s", strerror(errno));

    make_scratch(c);

    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
        die("pipe: %s", strerror(errno));

    pid_t self = getpid();
    pid_t *kids = calloc((size_t)c->procs, sizeof *kids);
    if (!kids)
        die("out of memory");
    long started = 0;
    const char *failure = NULL;
    for (long i = 0; i < c->procs; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            failure = "fork failed";
            fprintf(stderr, "loadgen: fork: %s\n", strerror(errno));
            break;
        }
        if (pid == 0) {
            close(sfd);
            close(ready[0]);
            close(hold[1]);
            child_main(c, i, ready[1], hold[0], self);
        }
        kids[started++] = pid;
    }
    close(ready[1]);
    close(hold[0]);

    /* Collect one 'R' per child; EOF before that means a child failed. */
    long got = 0;
    while (!failure && got < started) {
        char buf[256];
        ssize_t n = read(ready[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            failure = "a child failed during setup";
            break;
        }
        got += n;
    }
    close(ready[0]);

    int rc = 0;
    if (failure) {
        fprintf(stderr, "loadgen: %s; stopping\n", failure);
        rc = 1;
    } else {
        printf("ready pid=%ld procs=%ld fds_per_proc=%ld rings=%ld fixed_per_ring=%ld scratch=%s\n",
               (long)self, c->procs, c->fds, c->rings, c->fixed, scratch);
        fflush(stdout);

        struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        int npf = c->signals_only ? 1 : 2;
        for (;;) {
            if (poll(pf, (nfds_t)npf, -1) < 0) {
                if (errno == EINTR)
                    continue;
                die("poll: %s", strerror(errno));
            }
            if (pf[0].revents)
                break;
            if (npf == 2 && pf[1].revents) {
                char buf[256];
                ssize_t n = read(0, buf, sizeof buf);
                if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                    break; /* EOF (or stdin unusable): stop */
            }
        }
    }

    /* Stop: closing the hold pipe wakes every child; SIGTERM for any that are still setting up. */
    close(hold[1]);
    if (failure)
        for (long i = 0; i < started; i++)
            kill(kids[i], SIGTERM);
    for (long i = 0; i < started; i++)
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    remove_scratch(c);
    free(kids);
    return rc;
}

int main(int argc, char **argv)
{
    struct config c = {.procs = 300, .fds = 40, .rings = 20, .fixed = 300, .pool = 256};
    const char *time_out = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+n:m:r:f:k:d:ST:h")) != -1) {
        switch (opt) {
        case 'n': c.procs = parse_num(optarg, "-n", 1, 100000); break;
        case 'm': c.fds = parse_num(optarg, "-m", 0, 1000000); break;
        case 'r': c.rings = parse_num(optarg, "-r", 0, 100000); break;
        case 'f': c.fixed = parse_num(optarg, "-f", 0, 1 << 20); break;
        case 'k': c.pool = parse_num(optarg, "-k", 1, 1000000); break;
        case 'd': c.dir = optarg; break;
        case 'S': c.signals_only = 1; break;
        case 'T': time_out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (time_out) {
        if (optind >= argc) {
            usage(stderr);
            return 2;
        }
        return time_command(time_out, argv + optind);
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return run_load(&c);
}
