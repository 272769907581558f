#include "scan/unix_sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "core/procfs_io.h"
#include "parse/unix_diag_parse.h"
#include "util/vec.h"

/* Big enough for any one dump message batch the kernel sends (it fills
 * at most 32 KiB per recv); MSG_TRUNC catches the rest. */
#define DUMP_BUF_SIZE   (64 * 1024)
#define RECV_TIMEOUT_S  2  /* one recv; the kernel answers in microseconds */
#define DUMP_DEADLINE_S 10 /* a whole namespace, however many sockets */
#define DUMP_TRIES      3  /* a dump the kernel says was interrupted */
#define DENIED_LISTED   8  /* namespaces named in the one permission warning */

/* A network namespace some process is in. */
struct net_ns {
    uint64_t ino;
    size_t member; /* index in procs of its first process */
};

struct collect {
    struct bound_sockets *out;
    const char *proc_root;
    const struct process_list *procs;
    struct warning_list *warnings;
    struct {
        struct net_ns *items;
        size_t len, cap;
    } ns;
    size_t *ns_of; /* per process: its index in ns, or SIZE_MAX */
    uint64_t self_ns;
    unsigned char *buf; /* DUMP_BUF_SIZE */
    struct {
        size_t *items; /* indexes in ns */
        size_t len, cap;
    } denied;
    bool may_enter; /* cleared by the first EPERM when not root */
};

/* A process we were denied is one warning, however many of its files
 * failed: the walk has usually said so already. */
static void warn_process(struct collect *c, pid_t pid, const char *path, int err)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    if (kind == WARN_VANISHED)
        return; /* it exited: it holds nothing */
    for (size_t i = 0; kind == WARN_PERMISSION && i < c->warnings->len; i++)
        if (c->warnings->items[i].pid == pid && c->warnings->items[i].kind == WARN_PERMISSION)
            return;
    warning_add(c->warnings, kind, pid, path, "%s", read_error_text(err));
}

static int read_ns_link(const char *proc_root, const char *who, uint64_t *ino, char *path,
                        size_t size)
{
    char link[64];
    int n = snprintf(path, size, "%s/%s/ns/net", proc_root, who);
    if (n < 0 || (size_t)n >= size)
        return -ENAMETOOLONG;
    ssize_t len = readlink(path, link, sizeof(link) - 1);
    if (len < 0)
        return -errno;
    link[len] = '\0';
    return net_ns_link_parse(link, ino);
}

static size_t find_ns(const struct collect *c, uint64_t ino)
{
    for (size_t i = 0; i < c->ns.len; i++)
        if (c->ns.items[i].ino == ino)
            return i;
    return SIZE_MAX;
}

/* Which namespace each process is in.  One we cannot tell may hide
 * sockets of its own, so the list is no longer complete. */
static int group_namespaces(struct collect *c)
{
    char path[4096], pid[32];
    for (size_t i = 0; i < c->procs->len; i++) {
        const struct process_info *p = c->procs->items[i];
        uint64_t ino;
        c->ns_of[i] = SIZE_MAX;
        snprintf(pid, sizeof(pid), "%d", (int)p->pid);
        int r = read_ns_link(c->proc_root, pid, &ino, path, sizeof(path));
        /* /proc may hide it where the kernel view did not. */
        if (r < 0 && p->net_ns && warning_kind_for_errno(r) == WARN_PERMISSION) {
            ino = p->net_ns;
            r = 0;
        }
        if (r < 0) {
            if (warning_kind_for_errno(r) != WARN_VANISHED)
                c->out->complete = false;
            warn_process(c, p->pid, path, r);
            continue;
        }
        size_t at = find_ns(c, ino);
        if (at == SIZE_MAX) {
            if (VEC_APPEND(&c->ns, ((struct net_ns){.ino = ino, .member = i})) < 0)
                return -ENOMEM;
            at = c->ns.len - 1;
        }
        c->ns_of[i] = at;
    }
    return 0;
}

static int open_diag_socket(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    return fd < 0 ? -errno : fd;
}

struct enter_job {
    int nsfd;
    int sock; /* out: the socket, or -errno */
};

/* setns() moves only the calling thread, and a socket stays in the
 * namespace it was made in: this thread makes it there and ends, and
 * the rest of the process never leaves its own namespace. */
