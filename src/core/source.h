/* The sources of rows, and everything lshidden knows about each one, in
 * one table: adding a source is one enum value and one table line. */
#ifndef LSHIDDEN_CORE_SOURCE_H
#define LSHIDDEN_CORE_SOURCE_H

#include <stdbool.h>

enum file_source {
    SOURCE_CWD,
    SOURCE_ROOT,
    SOURCE_EXE,
    SOURCE_FD,
    SOURCE_MMAP,
    SOURCE_URING_RING,
    SOURCE_URING_FIXED,
    /* A file a FUSE server registered for passthrough (FUSE_DEV_IOC_BACKING_OPEN). */
    SOURCE_FUSE_BACKING,
    /* Holders that are not a process's file references (--mount). */
    SOURCE_LOOP,
    SOURCE_SWAP,
    SOURCE_BINFMT,
    SOURCE_NFS_EXPORT,
    SOURCE_NFSD_STATE,
    SOURCE_SUBMOUNT,
    SOURCE_MOUNT_NS,
    SOURCE_BIND,
    SOURCE_OVERLAY,
    SOURCE_UNIX_SOCKET,
    SOURCE_UPROBE,
    SOURCE_FANOTIFY,
    SOURCE_IMAGE,
    SOURCE_DETACHED_MOUNT,
    SOURCE_CORE_DUMP,
    SOURCE_FS_CONTEXT,
    SOURCE_IN_FLIGHT,
    SOURCE_SYSCALL,
    SOURCE_COUNT
};

/* How --mount decides whether a row of the source holds the queried mount. */
enum holder_match {
    MATCH_PROCESS_REF,  /* by mount id, else device or path (possible) */
    MATCH_FIXED_FILE,   /* as a process reference, but a bare name may be anything */
    MATCH_FUSE_BACKING, /* a fixed file, or a connection that cannot be listed */
    MATCH_URING_RING,   /* a ring whose files /proc cannot list: possible */
    MATCH_FOUND,        /* a holder finder only adds rows that hold */
};

/* How the journal names who holds the mount. */
enum holder_wording {
    WORDING_FD,           /* "pid 42 (nginx) fd 5" */
    WORDING_PROCESS_LINK, /* "pid 42 (nginx) cwd" */
    WORDING_FIXED_FILE,   /* "pid 42 (db) io_uring fd 7 fixed file 3" */
    WORDING_FDLESS_RING,  /* "pid 42 (db) io_uring ring with no fd" */
    WORDING_FUSE,         /* "pid 42 (srv) FUSE connection 44 backing file" */
    WORDING_NAMESPACE,    /* "mount namespace mnt:[N] pids ..." */
    WORDING_OBJECT,       /* "loop /dev/loop0" */
    WORDING_IN_FLIGHT,    /* "pid 42 (db) file in flight", or with its object */
};

struct source_info {
    const char *name;   /* SOURCE column and JSON "source" */
    const char *holder; /* --mount HOLDER kind */
    bool hidden;        /* lsof, lsfd and fuser cannot see such rows */
    /* Row order within one process: cwd, root, exe, fds, mappings, then
     * rings and their slots, so a ring's fixed files read as one block. */
    int list_order;
    /* Counted as a process's reference in the --mount summary. */
    bool process_reference;
    /* --mount order: process references, io_uring, then the kernel's own
     * holders; equal ranks sort by pid. */
    int holder_rank;
    enum holder_match match;
    enum holder_wording wording;
    /* The --mount summary's noun for non-process holders ("loop device",
     * "loop devices"); NULL for process references. */
    const char *one, *many;
};

extern const struct source_info source_table[SOURCE_COUNT];

static inline const struct source_info *source_info(enum file_source source)
{
    return &source_table[source];
}

#endif
