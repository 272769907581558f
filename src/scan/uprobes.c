#include "scan/uprobes.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/procfs_io.h"
#include "parse/uprobe_parse.h"
#include "util/vec.h"

/* Where tracefs usually is, and where a hint tells the admin to look. */
#define TRACEFS_PATH "/sys/kernel/tracing"

/* One run of uprobes_collect(): where entries and warnings go, and, when
 * not root, the sources that could not be read, told in one warning. */
struct collect {
    struct uprobe_table *out;
    struct warning_list *warnings;
    bool root;
    char unread[512];
};

/* A source that could not be read: the table is incomplete, and a warning
 * names it (as root, one per source; otherwise one for all, at the end,
 * since then every one of them fails for the same reason). */
static void source_failed(struct collect *c, const char *path, const char *what, int err)
{
    c->out->complete = false;
    if (c->root) {
        warning_add(c->warnings, warning_kind_for_errno(err), 0, path,
                    "uprobes: cannot read %s (%s)", what, read_error_text(err));
        return;
    }
    size_t n = strlen(c->unread);
    snprintf(c->unread + n, sizeof(c->unread) - n, "%s%s (%s)", n ? ", " : "", what,
             read_error_text(err));
}

/* A malloc'd string, or NULL. */
__attribute__((format(printf, 1, 2))) static char *format(const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

/* Appends an entry that takes over path, object and hint (malloc'd; hint
 * may be NULL); frees them when it cannot.  Returns 0 or -ENOMEM. */
static int add_entry(struct collect *c, enum uprobe_origin origin, char *path, char *object,
                     char *hint)
{
    struct uprobe_entry *e = path && object ? VEC_PUSH(c->out) : NULL;
    if (!e) {
        free(path);
        free(object);
        free(hint);
        return -ENOMEM;
    }
    *e = (struct uprobe_entry){.origin = origin,
                               .path = path,
                               .object = object,
                               .hint = hint,
                               .fd = -1,
                               .deleted = TRI_UNKNOWN};
    return 0;
}

/* ---- tracefs: uprobe_events ---- */

static bool shell_plain(const char *s, size_t len)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "/._-";
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(plain, s[i]))
            return false;
    return len > 0;
}

/* "echo '-:GRP/EV' >> TRACEFS/uprobe_events", when every word is plain
 * enough to paste (the kernel allows only such event names anyway). */
static char *tracefs_hint(const struct uprobe_event *ev, const char *tracefs)
{
    if (!shell_plain(ev->group.p, ev->group.len) || !shell_plain(ev->event.p, ev->event.len))
        return NULL;
    if (!shell_plain(tracefs, strlen(tracefs)))
        tracefs = TRACEFS_PATH;
    return format("echo '-:%.*s/%.*s' >> %s/uprobe_events", (int)ev->group.len, ev->group.p,
                  (int)ev->event.len, ev->event.p, tracefs);
}

static int add_tracefs_entries(struct collect *c, const struct read_buf *buf, const char *file,
                               const char *tracefs)
{
    struct text_cursor cur;
    struct uprobe_event ev;
    bool warned = false;
    int r;
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = uprobe_events_next(&cur, &ev)) != 0) {
        if (r < 0) {
            /* A line we cannot read may be a probe on the target. */
            c->out->complete = false;
            if (!warned)
                warning_add(c->warnings, WARN_MALFORMED, 0, file, "line %u: malformed entry",
                            cur.line);
            warned = true;
            continue;
        }
        if (add_entry(c, UPROBE_TRACEFS, strndup(ev.path.p, ev.path.len),
                      strndup(ev.name.p, ev.name.len), tracefs_hint(&ev, tracefs)) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Whether a lookup of path would cross a mount whose server may never
 * answer (a stopped FUSE daemon, an unreachable NFS server). */
static bool behind_remote_mount(const struct mount_ns *ns, const char *path)
{
    for (size_t i = 0; i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (e->fstype && e->target && fstype_server(e->fstype) != FS_LOCAL &&
            mount_point_covers(e->target, path))
            return true;
    }
    return false;
}

static bool is_whole_tracefs(const struct mount_entry *e)
{
    return e && e->fstype && strcmp(e->fstype, "tracefs") == 0 && e->root &&
           strcmp(e->root, "/") == 0 && e->target;
}

/* A mount of all of tracefs in our table that is not covered by another
 * mount, /sys/kernel/tracing first.  DEBUGFS/tracing counts only once
 * tracefs is mounted there: it is an automount, and looking into it
 * would mount tracefs in the host's table. */
static const char *tracefs_mountpoint(const struct mount_ns *ns)
{
    const char *best = NULL;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (!is_whole_tracefs(e) || !is_whole_tracefs(mount_ns_cover(ns, e->target)) ||
            behind_remote_mount(ns, e->target))
            continue;
        if (!best || strcmp(e->target, TRACEFS_PATH) == 0)
            best = e->target;
    }
    return best;
}

static int open_tracefs_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct statfs st;
    if (fstatfs(fd, &st) < 0 || st.f_type != TRACEFS_MAGIC) {
        close(fd);
        return -ENOENT; /* something else took its place since mountinfo was read */
    }
    return fd;
}

