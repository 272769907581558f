#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep_merge.h"
#include "deep_scan.h"
#include "file_identity.h"
#include "maps_parse.h"
#include "fuse_backing.h"
#include "uring_files.h"

static uint64_t parse_ns_link(const char *link)
{
    unsigned long long ino;
    char tail;
    if (sscanf(link, "mnt:[%llu%c", &ino, &tail) == 2 && tail == ']')
        return ino;
    return 0;
}

static void read_kernel_release(struct scan *scan)
{
    char line[128];
    if (read_line_at(scan->proc_fd, "sys/kernel/osrelease", line, sizeof(line)) < 0)
        return;
    scan->kernel.known = sscanf(line, "%u.%u.%u", &scan->kernel.major, &scan->kernel.minor,
                                &scan->kernel.patch) >= 2;
}

int scan_init(struct scan *scan, const struct scan_options *opts)
{
    memset(scan, 0, sizeof(*scan));
    scan->opts = *opts;
    scan->proc_fd = open(opts->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (scan->proc_fd < 0)
        return -errno;
    read_kernel_release(scan);
    if (opts->live && read_link_at(scan->proc_fd, "self/ns/mnt", &scan->link_buf) == 0)
        scan->self_mnt_ns = parse_ns_link(scan->link_buf.data);
    return 0;
}

static void scan_free_owned(struct scan *scan)
{
    record_list_free(&scan->records);
    warning_list_free(&scan->warnings);
    mount_cache_free(&scan->mounts);
    process_set_free(&scan->processes);
    read_buf_free(&scan->link_buf);
    read_buf_free(&scan->file_buf);
    free(scan->fuse_servers.items);
    free(scan->fuse_unlisted);
    arena_free(&scan->arena);
}

void scan_free(struct scan *scan)
{
    if (scan->proc_fd >= 0)
        close(scan->proc_fd);
    for (size_t i = 0; i < scan->nworkers; i++)
        scan_free_owned(&scan->workers[i]);
    free(scan->workers);
    scan_free_owned(scan);
    if (scan->deep) {
        deep_scan_free(scan->deep);
        free(scan->deep);
    }
}

int fuse_server_list_add(struct fuse_server_list *list, const struct fuse_server_fd *server)
{
    if (list->len == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        struct fuse_server_fd *items = realloc(list->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->len++] = *server;
    return 0;
}

struct file_record *proc_scan_emit(struct proc_scan *ps, enum file_source source)
{
    return record_list_add(&ps->scan->records, ps->proc, source);
}

char *proc_scan_path(struct proc_scan *ps, const char *what)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s/%d/%s", ps->scan->opts.proc_root, (int)ps->proc->pid, what);
    return arena_strdup(&ps->scan->arena, buf);
}

int proc_scan_report(struct proc_scan *ps, int err, const char *what)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    bool per_process = kind == WARN_PERMISSION || kind == WARN_VANISHED;
    if (per_process && ps->reported)
        return err;
    ps->reported |= per_process;
    const char *reason = kind == WARN_VANISHED ? "process exited during the scan" : strerror(-err);
    warning_add(&ps->scan->warnings, kind, ps->proc->pid, proc_scan_path(ps, what), "%s", reason);
    return err;
}

static void proc_scan_load_mounts(struct proc_scan *ps)
{
    struct scan *scan = ps->scan;
    ps->mounts_loaded = true;
    if (read_link_at(ps->dirfd, "ns/mnt", &scan->link_buf) == 0) {
        ps->mnt_ns = parse_ns_link(scan->link_buf.data);
        ps->ns_known = ps->mnt_ns != 0;
    }
    int err = 0;
    ps->mounts = mount_cache_get(&scan->mounts, ps->mnt_ns, proc_scan_path(ps, "mountinfo"), &err);
}

struct mount_ns *scan_self_mounts(struct scan *scan)
{
    char mountinfo[4096];
    int err = 0;
    snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo", scan->opts.proc_root);
    return mount_cache_get(&scan->mounts, scan->self_mnt_ns, mountinfo, &err);
}

struct mount_ns *proc_scan_mounts(struct proc_scan *ps)
{
    if (!ps->mounts_loaded)
        proc_scan_load_mounts(ps);
    return ps->mounts;
}

bool proc_scan_same_mnt_ns(struct proc_scan *ps)
{
    if (!ps->mounts_loaded)
        proc_scan_load_mounts(ps);
    return ps->ns_known && ps->mnt_ns == ps->scan->self_mnt_ns;
}

