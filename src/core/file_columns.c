#include "core/file_columns.h"

#include <stdio.h>

#include "core/record.h"

/* clang-format off */
const struct column_info file_column_table[COL_COUNT] = {
    [COL_COMMAND] = {
        .name = "COMMAND", .json_key = "command", .kind = COLKIND_STRING, .width_hint = 15,
        .flags = COLF_TRUNC | COLF_DEFAULT,
        .help = "name of the process (comm)",
    },
    [COL_PID] = {
        .name = "PID", .json_key = "pid", .kind = COLKIND_NUMBER, .width_hint = 5,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "process ID",
    },
    [COL_TID] = {
        .name = "TID", .json_key = "tid", .kind = COLKIND_NUMBER, .width_hint = 5,
        .flags = COLF_RIGHT,
        .help = "thread ID, for a reference of one thread that differs from its process's (its own fd table)",
    },
    [COL_UID] = {
        .name = "UID", .json_key = "uid", .kind = COLKIND_NUMBER, .width_hint = 5,
        .flags = COLF_RIGHT,
        .help = "effective user ID of the process",
    },
    [COL_USER] = {
        .name = "USER", .json_key = "user", .kind = COLKIND_STRING, .width_hint = 8,
        .flags = COLF_DEFAULT,
        .help = "user name of UID (empty/null when it has no passwd entry)",
    },
    [COL_UNIT] = {
        .name = "UNIT", .json_key = "unit", .kind = COLKIND_STRING, .width_hint = 0.1,
        .flags = COLF_TRUNC | COLF_NEEDS_OWNER,
        .help = "systemd unit of the process, from its cgroup (e.g. postgresql.service, session-3.scope); empty when it names none",
    },
    [COL_CONTAINER] = {
        .name = "CONTAINER", .json_key = "container", .kind = COLKIND_STRING, .width_hint = 12,
        .flags = COLF_NEEDS_OWNER,
        .help = "container of the process: the short id its cgroup names (docker, podman, containerd, CRI-O)",
    },
    [COL_SOURCE] = {
        .name = "SOURCE", .json_key = "source", .kind = COLKIND_STRING, .width_hint = 11,
        .flags = COLF_DEFAULT,
        .help = "where the reference lives: fd, cwd, root, exe, mmap, uring-fixed, uring-ring, fuse-backing (--mount adds loop, swap, binfmt_misc, nfs-export, nfsd-state, submount, mount-namespace, bind, overlay, unix-socket, uprobe, fanotify, erofs-image, detached-mount, core-dump, fs-context, in-flight, syscall)",
    },
    [COL_HIDDEN] = {
        .name = "HIDDEN", .json_key = "hidden", .kind = COLKIND_BOOL, .width_hint = 3,
        .flags = COLF_DEFAULT,
        .help = "whether lsof, lsfd and fuser cannot see this reference",
    },
    [COL_FD] = {
        .name = "FD", .json_key = "fd", .kind = COLKIND_NUMBER, .width_hint = 3,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "file descriptor number (fd rows)",
    },
    [COL_RING_FD] = {
        .name = "RING-FD", .json_key = "ring_fd", .kind = COLKIND_NUMBER, .width_hint = 3,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "fd of the io_uring ring holding the file; empty when the ring has no fd",
    },
    [COL_RING_INODE] = {
        .name = "RING-INODE", .json_key = "ring_inode", .kind = COLKIND_NUMBER, .width_hint = 6,
        .flags = COLF_RIGHT,
        .help = "anon inode number of the io_uring ring",
    },
    [COL_SLOT] = {
        .name = "SLOT", .json_key = "slot", .kind = COLKIND_NUMBER, .width_hint = 4,
        .flags = COLF_RIGHT | COLF_DEFAULT,
        .help = "index in the ring's fixed-file table",
    },
    [COL_TYPE] = {
        .name = "TYPE", .json_key = "type", .kind = COLKIND_STRING, .width_hint = 4,
        .flags = COLF_DEFAULT | COLF_NEEDS_IDENTITY,
        .help = "file type: REG, DIR, SOCK, FIFO, CHR, BLK, anon or unknown",
    },
    [COL_PATH] = {
        .name = "PATH", .json_key = "path", .kind = COLKIND_STRING, .width_hint = 0.4,
        .flags = COLF_DEFAULT | COLF_RAW_BYTES,
        .help = "file name as the kernel gives it, escapes decoded",
    },
    [COL_PATH_COMPLETE] = {
        .name = "PATH-COMPLETE", .json_key = "path_complete", .kind = COLKIND_BOOL, .width_hint = 3,
        .flags = 0,
        .help = "no when the kernel printed only the last name component (Linux 5.6-6.13)",
    },
    [COL_DELETED] = {
        .name = "DELETED", .json_key = "deleted", .kind = COLKIND_BOOL, .width_hint = 3,
        .flags = COLF_NEEDS_IDENTITY,
        .help = "whether the file has been unlinked; empty when the kernel does not say",
    },
    [COL_MOUNT_ID] = {
        .name = "MOUNT-ID", .json_key = "mount_id", .kind = COLKIND_NUMBER, .width_hint = 4,
        .flags = COLF_RIGHT | COLF_NEEDS_IDENTITY,
        .help = "mount ID of the filesystem holding the file",
    },
    [COL_MOUNTPOINT] = {
        .name = "MOUNTPOINT", .json_key = "mountpoint", .kind = COLKIND_STRING, .width_hint = 0.2,
        .flags = COLF_NEEDS_IDENTITY,
        .help = "mount point of MOUNT-ID in the process's mount namespace",
    },
    [COL_DEV] = {
        .name = "DEV", .json_key = "dev", .kind = COLKIND_STRING, .width_hint = 5,
        .flags = COLF_NEEDS_IDENTITY,
        .help = "device of the filesystem, as major:minor",
    },
    [COL_INODE] = {
        .name = "INODE", .json_key = "inode", .kind = COLKIND_NUMBER, .width_hint = 6,
        .flags = COLF_RIGHT | COLF_NEEDS_IDENTITY,
        .help = "inode number",
    },
    [COL_SQ_THREAD] = {
        .name = "SQ-THREAD", .json_key = "sq_thread", .kind = COLKIND_NUMBER, .width_hint = 5,
        .flags = COLF_RIGHT,
        .help = "thread ID of the ring's SQPOLL thread",
    },
    [COL_USER_BUFS] = {
        .name = "USER-BUFS", .json_key = "user_bufs", .kind = COLKIND_NUMBER, .width_hint = 4,
        .flags = COLF_RIGHT,
        .help = "number of buffers registered with the ring (UserBufs)",
    },
    [COL_METHOD] = {
        .name = "METHOD", .json_key = "method", .kind = COLKIND_STRING, .width_hint = 6,
        .flags = 0,
        .help = "how the row was found: procfs (/proc and /sys text) or bpf (the kernel's own tables, read with BPF iterators)",
    },
    [COL_IDENTITY] = {
        .name = "IDENTITY", .json_key = "identity", .kind = COLKIND_STRING, .width_hint = 6,
        .flags = COLF_NEEDS_IDENTITY,
        .help = "where TYPE, DEV, INODE and MOUNT-ID came from: kernel (its own tables, read with BPF iterators), fd (the reference itself), path (looked up by name: may be another file by now); empty when unknown",
    },
    [COL_HOLDER] = {
        .name = "HOLDER", .json_key = "holder", .kind = COLKIND_STRING, .width_hint = 8,
        .flags = COLF_MOUNT_ONLY,
        .help = "--mount: kind of holder: process, io_uring, loop, swap, binfmt_misc, nfsd, submount, mount-namespace, bind, overlay, unix-socket, uprobe, fanotify, erofs-image, detached-mount, core-dump, fs-context, in-flight, fuse",
    },
    [COL_EFFECT] = {
        .name = "EFFECT", .json_key = "effect", .kind = COLKIND_STRING, .width_hint = 13,
        .flags = COLF_MOUNT_ONLY,
        .help = "--mount: blocks-umount (umount fails with EBUSY) or keeps-alive (the filesystem outlives umount)",
    },
    [COL_POSSIBLE] = {
        .name = "POSSIBLE", .json_key = "possible", .kind = COLKIND_BOOL, .width_hint = 3,
        .flags = COLF_MOUNT_ONLY,
        .help = "--mount: yes when the kernel does not say for sure that this holds the mount",
    },
    [COL_OBJECT] = {
        .name = "OBJECT", .json_key = "object", .kind = COLKIND_STRING, .width_hint = 0.2,
        .flags = COLF_MOUNT_ONLY,
        .help = "--mount: what holds the mount when it is not a process, e.g. /dev/loop0",
    },
    [COL_MNT_NS] = {
        .name = "MNT-NS", .json_key = "mnt_ns", .kind = COLKIND_NUMBER, .width_hint = 10,
        .flags = COLF_RIGHT | COLF_MOUNT_ONLY,
        .help = "--mount: inode of the mount namespace holding a copy of the mount",
    },
    [COL_HINT] = {
        .name = "HINT", .json_key = "hint", .kind = COLKIND_STRING, .width_hint = 0.2,
        .flags = COLF_MOUNT_ONLY,
        .help = "--mount: what releases the holder, e.g. \"kill 812 (or restart db.service)\", \"losetup -d /dev/loop0\", \"umount /srv/x\"",
    },
    [COL_FUSE_CONNECTION] = {
        .name = "FUSE-CONNECTION", .json_key = "fuse_connection", .kind = COLKIND_NUMBER, .width_hint = 5,
        .flags = COLF_RIGHT,
        .help = "FUSE connection number of a /dev/fuse fd or a backing file (/sys/fs/fuse/connections/N)",
    },
    [COL_FUSE_MOUNT] = {
        .name = "FUSE-MOUNT", .json_key = "fuse_mount", .kind = COLKIND_STRING, .width_hint = 0.2,
        .flags = 0,
        .help = "mount point(s) of that FUSE connection, comma-separated",
    },
    [COL_BACKING_ID] = {
        .name = "BACKING-ID", .json_key = "backing_id", .kind = COLKIND_NUMBER, .width_hint = 4,
        .flags = COLF_RIGHT,
        .help = "FUSE passthrough backing id of a backing file",
    },
    [COL_NOTE] = {
        .name = "NOTE", .json_key = "note", .kind = COLKIND_STRING, .width_hint = 0.2,
        .flags = COLF_WRAP,
        .help = "why a row looks the way it does (e.g. a ring with no fd)",
    },
};
/* clang-format on */

