/* Helpers shared by the --mount holder finders. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mount/holder_common.h"
#include "util/vec.h"

/* "ROOT/REST" built with printf, in the arena so warnings and records can
 * keep it.  NULL on allocation failure or an absurdly long path. */
char *holder_path(struct holder_scan *hs, const char *root, const char *fmt, ...)
{
    char rest[4096], full[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(rest))
        return NULL;
    n = snprintf(full, sizeof(full), "%s/%s", root, rest);
    if (n < 0 || (size_t)n >= sizeof(full))
        return NULL;
    return arena_strdup(hs->arena, full);
}

/* A read error worth telling: a missing file only means the feature
 * (swap, nfsd, a bound loop device) is absent, so callers filter ENOENT. */
void holder_report_error(struct holder_scan *hs, int err, pid_t pid, const char *path)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    if (kind == WARN_VANISHED)
        kind = WARN_IO; /* a holder file, not a process, went away */
    warning_add(hs->warnings, kind, pid, path, "%s", read_error_text(err));
}

/* A process we may not look at is one warning, however many of its files
 * failed: the scan of its open files may already have said so. */
void holder_report_process_error(struct holder_scan *hs, int err, pid_t pid, const char *path)
{
    if (warning_kind_for_errno(err) == WARN_PERMISSION)
        for (size_t i = 0; i < hs->warnings->len; i++)
            if (hs->warnings->items[i].pid == pid && hs->warnings->items[i].kind == WARN_PERMISSION)
                return;
    holder_report_error(hs, err, pid, path);
}

void holder_report_malformed(struct holder_scan *hs, const char *path, unsigned line)
{
    if (line)
        warning_add(hs->warnings, WARN_MALFORMED, 0, path, "line %u: malformed entry", line);
    else
        warning_add(hs->warnings, WARN_MALFORMED, 0, path, "malformed entry");
}

/* Reads a whole file; returns 0, or -errno after reporting anything but
 * a missing file. */
int holder_read_file(struct holder_scan *hs, const char *path, struct read_buf *buf, size_t cap)
{
    if (!path)
        return -ENOMEM;
    int r = read_file_at(AT_FDCWD, path, buf, cap);
    if (r < 0 && r != -ENOENT)
        holder_report_error(hs, r, 0, path);
    return r;
}

bool holder_is_target_dev(const struct holder_scan *hs, unsigned major, unsigned minor)
{
    return major == hs->target->dev_major && minor == hs->target->dev_minor;
}

/* A --mount row with no process; effect blocks-umount unless changed. */
struct file_record *holder_add(struct holder_scan *hs, enum file_source source, const char *object,
                               const char *path)
{
    char *object_copy = arena_strdup(hs->arena, object);
    if (!object_copy)
        return NULL;
    struct file_record *rec = record_list_add(hs->records, NULL, source);
    if (!rec)
        return NULL;
    rec->effect = EFFECT_BLOCKS_UMOUNT;
    rec->object = object_copy;
    rec->path = path;
    rec->path_complete = true;
    return rec;
}

struct file_record *holder_add_fd(struct holder_scan *hs, enum file_source source,
                                  const char *object, const struct file_record *fd,
                                  const char *verb)
{
    struct file_record *rec = holder_add(hs, source, object, fd->path);
    if (!rec)
        return NULL;
    rec->proc = fd->proc;
    rec->has_fd = true;
    rec->fd = fd->fd;
    if (verb)
        rec->hint = fd_release_hint(hs->arena, verb, fd->fd, fd->proc->pid);
    return rec;
}

struct file_record *holder_add_mount(struct holder_scan *hs, enum file_source source,
                                     const struct mount_entry *e)
{
    char *path = arena_strdup(hs->arena, e->target);
    struct file_record *rec = path ? holder_add(hs, source, path, path) : NULL;
    if (!rec)
        return NULL;
    rec->possible = false;
    rec->has_mount_id = rec->has_dev = true;
    rec->mount_id = e->id;
    rec->dev_major = e->dev_major;
    rec->dev_minor = e->dev_minor;
    rec->mountpoint = path;
    return rec;
}

bool holder_mount_below_target(const struct holder_scan *hs, const struct mount_ns *ns,
                               const struct mount_entry *e)
{
    for (size_t steps = 0; e && steps <= ns->len; steps++) {
        if (e->parent_id == hs->target->mount_id)
            return true;
        if (e->parent_id == e->id)
            return false; /* the namespace root is its own parent */
        e = mount_ns_find_id(ns, e->parent_id);
    }
    return false;
}

/* A holder proven to be on the target mount itself. */
void holder_set_on_target(struct holder_scan *hs, struct file_record *rec)
{
    rec->possible = false;
    if (hs->target->by_device)
        return; /* on the device, through whichever mount */
    rec->has_mount_id = true;
    rec->mount_id = hs->target->mount_id;
    rec->mountpoint = hs->target->mountpoint;
}