/* Mount ids are system-wide, so an id missing from the process's own
 * table (a file reached through our namespace) is looked up in the
 * others already loaded. */
void proc_scan_set_mountpoint(struct proc_scan *ps, struct file_record *rec)
{
    if (!ps->scan->opts.want_mountpoint)
        return;
    if (!ps->mounts_loaded)
        proc_scan_load_mounts(ps);
    const struct mount_entry *entry = NULL;
    if (rec->has_mount_id) {
        entry = mount_ns_find_id(ps->mounts, rec->mount_id);
        for (size_t i = 0; !entry && i < ps->scan->mounts.len; i++)
            entry = mount_ns_find_id(ps->scan->mounts.items[i], rec->mount_id);
    } else if (rec->has_dev) {
        entry = mount_ns_find_dev(ps->mounts, rec->dev_major, rec->dev_minor);
        if (entry) {
            rec->has_mount_id = true;
            rec->mount_id = entry->id;
        }
    }
    if (entry)
        rec->mountpoint = entry->target;
}

/* Fills path, type, deleted and identity of a row whose name came from a
 * /proc link (fd, cwd, root, exe). */
static void fill_from_link(struct proc_scan *ps, struct file_record *rec, int dirfd,
                           const char *entry, const struct read_buf *link)
{
    struct scan *scan = ps->scan;
    char *path = arena_strndup(&scan->arena, link->data, link->len);
    size_t len = link->len;
    if (!path)
        return;
    rec->path = path;

    bool has_inode;
    uint64_t inode;
    struct pseudo_fs_identity *pseudo_fs = NULL;
    if (pseudo_file_classify(path, &rec->type, &has_inode, &inode)) {
        rec->deleted = TRI_FALSE;
        rec->has_inode = has_inode;
        rec->inode = inode;
        pseudo_fs = rec->type == FTYPE_SOCK   ? &scan->sockfs
                    : rec->type == FTYPE_FIFO ? &scan->pipefs
                                              : NULL;
    }
    if (pseudo_fs && pseudo_fs->known) {
        rec->has_dev = true;
        rec->dev_major = pseudo_fs->dev_major;
        rec->dev_minor = pseudo_fs->dev_minor;
        rec->has_mount_id = pseudo_fs->has_mount_id;
        rec->mount_id = pseudo_fs->mount_id;
        return;
    }
    struct file_identity id;
    if (scan->opts.live && scan->opts.want_identity && file_identity_at(dirfd, entry, &id) == 0) {
        if (pseudo_fs)
            *pseudo_fs = (struct pseudo_fs_identity){true, id.has_mount_id, id.dev_major,
                                                     id.dev_minor, id.mount_id};
        record_set_identity(rec, &id);
        if (rec->type != FTYPE_SOCK && rec->type != FTYPE_FIFO && rec->type != FTYPE_ANON)
            rec->deleted = id.nlink == 0 && strip_deleted_suffix(path, &len) ? TRI_TRUE : TRI_FALSE;
        proc_scan_set_mountpoint(ps, rec);
    } else if (rec->deleted == TRI_UNKNOWN) {
        /* Without stat the kernel's marker is the only evidence. */
        rec->deleted = strip_deleted_suffix(path, &len) ? TRI_TRUE : TRI_FALSE;
    }
}

static void scan_link_source(struct proc_scan *ps, const char *entry, enum file_source source)
{
    struct scan *scan = ps->scan;
    int r = read_link_at(ps->dirfd, entry, &scan->link_buf);
    if (r == -ENOENT && source == SOURCE_EXE)
        return; /* kernel threads have no executable */
    if (r < 0) {
        proc_scan_report(ps, r, entry);
        return;
    }
    struct file_record *rec = proc_scan_emit(ps, source);
    if (rec)
        fill_from_link(ps, rec, ps->dirfd, entry, &scan->link_buf);
}

static bool parse_fd_name(const char *name, int *fd)
{
    char *end;
    errno = 0;
    long v = strtol(name, &end, 10);
    if (name[0] < '0' || name[0] > '9' || *end || errno || v > 0x7fffffff)
        return false;
    *fd = (int)v;
    return true;
}

