/* The deep scan's findings, decoded from the BPF iterators' binary records
 * (deep_records.h).  Pure: a buffer in, objects out, no I/O, so unit tests
 * and the fuzzer drive it directly. */
#ifndef LSHIDDEN_PARSE_DEEP_DECODE_H
#define LSHIDDEN_PARSE_DEEP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parse/deep_records.h"
#include "util/arena.h"

enum deep_object_kind {
    DEEP_OBJ_RING,      /* an io_uring ring and its fixed-file table */
    DEEP_OBJ_FUSE_CONN, /* a FUSE connection and its backing-id table */
    DEEP_OBJ_FUSE_OPEN, /* a passthrough file of a FUSE client, open or mapped */
    DEEP_OBJ_TASK,      /* a task's references on a --mount target (files:
                           index is the fd, or a DEEP_REF_* value) */
    DEEP_OBJ_PERF,      /* a perf_event fd: nslots is its PMU type */
    DEEP_OBJ_FSCONTEXT, /* an fsopen() fd: dev is the superblock it holds (0:0: none) */
    DEEP_OBJ_INFLIGHT,  /* an AF_UNIX socket: files sent to it and not received */
    DEEP_OBJ_AIO,       /* a process's Linux AIO contexts: files of their
                           pending poll requests */
    DEEP_OBJ_URING_REQ, /* io_uring requests on plain fds: a ring's cancel
                           table (inode: the ring's), or an io-wq worker's
                           current request (reached by the worker's tid) */
};

/* One way an object was reached: a task's fd, mapping or registered ring
 * index (io_uring), a /dev/fuse fd, or a client's fd on a FUSE file. */
struct deep_reach {
    enum deep_via via;
    pid_t pid, tid;
    int fd; /* -1 for a mapping */
};

/* A file the kernel holds for the object: a fixed-file slot, a backing id,
 * or an open passthrough file's backing file (slot 0 per file, 1 per inode). */
/* Which of an open passthrough file's two backing files a deep_file of a
 * DEEP_OBJ_FUSE_OPEN object is (its index). */
enum deep_open_backing {
    DEEP_OPEN_OWN = 0,   /* opened by the kernel for this open (ff->passthrough) */
    DEEP_OPEN_INODE = 1, /* the inode's (fuse_inode->fb) */
};

struct deep_file {
    uint64_t file_key; /* kernel address: identity only */
    uint64_t inode;
    uint64_t fs_magic;
    /* NUL-terminated, in the result's strings; may hold any other byte */
    const char *path;
    /* The fixed-file slot (ring), the backing id (FUSE connection), or an
     * enum deep_open_backing (open passthrough file). */
    uint32_t index;
    uint32_t mode;
    unsigned dev_major, dev_minor;
    int mount_id;
    uint32_t path_len;
    bool has_mount_id;
    bool deleted;
    bool pseudo;        /* socket:[N], pipe:[N], anon_inode:..., no directory */
    bool path_complete; /* false: cut short, or under a detached mount */
};

struct deep_object {
    enum deep_object_kind kind;
    uint64_t key;                  /* kernel address: identity only */
    uint64_t inode;                /* ring: its anon inode; FUSE_OPEN: the FUSE inode */
    unsigned dev_major, dev_minor; /* ring: its anon inode's device */
    uint32_t fuse_conn;            /* FUSE objects */
    uint32_t net_ns;               /* DEEP_OBJ_TASK: its network namespace's inode */
    uint32_t nslots;
    uint32_t ring_flags;
    /* A ring's SQPOLL thread (-1: none) and registered buffers, known
     * when ring_details is set: then fdinfo adds nothing the rows use. */
    bool ring_details;
    int sq_thread;
    uint32_t user_bufs;
    enum deep_layout layout;
    struct deep_reach *reaches;
    size_t nreaches, reaches_cap;
    struct deep_file *files;
    size_t nfiles, files_cap;
    bool files_mapped; /* files is mapped apart (deep_object_free_files) */
    bool truncated;    /* a listing stopped; resume at resume_slot */
    uint32_t resume_slot;
};

/* A file a slot record named for later DEEP_REC_SEEN records. */
struct deep_named_file {
    uint32_t id; /* 0: a free entry */
    struct deep_file file;
};

struct deep_result {
    struct deep_object *items;
    size_t len, cap;
    size_t last;          /* the object the previous record was about */
    struct arena strings; /* the files' paths: one allocation per chunk, not per file */
    /* items by key (open addressing: index + 1, 0 free), so that a host
     * of thousands of processes (one task object each) is not a scan of
     * every object per object; NULL: not made (out of memory), scan. */
    uint32_t *by_key;
    size_t by_key_cap;
    /* Files by the id the BPF side gave them (open addressing), for the
     * records that name an earlier one instead of walking its path again. */
    struct deep_named_file *named;
    size_t nnamed, named_cap;
};

struct deep_decode_error {
    size_t offset; /* byte offset of the bad record */
    const char *reason;
};

/* Appends what buf[0..len) says to result.  Returns 0, -EINVAL with err
 * filled for malformed input (what came before it is kept), or -ENOMEM. */
int deep_decode(const char *buf, size_t len, struct deep_result *result,
                struct deep_decode_error *err);

struct deep_object *deep_result_find(struct deep_result *result, uint64_t key);
void deep_result_free(struct deep_result *result);
/* Frees o's files (the object stays, with none). */
void deep_object_free_files(struct deep_object *o);

#endif