/* A kernel-printed path, decoded into the arena, its " (deleted)" suffix
 * stripped and reported. */
char *holder_decode_span(struct holder_scan *hs, struct text_span span, bool escaped, bool *deleted)
{
    char *out = arena_alloc(hs->arena, span.len + 1);
    if (!out || holder_decode_path(span, escaped, out, deleted) < 0)
        return NULL;
    return out;
}

/* An escaped name taken as it is: mount points and NFS client names. */
char *holder_unescape_span(struct holder_scan *hs, struct text_span span)
{
    char *out = arena_alloc(hs->arena, span.len + 1);
    if (!out || octal_unescape(span.p, span.len, out) < 0)
        return NULL;
    return out;
}

/* Where the file a path names lives now, by statx mount id (or, on
 * kernels without STATX_MNT_ID, by device).  Only in live mode: a fixture
 * path means nothing on this host. */
enum stat_match holder_stat_path(struct holder_scan *hs, const char *path, bool deleted,
                                 struct file_identity *id)
{
    struct name_lookup where = {.ns = hs->res->self_mounts};
    if (!hs->live || deleted || path[0] != '/')
        return STAT_UNKNOWN;
    int r = file_identity_by_name(&where, path, id);
    if (r == -EAGAIN)
        record_mark_unchecked(NULL, hs->warnings, where.blocked);
    if (r < 0)
        return STAT_UNKNOWN;
    if (hs->target->by_device)
        return holder_is_target_dev(hs, id->dev_major, id->dev_minor) ? STAT_ON_TARGET
                                                                      : STAT_ELSEWHERE;
    if (id->has_mount_id)
        return id->mount_id == hs->target->mount_id ? STAT_ON_TARGET : STAT_ELSEWHERE;
    return holder_is_target_dev(hs, id->dev_major, id->dev_minor) ? STAT_UNKNOWN : STAT_ELSEWHERE;
}

static int compare_names(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

void name_list_free(struct name_list *list)
{
    for (size_t i = 0; i < list->len; i++)
        free(list->names[i]);
    free(list->names);
    memset(list, 0, sizeof(*list));
}

/* Entries of a directory that keep() accepts, in natural order (loop2
 * before loop10) so rows come out the same on every run.  Returns 0 or
 * -errno. */
int holder_list_dir(const char *path, bool (*keep)(const char *name), struct name_list *out)
{
    memset(out, 0, sizeof(*out));
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    int err = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.' || !keep(de->d_name))
            continue;
        if (vec_reserve((void **)&out->names, &out->cap, out->len + 1, sizeof(*out->names), 16) <
            0) {
            err = -ENOMEM;
            break;
        }
        if (!(out->names[out->len] = strdup(de->d_name))) {
            err = -ENOMEM;
            break;
        }
        out->len++;
    }
    closedir(dir);
    if (err < 0) {
        name_list_free(out);
        return err;
    }
    if (out->len)
        qsort(out->names, out->len, sizeof(*out->names), compare_names);
    return 0;
}

struct file_record *holder_add_by_path(struct holder_scan *hs, enum file_source source,
                                       const char *object, const char *path, enum tristate deleted,
                                       bool stale_path)
{
    struct file_identity id;
    enum stat_match m = holder_stat_path(hs, path, deleted == TRI_TRUE, &id);
    bool covered = mount_target_covers_path(hs->target, path);
    if (m != STAT_ON_TARGET && !covered)
        return NULL;
    if (m == STAT_ELSEWHERE && !stale_path)
        return NULL;
    struct file_record *rec = holder_add(hs, source, object, path);
    if (!rec)
        return NULL;
    rec->deleted = deleted;
    if (m == STAT_ON_TARGET) {
        record_set_identity(rec, &id, IDENTITY_PATH);
        holder_set_on_target(hs, rec);
    } else {
        rec->possible = true;
    }
    return rec;
}

void holders_find_all(struct holder_scan *hs)
{
    holders_find_fuse(hs);
    holders_find_loop(hs);
    holders_find_swap(hs);
    holders_find_binfmt(hs);
    holders_find_nfsd(hs);
    holders_find_submounts(hs);
    holders_find_namespaces(hs);
    holders_find_orphan_namespaces(hs);
    holders_find_binds(hs);
    holders_find_overlays(hs);
    holders_find_unix_sockets(hs);
    holders_find_uprobes(hs);
    holders_find_fanotify(hs);
    holders_find_images(hs);
    holders_find_detached(hs); /* after the namespaces: their tables are loaded */
    holders_find_core_dumps(hs);
    holders_find_fs_contexts(hs);
    holders_find_inflight(hs);
    holders_find_blocked_syscalls(hs);
}
