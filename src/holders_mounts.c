/* --mount: submounts, and copies of the filesystem in other mount
 * namespaces (one mountinfo read per namespace). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "holders_internal.h"

/* The first five fields of every line of one mountinfo. */
struct mount_table {
    struct mountinfo_entry *items;
    size_t len, cap;
};

static void mount_table_free(struct mount_table *t)
{
    free(t->items);
    memset(t, 0, sizeof(*t));
}

/* Parses buf (which must outlive the table: entries point into it).
 * Malformed lines are skipped and told once. */
static int mount_table_parse(struct holder_scan *hs, const struct read_buf *buf, const char *file,
                             pid_t pid, struct mount_table *t)
{
    struct text_cursor cur;
    struct mountinfo_entry e;
    bool warned = false;
    int r;
    memset(t, 0, sizeof(*t));
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = mountinfo_next(&cur, &e)) != 0) {
        if (r < 0) {
            if (!warned)
                warning_add(hs->warnings, WARN_MALFORMED, pid, file, "line %u: malformed entry",
                            cur.line);
            warned = true;
            continue;
        }
        if (t->len == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 64;
            struct mountinfo_entry *items = realloc(t->items, cap * sizeof(*items));
            if (!items) {
                mount_table_free(t);
                return -ENOMEM;
            }
            t->items = items;
            t->cap = cap;
        }
        t->items[t->len++] = e;
    }
    return 0;
}

static const struct mountinfo_entry *mount_table_find(const struct mount_table *t, int id)
{
    for (size_t i = 0; i < t->len; i++)
        if (t->items[i].id == id)
            return &t->items[i];
    return NULL;
}

/* Whether the parent chain of e reaches the target.  Bounded by the table
 * size: a fixture (or a table read while mounts changed) may loop. */
static bool is_below_target(const struct holder_scan *hs, const struct mount_table *t,
                            const struct mountinfo_entry *e)
{
    for (size_t steps = 0; e && steps <= t->len; steps++) {
        if (e->parent_id == hs->target->mount_id)
            return true;
        if (e->parent_id == e->id)
            return false; /* the namespace root is its own parent */
        e = mount_table_find(t, e->parent_id);
    }
    return false;
}

/* ---- submounts --------------------------------------------------------- */

static void add_submount(struct holder_scan *hs, const struct mountinfo_entry *e, const char *file)
{
    char *path = holder_unescape_span(hs, e->mountpoint);
    if (!path) {
        holder_report_malformed(hs, file, 0);
        return;
    }
    struct file_record *rec = holder_add(hs, SOURCE_SUBMOUNT, path, path);
    if (!rec)
        return;
    rec->possible = false;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = e->id;
    rec->dev_major = e->dev_major;
    rec->dev_minor = e->dev_minor;
    rec->mountpoint = path;
}

/* Every mount whose parent chain reaches the target, from
 * proc_root/self/mountinfo (our namespace, where the target was
 * resolved). */
