/* The kernel types the deep-scan programs read, declared by hand.
 *
 * Only the members that deep.bpf.c touches are listed.  Every struct is
 * marked preserve_access_index, so clang records each member access as a
 * CO-RE relocation and libbpf moves it to the running kernel's offset
 * (from /sys/kernel/btf/vmlinux, and module BTF for FUSE when it is a
 * module).  Member order and padding here are therefore irrelevant; names
 * and the kinds of types (pointer, integer, array, embedded struct) are
 * what must match.  Declaring them here instead of dumping a vmlinux.h at
 * build time keeps the build independent of the build host's kernel. */
#ifndef LSHIDDEN_BPF_KERNEL_TYPES_H
#define LSHIDDEN_BPF_KERNEL_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0
#define NULL ((void *)0)

/* bpf_helper_defs.h declares helpers with these uapi types. */
enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1 };
enum { BPF_F_NO_PREALLOC = 1 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct dentry;
struct file;

struct qstr {
    const unsigned char *name;
};
struct hlist_bl_node {
    struct hlist_bl_node **pprev;
};
struct dentry_operations {
    char *(*d_dname)(struct dentry *, char *, int);
};
struct inode;
struct super_block;
struct dentry {
    struct inode *d_inode;
    struct super_block *d_sb;
    struct hlist_bl_node d_hash;
    struct dentry *d_parent;
    struct qstr d_name;
    const struct dentry_operations *d_op;
};
struct super_block {
    unsigned int s_dev;
    unsigned long s_magic;
    void *s_fs_info;
};
struct inode {
    unsigned short i_mode;
    struct super_block *i_sb;
    unsigned long i_ino;
    unsigned int i_rdev;
    void *i_private;
};
struct vfsmount {
    struct dentry *mnt_root;
    struct super_block *mnt_sb;
};
struct mnt_namespace;
struct mount {
    struct mount *mnt_parent;
    struct dentry *mnt_mountpoint;
    struct vfsmount mnt;
    struct mnt_namespace *mnt_ns;
    int mnt_id;
};
struct path {
    struct vfsmount *mnt;
    struct dentry *dentry;
};
struct file_operations {
    int (*release)(struct inode *, struct file *);
};
struct file {
    struct path f_path;
    struct inode *f_inode;
    const struct file_operations *f_op;
    void *private_data;
    unsigned int f_mode;
};
/* A file the kernel opened on behalf of a stacking filesystem (FUSE
 * passthrough, overlayfs): f_path is the real file, user_path the one the
 * user opened (6.8+). */
struct backing_file {
    struct file file;
    struct path user_path;
};
struct fs_struct {
    struct path root;
    struct path pwd;
};
struct mm_struct {
    struct file *exe_file;
};
/* AF_UNIX receive queues: files sent with SCM_RIGHTS and not received
 * yet ride in each skb's control block. */
struct sock_common {
    unsigned short skc_family;
};
struct sk_buff {
    struct sk_buff *next;
    char cb[48];
};
struct sk_buff_head {
    struct sk_buff *next;
    __u32 qlen;
};
struct sock {
    struct sock_common __sk_common;
    struct sk_buff_head sk_receive_queue;
};
struct socket {
    struct sock *sk;
};
struct scm_fp_list {
    short count;
    struct file *fp[253];
};
struct unix_skb_parms {
    struct scm_fp_list *fp;
};
struct fs_context {
    struct dentry *root;
};
struct perf_event_attr {
    __u32 type;
};
struct perf_event {
    struct perf_event_attr attr;
};
struct vm_area_struct {
    unsigned long vm_start;
    struct file *vm_file;
};
struct io_uring_task {
    struct file *registered_rings[16];
};
struct ns_common {
    unsigned int inum;
};
struct mnt_namespace {
    struct ns_common ns;
};
struct net {
    struct ns_common ns;
};
struct nsproxy {
    struct mnt_namespace *mnt_ns;
    struct net *net_ns;
};
struct task_struct {
    struct nsproxy *nsproxy;
    int pid;
    int tgid;
    char comm[16];
    struct io_uring_task *io_uring;
    struct fs_struct *fs;
    struct mm_struct *mm;
};
struct seq_file {
    unsigned long size;
    unsigned long count;
};

/* io_uring, 6.13+: file_table.data is an io_rsrc_data of node pointers. */
struct io_rsrc_node {
    unsigned long file_ptr;
};
struct io_rsrc_data {
    unsigned int nr;
    struct io_rsrc_node **nodes;
};
struct io_file_table {
    struct io_rsrc_data data;
};
/* The SQPOLL thread of a ring set up with IORING_SETUP_SQPOLL. */
struct io_sq_data {
    struct task_struct *thread;
};
struct io_ring_ctx {
    unsigned int flags;
    struct io_file_table file_table;
    struct io_rsrc_data buf_table; /* registered buffers, 6.13+ */
    struct io_sq_data *sq_data;
};
/* io_uring, up to 6.12: an array of io_fixed_file sized by nr_user_files.
 * The ___old suffix makes a CO-RE flavour: libbpf matches it to the
 * kernel's io_ring_ctx, io_file_table and io_fixed_file. */
struct io_fixed_file___old {
    unsigned long file_ptr;
};
struct io_file_table___old {
    struct io_fixed_file___old *files;
};
struct io_ring_ctx___old {
    struct io_file_table___old file_table;
    unsigned int nr_user_files;
    unsigned int nr_user_bufs;
};

/* FUSE passthrough (6.9+). */
struct xarray {
    void *xa_head;
};
struct xa_node {
    unsigned char shift;
    void *slots[64];
};
struct idr {
    struct xarray idr_rt;
    unsigned int idr_base;
    unsigned int idr_next;
};
struct fuse_conn {
    unsigned int dev;
    struct idr backing_files_map;
};
struct fuse_dev {
    struct fuse_conn *fc;
};
struct fuse_mount {
    struct fuse_conn *fc;
};
struct fuse_file {
    struct fuse_mount *fm;
    struct file *passthrough;
};
struct fuse_backing {
    struct file *file;
};
struct fuse_inode {
    struct inode inode;
    struct fuse_backing *fb;
};

/* Iterator contexts: the kernel declares each pointer in a one-member
 * union so that it is 8 bytes on every architecture. */
struct bpf_iter_meta {
    union {
        struct seq_file *seq;
    };
    __u64 session_id;
    __u64 seq_num;
};
struct bpf_iter__task {
    union {
        struct bpf_iter_meta *meta;
    };
    union {
        struct task_struct *task;
    };
};
struct bpf_iter__task_file {
    union {
        struct bpf_iter_meta *meta;
    };
    union {
        struct task_struct *task;
    };
    u32 fd;
    union {
        struct file *file;
    };
};
struct bpf_iter__task_vma {
    union {
        struct bpf_iter_meta *meta;
    };
    union {
        struct task_struct *task;
    };
    union {
        struct vm_area_struct *vma;
    };
};

/* ---- requests in flight (inflight.bpf.c) -------------------------------
 * Flavours (___inflight) name only the members inflight.bpf.c reads, so
 * that the types deep.bpf.c declares above stay as they are. */
struct list_head {
    struct list_head *next;
};
struct hlist_node {
    struct hlist_node *next;
};
struct hlist_head {
    struct hlist_node *first;
};
/* Linux AIO (fs/aio.c): mm->ioctx_table lists a process's contexts; a
 * context's active_reqs holds its cancellable requests, which are the
 * pending IOCB_CMD_POLL ones (plain reads and writes are on no list). */
struct kioctx {
    unsigned long user_id;
    struct list_head active_reqs;
};
struct kioctx_table {
    unsigned int nr;
    struct kioctx *table[];
};
struct aio_kiocb {
    struct file *ki_filp;
    struct list_head ki_list;
};
struct mm_struct___inflight {
    struct kioctx_table *ioctx_table;
};
/* io_uring: poll-armed requests (IORING_OP_POLL_ADD, and reads or writes
 * waiting for their file to become ready) are hashed in the ring's cancel
 * table by hash_node; older kernels (6.1) keep the ones armed under the
 * ring lock in cancel_table_locked.  A request punted to an io-wq worker is
 * the worker's cur_work; the worker thread's worker_private is the
 * io_worker. */
struct io_hash_bucket {
    struct hlist_head list;
};
struct io_hash_table {
    struct io_hash_bucket *hbs;
    unsigned int hash_bits;
};
struct io_ring_ctx___inflight {
    struct io_hash_table cancel_table;
};
struct io_ring_ctx___locked {
    struct io_hash_table cancel_table_locked;
};
struct io_wq_work_node {
    struct io_wq_work_node *next;
};
struct io_wq_work {
    struct io_wq_work_node list;
};
/* flags is a u64 on newer kernels (io_req_flags_t, 6.18), an unsigned int
 * on older ones (6.1): the low half, read here, holds REQ_F_FIXED_FILE on
 * every kernel (little-endian). */
struct io_kiocb {
    struct file *file;
    unsigned int flags;
    struct hlist_node hash_node;
    struct io_wq_work work;
};
struct io_worker {
    struct task_struct *task;
    struct io_wq_work *cur_work;
};
struct task_struct___inflight {
    unsigned int flags;
    void *worker_private;
};

#pragma clang attribute pop

#endif
