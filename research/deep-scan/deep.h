/* deep.h: record layout shared by uring_iter.bpf.c and deep_loader.c.
 *
 * The BPF iterators write binary records to the iterator's seq_file with
 * bpf_seq_write().  Every record starts with a u32 kind and u32 total length
 * (header + trailing variable part), so the reader can skip unknown kinds.
 * Host-endian, naturally aligned; both sides are compiled for the same host. */
#ifndef LSHIDDEN_DEEP_H
#define LSHIDDEN_DEEP_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
#endif

enum deep_kind {
    DEEP_REC_RING = 1,  /* a ring was reached (once per way it was reached) */
    DEEP_REC_SLOT = 2,  /* one occupied fixed-file slot (once per ring) */
    DEEP_REC_TRUNC = 3, /* slot listing stopped early: seq buffer budget */
};

enum deep_via {
    DEEP_VIA_FD = 1,         /* task's fd table: fd = the fd */
    DEEP_VIA_VMA = 2,        /* task's mappings: fd = -1, vm_start set */
    DEEP_VIA_REGISTERED = 3, /* task->io_uring->registered_rings[fd] */
    DEEP_VIA_FUSE_DEV = 4,   /* FUSE connection via a /dev/fuse fd: ctx = fc,
                                ring_dev = fc->dev (connection number),
                                slots = backing ids (fc->backing_files_map) */
    DEEP_VIA_FUSE_FILE = 5,  /* open passthrough file of a FUSE client: ctx =
                                fuse_file, ring_dev = fc->dev; slot 0 =
                                ff->passthrough, slot 1 = fuse_inode->fb->file */
};

enum deep_layout {
    DEEP_LAYOUT_RSRC_NODES = 1, /* 6.13+: file_table.data.nodes[i]->file_ptr */
    DEEP_LAYOUT_FIXED_FILES = 2, /* <=6.12: file_table.files[i].file_ptr */
};

struct deep_ring {
    u32 kind, len;
    u32 via;
    u32 pid;  /* tgid */
    u32 tid;
    s32 fd;   /* fd, or registered index, or -1 */
    u64 ctx;  /* kernel address of io_ring_ctx: identity only, never shown */
    u64 ring_ino;
    u32 ring_dev; /* kernel dev_t: major = >>20, minor = &0xfffff */
    u32 nslots;
    u32 ring_flags; /* ctx->flags (IORING_SETUP_*) */
    u32 layout;     /* enum deep_layout, 0 if unknown */
    u32 first_seen; /* 1 if slot records follow for this ctx */
    u32 pad;
    u64 vm_start;
    char comm[16];
};

#define DEEP_SLOT_DELETED 0x1 /* d_unlinked(dentry) */
#define DEEP_SLOT_DNAME 0x2   /* dentry has d_op->d_dname: pseudo name */
#define DEEP_SLOT_TRUNC_PATH 0x4 /* more than DEEP_MAX_DEPTH components */

struct deep_slot {
    u32 kind, len;
    u64 ctx;
    u32 slot;
    u32 dev;   /* kernel dev_t of f_inode->i_sb->s_dev */
    u64 ino;
    u32 mode;
    s32 mnt_id;
    u64 magic; /* i_sb->s_magic */
    u32 flags;
    u32 ncomp; /* components that follow, leaf first: u16 len + bytes */
};

struct deep_trunc {
    u32 kind, len;
    u64 ctx;
    u32 next_slot;
    u32 pad;
};

#define DEEP_MAX_DEPTH 48
#define DEEP_NAME_MAX 256

#endif
