/* The scan: every selected process in a /proc tree, turned into records.
 * Normal sources (fds, cwd, root, exe, mmaps) live in scan.c; hidden ones
 * in their own files (uring_files.c). */
#ifndef LSHIDDEN_SCAN_H
#define LSHIDDEN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "mounts.h"
#include "proc_list.h"
#include "procfs_io.h"
#include "record.h"
#include "warnings.h"

struct scan_options {
    const char *proc_root; /* "/proc" unless --proc-root */
    const char *sys_root;  /* "/sys", --sys-root, or NULL: a --proc-root snapshot has none */
    bool live;             /* proc_root is this kernel's /proc: stat() may be used */
    bool all;              /* -a: normal open files too */
    bool want_identity;    /* columns need type, dev, inode or mount id */
    bool want_mountpoint;
    const pid_t *pids;
    size_t npids;
    /* --mount: mappings of other devices cannot hold the mount, so they are
     * skipped before any stat(). */
    bool only_dev;
    unsigned only_dev_major, only_dev_minor;
    bool deep; /* --deep: also read the kernel's tables with BPF */
};

struct deep_scan;

struct kernel_release {
    bool known;
    unsigned major, minor, patch;
};

/* sockfs and pipefs are single kernel-internal mounts: one statx() tells
 * the device and mount of every socket and pipe, so the rest skip it. */
struct pseudo_fs_identity {
    bool known, has_mount_id;
    unsigned dev_major, dev_minor;
    int mount_id;
};

/* A /dev/fuse fd: the server side of a FUSE connection. */
struct fuse_server_fd {
    const struct process_info *proc;
    int fd;
    bool has_conn; /* fdinfo "fuse_connection:" (6.16+), or inferred */
    bool inferred; /* from the mount's type, not from the kernel */
    uint32_t conn;
};

struct fuse_server_list {
    struct fuse_server_fd *items;
    size_t len, cap;
};

/* A scan, and also each worker thread's share of one: workers are copies
 * that share the options and the /proc fd and own everything they fill. */
struct scan {
    struct scan_options opts;
    int proc_fd;
    uint64_t self_mnt_ns; /* 0 if unknown */
    struct kernel_release kernel;
    struct arena arena;
    struct process_set processes;
    struct record_list records;
    struct warning_list warnings;
    struct mount_cache mounts;
    struct read_buf link_buf, file_buf;
    struct pseudo_fs_identity sockfs, pipefs;
    struct fuse_server_list fuse_servers;
    /* Connections whose backing files this kernel does not list. */
    uint32_t *fuse_unlisted;
    size_t nfuse_unlisted;
    struct scan *workers;
    size_t nworkers;
    /* --deep's findings, NULL without it or when it could not run. */
    struct deep_scan *deep;
};

/* The state of one process while it is scanned. */
struct proc_scan {
    struct scan *scan;
    const struct process_info *proc;
    int dirfd;     /* proc_root/PID */
    bool reported; /* a permission or vanished warning was already given */
    bool mounts_loaded, ns_known;
    uint64_t mnt_ns;
    struct mount_ns *mounts;
    /* Inodes of the rings reachable through fds, to tell which mapped
     * rings have no fd left.  ring_inodes_unknown: some ring fd's inode
     * could not be read, so no mapped ring can be called fd-less. */
    uint64_t *ring_inodes;
    size_t nring_inodes, ring_inodes_cap;
    bool ring_inodes_unknown;
};

int scan_init(struct scan *scan, const struct scan_options *opts);
int fuse_server_list_add(struct fuse_server_list *list, const struct fuse_server_fd *server);
/* Returns 0, or -errno when nothing could be scanned at all. */
int scan_run(struct scan *scan);
void scan_free(struct scan *scan);

/* Helpers shared by the per-source scanners. */
struct file_record *proc_scan_emit(struct proc_scan *ps, enum file_source source);
/* Records a failed read of proc_root/PID/what, once per process for
 * permission and vanished errors.  Returns err. */
int proc_scan_report(struct proc_scan *ps, int err, const char *what);
void proc_scan_set_mountpoint(struct proc_scan *ps, struct file_record *rec);
/* The process's mount table, loaded on first use; NULL if unreadable. */
struct mount_ns *proc_scan_mounts(struct proc_scan *ps);
/* Our own mount table (proc_root/self/mountinfo), loaded on first use;
 * NULL if unreadable.  Main thread only: workers do not share the cache. */
struct mount_ns *scan_self_mounts(struct scan *scan);
/* Whether the process sees the same mount namespace as we do (false when
 * unknown). */
bool proc_scan_same_mnt_ns(struct proc_scan *ps);
char *proc_scan_path(struct proc_scan *ps, const char *what); /* arena */

#endif