static void file_column_value(const void *row, int id, struct column_value *v)
{
    const struct file_record *rec = row;
    static const struct process_info no_process = {0};
    const struct process_info *p = rec->proc ? rec->proc : &no_process;
    v->kind = file_column_table[id].kind;
    v->str = NULL;
    switch ((enum column_id)id) {
    case COL_COMMAND: column_set_str(v, p->command); break;
    case COL_PID: column_set_num(v, rec->proc != NULL, p->pid); break;
    case COL_TID: column_set_num(v, rec->has_tid, rec->tid); break;
    case COL_UID: column_set_unum(v, p->has_uid, p->uid); break;
    case COL_USER: column_set_str(v, p->user); break;
    case COL_UNIT: column_set_str(v, p->unit); break;
    case COL_CONTAINER: column_set_str(v, p->container); break;
    case COL_SOURCE: column_set_str(v, file_source_name(rec->source)); break;
    case COL_HIDDEN: column_set_bool(v, rec->hidden); break;
    case COL_FD: column_set_num(v, rec->has_fd, rec->fd); break;
    case COL_RING_FD: column_set_num(v, rec->has_ring_fd, rec->ring_fd); break;
    case COL_RING_INODE: column_set_unum(v, rec->has_ring_inode, rec->ring_inode); break;
    case COL_SLOT: column_set_unum(v, rec->has_slot, rec->slot); break;
    case COL_TYPE: column_set_str(v, file_type_name(rec->type)); break;
    case COL_PATH: column_set_str(v, rec->path); break;
    case COL_PATH_COMPLETE: column_set_bool(v, rec->path_complete); break;
    case COL_DELETED: column_set_bool(v, rec->deleted); break;
    case COL_MOUNT_ID: column_set_num(v, rec->has_mount_id, rec->mount_id); break;
    case COL_MOUNTPOINT: column_set_str(v, rec->mountpoint); break;
    case COL_DEV:
        snprintf(v->text, sizeof(v->text), "%u:%u", rec->dev_major, rec->dev_minor);
        column_set_str(v, rec->has_dev ? v->text : NULL);
        break;
    case COL_INODE: column_set_unum(v, rec->has_inode, rec->inode); break;
    case COL_SQ_THREAD: column_set_num(v, rec->has_sq_thread, rec->sq_thread); break;
    case COL_USER_BUFS: column_set_unum(v, rec->has_user_bufs, rec->user_bufs); break;
    case COL_FUSE_CONNECTION: column_set_unum(v, rec->has_fuse_conn, rec->fuse_conn); break;
    case COL_FUSE_MOUNT: column_set_str(v, rec->fuse_mount); break;
    case COL_BACKING_ID: column_set_unum(v, rec->has_backing_id, rec->backing_id); break;
    case COL_NOTE: column_set_str(v, rec->note); break;
    case COL_METHOD: column_set_str(v, record_method_name(rec->method)); break;
    case COL_IDENTITY: column_set_str(v, identity_origin_name(rec->identity)); break;
    case COL_HOLDER: column_set_str(v, source_info(rec->source)->holder); break;
    case COL_EFFECT: column_set_str(v, holder_effect_name(rec->effect)); break;
    case COL_POSSIBLE: column_set_bool(v, rec->possible); break;
    case COL_OBJECT: column_set_str(v, rec->object); break;
    case COL_MNT_NS: column_set_unum(v, rec->has_mnt_ns, rec->mnt_ns); break;
    case COL_HINT: column_set_str(v, rec->hint); break;
    case COL_COUNT: v->null = true; break;
    }
}

const struct column_set file_columns = {
    .rows_key = "files",
    .columns = file_column_table,
    .count = COL_COUNT,
    .value = file_column_value,
};
