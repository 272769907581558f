/* Mount tables, read with libmount once per mount namespace: the one
 * mountinfo reader of lshidden.  Mount ids are unique system-wide, but
 * mount points are only meaningful inside the namespace (and root) of the
 * process that holds the file. */
#ifndef LSHIDDEN_CORE_MOUNT_TABLE_H
#define LSHIDDEN_CORE_MOUNT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

struct libmnt_table;

struct mount_entry {
    int id, parent_id;
    unsigned dev_major, dev_minor;
    /* Decoded, owned by the libmount table. */
    const char *target;
    const char *root; /* of the mount within its filesystem */
    const char *fstype;
    const char *source;
    const char *fs_options; /* the superblock's (overlay layers); may be NULL */
    size_t order;           /* line of mountinfo: later mounts stack on earlier ones */
    /* Peer groups (mountinfo's optional fields "shared:N", "master:N"); 0
     * when none.  An umount propagates to the peers and slaves. */
    unsigned shared, master;
};

struct mount_ns {
    uint64_t ns_inode; /* 0 when the namespace could not be identified */
    struct libmnt_table *table;
    struct mount_entry *entries; /* sorted by id */
    size_t len;
    /* Lines libmount could not parse (skipped), and the first of them. */
    unsigned bad_lines, first_bad_line;
};

/* Every table a scan loaded, shared by namespace. */
struct mount_cache {
    struct mount_ns **items;
    size_t len, cap;
};

/* The table of namespace ns_inode, loaded from mountinfo_path on first use.
 * ns_inode 0 means unknown: the table is loaded but not shared, and so is
 * an empty one (a zombie's mountinfo).  Returns NULL with *err set (-errno)
 * on failure. */
struct mount_ns *mount_cache_get(struct mount_cache *cache, uint64_t ns_inode,
                                 const char *mountinfo_path, int *err);
/* The table of ns_inode if one is loaded, else NULL. */
struct mount_ns *mount_cache_find(const struct mount_cache *cache, uint64_t ns_inode);
/* Moves every table of other into cache (other ends up empty). */
int mount_cache_adopt(struct mount_cache *cache, struct mount_cache *other);
/* The entry of mount id in any loaded table (ids are system-wide). */
const struct mount_entry *mount_cache_find_id(const struct mount_cache *cache, int id);
void mount_cache_free(struct mount_cache *cache);

/* A table read from a buffer rather than a file (tests).  Returns NULL
 * with *err set on failure; free with mount_ns_free(). */
struct mount_ns *mount_ns_parse_text(const char *text, size_t len, int *err);
void mount_ns_free(struct mount_ns *ns);

const struct mount_entry *mount_ns_find_id(const struct mount_ns *ns, int id);

/* The single mount of device maj:min in ns, or NULL when there is none or
 * several (bind mounts) and the device alone cannot say which. */
const struct mount_entry *mount_ns_find_dev(const struct mount_ns *ns, unsigned dev_major,
                                            unsigned dev_minor);

/* Who answers a lookup on a filesystem: memory and local disks, or a
 * server that may never answer (a stopped FUSE daemon, an unreachable NFS
 * server).  The one list of such filesystem types is in mount_table.c. */
enum fs_server { FS_LOCAL, FS_FUSE, FS_NETWORK };
enum fs_server fstype_server(const char *fstype);

/* Whether mount point mountpoint covers the absolute path (by its text). */
bool mount_point_covers(const char *mountpoint, const char *path);

/* The mount an absolute path lies on by its text: the longest covering
 * mount point, the one mounted last where several are stacked; NULL if
 * none covers it. */
const struct mount_entry *mount_ns_cover(const struct mount_ns *ns, const char *path);

/* Whether the entry is a FUSE mount (fuse, fuse.NAME, fuseblk; not
 * fusectl), and then its connection: the kernel dev_t of the superblock,
 * the minor of an anonymous 0:N device for "fuse", (major << 20 | minor)
 * of the block device for "fuseblk". */
bool mount_entry_fuse_conn(const struct mount_entry *entry, uint32_t *conn);
bool mount_ns_has_fuse(const struct mount_ns *ns);

/* Mount point(s) of FUSE connection conn in ns, comma-separated, in the
 * arena; NULL if none. */
const char *mount_ns_fuse_mountpoints(const struct mount_ns *ns, uint32_t conn,
                                      struct arena *arena);

#endif
