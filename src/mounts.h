/* Mount tables, read once per mount namespace with libmount.  Mount ids are
 * unique system-wide, but mount points are only meaningful inside the
 * namespace (and root) of the process that holds the file. */
#ifndef LSHIDDEN_MOUNTS_H
#define LSHIDDEN_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct libmnt_table;

struct mount_entry {
    int id;
    unsigned dev_major, dev_minor;
    const char *target; /* owned by the libmount table */
    const char *fstype;
};

struct mount_ns {
    uint64_t ns_inode; /* 0 when the namespace could not be identified */
    struct libmnt_table *table;
    struct mount_entry *entries; /* sorted by id */
    size_t len;
};

struct mount_cache {
    struct mount_ns **items;
    size_t len, cap;
};

/* The table of namespace ns_inode, loaded from mountinfo_path on first use.
 * ns_inode 0 means unknown: the table is loaded but not shared.  Returns
 * NULL with *err set (-errno) on failure. */
struct mount_ns *mount_cache_get(struct mount_cache *cache, uint64_t ns_inode,
                                 const char *mountinfo_path, int *err);

const struct mount_entry *mount_ns_find_id(const struct mount_ns *ns, int id);

/* The single mount of device maj:min in ns, or NULL when there is none or
 * several (bind mounts) and the device alone cannot say which. */
const struct mount_entry *mount_ns_find_dev(const struct mount_ns *ns, unsigned dev_major,
                                            unsigned dev_minor);

/* FUSE connection `conn` is the kernel dev_t of the superblock: minor of
 * an anonymous 0:N device for "fuse", (major << 20 | minor) of the block
 * device for "fuseblk". */
bool mount_entry_is_fuse_conn(const struct mount_entry *entry, uint32_t conn);

void mount_cache_free(struct mount_cache *cache);

#endif
