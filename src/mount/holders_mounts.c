/* --mount: submounts, and copies of the filesystem in other mount
 * namespaces (one mount table per namespace, shared with the scan). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mount/holder_common.h"
#include "util/vec.h"

/* ---- submounts --------------------------------------------------------- */

static int cmp_order(const void *a, const void *b)
{
    const struct mount_entry *x = *(const struct mount_entry *const *)a;
    const struct mount_entry *y = *(const struct mount_entry *const *)b;
    return (x->order > y->order) - (x->order < y->order);
}

/* Every mount whose parent chain reaches the target, in our namespace
 * (where the target was resolved), in mountinfo order. */
void holders_find_submounts(struct holder_scan *hs)
{
    const struct mount_ns *ns = hs->res->self_mounts;
    if (!ns)
        return;
    if (ns->bad_lines)
        warning_add(hs->warnings, WARN_MALFORMED, 0,
                    holder_path(hs, hs->proc_root, "self/mountinfo"), "line %u: malformed entry",
                    ns->first_bad_line);
    const struct mount_entry **below = calloc(ns->len + 1, sizeof(*below));
    size_t n = 0;
    if (!below)
        return;
    for (size_t i = 0; i < ns->len; i++)
        if (ns->entries[i].id != hs->target->mount_id &&
            holder_mount_below_target(hs, ns, &ns->entries[i]))
            below[n++] = &ns->entries[i];
    qsort(below, n, sizeof(*below), cmp_order);
    for (size_t i = 0; i < n; i++)
        holder_add_mount(hs, SOURCE_SUBMOUNT, below[i]);
    free(below);
}

/* ---- other mount namespaces -------------------------------------------- */

struct ns_member {
    uint64_t ns;
    size_t index; /* into hs->processes */
};

