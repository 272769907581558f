#include "mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <libmount/libmount.h>

static int cmp_entry(const void *a, const void *b)
{
    const struct mount_entry *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int mount_ns_load(struct mount_ns *ns, const char *mountinfo_path)
{
    ns->table = mnt_new_table();
    if (!ns->table)
        return -ENOMEM;
    int r = mnt_table_parse_file(ns->table, mountinfo_path);
    if (r < 0)
        return r == -ENOENT || r == -EACCES || r == -EPERM ? r : -EINVAL;

    size_t n = (size_t)mnt_table_get_nents(ns->table);
    ns->entries = calloc(n ? n : 1, sizeof(*ns->entries));
    if (!ns->entries)
        return -ENOMEM;
    struct libmnt_iter *iter = mnt_new_iter(MNT_ITER_FORWARD);
    if (!iter)
        return -ENOMEM;
    struct libmnt_fs *fs;
    while (ns->len < n && mnt_table_next_fs(ns->table, iter, &fs) == 0) {
        struct mount_entry *e = &ns->entries[ns->len++];
        dev_t dev = mnt_fs_get_devno(fs);
        e->id = mnt_fs_get_id(fs);
        e->dev_major = major(dev);
        e->dev_minor = minor(dev);
        e->target = mnt_fs_get_target(fs);
        e->fstype = mnt_fs_get_fstype(fs);
    }
    mnt_free_iter(iter);
    qsort(ns->entries, ns->len, sizeof(*ns->entries), cmp_entry);
    return 0;
}

static void mount_ns_free(struct mount_ns *ns)
{
    if (!ns)
        return;
    mnt_unref_table(ns->table);
    free(ns->entries);
    free(ns);
}

struct mount_ns *mount_cache_get(struct mount_cache *cache, uint64_t ns_inode,
                                 const char *mountinfo_path, int *err)
{
    if (ns_inode)
        for (size_t i = 0; i < cache->len; i++)
            if (cache->items[i]->ns_inode == ns_inode)
                return cache->items[i];

    if (cache->len == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 8;
        struct mount_ns **items = realloc(cache->items, cap * sizeof(*items));
        if (!items) {
            *err = -ENOMEM;
            return NULL;
        }
        cache->items = items;
        cache->cap = cap;
    }
    struct mount_ns *ns = calloc(1, sizeof(*ns));
    if (!ns) {
        *err = -ENOMEM;
        return NULL;
    }
    ns->ns_inode = ns_inode;
    int r = mount_ns_load(ns, mountinfo_path);
    if (r < 0) {
        mount_ns_free(ns);
        *err = r;
        return NULL;
    }
    /* Tables of unidentified namespaces are kept only so that their
     * strings outlive the records that point at them. */
    cache->items[cache->len++] = ns;
    return ns;
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

bool mount_entry_is_fuse_conn(const struct mount_entry *e, uint32_t conn)
{
    if (!e->fstype || strncmp(e->fstype, "fuse", 4) != 0 || strcmp(e->fstype, "fusectl") == 0)
        return false;
    if (strcmp(e->fstype, "fuseblk") == 0)
        return ((uint32_t)e->dev_major << 20 | e->dev_minor) == conn;
    return e->dev_major == 0 && e->dev_minor == conn;
}

void mount_cache_free(struct mount_cache *cache)
{
    for (size_t i = 0; i < cache->len; i++)
        mount_ns_free(cache->items[i]);
    free(cache->items);
    memset(cache, 0, sizeof(*cache));
}
