#include "columns.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* clang-format off */
const struct column_info column_table[COL_COUNT] = {
    [COL_COMMAND]       = {"COMMAND", "command", COLKIND_STRING, 15, false, true, false, true, false, false,
                           "name of the process (comm)"},
    [COL_PID]           = {"PID", "pid", COLKIND_NUMBER, 5, true, false, false, true, false, false,
                           "process ID"},
    [COL_UID]           = {"UID", "uid", COLKIND_NUMBER, 5, true, false, false, false, false, false,
                           "effective user ID of the process"},
    [COL_USER]          = {"USER", "user", COLKIND_STRING, 8, false, false, false, true, false, false,
                           "user name of UID (empty/null when it has no passwd entry)"},
    [COL_SOURCE]        = {"SOURCE", "source", COLKIND_STRING, 11, false, false, false, true, false, false,
                           "where the reference lives: fd, cwd, root, exe, mmap, uring-fixed, uring-ring, fuse-backing (--mount adds loop, swap, binfmt_misc, nfs-export, nfsd-state, submount, mount-namespace)"},
    [COL_HIDDEN]        = {"HIDDEN", "hidden", COLKIND_BOOL, 3, false, false, false, true, false, false,
                           "whether lsof, lsfd and fuser cannot see this reference"},
    [COL_FD]            = {"FD", "fd", COLKIND_NUMBER, 3, true, false, false, true, false, false,
                           "file descriptor number (fd rows)"},
    [COL_RING_FD]       = {"RING-FD", "ring_fd", COLKIND_NUMBER, 3, true, false, false, true, false, false,
                           "fd of the io_uring ring holding the file; empty when the ring has no fd"},
    [COL_RING_INODE]    = {"RING-INODE", "ring_inode", COLKIND_NUMBER, 6, true, false, false, false, false, false,
                           "anon inode number of the io_uring ring"},
    [COL_SLOT]          = {"SLOT", "slot", COLKIND_NUMBER, 4, true, false, false, true, false, false,
                           "index in the ring's fixed-file table"},
    [COL_TYPE]          = {"TYPE", "type", COLKIND_STRING, 4, false, false, false, true, true, false,
                           "file type: REG, DIR, SOCK, FIFO, CHR, BLK, anon or unknown"},
    [COL_PATH]          = {"PATH", "path", COLKIND_STRING, 0.4, false, false, false, true, false, false,
                           "file name as the kernel gives it, escapes decoded"},
    [COL_PATH_COMPLETE] = {"PATH-COMPLETE", "path_complete", COLKIND_BOOL, 3, false, false, false, false, false, false,
                           "no when the kernel printed only the last name component (Linux 5.6-6.13)"},
    [COL_DELETED]       = {"DELETED", "deleted", COLKIND_BOOL, 3, false, false, false, false, true, false,
                           "whether the file has been unlinked; empty when the kernel does not say"},
    [COL_MOUNT_ID]      = {"MOUNT-ID", "mount_id", COLKIND_NUMBER, 4, true, false, false, false, true, false,
                           "mount ID of the filesystem holding the file"},
    [COL_MOUNTPOINT]    = {"MOUNTPOINT", "mountpoint", COLKIND_STRING, 0.2, false, false, false, false, true, false,
                           "mount point of MOUNT-ID in the process's mount namespace"},
    [COL_DEV]           = {"DEV", "dev", COLKIND_STRING, 5, false, false, false, false, true, false,
                           "device of the filesystem, as major:minor"},
    [COL_INODE]         = {"INODE", "inode", COLKIND_NUMBER, 6, true, false, false, false, true, false,
                           "inode number"},
    [COL_SQ_THREAD]     = {"SQ-THREAD", "sq_thread", COLKIND_NUMBER, 5, true, false, false, false, false, false,
                           "thread ID of the ring's SQPOLL thread"},
    [COL_USER_BUFS]     = {"USER-BUFS", "user_bufs", COLKIND_NUMBER, 4, true, false, false, false, false, false,
                           "number of buffers registered with the ring (UserBufs)"},
    [COL_METHOD]        = {"METHOD", "method", COLKIND_STRING, 6, false, false, false, false, false, false,
                           "how the row was found: procfs (/proc and /sys text) or bpf (the kernel's own tables, --deep)"},
    [COL_HOLDER]        = {"HOLDER", "holder", COLKIND_STRING, 8, false, false, false, false, false, true,
                           "--mount: kind of holder: process, io_uring, loop, swap, binfmt_misc, nfsd, submount, mount-namespace, fuse"},
    [COL_EFFECT]        = {"EFFECT", "effect", COLKIND_STRING, 13, false, false, false, false, false, true,
                           "--mount: blocks-umount (umount fails with EBUSY) or keeps-alive (the filesystem outlives umount)"},
    [COL_POSSIBLE]      = {"POSSIBLE", "possible", COLKIND_BOOL, 3, false, false, false, false, false, true,
                           "--mount: yes when the kernel does not say for sure that this holds the mount"},
    [COL_OBJECT]        = {"OBJECT", "object", COLKIND_STRING, 0.2, false, false, false, false, false, true,
                           "--mount: what holds the mount when it is not a process, e.g. /dev/loop0"},
    [COL_MNT_NS]        = {"MNT-NS", "mnt_ns", COLKIND_NUMBER, 10, true, false, false, false, false, true,
                           "--mount: inode of the mount namespace holding a copy of the mount"},
    [COL_FUSE_CONNECTION] = {"FUSE-CONNECTION", "fuse_connection", COLKIND_NUMBER, 5, true, false, false, false, false, false,
                           "FUSE connection number of a /dev/fuse fd or a backing file (/sys/fs/fuse/connections/N)"},
    [COL_FUSE_MOUNT]    = {"FUSE-MOUNT", "fuse_mount", COLKIND_STRING, 0.2, false, false, false, false, false, false,
                           "mount point(s) of that FUSE connection, comma-separated"},
    [COL_BACKING_ID]    = {"BACKING-ID", "backing_id", COLKIND_NUMBER, 4, true, false, false, false, false, false,
                           "FUSE passthrough backing id of a backing file"},
    [COL_NOTE]          = {"NOTE", "note", COLKIND_STRING, 0.2, false, false, true, false, false, false,
                           "why a row looks the way it does (e.g. a ring with no fd)"},
};
/* clang-format on */

