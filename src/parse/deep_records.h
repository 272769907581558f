/* The binary records the deep-scan BPF iterators (src/bpf/deep.bpf.c)
 * write to their seq_file and deep_decode.c reads back.
 *
 * Every record starts with a u32 kind and a u32 length.  Owner and
 * truncation records have a fixed length; a slot record is followed by
 * the file's name components, leaf first, each a u16 length and that many
 * bytes, ended by one of the DEEP_PATH_* marks, which says where the walk
 * towards the root stopped.
 * Host-endian and naturally aligned: both sides run on the same machine.
 * Kernel addresses (owner_key, file) are identities for matching only and
 * are never printed. */
#ifndef LSHIDDEN_DEEP_RECORDS_H
#define LSHIDDEN_DEEP_RECORDS_H

#ifndef LSHIDDEN_BPF_KERNEL_TYPES_H
#include <stdint.h>
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
#endif

enum deep_kind {
    DEEP_REC_OWNER = 1, /* a ring or FUSE object was reached, and how */
    DEEP_REC_SLOT = 2,  /* one file it holds */
    DEEP_REC_TRUNC = 3, /* the listing stopped early (seq buffer budget) */
    DEEP_REC_SEEN = 4,  /* one file it holds, whose path and facts an
                           earlier slot record gave (by path_id) */
};

enum deep_via {
    DEEP_VIA_FD = 1,         /* a ring in a task's fd table: fd = the fd */
    DEEP_VIA_VMA = 2,        /* a ring mapped by a task: fd = -1 */
    DEEP_VIA_REGISTERED = 3, /* task->io_uring->registered_rings[fd] */
    DEEP_VIA_FUSE_DEV = 4,   /* a /dev/fuse fd: owner = its connection, slots
                                = backing ids (backing_files_map) */
    DEEP_VIA_FUSE_FILE = 5,  /* an open passthrough file of a FUSE client:
                                slot 0 = its backing file (ff->passthrough),
                                slot 1 = its inode's (fuse_inode->fb) */
    DEEP_VIA_FUSE_CTL = 6,   /* the scanner's own fd on a fusectl connection
                                directory: like DEEP_VIA_FUSE_DEV, but it
                                reaches connections whose server is gone */
    DEEP_VIA_FUSE_MAP = 7,   /* a client's mapping of a passthrough file:
                                owner = the backing file the mapping holds
                                (vm_file), slot 0 = that file; fd = -1 */
    DEEP_VIA_TASK = 8,       /* a process the iterators saw (one record per
                                thread-group leader), then its references on
                                a --mount target's filesystem: owner = the
                                task; slot = the fd, or a DEEP_REF_* index */
    DEEP_VIA_PERF = 9,       /* a perf_event fd (--mount only): owner = the
                                event, nslots = its PMU type (attr.type) */
    DEEP_VIA_FSCONTEXT = 10, /* an fsopen() fd (--mount only): owner = its
                                fs_context, dev = the superblock it made
                                (0 before FSCONFIG_CMD_CREATE) */
    DEEP_VIA_INFLIGHT = 11,  /* an AF_UNIX socket fd (--mount only) whose
                                receive queue holds files sent with
                                SCM_RIGHTS: owner = the sock, slots = those
                                files on a target (index: position) */
    /* Requests in flight that hold a file on a --mount target (written by
     * inflight.bpf.c, loaded only for --mount).  Slots: those files, index
     * = position; the owner record comes before the first of them. */
    DEEP_VIA_AIO = 12,          /* a process's Linux AIO contexts: owner = its
                                   mm (all its contexts at once); fd = -1 */
    DEEP_VIA_URING_REQ = 13,    /* a ring fd's cancel table (poll-armed
                                   requests): owner = the table, fd = the
                                   ring fd, ino = the ring's inode */
    DEEP_VIA_URING_WORKER = 14, /* an io-wq worker thread's current request:
                                   owner = the worker, tid = its thread */
};

/* The most --mount targets whose superblocks the task references are
 * filtered on in the kernel. */
#define DEEP_MAX_TARGETS 16

/* Slot indexes of DEEP_VIA_TASK references that are not fds. */
#define DEEP_REF_CWD  0xffffff01u
#define DEEP_REF_ROOT 0xffffff02u
#define DEEP_REF_EXE  0xffffff03u
#define DEEP_REF_MAP  0xffffff04u

enum deep_layout {
    DEEP_LAYOUT_NONE = 0,        /* the kernel has neither layout below */
    DEEP_LAYOUT_RSRC_NODES = 1,  /* 6.13+: file_table.data.nodes[i]->file_ptr */
    DEEP_LAYOUT_FIXED_FILES = 2, /* up to 6.12: file_table.files[i].file_ptr */
};

struct deep_owner {
    u32 kind, len;
    u32 via;
    u32 pid; /* tgid */
    u32 tid;
    s32 fd;          /* fd, registered-ring index, or -1 */
    u64 owner_key;   /* io_ring_ctx, fuse_conn or fuse_file address */
    u64 ino;         /* ring inode; for DEEP_VIA_FUSE_FILE and _MAP the
                        FUSE inode; for DEEP_VIA_TASK its mount namespace */
    u32 dev;         /* kernel dev_t of the ring; FUSE: the connection;
                        DEEP_VIA_TASK: its network namespace */
    u32 nslots;      /* table size (FUSE_DEV: ids scanned) */
    u32 ring_flags;  /* IORING_SETUP_* */
    u32 layout;      /* enum deep_layout */
    u32 lists_slots; /* slot records for owner_key follow this record */
    /* A ring's details that fdinfo prints beside its table, when
     * ring_details is 1: its SQPOLL thread (-1: none) and how many
     * buffers it has registered. */
    s32 sq_thread;
    u32 user_bufs;
    u32 ring_details;
    char comm[16];
};

#define DEEP_SLOT_DELETED 0x1 /* d_unlinked(dentry) */
#define DEEP_SLOT_DNAME   0x2 /* pseudo file named by d_op->d_dname */

struct deep_slot {
    u32 kind, len;
    u64 owner_key;
    u64 file; /* struct file address: tells a FUSE inode's backing file
                 from the same one in the id table */
    u32 slot;
    u32 dev; /* kernel dev_t of the inode's superblock */
    u64 ino;
    u64 magic; /* superblock s_magic */
    u32 mode;
    s32 mnt_id;
    u32 flags;
    /* Names this record's path and facts for later DEEP_REC_SEEN
     * records, which then give only the id instead of walking the path
     * again; 0: not named. */
    u32 path_id;
};

/* A slot record in short: the same file as the earlier slot record with
 * this path_id (same dentry, mount and inode), reached again. */
struct deep_seen {
    u32 kind, len;
    u64 owner_key;
    u64 file;
    u32 slot;
    u32 path_id;
};

struct deep_trunc {
    u32 kind, len;
    u64 owner_key;
    u32 next_slot;
    u32 pad;
};

#define DEEP_PATH_END      0xffff /* at the root of a mount namespace */
#define DEEP_PATH_CUT      0xfffe /* deeper than DEEP_MAX_DEPTH or too long */
#define DEEP_PATH_DETACHED 0xfffd /* at the root of a detached mount tree */
#define DEEP_MAX_DEPTH     48
#define DEEP_NAME_MAX      255
#define DEEP_PATH_BYTES    4096

#endif
