#include "core/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/vec.h"

void record_list_init(struct record_list *list, struct arena *arena)
{
    memset(list, 0, sizeof(*list));
    list->arena = arena;
}

struct file_record *record_list_add(struct record_list *list, const struct process_info *proc,
                                    enum file_source source)
{
    if (VEC_RESERVE(list, list->len + 1) < 0)
        return NULL;
    struct file_record *rec = arena_zalloc(list->arena, sizeof(*rec));
    if (!rec)
        return NULL;
    rec->proc = proc;
    rec->source = source;
    rec->hidden = source_info(source)->hidden;
    rec->deleted = TRI_UNKNOWN;
    rec->path_complete = true;
    rec->seq = list->len;
    list->items[list->len++] = rec;
    return rec;
}

int record_list_append(struct record_list *list, const struct record_list *src)
{
    if (VEC_RESERVE(list, list->len + src->len) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < src->len; i++) {
        src->items[i]->seq = list->len;
        list->items[list->len++] = src->items[i];
    }
    return 0;
}

static int record_cmp(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    pid_t xpid = x->proc ? x->proc->pid : 0, ypid = y->proc ? y->proc->pid : 0;
    if (xpid != ypid)
        return xpid < ypid ? -1 : 1;
    int xorder = source_info(x->source)->list_order, yorder = source_info(y->source)->list_order;
    if (xorder != yorder)
        return xorder < yorder ? -1 : 1;
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
    return source_info(source)->name;
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

const char *identity_origin_name(enum identity_origin origin)
{
    static const char *const names[] = {
        [IDENTITY_NONE] = NULL,
        [IDENTITY_KERNEL] = "kernel",
        [IDENTITY_FD] = "fd",
        [IDENTITY_PATH] = "path",
    };
    return names[origin];
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

const char *fd_release_hint(struct arena *arena, const char *verb, int fd, pid_t pid)
{
    char hint[96];
    snprintf(hint, sizeof(hint), "%s fd %d of %d, or kill %d", verb, fd, (int)pid, (int)pid);
    return arena_strdup(arena, hint);
}
