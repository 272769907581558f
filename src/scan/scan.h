/* The scan: every selected process of a /proc tree turned into rows, plus
 * what the kernel's tables in /sys add (FUSE backing files).  The result
 * is a plain struct that every later stage reads and extends; nothing in
 * it points back into the scanner. */
#ifndef LSHIDDEN_SCAN_SCAN_H
#define LSHIDDEN_SCAN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/fuse_conn.h"
#include "core/mount_table.h"
#include "core/process_list.h"
#include "core/record.h"
#include "core/warnings.h"
#include "parse/deep_decode.h"
#include "parse/proc_names.h"
#include "scan/fusectl.h"
#include "scan/ns_tables.h"
#include "scan/unix_sockets.h"
#include "scan/uprobes.h"
#include "util/arena.h"

/* A ring whose every fixed file the kernel view listed. */
struct kernel_ring {
    uint64_t inode;
    /* What its fdinfo would add, known: its SQPOLL thread (-1: none) and
     * registered buffers. */
    bool details;
    int sq_thread;
    uint32_t user_bufs;
};

/* One process's fd table as the kernel view read it (-a). */
struct kernel_fd_table {
    pid_t pid;
    const struct deep_file *files; /* index: the fd (other indexes are skipped) */
    size_t nfiles;
};

struct scan_config {
    const char *proc_root; /* "/proc" unless --proc-root */
    const char *sys_root;  /* "/sys", --sys-root, or NULL: a --proc-root snapshot has none */
    bool live;             /* proc_root is this kernel's /proc: stat() may be used */
    bool all;              /* -a: normal open files too */
    bool want_identity;    /* columns need type, dev, inode or mount id */
    bool want_mountpoint;
    bool want_owner;   /* the unit and container of each process (its cgroup) */
    const pid_t *pids; /* -p; npids 0: every process */
    size_t npids;
    /* pids are not the user's but the kernel view's narrowing of the
     * walk: one that has exited since is no warning. */
    bool pids_from_kernel;
    /* The rings whose every slot the kernel view listed, sorted by inode:
     * the walk looks no name of theirs up, and reads no fdinfo of those
     * whose details it has. */
    const struct kernel_ring *rings_listed;
    size_t nrings_listed;
    /* -a: the fd tables the kernel view read, sorted by pid: these
     * processes' fds are rows from them, not a readlink and a statx each. */
    const struct kernel_fd_table *fd_tables;
    size_t nfd_tables;
    /* --mount: mappings of other devices cannot hold the mount, so they are
     * skipped before any stat(). */
    bool only_dev;
    unsigned only_dev_major, only_dev_minor;
};

/* A FUSE connection whose backing files no table in /sys lists. */
struct fuse_unlisted {
    uint32_t conn;
    pid_t server;     /* 0: no process serves it */
    const char *path; /* the backing_files file looked for, in the arena */
};

struct fuse_unlisted_list {
    struct fuse_unlisted *items;
    size_t len, cap;
};

struct scan_result {
    struct arena arena; /* rows, processes and strings */
    struct process_list processes;
    struct record_list records;
    struct warning_list warnings;
    struct mount_cache mounts;    /* every mount table read, ours first */
    struct mount_ns *self_mounts; /* proc_root/self/mountinfo; NULL if unreadable */
    uint64_t self_mnt_ns;         /* 0 if unknown */
    struct kernel_release kernel;
    struct fuse_server_list fuse_servers; /* sorted by pid, fd */
    struct fuse_unlisted_list fuse_unlisted;
    struct fusectl fusectl; /* /sys/fs/fuse/connections, opened on first use */
    /* --mount: kernel holders read before the holder stage drops the
     * privileges their reads need. */
    struct bound_sockets bound_sockets;
    struct uprobe_table uprobes;
    struct orphan_ns_list orphan_ns; /* mount namespaces no process is in */
};

/* Reads what every stage needs before the walk: the kernel release, our
 * mount namespace and table.  Returns 0 or -errno (proc_root unusable). */
int scan_result_init(struct scan_result *res, const struct scan_config *cfg);

/* Walks every selected process (a thread per CPU) into res.  Returns 0, or
 * -errno when nothing could be scanned at all. */
int scan_processes(const struct scan_config *cfg, struct scan_result *res);

/* The same walk in two calls, for -a with the kernel view: _begin reads
 * of every process what needs only /proc (cwd, root, exe, mappings) while
 * the view runs in another thread; _end, given cfg with the view's fd
 * tables, reads the fds and finishes.  _end is called after a _begin that
 * returned 0, and frees the walk. */
struct scan_walk;
int scan_processes_begin(const struct scan_config *cfg, struct scan_result *res,
                         struct scan_walk **walk);
int scan_processes_end(struct scan_walk *walk, const struct scan_config *cfg);

void scan_result_free(struct scan_result *res);

#endif