void holders_find_submounts(struct holder_scan *hs)
{
    char *file = holder_path(hs, hs->proc_root, "self/mountinfo");
    struct read_buf buf = {0};
    struct mount_table t;
    if (holder_read_file(hs, file, &buf) == 0 && mount_table_parse(hs, &buf, file, 0, &t) == 0) {
        for (size_t i = 0; i < t.len; i++)
            if (t.items[i].id != hs->target->mount_id && is_below_target(hs, &t, &t.items[i]))
                add_submount(hs, &t.items[i], file);
        mount_table_free(&t);
    }
    read_buf_free(&buf);
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

/* The mount namespace of every process that can be asked, sorted so the
 * members of one namespace are adjacent, in process order. */
static struct ns_member *collect_members(struct holder_scan *hs, size_t *count)
{
    const struct process_set *ps = hs->processes;
    struct ns_member *members = calloc(ps->len ? ps->len : 1, sizeof(*members));
    struct read_buf link = {0};
    *count = 0;
    if (!members)
        return NULL;
    for (size_t i = 0; i < ps->len; i++) {
        pid_t pid = ps->items[i]->pid;
        char *path = holder_path(hs, hs->proc_root, "%d/ns/mnt", (int)pid);
        if (!path)
            continue;
        int r = read_link_at(AT_FDCWD, path, &link);
        uint64_t ns;
        if (r < 0 && r != -ENOENT && r != -ESRCH)
            holder_report_process_error(hs, r, pid, path);
        else if (r == 0 && mnt_ns_link_parse(link.data, &ns) == 0)
            members[(*count)++] = (struct ns_member){ns, i};
    }
    read_buf_free(&link);
    qsort(members, *count, sizeof(*members), compare_members);
    return members;
}

/* The entry of the target's filesystem in another namespace's table:
 * the one with the same root within the filesystem if there is one
 * (bind mounts of a subdirectory show the same device). */
static const struct mountinfo_entry *find_same_fs(const struct holder_scan *hs,
                                                  const struct mount_table *t)
{
    const struct mountinfo_entry *found = NULL;
    for (size_t i = 0; i < t->len; i++) {
        const struct mountinfo_entry *e = &t->items[i];
        /* Mount ids are system-wide: the target's own id means this is
         * our namespace even when its inode was not known. */
        if (e->id == hs->target->mount_id)
            return NULL;
        if (!holder_is_target_dev(hs, e->dev_major, e->dev_minor))
            continue;
        char root[4096];
        bool same_root = hs->target->root && e->root.len < sizeof(root) &&
                         octal_unescape(e->root.p, e->root.len, root) >= 0 &&
                         strcmp(root, hs->target->root) == 0;
        if (!found || same_root)
            found = e;
        if (same_root)
            break;
    }
    return found;
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

static void add_namespace(struct holder_scan *hs, const struct ns_member *group, size_t n,
                          const struct process_info *proc, const struct mountinfo_entry *e)
{
    char *path = holder_unescape_span(hs, e->mountpoint);
    char object[256];
    format_ns_object(hs, group, n, object, sizeof(object));
    char *object_copy = arena_strdup(hs->arena, object);
    struct file_record *rec =
        object_copy ? record_list_add(hs->records, proc, SOURCE_MOUNT_NS) : NULL;
    if (!rec)
        return;
    rec->effect = EFFECT_KEEPS_ALIVE;
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

/* Reads the table of one namespace through its first member that can
 * still be read: processes exit, and some may be denied to us. */
static void check_namespace(struct holder_scan *hs, const struct ns_member *group, size_t n,
                            struct read_buf *buf)
{
    for (size_t i = 0; i < n; i++) {
        const struct process_info *proc = hs->processes->items[group[i].index];
        char *file = holder_path(hs, hs->proc_root, "%d/mountinfo", (int)proc->pid);
        if (!file)
            return;
        int r = read_file_at(AT_FDCWD, file, buf);
        if (r == -ENOENT || r == -ESRCH || (r == 0 && buf->len == 0))
            continue; /* exited (a zombie's mountinfo is empty) */
        if (r < 0) {
            holder_report_process_error(hs, r, proc->pid, file);
            continue;
        }
        struct mount_table t;
        if (mount_table_parse(hs, buf, file, proc->pid, &t) < 0)
            return;
        const struct mountinfo_entry *e = find_same_fs(hs, &t);
        if (e)
            add_namespace(hs, group, n, proc, e);
        mount_table_free(&t);
        return;
    }
}

/* Other mount namespaces (one per distinct ns/mnt of the processes)
 * whose table holds the target's device: umount here succeeds but the
 * filesystem lives on there.  One row per namespace, for its first
 * readable process, at the mount point seen in that namespace. */
void holders_find_namespaces(struct holder_scan *hs)
{
    size_t count;
    struct ns_member *members = collect_members(hs, &count);
    struct read_buf buf = {0};
    if (!members)
        return;
    for (size_t start = 0; start < count;) {
        size_t end = start + 1;
        while (end < count && members[end].ns == members[start].ns)
            end++;
        if (members[start].ns != hs->target->mnt_ns)
            check_namespace(hs, members + start, end - start, &buf);
        start = end;
    }
    read_buf_free(&buf);
    free(members);
}