static void scan_fds(struct proc_scan *ps)
{
    struct scan *scan = ps->scan;
    int fd_dirfd = openat(ps->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_dirfd < 0) {
        proc_scan_report(ps, -errno, "fd");
        ps->ring_inodes_unknown = true;
        return;
    }
    DIR *dir = fdopendir(fd_dirfd);
    if (!dir) {
        proc_scan_report(ps, -errno, "fd");
        close(fd_dirfd);
        ps->ring_inodes_unknown = true;
        return;
    }
    struct dirent *de;
    int fd;
    while ((de = readdir(dir))) {
        if (!parse_fd_name(de->d_name, &fd))
            continue;
        int r = read_link_at(fd_dirfd, de->d_name, &scan->link_buf);
        if (r == -ENOENT)
            continue; /* closed while we looked */
        if (r < 0) {
            proc_scan_report(ps, r, "fd");
            ps->ring_inodes_unknown = true;
            break;
        }
        bool is_ring = strcmp(scan->link_buf.data, "anon_inode:[io_uring]") == 0;
        bool is_fuse = strcmp(scan->link_buf.data, "/dev/fuse") == 0;
        struct file_record *rec = NULL;
        if (scan->opts.all && (rec = proc_scan_emit(ps, SOURCE_FD))) {
            rec->has_fd = true;
            rec->fd = fd;
            fill_from_link(ps, rec, fd_dirfd, de->d_name, &scan->link_buf);
        }
        /* rec may move when later rows grow the list; pass its index. */
        ssize_t row = rec ? (ssize_t)(rec - scan->records.items) : -1;
        if (is_ring)
            uring_scan_ring_fd(ps, fd_dirfd, fd, row);
        else if (is_fuse)
            fuse_scan_dev_fd(ps, fd, row);
    }
    closedir(dir);
}

/* Distinct mapped files of one process, so each is listed once like lsof
 * and lsfd do, however many mappings it has. */
struct mapped_file {
    unsigned dev_major, dev_minor;
    uint64_t inode;
};

struct mapped_set {
    struct mapped_file *items;
    size_t len, cap;
};

static bool mapped_set_insert(struct mapped_set *set, unsigned maj, unsigned min, uint64_t ino)
{
    for (size_t i = 0; i < set->len; i++)
        if (set->items[i].inode == ino && set->items[i].dev_major == maj &&
            set->items[i].dev_minor == min)
            return false;
    if (set->len == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct mapped_file *items = realloc(set->items, cap * sizeof(*items));
        if (!items)
            return false;
        set->items = items;
        set->cap = cap;
    }
    set->items[set->len++] = (struct mapped_file){maj, min, ino};
    return true;
}

/* Identity of a mapping through map_files/ (needs CAP_SYS_ADMIN), else
 * through its path when that still names the same dev and inode. */