static void *enter_and_open(void *arg)
{
    struct enter_job *job = arg;
    job->sock = setns(job->nsfd, CLONE_NEWNET) < 0 ? -errno : open_diag_socket();
    return NULL;
}

/* A sock_diag socket in namespace ns, through any of its processes that
 * is still there. */
static int open_in_namespace(struct collect *c, size_t ns, pid_t *via, char *path, size_t size)
{
    int err = -ESRCH;
    for (size_t i = c->ns.items[ns].member; i < c->procs->len; i++) {
        if (c->ns_of[i] != ns)
            continue;
        *via = c->procs->items[i]->pid;
        snprintf(path, size, "%s/%d/ns/net", c->proc_root, (int)*via);
        struct enter_job job = {.nsfd = open(path, O_RDONLY | O_CLOEXEC), .sock = -EAGAIN};
        if (job.nsfd < 0) {
            err = -errno;
        } else {
            pthread_t thread;
            if (pthread_create(&thread, NULL, enter_and_open, &job) == 0)
                pthread_join(thread, NULL);
            close(job.nsfd);
            err = job.sock;
        }
        if (err >= 0 || warning_kind_for_errno(err) != WARN_VANISHED)
            return err;
    }
    return err;
}

static int send_dump_request(int fd)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req req;
    } msg = {
        .nlh = {.nlmsg_len = sizeof(msg),
                .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                .nlmsg_seq = 1},
        .req = {.sdiag_family = AF_UNIX,
                .udiag_states = UINT32_MAX,
                .udiag_show = UDIAG_SHOW_VFS | UDIAG_SHOW_NAME},
    };
    struct timeval tv = {.tv_sec = RECV_TIMEOUT_S};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
        return -errno;
    ssize_t n = sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel));
    return n < 0 ? -errno : 0;
}

static int add_socket(struct collect *c, const struct unix_diag_sock *s, uint64_t ns)
{
    struct bound_socket *b = VEC_PUSH(c->out);
    if (!b)
        return -ENOMEM;
    b->ino = s->ino;
    b->vfs_major = s->vfs_major;
    b->vfs_minor = s->vfs_minor;
    b->vfs_ino = s->vfs_ino;
    b->net_ns = ns;
    if (s->name && !(b->path = strndup(s->name, s->name_len))) {
        c->out->len--;
        return -ENOMEM;
    }
    return 0;
}

/* One recv() of the dump.  Returns UNIX_DIAG_END (more to come),
 * UNIX_DIAG_DONE, or -errno. */
static int read_batch(struct collect *c, int fd, uint64_t ns)
{
    struct iovec iov = {c->buf, DUMP_BUF_SIZE};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;
    do
        n = recvmsg(fd, &mh, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    if (n == 0)
        return -ENODATA;
    if (mh.msg_flags & MSG_TRUNC)
        return -EMSGSIZE;
    struct unix_diag_cursor cur;
    struct unix_diag_sock s;
    int r;
    unix_diag_cursor_init(&cur, c->buf, (size_t)n);
    while ((r = unix_diag_next(&cur, &s)) == UNIX_DIAG_SOCKET)
        if (add_socket(c, &s, ns) < 0)
            return -ENOMEM;
    return r;
}

/* The whole dump, bounded in time as each recv is. */
static int read_dump(struct collect *c, int fd, uint64_t ns)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int r = send_dump_request(fd);
    while (r == 0 || r == UNIX_DIAG_END) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > DUMP_DEADLINE_S)
            return -ETIMEDOUT;
        r = read_batch(c, fd, ns);
    }
    return r == UNIX_DIAG_DONE ? 0 : r;
}

static void drop_from(struct bound_sockets *out, size_t len)
{
    while (out->len > len)
        free(out->items[--out->len].path);
}

static bool is_denial(int err)
{
    return err == -EPERM || err == -EACCES;
}

/* Reads namespace i: ours through a socket of our own, any other from a
 * thread that enters it.  Returns 0, -ENOMEM, or -errno after saying so. */
