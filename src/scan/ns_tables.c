#include "scan/ns_tables.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/procfs_io.h"
#include "parse/proc_names.h"
#include "scan/ns_walk.h"
#include "util/vec.h"

static bool ns_of_a_process(const struct process_list *procs, uint64_t ns)
{
    for (size_t i = 0; i < procs->len; i++)
        if (procs->items[i]->has_mnt_ns && procs->items[i]->mnt_ns == ns)
            return true;
    return false;
}

static bool listed(const struct orphan_ns_list *out, uint64_t ns)
{
    for (size_t i = 0; i < out->len; i++)
        if (out->items[i].ns == ns)
            return true;
    return false;
}

static int add_candidate(struct orphan_ns_list *out, uint64_t self_ns,
                         const struct process_list *procs, struct orphan_ns cand)
{
    if (cand.ns == self_ns || listed(out, cand.ns) || ns_of_a_process(procs, cand.ns))
        return 0;
    return VEC_APPEND(out, cand);
}

struct enter_job {
    int ns_fd;
    uint64_t ns;
    struct mount_ns *table;
    int err;
};

/* In a thread of its own: leave the shared fs context, enter the
 * namespace, read the thread's mountinfo through a /proc fd opened
 * before (the namespace may have no /proc of its own). */
static void *enter_and_read(void *arg)
{
    struct enter_job *job = arg;
    int self = open("/proc/thread-self", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct read_buf buf = {0};
    job->err = self < 0 ? -errno : 0;
    if (!job->err && (unshare(CLONE_FS) < 0 || setns(job->ns_fd, CLONE_NEWNS) < 0))
        job->err = -errno;
    if (!job->err)
        job->err = read_file_at(self, "mountinfo", &buf, READ_CAP_MOUNTINFO);
    if (!job->err) {
        job->table = mount_ns_parse_text(buf.data, buf.len, &job->err);
        if (job->table)
            job->table->ns_inode = job->ns;
    }
    read_buf_free(&buf);
    if (self >= 0)
        close(self);
    return NULL;
}

static int load_table(struct orphan_ns *o, struct mount_cache *cache, const char *proc_root,
                      struct warning_list *warnings)
{
    char path[4096];
    if (o->nsfs_mount)
        snprintf(path, sizeof(path), "%s", o->nsfs_mount);
    else
        snprintf(path, sizeof(path), "%s/%d/fd/%d", proc_root, (int)o->proc->pid, o->fd);
    struct enter_job job = {.ns_fd = open(path, O_RDONLY | O_CLOEXEC), .ns = o->ns};
    pthread_t thread;
    if (job.ns_fd < 0)
        job.err = -errno;
    else if (pthread_create(&thread, NULL, enter_and_read, &job) != 0)
        job.err = -EAGAIN;
    else
        pthread_join(thread, NULL);
    if (job.ns_fd >= 0)
        close(job.ns_fd);
    if (job.table && VEC_APPEND(cache, job.table) < 0) {
        mount_ns_free(job.table);
        return -ENOMEM;
    }
    o->loaded = job.table != NULL;
    if (!o->loaded)
        warning_add(warnings, WARN_PERMISSION, o->proc ? o->proc->pid : 0, path,
                    "mount namespace mnt:[%llu] (no process is in it) could not be read: %s",
                    (unsigned long long)o->ns, strerror(-job.err));
    return 0;
}

/* Whether opening e's mount point walks through a mount whose server may
 * not answer (FUSE, NFS, ...): its parent chain holds one. */
static bool behind_a_server(const struct mount_ns *ns, const struct mount_entry *e)
{
    for (size_t steps = 0; e && steps <= ns->len; steps++) {
        const struct mount_entry *parent = mount_ns_find_id(ns, e->parent_id);
        if (!parent || parent == e)
            return false;
        if (fstype_server(parent->fstype) != FS_LOCAL)
            return true;
        e = parent;
    }
    return false;
}

struct ns_ids {
    uint64_t *items;
    size_t len, cap;
};

static bool in_ids(const struct ns_ids *ids, uint64_t ns)
{
    for (size_t i = 0; i < ids->len; i++)
        if (ids->items[i] == ns)
            return true;
    return false;
}

/* Namespaces held by nsfs mounts of our table.  One below a mount whose
 * server may not answer is not entered: said so, and put in skipped so
 * that nothing else reads it either. */
static int find_nsfs_mounts(struct orphan_ns_list *out, struct ns_ids *skipped,
                            const struct mount_ns *self_mounts, uint64_t self_ns,
                            const struct process_list *procs, struct warning_list *warnings)
{
    uint64_t ns;
    int r = 0;
    for (size_t i = 0; r == 0 && self_mounts && i < self_mounts->len; i++) {
        const struct mount_entry *e = &self_mounts->entries[i];
        if (!e->fstype || strcmp(e->fstype, "nsfs") != 0 || !e->root ||
            mnt_ns_link_parse(e->root, &ns) != 0)
            continue;
        if (ns == self_ns || ns_of_a_process(procs, ns))
            continue; /* read through its processes */
        if (behind_a_server(self_mounts, e)) {
            warning_add(warnings, WARN_IO, 0, e->target,
                        "mount namespace mnt:[%llu] not entered: its nsfs mount is below a "
                        "mount whose server may not answer",
                        (unsigned long long)ns);
            r = VEC_APPEND(skipped, ns);
        } else {
            r = add_candidate(out, self_ns, procs,
                              (struct orphan_ns){.ns = ns, .nsfs_mount = e->target, .fd = -1});
        }
    }
    return r;
}

/* A row of ours whose file is namespace ns and that the fd search did not
 * take: an io_uring fixed file, a thread's own fd, ... */
static const struct file_record *row_naming(const struct record_list *records, uint64_t ns)
{
    uint64_t n;
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        if (rec->proc && rec->path && mnt_ns_link_parse(rec->path, &n) == 0 && n == ns)
            return rec;
    }
    return NULL;
}