struct private_tracefs {
    int fd, err;
};

/* In a thread: a mount namespace of its own (unshare(CLONE_NEWNS) affects
 * only the calling thread), made private so that nothing propagates back
 * to the host's, then tracefs on its usual directory there, as
 * scan/fusectl.c does.  The fd outlives the namespace.
 *
 * Not MS_RDONLY on the mount itself: tracefs has one superblock, and
 * kernels whose tracefs still uses mount_single() (before the new mount
 * API) reconfigure that superblock with the flags of every new mount, so
 * the host's tracing would turn read-only.  The bind remount afterwards
 * makes only this mount read-only.  No options either, so none of the
 * superblock's is reset. */
static void *mount_tracefs_privately(void *arg)
{
    struct private_tracefs *job = arg;
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tracefs", TRACEFS_PATH, "tracefs", flags, NULL) < 0) {
        job->err = -errno;
        return NULL;
    }
    /* Best effort: we only read through it in any case. */
    (void)mount(NULL, TRACEFS_PATH, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL);
    job->fd = open_tracefs_dir(TRACEFS_PATH);
    job->err = job->fd < 0 ? job->fd : 0;
    return NULL;
}

static int open_private_tracefs(void)
{
    struct private_tracefs job = {-1, 0};
    pthread_t thread;
    if (pthread_create(&thread, NULL, mount_tracefs_privately, &job) != 0)
        return -EAGAIN;
    pthread_join(thread, NULL);
    return job.fd >= 0 ? job.fd : job.err;
}

/* The tracefs directory: where it is mounted, else our own private mount
 * of it (root only).  -ENODEV when this kernel has no tracefs at all, so
 * no uprobe_events either. */
static int tracefs_dirfd(struct collect *c, const struct mount_ns *self_mounts, const char **where)
{
    *where = tracefs_mountpoint(self_mounts);
    if (*where)
        return open_tracefs_dir(*where);
    *where = TRACEFS_PATH;
    if (!c->root)
        return -EPERM; /* not mounted, and mounting it needs CAP_SYS_ADMIN */
    int fd = open_private_tracefs();
    /* No directory to mount on, or no such filesystem: no tracing. */
    return fd == -ENOENT ? -ENODEV : fd;
}

static int collect_tracefs(struct collect *c, const struct mount_ns *self_mounts)
{
    const char *where;
    char file[PATH_MAX];
    int dirfd = tracefs_dirfd(c, self_mounts, &where);
    snprintf(file, sizeof(file), "%s/uprobe_events", where);
    if (dirfd == -ENODEV)
        return 0;
    if (dirfd < 0) {
        source_failed(c, file,
                      strcmp(where, TRACEFS_PATH) || c->root ? "tracefs" : "unmounted tracefs",
                      dirfd);
        return 0;
    }
    struct read_buf buf = {0};
    int r = read_file_at(dirfd, "uprobe_events", &buf, READ_CAP_LIST);
    close(dirfd);
    if (r == 0)
        r = add_tracefs_entries(c, &buf, file, where);
    else if (r != -ENOENT) /* ENOENT: a kernel without uprobe events */
        source_failed(c, file, "uprobe_events", r);
    read_buf_free(&buf);
    return r == -ENOMEM ? r : 0;
}

/* ---- bpf(2): links of uprobe kinds, and perf_event fds with a program ---- */

/* struct bpf_link_info as of Linux 6.8, the part read here.  The headers
 * this is built against may predate its uprobe_multi (6.8) and
 * perf_event (6.6) members; the layout is ABI, and a kernel that knows
 * less fills less. */
struct link_info {
    uint32_t type, id, prog_id;
    uint32_t pad;
    union {
        struct {
            uint64_t path, offsets, ref_ctr_offsets, cookies;
            uint32_t path_size, count, flags, pid;
        } uprobe_multi;
        struct {
            uint32_t type, pad;
            struct {
                uint64_t file_name;
                uint32_t name_len, offset;
                uint64_t cookie, ref_ctr_offset;
            } uprobe;
        } perf_event;
        uint64_t size[6];
    };
};
_Static_assert(offsetof(struct link_info, uprobe_multi.path) == 16, "bpf_link_info ABI");
_Static_assert(offsetof(struct link_info, uprobe_multi.path_size) == 48, "bpf_link_info ABI");
_Static_assert(offsetof(struct link_info, perf_event.uprobe.file_name) == 24, "bpf_link_info ABI");

