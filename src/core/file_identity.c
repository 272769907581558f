#include "core/file_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parse/proc_names.h"

int file_identity_at(int dirfd, const char *path, struct file_identity *id)
{
    struct statx stx;
    int flags = AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC | (path[0] ? 0 : AT_EMPTY_PATH);
    if (statx(dirfd, path, flags, STATX_TYPE | STATX_INO | STATX_NLINK | STATX_MNT_ID, &stx) < 0)
        return -errno;
    id->type = file_type_from_mode(stx.stx_mode);
    id->dev_major = stx.stx_dev_major;
    id->dev_minor = stx.stx_dev_minor;
    id->inode = stx.stx_ino;
    id->nlink = stx.stx_nlink;
    /* Older kernels ignore STATX_MNT_ID and say so in stx_mask. */
    id->has_mount_id = (stx.stx_mask & STATX_MNT_ID) != 0;
    id->mount_id = id->has_mount_id ? (int)stx.stx_mnt_id : 0;
    return 0;
}

const char unchecked_path_note[] = "not looked up by name: the path is on a FUSE or network "
                                   "filesystem whose server may not answer (or on no known mount)";

/* glibc 2.36 has no openat2() wrapper. */
static int open_beneath(int root, const char *path)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve =
            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (root == AT_FDCWD ? 0 : RESOLVE_IN_ROOT),
    };
    long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

int file_identity_by_name(struct name_lookup *where, const char *path, struct file_identity *id)
{
    const struct mount_entry *e = where->ns ? mount_ns_cover(where->ns, path) : NULL;
    where->blocked = e;
    if (!e || fstype_server(e->fstype) != FS_LOCAL)
        return -EAGAIN;
    where->blocked = NULL;
    /* Opened only now: the process's root may itself be on such a mount. */
    int root = AT_FDCWD;
    if (where->root &&
        (root = openat(where->dirfd, where->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -errno;
    int fd = open_beneath(root, path);
    if (root != AT_FDCWD)
        close(root);
    if (fd < 0)
        return fd;
    int r = file_identity_at(fd, "", id);
    close(fd);
    return r;
}

static const char unchecked_mount_tail[] = "files there named only by a path have no identity";

bool warning_is_unchecked_mount(const struct warning *w)
{
    size_t len = strlen(w->reason), tail = sizeof(unchecked_mount_tail) - 1;
    return w->kind == WARN_IO && len >= tail &&
           strcmp(w->reason + len - tail, unchecked_mount_tail) == 0;
}

void record_mark_unchecked(struct file_record *rec, struct warning_list *list,
                           const struct mount_entry *e)
{
    char reason[256];
    if (rec)
        rec->note = unchecked_path_note;
    if (!e)
        return;
    snprintf(reason, sizeof(reason),
             "%s mount not looked into by name (its server may not answer): %s", e->fstype,
             unchecked_mount_tail);
    for (size_t i = 0; i < list->len; i++)
        if (list->items[i].path && strcmp(list->items[i].path, e->target) == 0 &&
            strcmp(list->items[i].reason, reason) == 0)
            return;
    warning_add(list, WARN_IO, 0, e->target, "%s", reason);
}

static bool bracketed_number(const char *s, uint64_t *value)
{
    size_t len = strlen(s);
    return len >= 3 && s[0] == '[' && s[len - 1] == ']' &&
           decimal_span_parse(s + 1, len - 2, UINT64_MAX, value);
}

bool pseudo_file_classify(const char *name, enum file_type *type, bool *has_inode, uint64_t *inode)
{
    *has_inode = false;
    if (strncmp(name, "socket:", 7) == 0 && bracketed_number(name + 7, inode)) {
        *type = FTYPE_SOCK;
        *has_inode = true;
        return true;
    }
    if (strncmp(name, "pipe:", 5) == 0 && bracketed_number(name + 5, inode)) {
        *type = FTYPE_FIFO;
        *has_inode = true;
        return true;
    }
    if (strncmp(name, "anon_inode:", 11) == 0) {
        *type = FTYPE_ANON;
        return true;
    }
    return false;
}

bool strip_deleted_suffix(char *path, size_t *len)
{
    static const char suffix[] = " (deleted)";
    const size_t slen = sizeof(suffix) - 1;
    if (*len <= slen || memcmp(path + *len - slen, suffix, slen) != 0)
        return false;
    *len -= slen;
    path[*len] = '\0';
    return true;
}

void record_set_identity(struct file_record *rec, const struct file_identity *id,
                         enum identity_origin origin)
{
    rec->identity = origin;
    /* anon inodes have no file type bits; their name already said anon. */
    if (id->type != FTYPE_UNKNOWN || rec->type == FTYPE_UNKNOWN)
        rec->type = id->type;
    rec->has_dev = true;
    rec->dev_major = id->dev_major;
    rec->dev_minor = id->dev_minor;
    rec->has_inode = true;
    rec->inode = id->inode;
    rec->has_mount_id = id->has_mount_id;
    rec->mount_id = id->mount_id;
}