static void warn_walk(struct warning_list *warnings, int err, const char *proc_root)
{
    if (err == -EPERM)
        warning_add(warnings, WARN_PERMISSION, 0, NULL,
                    "mount namespaces no process is in were not all looked for: the kernel "
                    "walks them (NS_MNT_GET_NEXT) only for CAP_SYS_ADMIN in the initial user "
                    "and PID namespaces");
    else if (err < 0)
        warning_add(warnings, WARN_IO, 0, NULL,
                    "mount namespaces no process is in were not all looked for: walking them "
                    "(NS_MNT_GET_NEXT) failed: %s",
                    strerror(-err));
    else if (!mnt_ns_walk_sees_all(proc_root))
        warning_add(warnings, WARN_PERMISSION, 0, NULL,
                    "mount namespaces no process is in were not all looked for: the walk "
                    "(NS_MNT_GET_NEXT) skips those we lack CAP_SYS_ADMIN over");
}

/* Every namespace the kernel's walk visits that no process is in and that
 * was not found otherwise.  A kernel without the walk (before 6.12) leaves
 * the search above as it was. */
static int find_walked(struct orphan_ns_list *out, const struct ns_ids *skipped, uint64_t self_ns,
                       const struct process_list *procs, const struct record_list *records,
                       const char *proc_root, struct warning_list *warnings)
{
    struct mnt_ns_seen_list seen = {0};
    int err = mnt_ns_walk(proc_root, &seen);
    int r = err == -ENOMEM ? err : 0;
    if (err != -ENOTTY && err != -EINVAL && err != -ENOSYS && err != -ENOMEM)
        warn_walk(warnings, err, proc_root);
    for (size_t i = 0; r == 0 && i < seen.len; i++) {
        uint64_t ns = seen.items[i].inode;
        if (in_ids(skipped, ns) || listed(out, ns))
            continue;
        r = add_candidate(out, self_ns, procs,
                          (struct orphan_ns){.ns = ns,
                                             .fd = -1,
                                             .walked = true,
                                             .id = seen.items[i].id,
                                             .named_by = row_naming(records, ns)});
    }
    free(seen.items);
    return r;
}

static int load_walked_table(struct orphan_ns *o, struct mount_cache *cache,
                             struct warning_list *warnings)
{
    int err;
    struct mount_ns *table = mnt_ns_read_table(o->id, o->ns, &err);
    if (table && VEC_APPEND(cache, table) < 0) {
        mount_ns_free(table);
        return -ENOMEM;
    }
    o->loaded = table != NULL;
    if (!table && err != -ENOENT) /* ENOENT: gone since the walk, holds nothing */
        warning_add(warnings, WARN_IO, 0, NULL,
                    "mount namespace mnt:[%llu] (no process is in it) could not be read with "
                    "listmount and statmount: %s",
                    (unsigned long long)o->ns, strerror(-err));
    return err == -ENOMEM ? err : 0;
}

int orphan_ns_collect(struct orphan_ns_list *out, struct mount_cache *cache,
                      const struct mount_ns *self_mounts, uint64_t self_ns,
                      const struct process_list *procs, const struct record_list *records,
                      const char *proc_root, struct warning_list *warnings)
{
    struct ns_ids skipped = {0};
    uint64_t ns;
    int r = find_nsfs_mounts(out, &skipped, self_mounts, self_ns, procs, warnings);
    for (size_t i = 0; r == 0 && i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        if (rec->source == SOURCE_FD && rec->proc && !rec->has_tid && rec->path &&
            mnt_ns_link_parse(rec->path, &ns) == 0)
            r = add_candidate(out, self_ns, procs,
                              (struct orphan_ns){.ns = ns, .proc = rec->proc, .fd = rec->fd});
    }
    if (r == 0)
        r = find_walked(out, &skipped, self_ns, procs, records, proc_root, warnings);
    free(skipped.items);
    for (size_t i = 0; r == 0 && i < out->len; i++) {
        struct orphan_ns *o = &out->items[i];
        if (mount_cache_find(cache, o->ns))
            o->loaded = true;
        else if (o->walked)
            r = load_walked_table(o, cache, warnings);
        else
            r = load_table(o, cache, proc_root, warnings);
    }
    return r;
}
