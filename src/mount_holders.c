#include "mount_holders.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "file_identity.h"
#include "holder_parse.h"
#include "procfs_io.h"

/* ---- shared helpers ---------------------------------------------------- */

/* "ROOT/REST" built with printf, in the arena so warnings and records can
 * keep it.  NULL on allocation failure or an absurdly long path. */
__attribute__((format(printf, 3, 4))) static char *
holder_path(struct holder_scan *hs, const char *root, const char *fmt, ...)
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
static void report_error(struct holder_scan *hs, int err, pid_t pid, const char *path)
{
    enum warning_kind kind = warning_kind_for_errno(err);
    if (kind == WARN_VANISHED)
        kind = WARN_IO; /* a holder file, not a process, went away */
    warning_add(hs->warnings, kind, pid, path, "%s", strerror(-err));
}

/* A process we may not look at is one warning, however many of its files
 * failed: the scan of its open files may already have said so. */
static void report_process_error(struct holder_scan *hs, int err, pid_t pid, const char *path)
{
    if (warning_kind_for_errno(err) == WARN_PERMISSION)
        for (size_t i = 0; i < hs->warnings->len; i++)
            if (hs->warnings->items[i].pid == pid && hs->warnings->items[i].kind == WARN_PERMISSION)
                return;
    report_error(hs, err, pid, path);
}

static void report_malformed(struct holder_scan *hs, const char *path, unsigned line)
{
    if (line)
        warning_add(hs->warnings, WARN_MALFORMED, 0, path, "line %u: malformed entry", line);
    else
        warning_add(hs->warnings, WARN_MALFORMED, 0, path, "malformed entry");
}

/* Reads a whole file; returns 0, or -errno after reporting anything but
 * a missing file. */
static int read_holder_file(struct holder_scan *hs, const char *path, struct read_buf *buf)
{
    if (!path)
        return -ENOMEM;
    int r = read_file_at(AT_FDCWD, path, buf);
    if (r < 0 && r != -ENOENT)
        report_error(hs, r, 0, path);
    return r;
}

static bool is_target_dev(const struct holder_scan *hs, unsigned major, unsigned minor)
{
    return major == hs->target->dev_major && minor == hs->target->dev_minor;
}

/* A --mount row with no process; effect blocks-umount unless changed. */
static struct file_record *add_holder(struct holder_scan *hs, enum file_source source,
                                      const char *object, const char *path)
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

/* A holder proven to be on the target mount itself. */
static void set_on_target(struct holder_scan *hs, struct file_record *rec)
{
    rec->possible = false;
    rec->has_mount_id = true;
    rec->mount_id = hs->target->mount_id;
    rec->mountpoint = hs->target->mountpoint;
}

/* A kernel-printed path, decoded into the arena, its " (deleted)" suffix
 * stripped and reported. */
static char *decode_span(struct holder_scan *hs, struct text_span span, bool escaped, bool *deleted)
{
    char *out = arena_alloc(hs->arena, span.len + 1);
    if (!out || holder_decode_path(span, escaped, out, deleted) < 0)
        return NULL;
    return out;
}

/* An escaped name taken as it is: mount points and NFS client names. */
static char *unescape_span(struct holder_scan *hs, struct text_span span)
{
    char *out = arena_alloc(hs->arena, span.len + 1);
    if (!out || octal_unescape(span.p, span.len, out) < 0)
        return NULL;
    return out;
}

enum stat_match {
    STAT_UNKNOWN, /* not live, file deleted, or stat failed */
    STAT_ON_TARGET,
    STAT_ELSEWHERE,
};

/* Where the file a path names lives now, by statx mount id (or, on
 * kernels without STATX_MNT_ID, by device).  Only in live mode: a fixture
 * path means nothing on this host. */
