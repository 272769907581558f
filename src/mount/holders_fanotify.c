/* --mount: fanotify groups with a mark on the target that report events
 * with open files (not file handles): each queued event holds a file open,
 * so umount fails while events wait to be read.  /proc does not show the
 * queue: such a group is a possible holder. */
#include <stdio.h>
#include <string.h>

#include "mount/holder_common.h"
#include "parse/fanotify_parse.h"

static bool mark_covers_target(const struct holder_scan *hs, const struct fanotify_mark *m)
{
    if (m->kind == FANOTIFY_MARK_MOUNT)
        return m->mnt_id == hs->target->mount_id;
    return holder_is_target_dev(hs, m->dev_major, m->dev_minor);
}

static const char *mark_kind_name(enum fanotify_mark_kind kind)
{
    switch (kind) {
    case FANOTIFY_MARK_MOUNT: return "mount";
    case FANOTIFY_MARK_FILESYSTEM: return "filesystem";
    case FANOTIFY_MARK_INODE: return "inode";
    }
    return "?";
}

static void add_group(struct holder_scan *hs, const struct file_record *fd,
                      const struct fanotify_mark *m)
{
    char object[96];
    snprintf(object, sizeof(object), "fanotify group fd %d (%s mark)", fd->fd,
             mark_kind_name(m->kind));
    struct file_record *rec = holder_add_fd(hs, SOURCE_FANOTIFY, object, fd, NULL);
    if (!rec)
        return;
    rec->type = FTYPE_ANON;
    rec->possible = true;
}

static void check_group(struct holder_scan *hs, const struct file_record *fd)
{
    char *file = holder_path(hs, hs->proc_root, "%d/fdinfo/%d", (int)fd->proc->pid, fd->fd);
    struct read_buf buf = {0};
    struct fanotify_group group = {0};
    if (file && holder_read_file(hs, file, &buf, READ_CAP_LIST) == 0) {
        int r = fanotify_fdinfo_parse(buf.data, buf.len, &group);
        if (r == -EINVAL)
            holder_report_malformed(hs, file, 0);
        for (size_t i = 0; group.found && !(group.flags & FANOTIFY_REPORTS_FID) && i < group.nmarks;
             i++)
            if (mark_covers_target(hs, &group.marks[i])) {
                add_group(hs, fd, &group.marks[i]);
                break;
            }
    }
    fanotify_group_free(&group);
    read_buf_free(&buf);
}

void holders_find_fanotify(struct holder_scan *hs)
{
    for (size_t i = 0; hs->all_rows && i < hs->all_rows->len; i++) {
        const struct file_record *rec = hs->all_rows->items[i];
        if (rec->source == SOURCE_FD && rec->proc && rec->path &&
            strcmp(rec->path, "anon_inode:[fanotify]") == 0)
            check_group(hs, rec);
    }
}
