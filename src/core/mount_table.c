#include "core/mount_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <libmount/libmount.h>

#include "core/procfs_io.h"
#include "parse/proc_names.h"
#include "util/vec.h"

static int cmp_entry(const void *a, const void *b)
{
    const struct mount_entry *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* A bad line is skipped, not fatal: the rest of the table still answers. */
static int count_bad_line(struct libmnt_table *tb, const char *filename, int line)
{
    (void)filename;
    struct mount_ns *ns = mnt_table_get_userdata(tb);
    if (ns && ns->bad_lines++ == 0)
        ns->first_bad_line = line > 0 ? (unsigned)line : 0;
    return 1;
}

/* The number after tag in a field of "shared:1 master:2 ..."; 0 if none. */
static unsigned peer_group(const char *field, size_t len, const char *tag)
{
    size_t tlen = strlen(tag);
    uint64_t n;
    if (len <= tlen || strncmp(field, tag, tlen) != 0 ||
        !decimal_span_parse(field + tlen, len - tlen, UINT32_MAX, &n))
        return 0;
    return (unsigned)n;
}

static void read_peer_groups(struct mount_entry *e, const char *fields)
{
    for (const char *p = fields; p && *p;) {
        size_t len = strcspn(p, " ");
        unsigned shared = peer_group(p, len, "shared:"), master = peer_group(p, len, "master:");
        e->shared = shared ? shared : e->shared;
        e->master = master ? master : e->master;
        p += len + (p[len] == ' ');
    }
}

static int index_entries(struct mount_ns *ns)
{
    size_t n = (size_t)mnt_table_get_nents(ns->table);
    ns->entries = calloc(n ? n : 1, sizeof(*ns->entries));
    struct libmnt_iter *iter = mnt_new_iter(MNT_ITER_FORWARD);
    if (!ns->entries || !iter) {
        mnt_free_iter(iter);
        return -ENOMEM;
    }
    struct libmnt_fs *fs;
    size_t line = 0;
    while (ns->len < n && mnt_table_next_fs(ns->table, iter, &fs) == 0) {
        line++;
        /* libmount guesses the format from the first line: text that is
         * not mountinfo comes out as fstab entries, which have no id. */
        if (mnt_fs_get_id(fs) <= 0) {
            if (ns->bad_lines++ == 0)
                ns->first_bad_line = 0;
            continue;
        }
        struct mount_entry *e = &ns->entries[ns->len++];
        dev_t dev = mnt_fs_get_devno(fs);
        const char *root = mnt_fs_get_root(fs);
        e->id = mnt_fs_get_id(fs);
        e->parent_id = mnt_fs_get_parent_id(fs);
        e->dev_major = major(dev);
        e->dev_minor = minor(dev);
        e->target = mnt_fs_get_target(fs);
        e->root = root ? root : "/";
        e->fstype = mnt_fs_get_fstype(fs);
        e->source = mnt_fs_get_source(fs);
        e->fs_options = mnt_fs_get_fs_options(fs);
        read_peer_groups(e, mnt_fs_get_optional_fields(fs));
        e->order = line - 1;
    }
    mnt_free_iter(iter);
    qsort(ns->entries, ns->len, sizeof(*ns->entries), cmp_entry);
    return 0;
}

static struct mount_ns *mount_ns_new(void)
{
    struct mount_ns *ns = calloc(1, sizeof(*ns));
    if (!ns)
        return NULL;
    ns->table = mnt_new_table();
    if (!ns->table) {
        free(ns);
        return NULL;
    }
    mnt_table_set_userdata(ns->table, ns);
    mnt_table_set_parser_errcb(ns->table, count_bad_line);
    return ns;
}

/* libmount's own errors become -EINVAL: the text was not a mount table. */
static int parse_error(int r)
{
    return r == -ENOMEM ? r : -EINVAL;
}

/* Read whole first, as every procfs file is: a FIFO or /dev/zero planted
 * in a tree must not block libmount or feed it without end. */
static struct mount_ns *mount_ns_load(const char *mountinfo_path, int *err)
{
    struct read_buf buf = {0};
    int r = read_file_at(AT_FDCWD, mountinfo_path, &buf, READ_CAP_MOUNTINFO);
    struct mount_ns *ns = r == 0 ? mount_ns_parse_text(buf.data, buf.len, err) : NULL;
    if (r < 0)
        *err = r;
    read_buf_free(&buf);
    return ns;
}

struct mount_ns *mount_ns_parse_text(const char *text, size_t len, int *err)
{
    struct mount_ns *ns = mount_ns_new();
    /* An empty table (a zombie's) is a table with no mounts. */
    FILE *f = ns && len ? fmemopen((void *)text, len, "r") : NULL;
    int r = !ns || (len && !f) ? -ENOMEM : 0;
    if (f) {
        r = mnt_table_parse_stream(ns->table, f, "mountinfo");
        fclose(f);
    }
    if (r == 0)
        r = index_entries(ns);
    if (r < 0) {
        mount_ns_free(ns);
        *err = parse_error(r);
        return NULL;
    }
    return ns;
}

void mount_ns_free(struct mount_ns *ns)
{
    if (!ns)
        return;
    mnt_unref_table(ns->table);
    free(ns->entries);
    free(ns);
}

struct mount_ns *mount_cache_find(const struct mount_cache *cache, uint64_t ns_inode)
{
    for (size_t i = 0; ns_inode && i < cache->len; i++)
        if (cache->items[i]->ns_inode == ns_inode)
            return cache->items[i];
    return NULL;
}

struct mount_ns *mount_cache_get(struct mount_cache *cache, uint64_t ns_inode,
                                 const char *mountinfo_path, int *err)
{
    struct mount_ns *ns = mount_cache_find(cache, ns_inode);
    if (ns)
        return ns;
    if (VEC_RESERVE(cache, cache->len + 1) < 0) {
        *err = -ENOMEM;
        return NULL;
    }
    ns = mount_ns_load(mountinfo_path, err);
    if (!ns)
        return NULL;
    /* Tables of unidentified namespaces, and empty ones, are kept only so
     * that their strings outlive the records that point at them. */
    ns->ns_inode = ns->len ? ns_inode : 0;
    cache->items[cache->len++] = ns;
    return ns;
}

int mount_cache_adopt(struct mount_cache *cache, struct mount_cache *other)
{
    if (VEC_RESERVE(cache, cache->len + other->len) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < other->len; i++)
        cache->items[cache->len++] = other->items[i];
    free(other->items);
    memset(other, 0, sizeof(*other));
    return 0;
}

const struct mount_entry *mount_cache_find_id(const struct mount_cache *cache, int id)
{
    const struct mount_entry *e = NULL;
    for (size_t i = 0; !e && i < cache->len; i++)
        e = mount_ns_find_id(cache->items[i], id);
    return e;
}

void mount_cache_free(struct mount_cache *cache)
{
    for (size_t i = 0; i < cache->len; i++)
        mount_ns_free(cache->items[i]);
    free(cache->items);
    memset(cache, 0, sizeof(*cache));
}

const struct mount_entry *mount_ns_find_id(const struct mount_ns *ns, int id)
{
    struct mount_entry key = {.id = id};
    if (!ns || !ns->len)
        return NULL;
    return bsearch(&key, ns->entries, ns->len, sizeof(key), cmp_entry);
}

const struct mount_entry *mount_ns_find_dev(const struct mount_ns *ns, unsigned dev_major,
                                            unsigned dev_minor)
{
    const struct mount_entry *found = NULL;
    if (!ns)
        return NULL;
    for (size_t i = 0; i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        if (e->dev_major != dev_major || e->dev_minor != dev_minor)
            continue;
        if (found)
            return NULL;
        found = e;
    }
    return found;
}

enum fs_server fstype_server(const char *fstype)
{
    /* Each may wait for a server or a cluster lock for as long as it likes,
     * even to stat a file whose attributes it has cached. */
    static const char *const network[] = {
        "nfs",  "nfs4",  "cifs",   "smb3", "smbfs", "9p",       "ceph",   "glusterfs", "afs",
        "coda", "davfs", "lustre", "gfs2", "ocfs2", "orangefs", "beegfs", "ncpfs",
    };
    if (!fstype)
        return FS_LOCAL;
    if (strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
        strncmp(fstype, "fuse.", 5) == 0 || strcmp(fstype, "virtiofs") == 0)
        return FS_FUSE;
    for (size_t i = 0; i < sizeof(network) / sizeof(network[0]); i++)
        if (strcmp(fstype, network[i]) == 0)
            return FS_NETWORK;
    return FS_LOCAL;
}

bool mount_point_covers(const char *mountpoint, const char *path)
{
    size_t len = strlen(mountpoint);
    if (len == 1 && mountpoint[0] == '/')
        return path[0] == '/';
    return strncmp(path, mountpoint, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

const struct mount_entry *mount_ns_cover(const struct mount_ns *ns, const char *path)
{
    const struct mount_entry *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; ns && i < ns->len; i++) {
        const struct mount_entry *e = &ns->entries[i];
        size_t len = e->target ? strlen(e->target) : 0;
        if (e->target && mount_point_covers(e->target, path) &&
            (!best || len > best_len || (len == best_len && e->order > best->order))) {
            best = e;
            best_len = len;
        }
    }
    return best;
}

bool mount_entry_fuse_conn(const struct mount_entry *e, uint32_t *conn)
{
    if (!e->fstype || strncmp(e->fstype, "fuse", 4) != 0 || strcmp(e->fstype, "fusectl") == 0)
        return false;
    *conn = strcmp(e->fstype, "fuseblk") == 0 ? ((uint32_t)e->dev_major << 20 | e->dev_minor)
                                              : e->dev_minor;
    return true;
}

bool mount_ns_has_fuse(const struct mount_ns *ns)
{
    uint32_t conn;
    for (size_t i = 0; ns && i < ns->len; i++)
        if (mount_entry_fuse_conn(&ns->entries[i], &conn))
            return true;
    return false;
}

/* A "fuse" mount names its connection only through an anonymous 0:N
 * device; any other major is not a connection number. */
static bool entry_is_conn(const struct mount_entry *e, uint32_t conn)
{
    uint32_t c;
    if (!mount_entry_fuse_conn(e, &c) || c != conn)
        return false;
    return strcmp(e->fstype, "fuseblk") == 0 || e->dev_major == 0;
}

const char *mount_ns_fuse_mountpoints(const struct mount_ns *ns, uint32_t conn, struct arena *arena)
{
    size_t len = 0;
    for (size_t i = 0; ns && i < ns->len; i++)
        if (entry_is_conn(&ns->entries[i], conn))
            len += strlen(ns->entries[i].target) + 1;
    if (!len)
        return NULL;
    char *out = arena_alloc(arena, len), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < ns->len; i++) {
        if (!entry_is_conn(&ns->entries[i], conn))
            continue;
        if (p != out)
            *p++ = ',';
        size_t tlen = strlen(ns->entries[i].target);
        memcpy(p, ns->entries[i].target, tlen);
        p += tlen;
    }
    *p = '\0';
    return out;
}
