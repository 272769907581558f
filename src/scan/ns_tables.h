/* Mount namespaces that no process is in, kept alive by an nsfs bind mount
 * (`unshare --mount=FILE`, `ip netns`-like tools), by an fd on
 * /proc/PID/ns/mnt, or by what neither shows (an io_uring fixed file, a
 * file in flight, an fd in a namespace we cannot see).  The first two are
 * found in our mount table and the fd rows, and their tables read by
 * entering each in a thread of our own; on 6.12+ the kernel's walk of
 * every namespace (scan/ns_walk.h) finds the rest, read with statmount.
 * All before the holder stage gives up the privileges both need; each
 * table goes into the scan's mount cache under the namespace's inode. */
#ifndef LSHIDDEN_SCAN_NS_TABLES_H
#define LSHIDDEN_SCAN_NS_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/mount_table.h"
#include "core/process_list.h"
#include "core/record.h"
#include "core/warnings.h"

struct orphan_ns {
    uint64_t ns;                     /* its inode: mnt:[ns] */
    const char *nsfs_mount;          /* the nsfs bind mount holding it, or NULL */
    const struct process_info *proc; /* else the process whose fd holds it */
    int fd;
    /* Found only by the kernel's walk (nothing above names it): its id for
     * statmount, and a row of ours whose file is the namespace (a fixed
     * file, say), or NULL. */
    bool walked;
    uint64_t id;
    const struct file_record *named_by;
    bool loaded; /* its table is in the cache */
};

struct orphan_ns_list {
    struct orphan_ns *items;
    size_t len, cap;
};

/* Finds them among self_mounts' nsfs entries and the fd rows of records,
 * then in the kernel's walk where it has one; leaves out the namespaces of
 * procs, and loads each one's table into cache.  Reports what it could not
 * read, and a walk it was refused, as warnings.  Returns 0 or -ENOMEM. */
int orphan_ns_collect(struct orphan_ns_list *out, struct mount_cache *cache,
                      const struct mount_ns *self_mounts, uint64_t self_ns,
                      const struct process_list *procs, const struct record_list *records,
                      const char *proc_root, struct warning_list *warnings);

#endif