static bool mapping_identity(struct proc_scan *ps, const struct map_entry *m, const char *path,
                             struct file_identity *id)
{
    char entry[64];
    snprintf(entry, sizeof(entry), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
    if (file_identity_at(ps->dirfd, entry, id) == 0)
        return true;
    if (!proc_scan_same_mnt_ns(ps) || file_identity_at(AT_FDCWD, path, id) < 0)
        return false;
    return id->inode == m->inode && id->dev_major == m->dev_major && id->dev_minor == m->dev_minor;
}

static void emit_mapping(struct proc_scan *ps, const struct map_entry *m)
{
    struct scan *scan = ps->scan;
    char *path = arena_alloc(&scan->arena, m->path_len + 1);
    struct file_record *rec = proc_scan_emit(ps, SOURCE_MMAP);
    if (!path || !rec)
        return;
    size_t len = maps_decode_path(m->path, m->path_len, path);
    bool marked = strip_deleted_suffix(path, &len);
    rec->path = path;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = m->dev_major;
    rec->dev_minor = m->dev_minor;
    rec->inode = m->inode;
    rec->deleted = marked ? TRI_TRUE : TRI_FALSE;

    struct file_identity id;
    if (scan->opts.live && scan->opts.want_identity && mapping_identity(ps, m, path, &id)) {
        rec->type = id.type;
        rec->has_mount_id = id.has_mount_id;
        rec->mount_id = id.mount_id;
        rec->deleted = id.nlink == 0 ? TRI_TRUE : TRI_FALSE;
    }
    proc_scan_set_mountpoint(ps, rec);
}

static void scan_maps(struct proc_scan *ps, const struct file_record *exe)
{
    struct scan *scan = ps->scan;
    int r = read_file_at(ps->dirfd, "maps", &scan->file_buf);
    if (r < 0) {
        proc_scan_report(ps, r, "maps");
        return;
    }
    struct mapped_set seen = {0};
    struct uring_mapped_rings rings = {0};
    if (exe && exe->has_dev && exe->has_inode)
        mapped_set_insert(&seen, exe->dev_major, exe->dev_minor, exe->inode);
    /* Without stat() the exe row has no identity: its path has to do. */
    const char *exe_path = exe && !exe->has_inode ? exe->path : NULL;

    /* file_buf must not be reused until the walk ends: emit_mapping only
     * uses link_buf and the arena. */
    const char *cursor = scan->file_buf.data, *end = cursor + scan->file_buf.len;
    struct map_entry m;
    unsigned lineno = 0;
    while ((r = maps_next(&cursor, end, &m)) > 0) {
        lineno++;
        if (map_entry_is_uring(&m)) {
            uring_mapped_rings_add(&rings, &m);
            continue;
        }
        if (!scan->opts.all || m.inode == 0 || m.path_len == 0 || m.path[0] == '[')
            continue;
        if (scan->opts.only_dev &&
            (m.dev_major != scan->opts.only_dev_major || m.dev_minor != scan->opts.only_dev_minor))
            continue;
        if (exe_path && m.path_len == strlen(exe_path) && !memcmp(m.path, exe_path, m.path_len))
            continue;
        if (mapped_set_insert(&seen, m.dev_major, m.dev_minor, m.inode))
            emit_mapping(ps, &m);
    }
    if (r < 0)
        warning_add(&scan->warnings, WARN_MALFORMED, ps->proc->pid, proc_scan_path(ps, "maps"),
                    "malformed maps line %u", lineno + 1);
    uring_emit_fdless_rings(ps, &rings);
    free(rings.items);
    free(seen.items);
}

static void scan_process(struct scan *scan, const struct process_info *proc)
{
    struct proc_scan ps = {.scan = scan, .proc = proc};
    char name[16];
    snprintf(name, sizeof(name), "%d", (int)proc->pid);
    ps.dirfd = openat(scan->proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ps.dirfd < 0) {
        proc_scan_report(&ps, -errno, "");
        return;
    }
    size_t exe_index = SIZE_MAX;
    if (scan->opts.all) {
        scan_link_source(&ps, "cwd", SOURCE_CWD);
        scan_link_source(&ps, "root", SOURCE_ROOT);
        size_t before = scan->records.len;
        scan_link_source(&ps, "exe", SOURCE_EXE);
        if (scan->records.len > before)
            exe_index = before;
    }
    scan_fds(&ps);
    scan_maps(&ps, exe_index == SIZE_MAX ? NULL : &scan->records.items[exe_index]);
    free(ps.ring_inodes);
    close(ps.dirfd);
}

struct worker_task {
    struct scan *worker;
    const struct process_set *processes;
    atomic_size_t *next;
};

static void *worker_main(void *arg)
{
    struct worker_task *task = arg;
    for (;;) {
        size_t i = atomic_fetch_add(task->next, 1);
        if (i >= task->processes->len)
            return NULL;
        scan_process(task->worker, task->processes->items[i]);
    }
}

/* Moves a worker's records and warnings into the scan.  The strings they
 * point to stay in the worker's arena and mount tables until scan_free. */
static int scan_merge(struct scan *scan, struct scan *worker)
{
    int r = record_list_append(&scan->records, &worker->records);
    if (r < 0)
        return r;
    record_list_free(&worker->records);
    for (size_t i = 0; i < worker->fuse_servers.len; i++) {
        r = fuse_server_list_add(&scan->fuse_servers, &worker->fuse_servers.items[i]);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < worker->warnings.len; i++) {
        const struct warning *w = &worker->warnings.items[i];
        warning_add(&scan->warnings, w->kind, w->pid, w->path, "%s", w->reason);
    }
    warning_list_free(&worker->warnings);
    return 0;
}

/* Scanning is mostly waiting on procfs syscalls, one process at a time,
 * so processes are handed out to a thread per CPU. */
static size_t worker_count(size_t nprocesses)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 0 ? (size_t)cpus : 1;
    if (n > 8)
        n = 8;
    if (n > nprocesses / 32 + 1)
        n = nprocesses / 32 + 1;
    return n;
}

