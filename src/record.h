/* One row of lshidden's output: an open file and who holds it. */
#ifndef LSHIDDEN_RECORD_H
#define LSHIDDEN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"

enum file_source {
    SOURCE_CWD,
    SOURCE_ROOT,
    SOURCE_EXE,
    SOURCE_FD,
    SOURCE_MMAP,
    SOURCE_URING_RING,
    SOURCE_URING_FIXED,
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

/* JSON needs a real null for "the kernel did not say", so booleans that can
 * be unknown get a third state instead of defaulting to false. */
enum tristate { TRI_UNKNOWN = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

/* Shared by all records of one process; lives in the scan's arena. */
struct process_info {
    pid_t pid;
    uid_t uid;
    bool has_uid;
    const char *command;
    const char *user;
};

/* Unknown numeric values use explicit has_* flags rather than sentinels
 * because 0 is a valid inode, slot, mount id and device. */
struct file_record {
    const struct process_info *proc;
    enum file_source source;
    bool hidden;
    enum file_type type;

    bool has_fd, has_ring_fd, has_ring_inode, has_slot, has_mount_id, has_dev, has_inode,
        has_sq_thread, has_user_bufs;
    int fd;
    int ring_fd;
    uint64_t ring_inode;
    uint32_t slot;
    int mount_id;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    int sq_thread;
    uint32_t user_bufs; /* registered buffers of the ring */

    const char *path; /* decoded bytes, NUL-terminated, arena-owned */
    bool path_complete;
    enum tristate deleted;
    const char *mountpoint; /* borrowed from the mount table */
    const char *note;       /* static text, for rows that need explaining */
    size_t seq;             /* insertion order, to make sorting stable */
};

struct record_list {
    struct file_record *items;
    size_t len, cap;
};

/* Returns a zeroed record appended to the list (all values unknown), or
 * NULL on allocation failure. */
struct file_record *record_list_add(struct record_list *list, const struct process_info *proc,
                                    enum file_source source);
/* Appends all of src (moved: src keeps its items until freed). */
int record_list_append(struct record_list *list, const struct record_list *src);
void record_list_sort(struct record_list *list);
void record_list_free(struct record_list *list);

const char *file_source_name(enum file_source source);
const char *file_type_name(enum file_type type);
enum file_type file_type_from_mode(mode_t mode);

#endif
