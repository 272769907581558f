#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct file_record *record_list_add(struct record_list *list, const struct process_info *proc,
                                    enum file_source source)
{
    if (list->len == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 256;
        struct file_record *items = realloc(list->items, cap * sizeof(*items));
        if (!items)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    struct file_record *rec = &list->items[list->len++];
    memset(rec, 0, sizeof(*rec));
    rec->proc = proc;
    rec->source = source;
    rec->deleted = TRI_UNKNOWN;
    rec->path_complete = true;
    rec->seq = list->len - 1;
    return rec;
}

int record_list_append(struct record_list *list, const struct record_list *src)
{
    if (list->len + src->len > list->cap) {
        size_t cap = list->len + src->len;
        struct file_record *items = realloc(list->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        list->items = items;
        list->cap = cap;
    }
    for (size_t i = 0; i < src->len; i++) {
        list->items[list->len] = src->items[i];
        list->items[list->len].seq = list->len;
        list->len++;
    }
    return 0;
}

/* Within a process: cwd, root, exe, fds in fd order, mappings, then rings
 * and their slots, so a ring's fixed files read as one block. */
static int record_cmp(const void *a, const void *b)
{
    const struct file_record *x = a, *y = b;
    pid_t xpid = x->proc ? x->proc->pid : 0, ypid = y->proc ? y->proc->pid : 0;
    if (xpid != ypid)
        return xpid < ypid ? -1 : 1;
    if (x->source != y->source)
        return x->source < y->source ? -1 : 1;
    if (x->has_fd && y->has_fd && x->fd != y->fd)
        return x->fd < y->fd ? -1 : 1;
    if (x->has_ring_fd != y->has_ring_fd)
        return x->has_ring_fd ? -1 : 1;
    if (x->has_ring_fd && x->ring_fd != y->ring_fd)
        return x->ring_fd < y->ring_fd ? -1 : 1;
    if (x->has_ring_inode && y->has_ring_inode && x->ring_inode != y->ring_inode)
        return x->ring_inode < y->ring_inode ? -1 : 1;
    if (x->has_slot && y->has_slot && x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    /* qsort is not stable; fall back to scan order (e.g. map order). */
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void record_list_sort(struct record_list *list)
{
    if (list->len > 1)
        qsort(list->items, list->len, sizeof(list->items[0]), record_cmp);
}

void record_list_free(struct record_list *list)
{
    free(list->items);
    memset(list, 0, sizeof(*list));
}

const char *file_source_name(enum file_source source)
{
    static const char *const names[] = {
        [SOURCE_CWD] = "cwd",
        [SOURCE_ROOT] = "root",
        [SOURCE_EXE] = "exe",
        [SOURCE_FD] = "fd",
        [SOURCE_MMAP] = "mmap",
        [SOURCE_URING_RING] = "uring-ring",
        [SOURCE_URING_FIXED] = "uring-fixed",
        [SOURCE_LOOP] = "loop",
        [SOURCE_SWAP] = "swap",
        [SOURCE_BINFMT] = "binfmt_misc",
        [SOURCE_NFS_EXPORT] = "nfs-export",
        [SOURCE_NFSD_STATE] = "nfsd-state",
        [SOURCE_SUBMOUNT] = "submount",
        [SOURCE_MOUNT_NS] = "mount-namespace",
        [SOURCE_FUSE_BACKING] = "fuse-backing",
    };
    return names[source];
}

const char *holder_kind_name(enum file_source source)
{
    switch (source) {
    case SOURCE_CWD:
    case SOURCE_ROOT:
    case SOURCE_EXE:
    case SOURCE_FD:
    case SOURCE_MMAP: return "process";
    case SOURCE_URING_RING:
    case SOURCE_URING_FIXED: return "io_uring";
    case SOURCE_NFS_EXPORT:
    case SOURCE_NFSD_STATE: return "nfsd";
    case SOURCE_FUSE_BACKING: return "fuse";
    default: return file_source_name(source);
    }
}

const char *holder_effect_name(enum holder_effect effect)
{
    return effect == EFFECT_BLOCKS_UMOUNT ? "blocks-umount"
           : effect == EFFECT_KEEPS_ALIVE ? "keeps-alive"
                                          : NULL;
}

const char *record_method_name(enum record_method method)
{
    return method == METHOD_BPF ? "bpf" : "procfs";
}

const char *file_type_name(enum file_type type)
{
    static const char *const names[] = {
        [FTYPE_UNKNOWN] = "unknown", [FTYPE_REG] = "REG",   [FTYPE_DIR] = "DIR",
        [FTYPE_SOCK] = "SOCK",       [FTYPE_FIFO] = "FIFO", [FTYPE_CHR] = "CHR",
        [FTYPE_BLK] = "BLK",         [FTYPE_ANON] = "anon",
    };
    return names[type];
}

enum file_type file_type_from_mode(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return FTYPE_REG;
    case S_IFDIR: return FTYPE_DIR;
    case S_IFSOCK: return FTYPE_SOCK;
    case S_IFIFO: return FTYPE_FIFO;
    case S_IFCHR: return FTYPE_CHR;
    case S_IFBLK: return FTYPE_BLK;
    default: return FTYPE_UNKNOWN;
    }
}