enum {
    LINK_TYPE_PERF_EVENT = 7,    /* BPF_LINK_TYPE_PERF_EVENT */
    LINK_TYPE_UPROBE_MULTI = 12, /* BPF_LINK_TYPE_UPROBE_MULTI */
    PERF_EVENT_UNSPEC = 0,       /* BPF_PERF_EVENT_*: before 6.6, never filled in */
    PERF_EVENT_UPROBE = 1,
    PERF_EVENT_URETPROBE = 2,
    PROG_TYPE_KPROBE = 2, /* BPF_PROG_TYPE_KPROBE: kprobes and uprobes alike */
    ERR_NOTSUPP = 524,    /* the kernel's ENOTSUPP, which has no libc name */
};

static int bpf_call(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr)) < 0 ? -errno : 0;
}

static int obj_info(int fd, void *info, uint32_t *len)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)fd;
    attr.info.info_len = *len;
    attr.info.info = (uint64_t)(uintptr_t)info;
    int r = bpf_call(BPF_OBJ_GET_INFO_BY_FD, &attr);
    *len = attr.info.info_len;
    return r;
}

/* The type of program id (BPF_PROG_TYPE_*), or -errno. */
static int prog_type(uint32_t id)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    int fd = (int)syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
    if (fd < 0)
        return -errno;
    struct bpf_prog_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    int r = obj_info(fd, &info, &len);
    close(fd);
    return r < 0 ? r : (int)info.type;
}

static char *link_hint(uint32_t id)
{
    return format("bpftool link show id %u, then remove its pin or stop its owner", id);
}

/* A d_path that may end in " (deleted)": the entry's deleted says so. */
static int add_link_entry(struct collect *c, uint32_t id, const char *kind, const char *path,
                          bool d_path)
{
    char *copy = strdup(path);
    enum tristate deleted = TRI_UNKNOWN;
    static const char suffix[] = " (deleted)";
    size_t n = copy ? strlen(copy) : 0, slen = sizeof(suffix) - 1;
    if (d_path && copy) {
        deleted = n > slen && strcmp(copy + n - slen, suffix) == 0 ? TRI_TRUE : TRI_FALSE;
        if (deleted == TRI_TRUE)
            copy[n - slen] = '\0';
    }
    if (add_entry(c, UPROBE_BPF_LINK, copy, format("bpf link %u (%s)", id, kind), link_hint(id)) <
        0)
        return -ENOMEM;
    c->out->items[c->out->len - 1].deleted = deleted;
    return 0;
}

/* What one link probes.  Returns 1 when it is a uprobe whose file this
 * kernel does not name, 0 when done, -ENOMEM. */
static int inspect_link(struct collect *c, int fd)
{
    static char path[PATH_MAX + 1];
    struct link_info info;
    uint32_t len = sizeof(info);
    /* First with no buffers: the union's pointers mean something else for
     * every type, so the type has to be known before any is set. */
    memset(&info, 0, sizeof(info));
    if (obj_info(fd, &info, &len) < 0)
        return 0; /* gone since, or not a link */
    uint32_t id = info.id, type = info.type, prog_id = info.prog_id;
    uint32_t perf_type = info.perf_event.type;
    memset(&info, 0, sizeof(info));
    path[0] = '\0';
    if (type == LINK_TYPE_UPROBE_MULTI) {
        info.uprobe_multi.path = (uint64_t)(uintptr_t)path;
        info.uprobe_multi.path_size = sizeof(path);
        if (obj_info(fd, &info, &len) < 0 || !path[0])
            return 1; /* before 6.8: no path */
        return add_link_entry(c, id, "uprobe_multi", path, true);
    }
    if (type != LINK_TYPE_PERF_EVENT)
        return 0;
    if (perf_type == PERF_EVENT_UPROBE || perf_type == PERF_EVENT_URETPROBE) {
        info.perf_event.uprobe.file_name = (uint64_t)(uintptr_t)path;
        info.perf_event.uprobe.name_len = sizeof(path);
        if (obj_info(fd, &info, &len) < 0 || !path[0])
            return 1;
        return add_link_entry(c, id, "perf_event", path, false);
    }
    /* Before 6.6 a perf_event link says nothing of its event; only a
     * kprobe program can be on a uprobe, so tracepoints are ruled out. */
    if (perf_type != PERF_EVENT_UNSPEC)
        return 0;
    int prog = prog_type(prog_id);
    return prog == PROG_TYPE_KPROBE || prog < 0;
}