int column_by_name(const char *name, size_t len)
{
    for (int i = 0; i < COL_COUNT; i++)
        if (strlen(column_table[i].name) == len &&
            strncasecmp(column_table[i].name, name, len) == 0)
            return i;
    return -1;
}

static void set_num(struct column_value *v, bool known, int64_t n)
{
    v->null = !known;
    v->is_signed = true;
    v->num = n;
}

static void set_unum(struct column_value *v, bool known, uint64_t n)
{
    v->null = !known;
    v->is_signed = false;
    v->unum = n;
}

static void set_str(struct column_value *v, const char *s)
{
    v->null = s == NULL;
    v->str = s;
}

static void set_bool(struct column_value *v, enum tristate t)
{
    v->null = t == TRI_UNKNOWN;
    v->boolean = t == TRI_TRUE;
}

void column_value(const struct file_record *rec, enum column_id id, struct column_value *v)
{
    static const struct process_info no_process = {0};
    const struct process_info *p = rec->proc ? rec->proc : &no_process;
    v->kind = column_table[id].kind;
    v->str = NULL;
    switch (id) {
    case COL_COMMAND: set_str(v, p->command); break;
    case COL_PID: set_num(v, rec->proc != NULL, p->pid); break;
    case COL_UID: set_unum(v, p->has_uid, p->uid); break;
    case COL_USER: set_str(v, p->user); break;
    case COL_SOURCE: set_str(v, file_source_name(rec->source)); break;
    case COL_HIDDEN: set_bool(v, rec->hidden ? TRI_TRUE : TRI_FALSE); break;
    case COL_FD: set_num(v, rec->has_fd, rec->fd); break;
    case COL_RING_FD: set_num(v, rec->has_ring_fd, rec->ring_fd); break;
    case COL_RING_INODE: set_unum(v, rec->has_ring_inode, rec->ring_inode); break;
    case COL_SLOT: set_unum(v, rec->has_slot, rec->slot); break;
    case COL_TYPE: set_str(v, file_type_name(rec->type)); break;
    case COL_PATH: set_str(v, rec->path); break;
    case COL_PATH_COMPLETE: set_bool(v, rec->path_complete ? TRI_TRUE : TRI_FALSE); break;
    case COL_DELETED: set_bool(v, rec->deleted); break;
    case COL_MOUNT_ID: set_num(v, rec->has_mount_id, rec->mount_id); break;
    case COL_MOUNTPOINT: set_str(v, rec->mountpoint); break;
    case COL_DEV:
        snprintf(v->dev_text, sizeof(v->dev_text), "%u:%u", rec->dev_major, rec->dev_minor);
        set_str(v, rec->has_dev ? v->dev_text : NULL);
        break;
    case COL_INODE: set_unum(v, rec->has_inode, rec->inode); break;
    case COL_SQ_THREAD: set_num(v, rec->has_sq_thread, rec->sq_thread); break;
    case COL_USER_BUFS: set_unum(v, rec->has_user_bufs, rec->user_bufs); break;
    case COL_FUSE_CONNECTION: set_unum(v, rec->has_fuse_conn, rec->fuse_conn); break;
    case COL_FUSE_MOUNT: set_str(v, rec->fuse_mount); break;
    case COL_BACKING_ID: set_unum(v, rec->has_backing_id, rec->backing_id); break;
    case COL_NOTE: set_str(v, rec->note); break;
    case COL_METHOD: set_str(v, record_method_name(rec->method)); break;
    case COL_HOLDER: set_str(v, holder_kind_name(rec->source)); break;
    case COL_EFFECT: set_str(v, holder_effect_name(rec->effect)); break;
    case COL_POSSIBLE: set_bool(v, rec->possible ? TRI_TRUE : TRI_FALSE); break;
    case COL_OBJECT: set_str(v, rec->object); break;
    case COL_MNT_NS: set_unum(v, rec->has_mnt_ns, rec->mnt_ns); break;
    case COL_COUNT: v->null = true; break;
    }
}

const char *column_value_text(const struct column_value *v, char *buf, size_t n)
{
    if (v->null)
        return NULL;
    switch (v->kind) {
    case COLKIND_STRING: return v->str;
    case COLKIND_BOOL: return v->boolean ? "yes" : "no";
    case COLKIND_NUMBER:
        if (v->is_signed)
            snprintf(buf, n, "%" PRId64, v->num);
        else
            snprintf(buf, n, "%" PRIu64, v->unum);
        return buf;
    }
    return NULL;
}
