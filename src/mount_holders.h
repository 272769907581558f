/* Holders of a mount that are not file references of a process: loop
 * devices, swap files, binfmt_misc F interpreters, NFS exports and nfsd
 * state, submounts, and copies of the filesystem in other mount
 * namespaces.  Each finder appends --mount records (source SOURCE_LOOP, ...
 * with effect, possible and object set) and reports what it could not read
 * as warnings; none of them fails the run. */
#ifndef LSHIDDEN_MOUNT_HOLDERS_H
#define LSHIDDEN_MOUNT_HOLDERS_H

#include <stdbool.h>

#include "arena.h"
#include "mount_target.h"
#include "proc_list.h"
#include "record.h"
#include "warnings.h"

struct holder_scan {
    const struct mount_target *target;
    const char *proc_root;               /* "/proc", or a fixture tree (--proc-root) */
    const char *sys_root;                /* "/sys", or a fixture tree (--sys-root) */
    const char *dev_root;                /* "/dev": where loopN device nodes are opened */
    bool live;                           /* false for fixture trees: no ioctl, no stat */
    const struct process_set *processes; /* for finding mount namespaces */
    struct arena *arena;
    struct record_list *records;
    struct warning_list *warnings;
};

void holders_find_loop(struct holder_scan *hs);
void holders_find_swap(struct holder_scan *hs);
void holders_find_binfmt(struct holder_scan *hs);
void holders_find_nfsd(struct holder_scan *hs);
void holders_find_submounts(struct holder_scan *hs);
void holders_find_namespaces(struct holder_scan *hs);

#endif