static int compare_members(const void *a, const void *b)
{
    const struct ns_member *x = a, *y = b;
    if (x->ns != y->ns)
        return x->ns < y->ns ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The mount namespace of every process the scan could ask (it read each
 * one's ns/mnt), sorted so the members of one namespace are adjacent, in
 * process order. */
static struct ns_member *collect_members(struct holder_scan *hs, size_t *count)
{
    const struct process_list *ps = hs->processes;
    struct ns_member *members = calloc(ps->len ? ps->len : 1, sizeof(*members));
    *count = 0;
    if (!members)
        return NULL;
    for (size_t i = 0; i < ps->len; i++) {
        const struct process_info *proc = ps->items[i];
        int err = proc->mnt_ns_error;
        if (proc->has_mnt_ns)
            members[(*count)++] = (struct ns_member){proc->mnt_ns, i};
        else if (err < 0 && err != -ENOENT && err != -ESRCH && err != -EINVAL)
            holder_report_process_error(
                hs, err, proc->pid, holder_path(hs, hs->proc_root, "%d/ns/mnt", (int)proc->pid));
    }
    qsort(members, *count, sizeof(*members), compare_members);
    return members;
}

/* The entry of the target's filesystem in another namespace's table:
 * the one with the same root within the filesystem if there is one
 * (bind mounts of a subdirectory show the same device), else the first in
 * mountinfo order. */
static const struct mount_entry *find_same_fs(const struct holder_scan *hs,
                                              const struct mount_ns *ns)
{
    /* Mount ids are system-wide: the target's own id means this is our
     * namespace even when its inode was not known. */
    if (mount_ns_find_id(ns, hs->target->mount_id))
        return NULL;
    const struct mount_entry *same_root = NULL, *first = NULL;
    for (size_t i = 0; i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (!holder_is_target_dev(hs, e->dev_major, e->dev_minor))
            continue;
        if (!first || e->order < first->order)
            first = e;
        if (hs->target->root && e->root && strcmp(e->root, hs->target->root) == 0 &&
            (!same_root || e->order < same_root->order))
            same_root = e;
    }
    return same_root ? same_root : first;
}

/* "mnt:[N] pids P1,P2,..." with at most five pids. */
static void format_ns_object(struct holder_scan *hs, const struct ns_member *group, size_t n,
                             char *out, size_t size)
{
    int len = snprintf(out, size, "mnt:[%" PRIu64 "] pids ", group[0].ns);
    for (size_t i = 0; i < n && len > 0 && (size_t)len < size; i++) {
        if (i == 5) {
            len += snprintf(out + len, size - (size_t)len, ",...");
            break;
        }
        len += snprintf(out + len, size - (size_t)len, "%s%d", i ? "," : "",
                        (int)hs->processes->items[group[i].index]->pid);
    }
}

/* Whether the copy e in ns receives what happens to the target: its
 * parent is in, or a slave of, the peer group of the target's parent. */
static bool receives_propagation(const struct holder_scan *hs, const struct mount_ns *ns,
                                 const struct mount_entry *e)
{
    unsigned group = hs->target->parent_shared;
    const struct mount_entry *parent = mount_ns_find_id(ns, e->parent_id);
    return group && parent && parent != e && (parent->shared == group || parent->master == group);
}

static void add_namespace(struct holder_scan *hs, const struct ns_copy *copy)
{
    const struct ns_member *group = hs->copies.members + copy->first;
    size_t n = copy->n;
    const struct mount_entry *e = copy->entry;
    char *path = arena_strdup(hs->arena, e->target);
    char object[256];
    format_ns_object(hs, group, n, object, sizeof(object));
    char *object_copy = arena_strdup(hs->arena, object);
    struct file_record *rec =
        object_copy && path ? record_list_add(hs->records, copy->reader, SOURCE_MOUNT_NS) : NULL;
    if (!rec)
        return;
    /* A receiver makes the umount here fail (propagate_mount_busy); any
     * other copy only keeps the filesystem alive after it. */
    rec->effect = copy->receives ? EFFECT_BLOCKS_UMOUNT : EFFECT_KEEPS_ALIVE;
    rec->possible = false;
    rec->object = object_copy;
    rec->path = path;
    rec->mountpoint = path;
    rec->path_complete = true;
    rec->has_mnt_ns = true;
    rec->mnt_ns = group[0].ns;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = e->id;
    rec->dev_major = e->dev_major;
    rec->dev_minor = e->dev_minor;
}

/* The table of one namespace: the scan's, or read through its first
 * member that can still be read (processes exit, and some may be denied
 * to us).  NULL when none can be; *proc is the member read through. */
static struct mount_ns *namespace_table(struct holder_scan *hs, const struct ns_member *group,
                                        size_t n, const struct process_info **reader)
{
    for (size_t i = 0; i < n; i++) {
        const struct process_info *proc = hs->processes->items[group[i].index];
        char *file = holder_path(hs, hs->proc_root, "%d/mountinfo", (int)proc->pid);
        int err = 0;
        if (!file)
            return NULL;
        struct mount_ns *ns = mount_cache_get(&hs->res->mounts, group[i].ns, file, &err);
        if (!ns && (err == -ENOENT || err == -ESRCH))
            continue; /* exited */
        if (!ns) {
            holder_report_process_error(hs, err, proc->pid, file);
            continue;
        }
        if (ns->len == 0)
            continue; /* a zombie's mountinfo is empty */
        if (ns->bad_lines)
            warning_add(hs->warnings, WARN_MALFORMED, proc->pid, file, "line %u: malformed entry",
                        ns->first_bad_line);
        *reader = proc;
        return ns;
    }
    return NULL;
}

/* Every other namespace's copy of the target, found once. */
static const struct ns_copies *find_copies(struct holder_scan *hs)
{
    struct ns_copies *c = &hs->copies;
    size_t count;
    if (c->found)
        return c;
    c->found = true;
    if (!(c->members = collect_members(hs, &count)))
        return c;
    for (size_t start = 0; start < count;) {
        size_t end = start + 1;
        while (end < count && c->members[end].ns == c->members[start].ns)
            end++;
        const struct process_info *reader = NULL;
        struct mount_ns *ns = c->members[start].ns != hs->target->mnt_ns
                                  ? namespace_table(hs, c->members + start, end - start, &reader)
                                  : NULL;
        const struct mount_entry *e = ns ? find_same_fs(hs, ns) : NULL;
        struct ns_copy *copy = e ? VEC_PUSH(&c->list) : NULL;
        if (copy)
            *copy =
                (struct ns_copy){start, end - start, reader, e, receives_propagation(hs, ns, e)};
        if (copy && copy->receives)
            VEC_APPEND(&c->receiver_ids, e->id);
        start = end;
    }
    return c;
}

/* Other mount namespaces (one per distinct ns/mnt of the processes)
 * whose table holds the target's device: umount here succeeds but the
 * filesystem lives on there (or, for a receiver, umount here fails).  One
 * row per namespace, for its first readable process, at the mount point
 * seen in that namespace. */
void holders_find_namespaces(struct holder_scan *hs)
{
    const struct ns_copies *c = find_copies(hs);
    for (size_t i = 0; i < c->list.len; i++)
        add_namespace(hs, &c->list.items[i]);
}

/* What holds a namespace only the kernel's walk found: a row of ours
 * whose file it is (an io_uring fixed file, say), else nothing we can
 * name.  Fills object and returns the hint. */
static const char *describe_walked(struct holder_scan *hs, const struct orphan_ns *o,
                                   const char *path, char *object, size_t size)
{
    const struct file_record *by = o->named_by;
    char hint[512];
    if (by && by->source == SOURCE_URING_FIXED && by->has_ring_fd && by->has_slot) {
        snprintf(object, size,
                 "mnt:[%" PRIu64 "] held by io_uring fixed file %" PRIu32 " of fd %d of %d", o->ns,
                 by->slot, by->ring_fd, (int)by->proc->pid);
        return fd_release_hint(hs->arena, "close", by->ring_fd, by->proc->pid);
    }
    if (by) {
        snprintf(object, size, "mnt:[%" PRIu64 "] held by a %s reference of %d", o->ns,
                 source_info(by->source)->name, (int)by->proc->pid);
        snprintf(hint, sizeof(hint), "kill %d", (int)by->proc->pid);
        return arena_strdup(hs->arena, hint);
    }
    snprintf(object, size, "mnt:[%" PRIu64 "] (no process lshidden sees is in it)", o->ns);
    const char *umount = holder_umount_hint(hs, path);
    if (!umount)
        return NULL;
    snprintf(hint, sizeof(hint),
             "release what keeps mnt:[%" PRIu64 "] (an io_uring fixed file, a file in flight, "
             "an nsfs fd or mount elsewhere), or %s in it",
             o->ns, umount);
    return arena_strdup(hs->arena, hint);
}

/* A namespace no process is in, kept by an nsfs mount, an fd, or what the
 * kernel's walk alone finds, whose table holds the target's filesystem. */
static void add_orphan_namespace(struct holder_scan *hs, const struct orphan_ns *o)
{
    const struct mount_ns *ns = o->loaded ? mount_cache_find(&hs->res->mounts, o->ns) : NULL;
    const struct mount_entry *e = ns ? find_same_fs(hs, ns) : NULL;
    char object[512];
    const char *hint;
    if (!e)
        return;
    char *path = arena_strdup(hs->arena, e->target);
    if (!path)
        return;
    if (o->walked) {
        hint = describe_walked(hs, o, path, object, sizeof(object));
    } else if (o->nsfs_mount) {
        snprintf(object, sizeof(object), "mnt:[%" PRIu64 "] held by nsfs mount %s", o->ns,
                 o->nsfs_mount);
        hint = holder_umount_hint(hs, o->nsfs_mount);
    } else {
        snprintf(object, sizeof(object), "mnt:[%" PRIu64 "] held by fd %d of %d", o->ns, o->fd,
                 (int)o->proc->pid);
        hint = fd_release_hint(hs->arena, "close", o->fd, o->proc->pid);
    }
    struct file_record *rec = holder_add(hs, SOURCE_MOUNT_NS, object, path);
    if (!rec)
        return;
    rec->proc = o->walked && o->named_by ? o->named_by->proc : o->proc;
    rec->has_fd = !o->walked && o->proc != NULL;
    rec->fd = o->fd;
    rec->effect = receives_propagation(hs, ns, e) ? EFFECT_BLOCKS_UMOUNT : EFFECT_KEEPS_ALIVE;
    rec->possible = false;
    rec->mountpoint = path;
    rec->has_mnt_ns = true;
    rec->mnt_ns = o->ns;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = e->id;
    rec->dev_major = e->dev_major;
    rec->dev_minor = e->dev_minor;
    rec->hint = hint;
}

void holders_find_orphan_namespaces(struct holder_scan *hs)
{
    const struct orphan_ns_list *list = &hs->res->orphan_ns;
    for (size_t i = 0; i < list->len; i++)
        add_orphan_namespace(hs, &list->items[i]);
}

struct mount_ids holders_find_receivers(struct holder_scan *hs)
{
    const struct ns_copies *c = hs->target->parent_shared ? find_copies(hs) : &hs->copies;
    return (struct mount_ids){c->receiver_ids.items, c->receiver_ids.len};
}

void holder_scan_free(struct holder_scan *hs)
{
    free(hs->copies.members);
    free(hs->copies.list.items);
    free(hs->copies.receiver_ids.items);
    memset(&hs->copies, 0, sizeof(hs->copies));
}
