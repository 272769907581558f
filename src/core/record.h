/* One row of lshidden's output: an open file and who holds it. */
#ifndef LSHIDDEN_CORE_RECORD_H
#define LSHIDDEN_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/source.h"
#include "util/arena.h"

/* What a holder does to an unmount of the queried mount (--mount). */
enum holder_effect {
    EFFECT_NONE,          /* not a --mount row */
    EFFECT_BLOCKS_UMOUNT, /* umount of the mount fails with EBUSY */
    EFFECT_KEEPS_ALIVE,   /* umount succeeds, the filesystem lives on */
};

enum file_type {
    FTYPE_UNKNOWN,
    FTYPE_REG,
    FTYPE_DIR,
    FTYPE_SOCK,
    FTYPE_FIFO,
    FTYPE_CHR,
    FTYPE_BLK,
    FTYPE_ANON,
};

/* Where a row's facts came from. */
enum record_method {
    METHOD_PROCFS, /* /proc and /sys text */
    METHOD_BPF,    /* the kernel's own tables, read with BPF iterators */
};

/* Where a row's type, device, inode and mount id came from: a lookup by
 * name may have found another file by now, the other two cannot. */
enum identity_origin {
    IDENTITY_NONE,   /* not known */
    IDENTITY_KERNEL, /* the kernel's own tables (BPF iterators) */
    IDENTITY_FD,     /* the reference itself: /proc/PID/fd/N, cwd, root, exe, map_files */
    IDENTITY_PATH,   /* looked up by the name the kernel printed */
};

/* JSON needs a real null for "the kernel did not say", so booleans that can
 * be unknown get a third state instead of defaulting to false. */
enum tristate { TRI_UNKNOWN = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

/* Shared by all records of one process; lives in the scan's arena.  Holders
 * that are not processes (loop devices, swap, ...) have no process_info. */
struct process_info {
    pid_t pid;
    uid_t uid;
    bool has_uid;
    const char *command;
    const char *user;
    /* Its mount namespace, read once by the scan (ns/mnt); mnt_ns_error
     * is the -errno of that read, 0 when it worked or was not tried. */
    bool has_mnt_ns;
    uint64_t mnt_ns;
    int mnt_ns_error;
    /* Its network namespace, from the kernel view (bound sockets are read
     * once per network namespace); 0 when not known. */
    uint64_t net_ns;
    /* From its cgroup (parse/cgroup_parse.h); NULL when it names none. */
    const char *unit;      /* systemd unit: "postgresql.service" */
    const char *container; /* short container id */
    /* What the walk saw of its requests in flight, which /proc cannot
     * name: its Linux AIO contexts (/[aio] mappings), and whether it has an
     * io_uring ring (by fd or mapping). */
    unsigned aio_contexts;
    bool has_ring;
};

/* Unknown numeric values use explicit has_* flags rather than sentinels
 * because 0 is a valid inode, slot, mount id and device.  Packed (flags
 * in bits, enums in a byte) since a host can have a million rows. */
struct file_record {
    const struct process_info *proc;
    const char *path;       /* decoded bytes, NUL-terminated, arena-owned */
    const char *mountpoint; /* borrowed from the mount table */
    const char *note;       /* static text, for rows that need explaining */
    const char *fuse_mount; /* /dev/fuse fds and FUSE backing files: mount
                               point(s) of the connection, comma-separated */
    const char *object;     /* --mount: what holds it: "/dev/loop0", a binfmt entry, ... */
    const char *hint;       /* --mount: what releases it ("umount /x", "kill 42") */
    uint64_t ring_inode;
    uint64_t inode;
    uint64_t mnt_ns; /* --mount */
    uint32_t seq;    /* insertion order, to make sorting stable */
    pid_t tid;
    int fd;
    int ring_fd;
    uint32_t slot;
    int mount_id;
    unsigned dev_major, dev_minor;
    int sq_thread;
    uint32_t user_bufs; /* registered buffers of the ring */
    uint32_t fuse_conn;
    uint32_t backing_id;
    /* A perf_event fd's PMU type, from the kernel view (--mount). */
    uint32_t perf_type;
    /* An fsopen() fd's superblock, from the kernel view (--mount); 0:0
     * when it made none yet. */
    unsigned context_sb_major, context_sb_minor;
    enum file_type type;
    enum file_source source : 8;
    enum record_method method : 8;
    enum identity_origin identity : 8;
    enum tristate deleted : 8;
    enum holder_effect effect : 8; /* --mount rows only */

    bool hidden : 1;
    bool has_tid : 1; /* a thread's own reference (its own fd table) */
    bool has_fd : 1, has_ring_fd : 1, has_ring_inode : 1, has_slot : 1, has_mount_id : 1,
        has_dev : 1, has_inode : 1, has_sq_thread : 1, has_user_bufs : 1;
    bool path_complete : 1;
    /* The kernel view ran but did not see this (a ring made after its
     * pass): not checked, so --mount leaves it out rather than guess. */
    bool unchecked : 1;
    bool has_fuse_conn : 1, has_backing_id : 1;
    bool possible : 1; /* --mount: the kernel does not say for sure (e.g. a basename) */
    bool has_mnt_ns : 1, has_perf_type : 1, has_context_sb : 1;
};

/* Rows are allocated in an arena and never move: a list holds pointers,
 * so a handler may keep a row and fill it in later, and sorting or
 * filtering moves pointers only. */
struct record_list {
    struct file_record **items;
    size_t len, cap;
    struct arena *arena; /* where record_list_add() allocates */
};

void record_list_init(struct record_list *list, struct arena *arena);
/* Returns a zeroed record appended to the list (all values unknown, hidden
 * as its source says), or NULL on allocation failure. */
/* "VERB fd FD of PID, or kill PID" in arena: the HINT of a holder that is
 * one fd of a process (verb "close", or "read or close"). */
const char *fd_release_hint(struct arena *arena, const char *verb, int fd, pid_t pid);

struct file_record *record_list_add(struct record_list *list, const struct process_info *proc,
                                    enum file_source source);
/* Appends every row of src (the rows stay in src's arena). */
int record_list_append(struct record_list *list, const struct record_list *src);
/* Within a process: in the source table's list order, fds by number, a
 * ring's slots together. */
void record_list_sort(struct record_list *list);
/* Frees the pointer array; the rows live as long as their arena. */
void record_list_free(struct record_list *list);

const char *file_source_name(enum file_source source);
const char *holder_effect_name(enum holder_effect effect);
const char *file_type_name(enum file_type type);
const char *record_method_name(enum record_method method);
const char *identity_origin_name(enum identity_origin origin); /* NULL for none */
enum file_type file_type_from_mode(mode_t mode);

#endif