/* Every BPF link, by id; a link closed meanwhile is skipped.  Ids only
 * grow, so the walk ends. */
static int collect_links(struct collect *c)
{
    union bpf_attr attr;
    uint32_t id = 0;
    unsigned unnamed = 0;
    for (;;) {
        memset(&attr, 0, sizeof(attr));
        attr.start_id = id;
        int r = bpf_call(BPF_LINK_GET_NEXT_ID, &attr);
        if (r == -ENOENT || r == -EINVAL || r == -ENOSYS)
            break; /* the last one; or a kernel without links (5.8) or bpf(2) */
        if (r < 0) {
            source_failed(c, NULL, "BPF links", r);
            break;
        }
        id = attr.next_id;
        memset(&attr, 0, sizeof(attr));
        attr.link_id = id;
        int fd = (int)syscall(SYS_bpf, BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
        if (fd < 0)
            continue;
        r = inspect_link(c, fd);
        close(fd);
        if (r < 0)
            return r;
        unnamed += (unsigned)r;
    }
    if (unnamed) {
        c->out->complete = false;
        warning_add(c->warnings, WARN_IO, 0, NULL,
                    "uprobes: %u BPF link%s may be on a uprobe, but this kernel does not say "
                    "which file (bpftool link show lists them)",
                    unnamed, unnamed == 1 ? "" : "s");
    }
    return 0;
}

/* A perf_event fd of a process, when it is a uprobe.  /proc says nothing
 * of a perf_event fd, and BPF_TASK_FD_QUERY answers only for one with a
 * BPF program attached: a bare uprobe perf event (perf record -e
 * probe_x:y, or perf_event_open on the uprobe PMU) cannot be told from a
 * cycle counter, so it is left out rather than make every mount of a host
 * that runs perf "possibly held".  Returns 1 for a uprobe added, 0 when it
 * is none or cannot be told, -ENOMEM, or another -errno for the source. */
static int inspect_perf_fd(struct collect *c, const struct file_record *rec)
{
    static char path[PATH_MAX + 1];
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.task_fd_query.pid = (uint32_t)rec->proc->pid;
    attr.task_fd_query.fd = (uint32_t)rec->fd;
    attr.task_fd_query.buf = (uint64_t)(uintptr_t)path;
    attr.task_fd_query.buf_len = sizeof(path);
    path[0] = '\0';
    int r = bpf_call(BPF_TASK_FD_QUERY, &attr);
    if (r == -EPERM || r == -EACCES)
        return r;
    if (r < 0 || !path[0]) /* no program, closed, gone, or another kind */
        return 0;
    uint32_t type = attr.task_fd_query.fd_type;
    if (type != BPF_FD_TYPE_UPROBE && type != BPF_FD_TYPE_URETPROBE)
        return 0;
    const char *kind = type == BPF_FD_TYPE_UPROBE ? "uprobe" : "uretprobe";
    int pid = (int)rec->proc->pid;
    if (add_entry(c, UPROBE_PERF_FD, strdup(path), format("perf_event %s", kind),
                  format("close fd %d of process %d (or kill %d)", rec->fd, pid, pid)) < 0)
        return -ENOMEM;
    struct uprobe_entry *e = &c->out->items[c->out->len - 1];
    e->pid = pid;
    e->fd = rec->fd;
    return 1;
}

static int collect_perf_fds(struct collect *c, const struct record_list *records)
{
    for (size_t i = 0; records && i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        if (!rec->proc || !rec->has_fd || !rec->path ||
            strcmp(rec->path, "anon_inode:[perf_event]") != 0)
            continue;
        int r = inspect_perf_fd(c, rec);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            source_failed(c, NULL, "perf_event fds", r);
            break;
        }
    }
    return 0;
}

int uprobes_collect(struct uprobe_table *out, const struct mount_ns *self_mounts,
                    const struct record_list *records, struct warning_list *warnings)
{
    struct collect c = {.out = out, .warnings = warnings, .root = geteuid() == 0};
    out->complete = true;
    int r = collect_tracefs(&c, self_mounts);
    if (r == 0)
        r = collect_links(&c);
    if (r == 0)
        r = collect_perf_fds(&c, records);
    if (c.unread[0])
        warning_add(warnings, WARN_PERMISSION, 0, NULL,
                    "uprobes: not root, so not read: %s; a uprobe on the mount would not be seen",
                    c.unread);
    return r;
}

void uprobes_free(struct uprobe_table *table)
{
    for (size_t i = 0; i < table->len; i++) {
        free(table->items[i].path);
        free(table->items[i].object);
        free(table->items[i].hint);
    }
    free(table->items);
    memset(table, 0, sizeof(*table));
}
