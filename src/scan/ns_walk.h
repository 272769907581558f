/* Every mount namespace on the system, including those no process is in
 * and no mount table or fd names (kept by an io_uring fixed file, a file in
 * flight, an nsfs fd in another namespace...), and each one's mounts.
 *
 * Linux 6.12+: an nsfs fd of a mount namespace answers NS_MNT_GET_NEXT
 * and NS_MNT_GET_PREV with an fd of the next (previous) namespace in id
 * order, skipping those whose owning user namespace the caller lacks
 * CAP_SYS_ADMIN over, and ENOENT at the end; stable kernels since
 * 2026 refuse both (EPERM) unless the caller has CAP_SYS_ADMIN in the
 * initial user namespace and is in the initial PID namespace.  A
 * namespace's mounts are read with listmount(2) and statmount(2) by its
 * 64-bit id, without entering it.  Linux 6.1 has neither: ENOTTY. */
#ifndef LSHIDDEN_SCAN_NS_WALK_H
#define LSHIDDEN_SCAN_NS_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mount_table.h"

struct mnt_ns_seen {
    uint64_t inode; /* mnt:[inode], as /proc/PID/ns/mnt names it */
    uint64_t id;    /* what listmount and statmount take */
};

struct mnt_ns_seen_list {
    struct mnt_ns_seen *items;
    size_t len, cap;
};

/* Appends every mount namespace the walk visits, ours included, starting
 * from proc_root/self/ns/mnt.  Returns 0; -ENOTTY, -EINVAL or -ENOSYS
 * when this kernel cannot walk; -EPERM when it does not let us; -ENOMEM;
 * or another -errno (what was visited so far is kept). */
int mnt_ns_walk(const char *proc_root, struct mnt_ns_seen_list *out);

/* Whether the walk sees every namespace: CAP_SYS_ADMIN, in the initial user
 * and PID namespaces (their fixed inodes), as the kernel asks. */
bool mnt_ns_walk_sees_all(const char *proc_root);

/* The mount table of namespace id, read with listmount and statmount
 * and shared under inode.  NULL with *err: -ENOENT when the namespace is
 * gone, -ENOSYS when the kernel lacks the calls, -ENOMEM, or another
 * -errno. */
struct mount_ns *mnt_ns_read_table(uint64_t id, uint64_t inode, int *err);

#endif