static enum stat_match stat_path(struct holder_scan *hs, const char *path, bool deleted,
                                 struct file_identity *id)
{
    if (!hs->live || deleted || path[0] != '/' || file_identity_at(AT_FDCWD, path, id) < 0)
        return STAT_UNKNOWN;
    if (id->has_mount_id)
        return id->mount_id == hs->target->mount_id ? STAT_ON_TARGET : STAT_ELSEWHERE;
    return is_target_dev(hs, id->dev_major, id->dev_minor) ? STAT_UNKNOWN : STAT_ELSEWHERE;
}

static int compare_names(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

struct name_list {
    char **names;
    size_t len;
};

static void name_list_free(struct name_list *list)
{
    for (size_t i = 0; i < list->len; i++)
        free(list->names[i]);
    free(list->names);
    memset(list, 0, sizeof(*list));
}

/* Entries of a directory that keep() accepts, in natural order (loop2
 * before loop10) so rows come out the same on every run.  Returns 0 or
 * -errno. */
static int list_dir(const char *path, bool (*keep)(const char *name), struct name_list *out)
{
    memset(out, 0, sizeof(*out));
    DIR *dir = opendir(path);
    if (!dir)
        return -errno;
    size_t cap = 0;
    int err = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.' || !keep(de->d_name))
            continue;
        if (out->len == cap) {
            cap = cap ? cap * 2 : 16;
            char **names = realloc(out->names, cap * sizeof(*names));
            if (!names) {
                err = -ENOMEM;
                break;
            }
            out->names = names;
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

/* ---- loop devices ------------------------------------------------------ */

static bool is_loop_name(const char *name)
{
    if (strncmp(name, "loop", 4) != 0 || !name[4])
        return false;
    for (const char *p = name + 4; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

struct loop_status {
    bool known;
    unsigned dev_major, dev_minor; /* of the filesystem holding the backing file */
    uint64_t inode;
};

/* LOOP_GET_STATUS64 on dev_root/NAME.  ENXIO means the device was
 * detached meanwhile; other failures are told once per scan. */
static int query_loop(struct holder_scan *hs, const char *name, struct loop_status *st,
                      bool *warned)
{
    char *path = holder_path(hs, hs->dev_root, "%s", name);
    if (!path)
        return -ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct loop_info64 info;
    int err = 0;
    if (fd < 0)
        err = -errno;
    else if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
        err = -errno;
    if (fd >= 0)
        close(fd);
    if (err < 0) {
        if (err != -ENXIO && err != -ENOENT && !*warned) {
            report_error(hs, err, 0, path);
            *warned = true;
        }
        return err;
    }
    st->known = true;
    st->dev_major = major((dev_t)info.lo_device);
    st->dev_minor = minor((dev_t)info.lo_device);
    st->inode = info.lo_inode;
    return 0;
}

/* Whether, and how surely, a loop device's backing file is on the
 * target.  The device of the backing filesystem is the kernel's own
 * word; the path only places the file below the mount point. */
static bool loop_on_target(struct holder_scan *hs, const char *path, bool deleted,
                           const struct loop_status *st, bool *possible)
{
    bool covered = mount_target_covers_path(hs->target, path);
    struct file_identity id;
    if (st->known && !is_target_dev(hs, st->dev_major, st->dev_minor))
        return false;
    if (covered) {
        *possible = false;
        return true;
    }
    enum stat_match m = stat_path(hs, path, deleted, &id);
    if (m == STAT_ON_TARGET) {
        *possible = false;
        return true;
    }
    /* Same filesystem, reached through another mount of it (a bind
     * mount elsewhere): the device alone cannot tell which mount. */
    *possible = true;
    return st->known;
}

static void find_one_loop(struct holder_scan *hs, const char *name, struct read_buf *buf,
                          bool *warned)
{
    char *file = holder_path(hs, hs->sys_root, "block/%s/loop/backing_file", name);
    if (read_holder_file(hs, file, buf) < 0)
        return; /* ENOENT: not bound to a file */
    struct text_span span;
    if (loop_backing_file_parse(buf->data, buf->len, &span) < 0) {
        report_malformed(hs, file, 1);
        return;
    }
    bool deleted, possible;
    char *path = decode_span(hs, span, false, &deleted);
    if (!path)
        return;
    struct loop_status st = {0};
    if (hs->live)
        query_loop(hs, name, &st, warned);
    if (!loop_on_target(hs, path, deleted, &st, &possible))
        return;

    char object[64];
    snprintf(object, sizeof(object), "/dev/%s", name);
    struct file_record *rec = add_holder(hs, SOURCE_LOOP, object, path);
    if (!rec)
        return;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (!possible)
        set_on_target(hs, rec);
    rec->possible = possible;
    if (st.known) {
        rec->has_dev = rec->has_inode = true;
        rec->dev_major = st.dev_major;
        rec->dev_minor = st.dev_minor;
        rec->inode = st.inode;
    }
}

/* Loop devices: sys_root/block/loopN/loop/backing_file.  Live, the
 * backing filesystem's device from LOOP_GET_STATUS64 must be the target's;
 * the row is certain when the path also lies below the mount point (or
 * statx puts it on the mount), possible when only the device matches (the
 * file reached through another mount of the same filesystem).  In a
 * fixture the path alone decides, and is taken at its word. */
void holders_find_loop(struct holder_scan *hs)
{
    if (!hs->sys_root)
        return; /* a --proc-root snapshot without a /sys tree */
    char *dir = holder_path(hs, hs->sys_root, "block");
    struct name_list names;
    if (!dir)
        return;
    int r = list_dir(dir, is_loop_name, &names);
    if (r < 0) {
        if (r != -ENOENT)
            report_error(hs, r, 0, dir);
        return;
    }
    struct read_buf buf = {0};
    bool warned = false;
    for (size_t i = 0; i < names.len; i++)
        find_one_loop(hs, names.names[i], &buf, &warned);
    read_buf_free(&buf);
    name_list_free(&names);
}

/* ---- swap files -------------------------------------------------------- */

/* /proc/swaps prints a d_path, current as of now: when the file can be
 * stat()ed its mount id decides; a deleted file (or a fixture) has only
 * its path, which may also lie on a mount below the target. */
static void add_swap(struct holder_scan *hs, const struct swap_entry *e, const char *file,
                     unsigned line)
{
    bool deleted;
    char *path = decode_span(hs, e->path, true, &deleted);
    if (!path) {
        report_malformed(hs, file, line);
        return;
    }
    struct file_identity id;
    enum stat_match m = stat_path(hs, path, deleted, &id);
    if (m == STAT_ELSEWHERE || (m == STAT_UNKNOWN && !mount_target_covers_path(hs->target, path)))
        return;
    struct file_record *rec = add_holder(hs, SOURCE_SWAP, "swap", path);
    if (!rec)
        return;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (m == STAT_ON_TARGET) {
        record_set_identity(rec, &id);
        set_on_target(hs, rec);
    } else {
        rec->possible = true;
    }
}

/* Swap files (not partitions) of proc_root/swaps: certain when statx
 * puts the file on the target, possible when only the path lies below the
 * mount point (deleted, or a fixture). */
void holders_find_swap(struct holder_scan *hs)
{
    char *file = holder_path(hs, hs->proc_root, "swaps");
    struct read_buf buf = {0};
    if (read_holder_file(hs, file, &buf) == 0) {
        struct text_cursor cur;
        struct swap_entry e;
        bool warned = false;
        int r;
        text_cursor_init(&cur, buf.data, buf.len);
        while ((r = swaps_next(&cur, &e)) != 0) {
            if (r < 0) {
                if (!warned)
                    report_malformed(hs, file, cur.line);
                warned = true;
            } else if (e.is_file) {
                add_swap(hs, &e, file, cur.line);
            }
        }
    }
    read_buf_free(&buf);
}

/* ---- binfmt_misc ------------------------------------------------------- */

static bool is_binfmt_entry(const char *name)
{
    return strcmp(name, "register") != 0 && strcmp(name, "status") != 0;
}

/* The interpreter string is the one given at registration and is never
 * updated, so a path that now names another file does not clear it: only
 * a stat() on the target proves it, the path prefix only suggests it. */
static void add_binfmt(struct holder_scan *hs, const char *name, const struct binfmt_entry *e)
{
    char *path = arena_strndup(hs->arena, e->interpreter.p, e->interpreter.len);
    if (!path)
        return;
    struct file_identity id;
    enum stat_match m = stat_path(hs, path, false, &id);
    if (m != STAT_ON_TARGET && !mount_target_covers_path(hs->target, path))
        return;
    char object[512];
    snprintf(object, sizeof(object), "binfmt_misc:%s", name);
    struct file_record *rec = add_holder(hs, SOURCE_BINFMT, object, path);
    if (!rec)
        return;
    if (m == STAT_ON_TARGET) {
        record_set_identity(rec, &id);
        set_on_target(hs, rec);
    } else {
        rec->possible = true;
    }
}

/* binfmt_misc entries with the F flag, whose interpreter the kernel
 * opened at registration: matched like swap files, except that a path now
 * leading elsewhere still leaves the row possible. */
void holders_find_binfmt(struct holder_scan *hs)
{
    char *dir = holder_path(hs, hs->proc_root, "sys/fs/binfmt_misc");
    struct name_list names;
    if (!dir)
        return;
    int r = list_dir(dir, is_binfmt_entry, &names);
    if (r < 0) {
        if (r != -ENOENT)
            report_error(hs, r, 0, dir);
        return;
    }
    struct read_buf buf = {0};
    for (size_t i = 0; i < names.len; i++) {
        char *file = holder_path(hs, dir, "%s", names.names[i]);
        struct binfmt_entry e;
        if (read_holder_file(hs, file, &buf) < 0)
            continue;
        if (binfmt_entry_parse(buf.data, buf.len, &e) < 0)
            report_malformed(hs, file, 1);
        else if (e.open_file)
            add_binfmt(hs, names.names[i], &e);
    }
    read_buf_free(&buf);
    name_list_free(&names);
}

/* ---- nfsd -------------------------------------------------------------- */

/* An export pins the exported path's mount.  Like swap, a stat() decides
 * when it can; otherwise the path prefix makes it possible. */
static void add_export(struct holder_scan *hs, const struct nfs_export *e, const char *file,
                       unsigned line)
{
    bool deleted;
    char *path = decode_span(hs, e->path, true, &deleted);
    char *client = unescape_span(hs, e->client);
    if (!path || !client) {
        report_malformed(hs, file, line);
        return;
    }
    struct file_identity id;
    enum stat_match m = stat_path(hs, path, deleted, &id);
    if (m == STAT_ELSEWHERE || (m == STAT_UNKNOWN && !mount_target_covers_path(hs->target, path)))
        return;
    size_t object_len = strlen(client) + sizeof("export to ");
    char *object = malloc(object_len);
    if (!object)
        return;
    snprintf(object, object_len, "export to %s", client);
    struct file_record *rec = add_holder(hs, SOURCE_NFS_EXPORT, object, path);
    free(object);
    if (!rec)
        return;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (m == STAT_ON_TARGET) {
        record_set_identity(rec, &id);
        set_on_target(hs, rec);
    } else {
        rec->possible = true;
    }
}

/* Returns false when the server has no export table: nfsd is not loaded
 * or not running, and there is nothing more to look at. */
static bool find_exports(struct holder_scan *hs, struct read_buf *buf)
{
    char *file = holder_path(hs, hs->proc_root, "fs/nfsd/exports");
    int r = read_holder_file(hs, file, buf);
    if (r == -ENOENT) {
        file = holder_path(hs, hs->proc_root, "net/rpc/nfsd.export/content");
        r = read_holder_file(hs, file, buf);
    }
    if (r == -ENOENT)
        return false;
    if (r < 0)
        return true;
    struct text_cursor cur;
    struct nfs_export e;
    bool warned = false;
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = exports_next(&cur, &e)) != 0) {
        if (r < 0 && !warned) {
            report_malformed(hs, file, cur.line);
            warned = true;
        } else if (r > 0) {
            add_export(hs, &e, file, cur.line);
        }
    }
    return true;
}

static bool is_client_id(const char *name)
{
    for (const char *p = name; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return *name != '\0';
}

/* NFSv4 open, lock, delegation and layout states hold an open file of
 * the server's.  The kernel names it by superblock and inode, with only
 * the last two path components. */
static void add_nfsd_state(struct holder_scan *hs, const char *client, const struct nfsd_state *st)
{
    char *path =
        st->has_filename ? arena_strndup(hs->arena, st->filename.p, st->filename.len) : NULL;
    char object[128];
    snprintf(object, sizeof(object), "nfsd client %s", client);
    struct file_record *rec = add_holder(hs, SOURCE_NFSD_STATE, object, path);
    if (!rec)
        return;
    rec->path_complete = false;
    rec->possible = false;
    rec->has_dev = rec->has_inode = true;
    rec->dev_major = st->dev_major;
    rec->dev_minor = st->dev_minor;
    rec->inode = st->inode;
}

static void find_client_states(struct holder_scan *hs, const char *clients, const char *client,
                               struct read_buf *buf)
{
    char *file = holder_path(hs, clients, "%s/states", client);
    if (read_holder_file(hs, file, buf) < 0)
        return; /* ENOENT: the client went away */
    struct text_cursor cur;
    struct nfsd_state st;
    bool warned = false;
    int r;
    /* An open and a lock on one file are two states but one holder:
     * rows are per client and inode. */
    uint64_t seen[64];
    size_t nseen = 0;
    text_cursor_init(&cur, buf->data, buf->len);
    while ((r = nfsd_states_next(&cur, &st)) != 0) {
        if (r < 0 && !warned) {
            report_malformed(hs, file, cur.line);
            warned = true;
        }
        if (r < 0 || !st.has_superblock || !is_target_dev(hs, st.dev_major, st.dev_minor))
            continue;
        bool dup = false;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = seen[i] == st.inode;
        if (dup)
            continue;
        if (nseen < sizeof(seen) / sizeof(seen[0]))
            seen[nseen++] = st.inode;
        add_nfsd_state(hs, client, &st);
    }
}

/* nfsd: exports of the mount point or below it (matched like swap
 * files), and NFSv4 states of every client on the target's device
 * (certain; path = the last two components the kernel prints).  No
 * export table at all means no nfsd, and nothing is said. */
void holders_find_nfsd(struct holder_scan *hs)
{
    struct read_buf buf = {0};
    if (!find_exports(hs, &buf)) {
        read_buf_free(&buf);
        return;
    }
    char *clients = holder_path(hs, hs->proc_root, "fs/nfsd/clients");
    struct name_list names;
    int r = clients ? list_dir(clients, is_client_id, &names) : -ENOMEM;
    if (r == 0) {
        for (size_t i = 0; i < names.len; i++)
            find_client_states(hs, clients, names.names[i], &buf);
        name_list_free(&names);
    } else if (r != -ENOENT) {
        report_error(hs, r, 0, clients); /* pre-5.3 kernels have no clients/ */
    }
    read_buf_free(&buf);
}

/* ---- mount tables ------------------------------------------------------ */

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
    char *path = unescape_span(hs, e->mountpoint);
    if (!path) {
        report_malformed(hs, file, 0);
        return;
    }
    struct file_record *rec = add_holder(hs, SOURCE_SUBMOUNT, path, path);
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
    if (read_holder_file(hs, file, &buf) == 0 && mount_table_parse(hs, &buf, file, 0, &t) == 0) {
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
            report_process_error(hs, r, pid, path);
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
        if (!is_target_dev(hs, e->dev_major, e->dev_minor))
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
    char *path = unescape_span(hs, e->mountpoint);
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
            report_process_error(hs, r, proc->pid, file);
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
