/* Folds the kernel's view (--deep) into the /proc rows: rows both found
 * get the kernel's exact identity and method "bpf"; files only the kernel
 * view sees (rings with no fd or mapping, FUSE backing files) become new
 * hidden rows.  Pure: it reads and extends a scan result in memory, so
 * unit tests drive it with hand-made kernel views, without root or BPF. */
#ifndef LSHIDDEN_DEEP_DEEP_MERGE_H
#define LSHIDDEN_DEEP_DEEP_MERGE_H

#include <stdbool.h>

#include "deep/deep_scan.h"
#include "parse/deep_decode.h"
#include "scan/scan.h"

struct deep_merge_options {
    bool want_mountpoint; /* the columns ask for MOUNTPOINT */
    bool selected_pids;   /* -p: only connections those processes serve */
    bool hidden_only;     /* the listing of hidden files alone (no -a, no --mount) */
    /* The kernel view read every task's references on the --mount targets
     * in full: processes /proc hid get rows from them, and count as seen. */
    bool task_refs;
};

/* Before 6.16 only the kernel view knows which connection a /dev/fuse fd
 * serves: fills in res->fuse_servers (and the -a rows of those fds) where
 * the /proc scan had no answer or only a guess from the mount's type.
 * Runs before the backing files are listed, which need each one's server. */
void deep_merge_fuse_servers(struct scan_result *res, const struct deep_result *kernel);

/* Drops from res->fuse_unlisted the connections whose backing-id tables
 * the kernel view read in full. */
void deep_forget_listed_fuse(struct scan_result *res, const struct deep_scan *ds);

/* The rows it adds or changes point at kernel's paths (kernel->strings):
 * kernel must outlive res's rows.  A ring's files are released once they
 * are rows (its object keeps nfiles 0): a million fixed files are not held
 * twice at the run's peak. */
void deep_merge(struct scan_result *res, struct deep_result *kernel,
                const struct deep_merge_options *opts);

/* Files on a --mount target held by requests in flight (inflight_scan:
 * Linux AIO poll requests, io_uring requests on plain fds): hidden rows
 * of source in-flight for the process that made each request, unless
 * that process has the file open by an fd as well.  Like deep_merge(),
 * the rows point at requests' paths: it must outlive them. */
void deep_merge_requests(struct scan_result *res, const struct deep_result *requests,
                         const struct deep_merge_options *opts);

#endif