static int dump_namespace(struct collect *c, size_t i)
{
    struct net_ns *ns = &c->ns.items[i];
    char path[4096] = "";
    pid_t via = c->procs->items[ns->member]->pid;
    size_t before = c->out->len;
    int r = -EAGAIN;
    for (int tries = 0; r == -EAGAIN && tries < DUMP_TRIES; tries++) {
        drop_from(c->out, before);
        int fd = ns->ino == c->self_ns ? open_diag_socket()
                                       : open_in_namespace(c, i, &via, path, sizeof(path));
        if (fd < 0) {
            r = fd;
            break;
        }
        r = read_dump(c, fd, ns->ino);
        close(fd);
    }
    if (r == 0 || r == -ENOMEM)
        return r;
    drop_from(c->out, before);
    if (warning_kind_for_errno(r) == WARN_VANISHED)
        return r; /* its last process exited: nothing there holds a file */
    c->out->complete = false;
    if (is_denial(r))
        return VEC_APPEND(&c->denied, i) < 0 ? -ENOMEM : r;
    warning_add(c->warnings, WARN_IO, via, path[0] ? path : NULL,
                "bound unix sockets of network namespace net:[%llu] not read: %s",
                (unsigned long long)ns->ino, strerror(-r));
    return r;
}

/* One warning for every namespace we may not enter, about a process in
 * the first: sockets there are unseen, so --mount cannot call the mount
 * free, but a warning per namespace would bury the rest. */
static void warn_denied(struct collect *c)
{
    if (!c->denied.len)
        return;
    char list[DENIED_LISTED * 24 + 16] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->denied.len && i < DENIED_LISTED; i++) {
        int n = snprintf(list + used, sizeof(list) - used, "%snet:[%llu]", i ? ", " : "",
                         (unsigned long long)c->ns.items[c->denied.items[i]].ino);
        if (n < 0 || (size_t)n >= sizeof(list) - used)
            break;
        used += (size_t)n;
    }
    const struct net_ns *first = &c->ns.items[c->denied.items[0]];
    warning_add(c->warnings, WARN_PERMISSION, c->procs->items[first->member]->pid, NULL,
                "bound unix sockets not read in %zu network namespace%s (%s%s): entering one "
                "needs CAP_SYS_ADMIN over it",
                c->denied.len, c->denied.len == 1 ? "" : "s", list,
                c->denied.len > DENIED_LISTED ? ", ..." : "");
}

/* Ours first: when we may not enter the others, it is all we read. */
static int read_namespaces(struct collect *c)
{
    c->may_enter = true;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < c->ns.len; i++) {
            bool ours = c->ns.items[i].ino == c->self_ns;
            if (ours != (pass == 0))
                continue;
            if (!ours && !c->may_enter) {
                c->out->complete = false;
                if (VEC_APPEND(&c->denied, i) < 0)
                    return -ENOMEM;
                continue;
            }
            int r = dump_namespace(c, i);
            if (r == -ENOMEM)
                return r;
            /* Root may be refused one namespace (an LSM) and not the next;
             * anyone else is refused them all. */
            if (is_denial(r) && geteuid() != 0)
                c->may_enter = false;
        }
    warn_denied(c);
    return 0;
}

int bound_sockets_collect(struct bound_sockets *out, const char *proc_root,
                          const struct process_list *procs, struct warning_list *warnings)
{
    struct collect c = {
        .out = out,
        .proc_root = proc_root,
        .procs = procs,
        .warnings = warnings,
        .ns_of = calloc(procs->len ? procs->len : 1, sizeof(size_t)),
        .buf = malloc(DUMP_BUF_SIZE),
    };
    char path[4096];
    out->complete = true;
    int r = c.ns_of && c.buf ? 0 : -ENOMEM;
    if (r == 0 && read_ns_link(proc_root, "self", &c.self_ns, path, sizeof(path)) < 0)
        c.self_ns = 0; /* then ours is entered like any other */
    if (r == 0)
        r = group_namespaces(&c);
    if (r == 0)
        r = read_namespaces(&c);
    free(c.ns.items);
    free(c.denied.items);
    free(c.ns_of);
    free(c.buf);
    return r;
}

void bound_sockets_free(struct bound_sockets *list)
{
    for (size_t i = 0; i < list->len; i++)
        free(list->items[i].path);
    free(list->items);
    memset(list, 0, sizeof(*list));
}
