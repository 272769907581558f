/*
 * floor - the least a scanner of open files must do on this host, timed by
 * bench.sh beside lshidden as the floor each mode is measured against.
 *
 *   floor [-b BYTES] [-t THREADS]
 *
 * It makes the syscalls a minimal scanner needs and nothing else: getdents
 * of /proc and of each process's fd directory, a readlink and one statx per
 * fd (cached attributes: a stalled FUSE server must not stall it), a read
 * of the fdinfo of each io_uring and /dev/fuse fd, and a read of
 * /proc/PID/maps for the mapped files.  Processes are shared out to as many
 * threads as lshidden's walk starts (one per CPU, at most 8, and one per 32
 * processes; see src/scan/proc_walk.c), or THREADS.  It then writes BYTES
 * bytes to stdout (the size of the output of the mode it stands for) in
 * 64 KiB writes, and prints what it saw on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pids {
    int *v;
    size_t n;
};

struct shared {
    struct pids pids;
    atomic_size_t next;
    atomic_size_t fds, fdinfos, maps_bytes;
};

/* Every entry name of the directory open at fd, through getdents64. */
static int for_each_entry(int dirfd, void (*fn)(void *ctx, const char *name), void *ctx)
{
    char buf[32768];
    for (;;) {
        long n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
        if (n <= 0)
            return n < 0 ? -errno : 0;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (d->d_name[0] != '.')
                fn(ctx, d->d_name);
            off += d->d_reclen;
        }
    }
}

static size_t read_all(int dirfd, const char *path)
{
    char buf[65536];
    size_t total = 0;
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
        total += (size_t)n;
    close(fd);
    return total;
}

struct proc {
    struct shared *sh;
    int pid_fd, fd_fd;
};

static void on_fd(void *ctx, const char *name)
{
    struct proc *p = ctx;
    char target[4096], path[64];
    ssize_t n = readlinkat(p->fd_fd, name, target, sizeof(target) - 1);
    struct statx st;
    syscall(SYS_statx, p->fd_fd, name, AT_STATX_DONT_SYNC, STATX_BASIC_STATS | STATX_MNT_ID, &st);
    atomic_fetch_add(&p->sh->fds, 1);
    if (n < 0)
        return;
    target[n] = '\0';
    if (strcmp(target, "anon_inode:[io_uring]") == 0 || strcmp(target, "/dev/fuse") == 0) {
        snprintf(path, sizeof(path), "fdinfo/%s", name);
        read_all(p->pid_fd, path);
        atomic_fetch_add(&p->sh->fdinfos, 1);
    }
}

static void scan_pid(struct shared *sh, int proc_fd, int pid)
{
    char name[16];
    snprintf(name, sizeof(name), "%d", pid);
    struct proc p = {.sh = sh, .pid_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (p.pid_fd < 0)
        return;
    p.fd_fd = openat(p.pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p.fd_fd >= 0) {
        for_each_entry(p.fd_fd, on_fd, &p);
        close(p.fd_fd);
    }
    atomic_fetch_add(&sh->maps_bytes, read_all(p.pid_fd, "maps"));
    close(p.pid_fd);
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t i; (i = atomic_fetch_add(&sh->next, 1)) < sh->pids.n;)
        scan_pid(sh, proc_fd, sh->pids.v[i]);
    close(proc_fd);
    return NULL;
}

static void add_pid(void *ctx, const char *name)
{
    struct pids *pids = ctx;
    char *end;
    long pid = strtol(name, &end, 10);
    if (*end || pid <= 0)
        return;
    if (pids->n % 1024 == 0) {
        int *v = realloc(pids->v, (pids->n + 1024) * sizeof(*v));
        if (!v)
            exit(2);
        pids->v = v;
    }
    pids->v[pids->n++] = (int)pid;
}

/* lshidden's worker_count(). */
static size_t default_threads(size_t nprocesses)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 0 ? (size_t)cpus : 1;
    if (n > 8)
        n = 8;
    if (n > nprocesses / 32 + 1)
        n = nprocesses / 32 + 1;
    return n;
}

static int write_bytes(unsigned long long bytes)
{
    static char buf[65536];
    memset(buf, 'x', sizeof(buf));
    for (size_t i = 79; i < sizeof(buf); i += 80)
        buf[i] = '\n';
    while (bytes) {
        size_t n = bytes < sizeof(buf) ? (size_t)bytes : sizeof(buf);
        ssize_t w = write(STDOUT_FILENO, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        bytes -= (unsigned long long)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long long bytes = 0;
    long threads = 0;
    for (int opt; (opt = getopt(argc, argv, "b:t:h")) != -1;) {
        switch (opt) {
        case 'b': bytes = strtoull(optarg, NULL, 10); break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: floor [-b BYTES] [-t THREADS]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    struct shared sh = {0};
    int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc_fd < 0 || for_each_entry(proc_fd, add_pid, &sh.pids) < 0) {
        perror("floor: /proc");
        return 2;
    }
    close(proc_fd);
    size_t n = threads > 0 ? (size_t)threads : default_threads(sh.pids.n);
    pthread_t *tids = calloc(n, sizeof(*tids));
    size_t started = 1;
    for (; tids && started < n; started++)
        if (pthread_create(&tids[started], NULL, worker, &sh) != 0)
            break;
    worker(&sh); /* this thread is worker 0, as in lshidden */
    for (size_t i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    fprintf(stderr,
            "floor: %zu processes, %zu fds, %zu fdinfo reads, %zu bytes of maps, %zu threads\n",
            sh.pids.n, (size_t)sh.fds, (size_t)sh.fdinfos, (size_t)sh.maps_bytes, n);
    free(sh.pids.v);
    if (write_bytes(bytes) < 0) {
        perror("floor: write");
        return 2;
    }
    return 0;
}
