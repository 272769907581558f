/* What a handler gets for one process: the process, its /proc directory,
 * buffers, the worker's output, warnings and a lazy mount view.  Handlers
 * use these helpers and never call back into the walk. */
#ifndef LSHIDDEN_SCAN_PROC_CTX_H
#define LSHIDDEN_SCAN_PROC_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/fuse_conn.h"
#include "core/mount_table.h"
#include "core/procfs_io.h"
#include "core/record.h"
#include "core/warnings.h"
#include "parse/proc_names.h"
#include "scan/name_cache.h"
#include "scan/scan.h"
#include "util/arena.h"

/* sockfs and pipefs are single kernel-internal mounts: one statx() tells
 * the device and mount of every socket and pipe, so the rest skip it. */
struct pseudo_fs_identity {
    bool known, has_mount_id;
    unsigned dev_major, dev_minor;
    int mount_id;
};

/* What one worker thread fills; moved into the scan result at the end. */
struct scan_output {
    struct arena arena;
    struct record_list records;
    struct warning_list warnings;
    struct fuse_server_list fuse_servers;
    struct mount_cache mounts;
    struct read_buf link_buf, file_buf;
    struct pseudo_fs_identity sockfs, pipefs;
    struct name_cache names; /* io_uring fixed files' names */
};

struct proc_ctx {
    const struct scan_config *cfg;
    const struct kernel_release *kernel;
    uint64_t self_mnt_ns;
    const struct mount_ns *self_mounts; /* our own table, read from our root */
    struct process_info *proc;
    int dirfd; /* proc_root/PID */
    struct scan_output *out;
    /* Some fd could not be read: handlers cannot tell what no fd holds. */
    bool fds_incomplete;
    bool reported; /* a permission or vanished warning was already given */
    bool mounts_loaded;
    struct mount_ns *mounts;
    /* While a thread's own fd table is read: its tid, which its rows carry;
     * 0 for the process's own table. */
    pid_t tid;
};

/* A new row of this process. */
struct file_record *proc_ctx_emit(struct proc_ctx *ctx, enum file_source source);

/* proc_root/PID/what, in the arena (for warnings). */
char *proc_ctx_path(struct proc_ctx *ctx, const char *what);

/* Records a failed read of proc_root/PID/what, once per process for
 * permission and vanished errors.  Returns err. */
int proc_ctx_report(struct proc_ctx *ctx, int err, const char *what);

/* The process's mount table, loaded on first use; NULL if unreadable. */
struct mount_ns *proc_ctx_mounts(struct proc_ctx *ctx);

/* Whether the process sees our mount namespace (false when unknown). */
bool proc_ctx_same_mnt_ns(const struct proc_ctx *ctx);

/* The table a path the kernel printed for us is read against: ours when
 * the process shares our namespace (the path is from our root, and a
 * chrooted process's own table is from its root), else its own. */
const struct mount_ns *proc_ctx_names_table(struct proc_ctx *ctx);

/* Sets rec's mount point (and, from its device, its mount id) from the
 * process's table, when the columns ask for it. */
void proc_ctx_set_mountpoint(struct proc_ctx *ctx, struct file_record *rec);

#endif
