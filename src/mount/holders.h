/* Holders of a mount that are not file references of a process: loop
 * devices, swap files, binfmt_misc F interpreters, NFS exports and nfsd
 * state, submounts, copies of the filesystem in other mount namespaces,
 * bind mounts of the filesystem elsewhere, overlays with a layer on it,
 * bound unix sockets, uprobes, fanotify groups, images mounted from a
 * file, detached mounts, core dumps, and FUSE connections whose backing
 * files cannot be listed.  Each finder appends --mount records
 * (source SOURCE_LOOP, ... with effect, possible and object set) and reports what it could not read
 * as warnings; none of them fails the run. */
#ifndef LSHIDDEN_MOUNT_HOLDERS_H
#define LSHIDDEN_MOUNT_HOLDERS_H

#include <stdbool.h>

#include "core/process_list.h"
#include "core/record.h"
#include "core/warnings.h"
#include "mount/mount_filter.h"
#include "mount/mount_target.h"
#include "scan/scan.h"
#include "util/arena.h"

struct ns_member; /* one process's mount namespace (holders_mounts.c) */

/* The target's copy in one other mount namespace. */
struct ns_copy {
    size_t first, n;                   /* the namespace's members, in ns_copies.members */
    const struct process_info *reader; /* the member its table was read through */
    const struct mount_entry *entry;
    bool receives; /* receives propagation from the target: blocks its umount */
};

/* Found once per target: the namespaces' tables are read, and what they
 * say warned about, one time. */
struct ns_copies {
    bool found;
    struct ns_member *members;
    struct {
        struct ns_copy *items;
        size_t len, cap;
    } list;
    struct {
        int *items;
        size_t len, cap;
    } receiver_ids;
};

struct holder_scan {
    const struct mount_target *target;
    const char *proc_root; /* "/proc", or a fixture tree (--proc-root) */
    const char *sys_root;  /* "/sys", or a fixture tree (--sys-root) */
    const char *dev_root;  /* "/dev": where loopN device nodes are opened */
    bool live;             /* false for fixture trees: no ioctl, no stat */
    struct scan_result *res;
    /* Shorthands into res. */
    const struct process_list *processes;
    struct arena *arena;
    struct record_list *records;
    /* Every row of the scan before the filter kept the target's: finders
     * that look at fds of other kinds (a fanotify group, a detached mount)
     * read them here. */
    const struct record_list *all_rows;
    struct warning_list *warnings;
    /* The kernel view read the target's references (task refs, unix
     * receive queues): what only /proc could guess at is known. */
    bool kernel_view;
    /* The kernel view read every process's Linux AIO contexts: a pending
     * poll request's file is a row of its own (source in-flight). */
    bool aio_view;
    struct ns_copies copies; /* zeroed by the caller; holder_scan_free() */
};

void holder_scan_free(struct holder_scan *hs);

/* Mount ids that stand for the target itself: its copies in other mount
 * namespaces whose parent receives propagation from the target's parent
 * (a peer or a slave of its peer group).  An umount here propagates to
 * them, so a reference to one of them blocks it as one to the target
 * does.  Owned by hs. */
struct mount_ids holders_find_receivers(struct holder_scan *hs);

/* Every finder, in the order their rows are listed. */
void holders_find_all(struct holder_scan *hs);

void holders_find_fuse(struct holder_scan *hs);
void holders_find_loop(struct holder_scan *hs);
void holders_find_swap(struct holder_scan *hs);
void holders_find_binfmt(struct holder_scan *hs);
void holders_find_nfsd(struct holder_scan *hs);
void holders_find_submounts(struct holder_scan *hs);
void holders_find_namespaces(struct holder_scan *hs);
void holders_find_orphan_namespaces(struct holder_scan *hs);
void holders_find_binds(struct holder_scan *hs);

/* The HINT of every row that has none yet (mount/holder_hint.c). */
void holders_set_hints(struct holder_scan *hs);
/* "umount PATH", PATH quoted for a shell. */
const char *holder_umount_hint(struct holder_scan *hs, const char *mountpoint);
void holders_find_overlays(struct holder_scan *hs);
void holders_find_unix_sockets(struct holder_scan *hs);
void holders_find_uprobes(struct holder_scan *hs);
void holders_find_fanotify(struct holder_scan *hs);
void holders_find_images(struct holder_scan *hs);
void holders_find_detached(struct holder_scan *hs);
void holders_find_core_dumps(struct holder_scan *hs);
void holders_find_fs_contexts(struct holder_scan *hs);
void holders_find_inflight(struct holder_scan *hs);
void holders_find_blocked_syscalls(struct holder_scan *hs);

#endif