static int scan_in_workers(struct scan *scan, size_t n)
{
    scan->workers = calloc(n, sizeof(*scan->workers));
    struct worker_task *tasks = calloc(n, sizeof(*tasks));
    pthread_t *threads = calloc(n, sizeof(*threads));
    if (!scan->workers || !tasks || !threads) {
        free(tasks);
        free(threads);
        return -ENOMEM;
    }
    atomic_size_t next = 0;
    size_t started = 0;
    scan->nworkers = n;
    for (size_t i = 0; i < n; i++) {
        struct scan *w = &scan->workers[i];
        w->opts = scan->opts;
        w->proc_fd = scan->proc_fd;
        w->kernel = scan->kernel;
        w->self_mnt_ns = scan->self_mnt_ns;
        tasks[i] = (struct worker_task){w, &scan->processes, &next};
        if (i > 0 && pthread_create(&threads[i], NULL, worker_main, &tasks[i]) != 0)
            break; /* fewer threads still finish the work */
        started = i + 1;
    }
    worker_main(&tasks[0]); /* this thread is worker 0 */
    for (size_t i = 1; i < started; i++)
        pthread_join(threads[i], NULL);
    int r = 0;
    for (size_t i = 0; i < started && r == 0; i++)
        r = scan_merge(scan, &scan->workers[i]);
    free(tasks);
    free(threads);
    return r;
}

static int cmp_fuse_server(const void *a, const void *b)
{
    const struct fuse_server_fd *x = a, *y = b;
    if (x->proc->pid != y->proc->pid)
        return x->proc->pid < y->proc->pid ? -1 : 1;
    return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Loading and verifying the BPF programs takes longer than a /proc scan of
 * a busy host, so the deep scan runs beside it in a thread of its own. */
struct deep_job {
    struct deep_scan *ds;
    char *fuse_ctl_dir;
};

static void *deep_thread(void *arg)
{
    struct deep_job *job = arg;
    deep_scan_run(job->ds, job->fuse_ctl_dir);
    return NULL;
}

static bool deep_start(struct scan *scan, struct deep_job *job, pthread_t *thread)
{
    scan->deep = calloc(1, sizeof(*scan->deep));
    if (!scan->deep) {
        warning_add(&scan->warnings, WARN_DEEP, 0, NULL, "--deep unavailable: out of memory");
        return false;
    }
    job->ds = scan->deep;
    job->fuse_ctl_dir = fuse_ctl_dir_for_deep(scan);
    if (pthread_create(thread, NULL, deep_thread, job) == 0)
        return true;
    deep_thread(job);
    return false;
}

/* The one line that says why --deep could not do (all of) its work. */
static void deep_finish(struct scan *scan)
{
    struct deep_scan *ds = scan->deep;
    if (ds->unavailable[0]) {
        warning_add(&scan->warnings, WARN_DEEP, 0, NULL,
                    "--deep unavailable: %s; listing what /proc shows", ds->unavailable);
        deep_scan_free(ds);
        free(ds);
        scan->deep = NULL;
        return;
    }
    if (ds->fuse_unavailable[0])
        warning_add(&scan->warnings, WARN_DEEP, 0, NULL,
                    "--deep: FUSE backing files not listed: %s", ds->fuse_unavailable);
    if (ds->fuse_walk_cut)
        warning_add(&scan->warnings, WARN_DEEP, 0, NULL,
                    "--deep: a FUSE connection has more backing ids than one scan can walk; "
                    "some are not listed");
}

static int scan_processes(struct scan *scan)
{
    size_t n = worker_count(scan->processes.len);
    if (n > 1)
        return scan_in_workers(scan, n);
    for (size_t i = 0; i < scan->processes.len; i++)
        scan_process(scan, scan->processes.items[i]);
    return 0;
}

int scan_run(struct scan *scan)
{
    /* The deep scan needs nothing from /proc until the merge: start it first. */
    pthread_t deep;
    struct deep_job job = {NULL, NULL};
    bool deep_threaded = scan->opts.deep && deep_start(scan, &job, &deep);
    int r = process_set_collect(&scan->processes, scan->opts.proc_root, scan->opts.live,
                                scan->opts.pids, scan->opts.npids, &scan->arena, &scan->warnings);
    if (r >= 0)
        r = scan_processes(scan);
    if (deep_threaded)
        pthread_join(deep, NULL);
    free(job.fuse_ctl_dir);
    if (scan->deep)
        deep_finish(scan);
    if (r < 0)
        return r;
    if (scan->deep)
        deep_merge_fuse_servers(scan, scan->deep);
    if (scan->fuse_servers.len > 1)
        qsort(scan->fuse_servers.items, scan->fuse_servers.len, sizeof(scan->fuse_servers.items[0]),
              cmp_fuse_server);
    fuse_emit_backing_files(scan);
    if (scan->deep)
        deep_merge(scan, scan->deep);
    record_list_sort(&scan->records);
    warning_list_sort(&scan->warnings);
    return 0;
}
